//! IPVS and the load-balancing algorithms around it (worktree-local module file: the lead
//! engineer merges it with the kernel IPVS service and schedulers).
//!
//! - [`maglev`]: the Maglev paper's lookup table (Eisenbud et al., NSDI 2016, Pseudocode 1);
//! - [`smooth_wrr`]: nginx's smooth weighted round-robin, for contrast with the kernel's WRR;
//! - [`gorb`]: GORB's health-check loop that re-weights IPVS backends;
//! - [`siphash`]: the kernel's 64-bit `hsiphash`, the one hash function of the Maglev models.

pub mod gorb;
pub mod maglev;
pub mod siphash;
pub mod smooth_wrr;

use crate::scenario::ScenarioError;

/// Which model a scenario drives: its required top-level `"model"` field.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Model {
    Maglev,
    SmoothWrr,
    Gorb,
}

/// Only the `model` field; the chosen model then parses the whole text strictly.
#[derive(Debug, serde::Deserialize)]
struct ModelTag {
    model: Model,
}

/// Runs a scenario of the model named by its `"model"` field (`maglev`, `smooth_wrr`, `gorb`)
/// and returns its trace, one record per operation.
pub fn run_scenario(json: &str) -> Result<serde_json::Value, ScenarioError> {
    match crate::scenario::parse::<ModelTag>(json)?.model {
        Model::Maglev => maglev::run_scenario(json),
        Model::SmoothWrr => smooth_wrr::run_scenario(json),
        Model::Gorb => gorb::run_scenario(json),
    }
}
