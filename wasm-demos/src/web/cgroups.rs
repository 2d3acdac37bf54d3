//! The cgroups demo: CPU bandwidth and weights, memory and the OOM killer, pids, io.

use wasm_bindgen::prelude::*;

use super::{frame_accessors, js_error};
use crate::cgroups::cpu::{Slot, Timeline};
use crate::cgroups::scenario::CgroupPlayback;
use crate::scenario::Playback;

/// The frame's slot value for a throttled span.
pub const SLOT_THROTTLED: u32 = u32::MAX;
/// The frame's slot value for an idle span.
pub const SLOT_IDLE: u32 = u32::MAX - 1;

/// A cgroup scenario in the browser.
#[wasm_bindgen]
pub struct CgroupDemo {
    playback: CgroupPlayback,
    frame: Vec<u32>,
    timeline_start_ms: f64,
    timeline_truncated: bool,
}

#[wasm_bindgen]
impl CgroupDemo {
    /// Parses a scenario (the `sim cgroups` format) and builds its hierarchy; a bad one
    /// throws its error.
    #[wasm_bindgen(constructor)]
    pub fn new(scenario: &str) -> Result<CgroupDemo, JsError> {
        let playback = CgroupPlayback::new(scenario, false).map_err(js_error)?;
        Ok(CgroupDemo {
            playback,
            frame: Vec::new(),
            timeline_start_ms: 0.0,
            timeline_truncated: false,
        })
    }

    /// `1` or `2`: the hierarchy's version, which names the files.
    pub fn version(&self) -> u8 {
        match self.playback.sim().version() {
            crate::cgroups::CgroupVersion::V1 => 1,
            crate::cgroups::CgroupVersion::V2 => 2,
        }
    }

    /// Scripted operations not yet applied.
    pub fn remaining(&self) -> usize {
        self.playback.remaining()
    }

    /// Applies the next scripted operation and returns its trace record as JSON, the same
    /// record `sim cgroups` prints but for a `run`'s `timeline`, which is the frame;
    /// `undefined` at the end of the script.
    pub fn step(&mut self) -> Option<String> {
        let (record, timeline) = self.playback.step_with_timeline()?;
        self.set_timeline(timeline);
        Some(record.to_string())
    }

    /// Applies one operation given as JSON (`{"op": "run", "ms": 100}`) and returns its
    /// record; a malformed one throws (`op.ms: …`) and changes nothing.
    pub fn apply(&mut self, op: &str) -> Result<String, JsError> {
        let (record, timeline) = self.playback.apply_json_with_timeline(op).map_err(js_error)?;
        self.set_timeline(timeline);
        Ok(record.to_string())
    }

    /// Simulated time at the start of the last `run`'s timeline, in ms.
    pub fn timeline_start_ms(&self) -> f64 {
        self.timeline_start_ms
    }

    /// Whether the last `run` had more spans per CPU than the timeline keeps.
    pub fn timeline_truncated(&self) -> bool {
        self.timeline_truncated
    }

    /// The frame is the CPU timeline of the last op if it was a `run`, else left empty.
    fn set_timeline(&mut self, timeline: Option<Timeline>) {
        self.frame.clear();
        self.timeline_truncated = false;
        if let Some(tl) = timeline {
            self.timeline_start_ms = (tl.start_us / 1000) as f64;
            self.timeline_truncated = tl.truncated;
            timeline_frame(&tl, &mut self.frame);
        }
    }
}

frame_accessors!(CgroupDemo);

/// A `run`'s CPU timeline as four `u32` per span, CPU by CPU, in time order: `cpu`, the
/// span's start in ms from [`CgroupDemo::timeline_start_ms`], its length in ms, and what ran
/// (a tid, [`SLOT_THROTTLED`] or [`SLOT_IDLE`]).
fn timeline_frame(tl: &Timeline, frame: &mut Vec<u32>) {
    for (cpu, segments) in tl.cpus.iter().enumerate() {
        let mut start: u64 = 0;
        for s in segments {
            let slot = match s.slot {
                Slot::Task(tid) => tid,
                Slot::Throttled => SLOT_THROTTLED,
                Slot::Idle => SLOT_IDLE,
            };
            let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
            frame.extend([clamp(cpu as u64), clamp(start), clamp(s.ms), slot]);
            start += s.ms;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_frame_shows_quota_refills_and_throttled_spans() {
        let mut p = CgroupPlayback::new(
            r#"{"version": 2, "groups": [{"path": "/web", "files": {"cpu.max": "50000 100000"}}],
                "ops": [{"op": "spawn", "cgroup": "/web"}, {"op": "run", "ms": 200}]}"#,
            false,
        )
        .unwrap();
        let (_, none) = p.step_with_timeline().unwrap();
        assert!(none.is_none());
        let (record, timeline) = p.step_with_timeline().unwrap();
        assert!(record.get("timeline").is_none(), "the frame carries it");
        let mut frame = Vec::new();
        timeline_frame(&timeline.unwrap(), &mut frame);
        let spans: Vec<&[u32]> = frame.chunks(4).collect();
        // 50 ms of quota per 100 ms period: run 50, throttled 50, twice.
        assert_eq!(
            spans,
            [
                [0, 0, 50, 100],
                [0, 50, 50, SLOT_THROTTLED],
                [0, 100, 50, 100],
                [0, 150, 50, SLOT_THROTTLED]
            ]
        );
    }
}
