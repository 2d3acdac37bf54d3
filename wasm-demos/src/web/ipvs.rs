//! The IPVS demo: the kernel's virtual service, Maglev, nginx's smooth WRR or GORB,
//! whichever model the scenario names.

use wasm_bindgen::prelude::*;

use super::{frame_accessors, js_error};
use crate::ipvs::IpvsSim;
use crate::ipvs::gorb::scenario::GorbPlayback;
use crate::ipvs::maglev::MaglevSim;
use crate::ipvs::maglev::scenario::MaglevPlayback;
use crate::ipvs::scenario::KernelPlayback;
use crate::ipvs::smooth_wrr::scenario::SmoothWrrPlayback;
use crate::scenario::from_json::from_json_struct;
use crate::scenario::{Playback, ScenarioError, parse};

/// Only the `model` field of a scenario, to choose the playback.
struct ModelTag {
    model: Option<String>,
}
from_json_struct!(ModelTag { model = default });

enum Model {
    Kernel(KernelPlayback),
    Maglev(MaglevPlayback),
    SmoothWrr(SmoothWrrPlayback),
    Gorb(GorbPlayback),
}

impl Model {
    fn playback(&mut self) -> &mut dyn Playback {
        match self {
            Model::Kernel(p) => p,
            Model::Maglev(p) => p,
            Model::SmoothWrr(p) => p,
            Model::Gorb(p) => p,
        }
    }
}

/// An IPVS scenario in the browser.
#[wasm_bindgen]
pub struct IpvsDemo {
    model: Model,
    frame: Vec<u32>,
}

#[wasm_bindgen]
impl IpvsDemo {
    /// Parses a scenario (the `sim ipvs` format) and sets it up; a bad one throws its error.
    #[wasm_bindgen(constructor)]
    pub fn new(scenario: &str) -> Result<IpvsDemo, JsError> {
        let tag: ModelTag = parse(scenario).map_err(js_error)?;
        let model = match tag.model.as_deref() {
            None | Some("kernel") => {
                Model::Kernel(KernelPlayback::new(scenario).map_err(js_error)?)
            }
            Some("maglev") => {
                Model::Maglev(MaglevPlayback::new(scenario, false).map_err(js_error)?)
            }
            Some("smooth_wrr") => {
                Model::SmoothWrr(SmoothWrrPlayback::new(scenario).map_err(js_error)?)
            }
            Some("gorb") => Model::Gorb(GorbPlayback::new(scenario).map_err(js_error)?),
            Some(other) => {
                return Err(js_error(ScenarioError::new(
                    "model",
                    format!("unknown model `{other}`; expected kernel, maglev, smooth_wrr or gorb"),
                )));
            }
        };
        let mut demo = IpvsDemo { model, frame: Vec::new() };
        demo.refresh();
        Ok(demo)
    }

    /// `kernel`, `maglev`, `smooth_wrr` or `gorb`.
    pub fn model(&self) -> String {
        match self.model {
            Model::Kernel(_) => "kernel",
            Model::Maglev(_) => "maglev",
            Model::SmoothWrr(_) => "smooth_wrr",
            Model::Gorb(_) => "gorb",
        }
        .to_owned()
    }

    /// Scripted operations not yet applied.
    pub fn remaining(&mut self) -> usize {
        self.model.playback().remaining()
    }

    /// Applies the next scripted operation and returns its trace record as JSON, the same
    /// record `sim ipvs` prints (Maglev's leave out `table`: it is the frame); `undefined` at
    /// the end of the script.
    pub fn step(&mut self) -> Option<String> {
        let record = self.model.playback().step()?;
        self.refresh();
        Some(record.to_string())
    }

    /// Applies one operation given as JSON (`{"op": "schedule", "count": 10}`) and returns
    /// its record; a malformed one throws (`op.count: …`) and changes nothing.
    pub fn apply(&mut self, op: &str) -> Result<String, JsError> {
        let record = self.model.playback().apply_json(op).map_err(js_error)?;
        self.refresh();
        Ok(record.to_string())
    }

    fn refresh(&mut self) {
        self.frame.clear();
        match &self.model {
            Model::Kernel(p) => dest_frame(p.sim(), &mut self.frame),
            Model::Maglev(p) => table_frame(p.sim(), &mut self.frame),
            Model::SmoothWrr(_) | Model::Gorb(_) => {}
        }
    }
}

frame_accessors!(IpvsDemo);

/// The kernel model's frame: four `u32` per destination, in the service's list order (the
/// order of `dests` in the record): `active`, `inactive`, `weight`, `overloaded` (0 or 1).
fn dest_frame(sim: &IpvsSim, frame: &mut Vec<u32>) {
    for d in sim.service().dests().list() {
        frame.extend([d.activeconns, d.inactconns, d.weight, u32::from(d.overloaded)]);
    }
}

/// Maglev's frame: the lookup table, one `u32` per slot, the index of the slot's backend in
/// the record's `backends`.
fn table_frame(sim: &MaglevSim, frame: &mut Vec<u32>) {
    frame.extend_from_slice(sim.table());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dest_frame_holds_four_counters_per_destination_in_list_order() {
        let mut p = KernelPlayback::new(
            r#"{"scheduler": "wrr", "ops": [
                {"op": "add_dest", "name": "A", "addr": "10.0.0.1:80", "weight": 3},
                {"op": "add_dest", "name": "B", "addr": "10.0.0.2:80", "weight": 1},
                {"op": "new", "conn": "c", "count": 4}]}"#,
        )
        .unwrap();
        while p.step().is_some() {}
        let mut frame = Vec::new();
        dest_frame(p.sim(), &mut frame);
        let names: Vec<&str> =
            p.sim().service().dests().list().iter().map(|d| d.name.as_str()).collect();
        let a = names.iter().position(|n| *n == "A").unwrap();
        let b = names.iter().position(|n| *n == "B").unwrap();
        // New TCP connections wait in SYN_RECV, counted inactive until established.
        assert_eq!(frame.len(), 8);
        assert_eq!(&frame[a * 4..a * 4 + 4], &[0, 3, 3, 0]);
        assert_eq!(&frame[b * 4..b * 4 + 4], &[0, 1, 1, 0]);
    }

    #[test]
    fn an_op_from_the_controls_names_its_bad_field_and_changes_nothing() {
        let mut p = KernelPlayback::new(r#"{"scheduler": "rr", "ops": []}"#).unwrap();
        let err = p.apply_json(r#"{"op": "add_dest", "name": "A", "addr": 5}"#).unwrap_err();
        assert_eq!(err.to_string(), "op.addr: invalid type: integer `5`, expected a string");
        let err = p.apply_json("[1] ]").unwrap_err();
        assert_eq!(err.to_string(), "op: trailing characters");
        let err = p.apply_json("[1]").unwrap_err();
        assert_eq!(err.to_string(), "op: an operation is a JSON object");
        assert!(p.sim().service().dests().list().is_empty());
        let record = p.apply_json(r#"{"op": "add_dest", "name": "A", "addr": "10.0.0.1:80"}"#);
        assert_eq!(record.unwrap()["dests"][0]["name"], "A");
    }

    #[test]
    fn table_frame_is_the_maglev_table() {
        let p = MaglevPlayback::new(
            r#"{"model": "maglev", "table_size": 7,
                "backends": [{"name": "B0", "offset": 3, "skip": 4},
                             {"name": "B1", "offset": 0, "skip": 2},
                             {"name": "B2", "offset": 3, "skip": 1}]}"#,
            false,
        )
        .unwrap();
        let mut frame = Vec::new();
        table_frame(p.sim(), &mut frame);
        // The Maglev paper's Table 1: B1 B0 B1 B0 B2 B2 B0.
        assert_eq!(frame, [1, 0, 1, 0, 2, 2, 0]);
    }
}
