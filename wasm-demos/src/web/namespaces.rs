//! The namespaces demo: the process table with one pid per pid-namespace level, and every
//! other namespace kind.

use wasm_bindgen::prelude::*;

use super::{frame_accessors, js_error};
use crate::namespaces::{NamespacesPlayback, NamespacesSim, ProcState};
use crate::scenario::Playback;

/// A process's parent or namespace that does not exist.
pub const NONE: u32 = u32::MAX;

/// A namespaces scenario in the browser.
#[wasm_bindgen]
pub struct NamespaceDemo {
    playback: NamespacesPlayback,
    frame: Vec<u32>,
}

#[wasm_bindgen]
impl NamespaceDemo {
    /// Parses a scenario (the `sim namespaces` format) and boots its host; a bad one throws
    /// its error.
    #[wasm_bindgen(constructor)]
    pub fn new(scenario: &str) -> Result<NamespaceDemo, JsError> {
        let playback = NamespacesPlayback::new(scenario).map_err(js_error)?;
        let mut demo = NamespaceDemo { playback, frame: Vec::new() };
        demo.refresh();
        Ok(demo)
    }

    /// Scripted operations not yet applied.
    pub fn remaining(&self) -> usize {
        self.playback.remaining()
    }

    /// Applies the next scripted operation and returns its trace record as JSON, the same
    /// record `sim namespaces` prints; `undefined` at the end of the script.
    pub fn step(&mut self) -> Option<String> {
        let record = self.playback.step()?;
        self.refresh();
        Some(record.to_string())
    }

    /// Applies one operation given as JSON (`{"op": "fork", "as": "init", "child": "sh"}`)
    /// and returns its record; a malformed one throws (`op.child: …`) and changes nothing.
    pub fn apply(&mut self, op: &str) -> Result<String, JsError> {
        let record = self.playback.apply_json(op).map_err(js_error)?;
        self.refresh();
        Ok(record.to_string())
    }

    /// The process labels, in the frame's order, joined by newlines (labels hold none).
    pub fn labels(&self) -> String {
        let sim = self.playback.sim();
        sim.processes().map(|(_, p)| p.label()).collect::<Vec<_>>().join("\n")
    }

    fn refresh(&mut self) {
        self.frame.clear();
        tree_frame(self.playback.sim(), &mut self.frame);
    }
}

frame_accessors!(NamespaceDemo);

/// The process tree, one variable-length row per process in process-table order: its id,
/// its parent's id (or [`NONE`]), its state (0 running, 1 stopped, 2 zombie, 3 an exiting
/// init), the number `n` of pid-namespace levels it is visible in, then `n` pairs (the pid
/// namespace's inode, the pid there) from the initial namespace down.
fn tree_frame(sim: &NamespacesSim, frame: &mut Vec<u32>) {
    let id = |v: usize| u32::try_from(v).unwrap_or(NONE);
    for (pid_id, p) in sim.processes() {
        let state = match p.state() {
            ProcState::Running => 0,
            ProcState::Stopped => 1,
            ProcState::Zombie => 2,
            ProcState::Exiting => 3,
        };
        frame.extend([id(pid_id), p.parent().map_or(NONE, id), state, id(p.pids().len())]);
        for &(ns, pid) in p.pids() {
            frame.extend([sim.inode(ns).unwrap_or(NONE), pid]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_frame_gives_one_pid_per_namespace_level() {
        let mut p = NamespacesPlayback::new(
            r#"{"ops": [
                {"op": "fork", "as": "init", "child": "shell"},
                {"op": "clone", "as": "shell", "child": "c1", "flags": ["CLONE_NEWPID"]}]}"#,
        )
        .unwrap();
        while p.step().is_some() {}
        let mut frame = Vec::new();
        tree_frame(p.sim(), &mut frame);
        let init_ns = p.sim().inode(p.sim().process("init").unwrap().pid_ns()).unwrap();
        let child_ns = p.sim().inode(p.sim().process("c1").unwrap().pid_ns()).unwrap();
        assert_ne!(init_ns, child_ns);
        let shell = p.sim().process_id("shell").unwrap() as u32;
        let c1 = p.sim().process_id("c1").unwrap() as u32;
        // init: pid 1 at level 0; shell: pid 2; c1: pid 3 on the host and 1 inside.
        assert_eq!(
            frame,
            [
                0, NONE, 0, 1, init_ns, 1, shell, 0, 0, 1, init_ns, 2, c1, shell, 0, 2, init_ns, 3,
                child_ns, 1,
            ]
        );
    }
}
