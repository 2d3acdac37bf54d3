//! The Maglev lookup table of the paper (Eisenbud et al., "Maglev: A Fast and Reliable Software
//! Network Load Balancer", NSDI 2016, section 3.4, Pseudocode 1), with named backends and any
//! prime table size M.
//!
//! - [`permutation`]: each backend's preference list, `offset = h1(name) mod M`,
//!   `skip = h2(name) mod (M − 1) + 1`, `permutation[j] = (offset + j·skip) mod M`, or an
//!   explicit offset and skip (the paper's own illustration, Table 1, gives them directly);
//! - [`table`]: Pseudocode 1 itself, backends taking turns to claim their next unfilled
//!   preferred slot, with an optional slot-by-slot fill trace, and the balance of the result;
//! - [`disruption`]: how many entries change between two tables, against the minimum (the
//!   entries that belonged to removed backends, or that added backends now own);
//! - [`sim`]: [`MaglevSim`], the typed core (`new`, `apply`, accessors) and its errors;
//! - [`scenario`]: the JSON scenario format and its trace.
//!
//! **Hash choice.** The paper leaves h1 and h2 open. Both are the kernel's 64-bit `hsiphash`
//! (SipHash-1-3 truncated to 32 bits) of the name's UTF-8 bytes, with the fixed keys of the
//! kernel's `mh` scheduler (`net/netfilter/ipvs/ip_vs_mh.c`): h1 uses `MH_KEY1`, h2 `MH_KEY2`,
//! and a lookup key is hashed with `MH_KEY1`, as `ip_vs_mh_hashkey` does. One function thus
//! serves this paper mode and the kernel `mh` mode (which hashes IP + port instead of a name).
//!
//! This is the paper's algorithm, not the kernel scheduler: there are no weights (the kernel's
//! `mh` adds per-dest "turns"; Pseudocode 1 has none), and the table is rebuilt from the
//! permutations on every change, as both the paper and `ip_vs_mh.c` do.

pub mod disruption;
pub mod permutation;
pub mod scenario;
pub mod sim;
pub mod table;

pub use disruption::Disruption;
pub use permutation::{Permutation, PermutationSource};
pub use scenario::run_scenario;
pub use sim::{
    Backend, BackendSpec, LookupResult, MaglevError, MaglevOp, MaglevOutcome, MaglevParams,
    MaglevSim,
};
pub use table::{Balance, FillStep};
