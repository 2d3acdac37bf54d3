//! The browser facade: the only module with `#[wasm_bindgen]`.
//!
//! One handle per demo ([`ipvs::IpvsDemo`], [`cgroups::CgroupDemo`],
//! [`namespaces::NamespaceDemo`]), each built from the same JSON scenario as the native `sim`
//! runner and stepped one operation at a time. Records cross as JSON strings; bulk data for
//! drawing (destination counters, the Maglev table, CPU timelines, the process tree) crosses
//! as a `u32` frame in wasm memory: JS reads `new Uint32Array(memory.buffer, frame_ptr(),
//! frame_len())` after every call, because any call may grow the memory and detach a view.
//!
//! Errors reach JS as exceptions carrying the scenario error's message (`ops[2].weight: …`);
//! every input is validated by the scenario parsers, so nothing JS sends can panic the core.

pub mod cgroups;
pub mod ipvs;
pub mod namespaces;

use wasm_bindgen::JsError;

use crate::scenario::ScenarioError;

fn js_error(err: ScenarioError) -> JsError {
    JsError::new(&err.to_string())
}

/// A frame accessor pair over `frame`: its address in wasm memory and its length in `u32`s.
macro_rules! frame_accessors {
    ($ty:ty) => {
        #[wasm_bindgen::prelude::wasm_bindgen]
        impl $ty {
            /// Address of the frame's first `u32` in wasm memory; see [`Self::frame_len`].
            pub fn frame_ptr(&self) -> *const u32 {
                self.frame.as_ptr()
            }

            /// Length of the frame in `u32`s.
            pub fn frame_len(&self) -> usize {
                self.frame.len()
            }
        }
    };
}
use frame_accessors;
