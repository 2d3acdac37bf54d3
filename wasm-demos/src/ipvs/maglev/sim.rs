//! [`MaglevSim`]: a Maglev table over a fixed prime size M and a changing list of backends.

use super::disruption::Disruption;
use super::permutation::{Permutation, PermutationSource};
use super::table::{Balance, FillStep, populate};
use crate::ipvs::siphash::{MH_KEY1, hsiphash};
use crate::scenario::from_json::{from_json_struct, from_op_enum};

/// The largest table size accepted (a prime): ten times the paper's "large" 65537 and more.
pub const MAX_TABLE_SIZE: u32 = 1_000_003;
/// The most backends a table may have.
pub const MAX_BACKENDS: usize = 65_536;
/// Cap on M × N, which bounds the probes of one population (each backend walks at most its
/// M preferences), so that a table is always built in bounded time.
pub const MAX_TABLE_WORK: u64 = 1_000_000_000;
/// The largest table whose slot-by-slot fill trace can be requested (M records).
pub const MAX_TRACED_TABLE_SIZE: u32 = 65_537;
/// The most entries (N × M) a `permutations` listing may have.
pub const MAX_PERMUTATION_ENTRIES: u64 = 1_048_576;

/// Errors of the Maglev model; the simulation state is unchanged when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaglevError {
    /// M must be a prime (paper section 3.4), so that every skip walks all M slots.
    #[error("table size {0} is not a prime")]
    NotPrime(u32),
    /// M = 0 or 1: no prime, and `skip = h2 mod (M − 1) + 1` would divide by zero.
    #[error("table size {0} is too small: Maglev needs a prime of at least 2")]
    TableTooSmall(u32),
    /// M above [`MAX_TABLE_SIZE`].
    #[error("table size {0} exceeds the cap of 1000003")]
    TableTooLarge(u32),
    /// Pseudocode 1 needs at least one backend to fill the table.
    #[error("no backends: the table needs at least one")]
    NoBackends,
    /// More backends than slots: some could never claim one (Pseudocode 1 stops at M claims).
    #[error("{backends} backends do not fit a table of size {table_size} (M must be at least N)")]
    MoreBackendsThanSlots {
        /// N.
        backends: usize,
        /// M.
        table_size: u32,
    },
    /// More backends than [`MAX_BACKENDS`].
    #[error("{0} backends exceed the cap of 65536")]
    TooManyBackends(usize),
    /// M × N above [`MAX_TABLE_WORK`].
    #[error("table size {table_size} × {backends} backends exceeds the cap of 1000000000 probes")]
    TooMuchWork {
        /// M.
        table_size: u32,
        /// N.
        backends: usize,
    },
    /// Backend names identify backends across tables (disruption compares names).
    #[error("duplicate backend name \"{0}\"")]
    DuplicateName(String),
    /// An empty name.
    #[error("backend names must not be empty")]
    EmptyName,
    /// `remove_backend` of a name that is not in the table.
    #[error("no backend named \"{0}\"")]
    UnknownBackend(String),
    /// Removing the only backend would leave nothing to fill the table with.
    #[error("cannot remove \"{0}\": the table needs at least one backend")]
    LastBackend(String),
    /// An explicit permutation needs both numbers.
    #[error("backend \"{0}\": give both offset and skip, or neither")]
    HalfPermutation(String),
    /// An explicit offset outside `0..M`.
    #[error("backend \"{name}\": offset {offset} is not below the table size {table_size}")]
    OffsetOutOfRange {
        /// The backend.
        name: String,
        /// The offset given.
        offset: u32,
        /// M.
        table_size: u32,
    },
    /// An explicit skip outside `1..M` (Pseudocode's `h2 mod (M − 1) + 1` range).
    #[error("backend \"{name}\": skip {skip} is not between 1 and {max}")]
    SkipOutOfRange {
        /// The backend.
        name: String,
        /// The skip given.
        skip: u32,
        /// M − 1.
        max: u32,
    },
    /// A fill trace has one record per slot; it is only offered for demo-sized tables.
    #[error("a fill trace is limited to tables of at most 65537 slots, not {0}")]
    TraceTooLarge(u32),
    /// A permutation listing has N × M entries; it is only offered for demo-sized tables.
    #[error("a permutation listing is limited to 1048576 entries (N × M), not {0}")]
    PermutationsTooLarge(u64),
}

/// A backend as a scenario gives it: a name, and optionally an explicit permutation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackendSpec {
    /// The backend's name; hashed for its permutation unless offset and skip are given.
    pub name: String,
    /// Explicit first preference, `0 ≤ offset < M` (with `skip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
    /// Explicit step, `1 ≤ skip ≤ M − 1` (with `offset`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<u32>,
}
from_json_struct!(BackendSpec, deny_unknown_fields { name, offset = default, skip = default });

impl BackendSpec {
    /// A backend whose permutation is hashed from its name.
    pub fn named(name: impl Into<String>) -> Self {
        Self { name: name.into(), offset: None, skip: None }
    }

    /// A backend with an explicit permutation, as in the paper's Table 1.
    pub fn explicit(name: impl Into<String>, offset: u32, skip: u32) -> Self {
        Self { name: name.into(), offset: Some(offset), skip: Some(skip) }
    }
}

/// A backend of the table with its permutation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Backend {
    /// Its name.
    pub name: String,
    /// Its preference list.
    #[serde(flatten)]
    pub permutation: Permutation,
    /// Whether the permutation was hashed or given.
    pub permutation_source: PermutationSource,
}

/// What a [`MaglevSim`] is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaglevParams {
    /// M, a prime between 2 and [`MAX_TABLE_SIZE`].
    pub table_size: u32,
    /// The backends, in the fixed order in which they take turns.
    pub backends: Vec<BackendSpec>,
}

/// An operation on the table.
///
/// Scenarios write it `{"op": "<name>", …}`: [`crate::scenario::read_ops`] reads the `op` tag;
/// serialized, it is externally tagged and [`crate::scenario::op_json`] moves the tag back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MaglevOp {
    /// Runs Pseudocode 1 again (the table is always populated; this returns how it was filled).
    Populate {
        /// Return every claim (round, backend, slot, skipped probes).
        trace: bool,
    },
    /// Appends a backend at the end of the turn order and rebuilds the table.
    AddBackend {
        /// The new backend's name.
        name: String,
        /// Explicit offset (with `skip`).
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u32>,
        /// Explicit skip (with `offset`).
        #[serde(skip_serializing_if = "Option::is_none")]
        skip: Option<u32>,
    },
    /// Removes a backend (the others keep their order) and rebuilds the table.
    RemoveBackend {
        /// The backend to remove.
        name: String,
    },
    /// Lists every backend's full preference list, `permutation[j]` for j = 0…M−1 (the
    /// paper's Table 1, left side).
    Permutations {},
    /// Looks a flow key up: slot = `hsiphash(key, MH_KEY1) mod M`, owner = `entry[slot]`.
    Lookup {
        /// The flow key, hashed as UTF-8 bytes (for example `"10.0.0.1:51000"`).
        key: String,
    },
}
from_op_enum!(MaglevOp {
    "populate" => Populate { trace = default },
    "add_backend" => AddBackend { name, offset = default, skip = default },
    "remove_backend" => RemoveBackend { name },
    "permutations" => Permutations {},
    "lookup" => Lookup { key },
});

/// Where a flow key lands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LookupResult {
    /// `hsiphash(key, MH_KEY1)`.
    pub hash: u32,
    /// `hash mod M`.
    pub slot: u32,
    /// The name of the backend owning that slot.
    pub backend: String,
}

/// What an operation did.
#[derive(Debug, Clone, PartialEq)]
pub enum MaglevOutcome {
    /// The table was populated; with `trace`, every claim in order.
    Populated {
        /// The claims, when asked for.
        fill: Option<Vec<FillStep>>,
    },
    /// The backend list changed and the table was rebuilt.
    Rebuilt {
        /// Entries changed against the previous table.
        disruption: Disruption,
    },
    /// Each backend's preference list, in backend order.
    Permutations(Vec<Vec<u32>>),
    /// A lookup.
    Looked(LookupResult),
}

/// The Maglev table of the paper over a fixed prime M.
#[derive(Debug, Clone, PartialEq)]
pub struct MaglevSim {
    table_size: u32,
    backends: Vec<Backend>,
    table: Vec<u32>,
}

impl MaglevSim {
    /// Validates M and the backends and populates the table.
    pub fn new(params: MaglevParams) -> Result<Self, MaglevError> {
        let table_size = validate_table_size(params.table_size)?;
        if params.backends.len() > MAX_BACKENDS {
            return Err(MaglevError::TooManyBackends(params.backends.len()));
        }
        let mut backends: Vec<Backend> = Vec::with_capacity(params.backends.len());
        let duplicate = first_duplicate(&params.backends);
        for (i, spec) in params.backends.into_iter().enumerate() {
            let backend = make_backend(spec, table_size)?;
            if duplicate == Some(i) {
                return Err(MaglevError::DuplicateName(backend.name));
            }
            backends.push(backend);
        }
        check_backend_count(backends.len(), table_size)?;
        let table = build(&backends, table_size, None);
        Ok(Self { table_size, backends, table })
    }

    /// Applies one operation; on error nothing changes.
    pub fn apply(&mut self, op: MaglevOp) -> Result<MaglevOutcome, MaglevError> {
        match op {
            MaglevOp::Populate { trace } => {
                if !trace {
                    self.table = build(&self.backends, self.table_size, None);
                    return Ok(MaglevOutcome::Populated { fill: None });
                }
                if self.table_size > MAX_TRACED_TABLE_SIZE {
                    return Err(MaglevError::TraceTooLarge(self.table_size));
                }
                let mut steps = Vec::with_capacity(self.table_size as usize);
                self.table = build(&self.backends, self.table_size, Some(&mut steps));
                Ok(MaglevOutcome::Populated { fill: Some(steps) })
            }
            MaglevOp::AddBackend { name, offset, skip } => {
                let backend = make_backend(BackendSpec { name, offset, skip }, self.table_size)?;
                if self.backends.iter().any(|b| b.name == backend.name) {
                    return Err(MaglevError::DuplicateName(backend.name));
                }
                check_backend_count(self.backends.len() + 1, self.table_size)?;
                let mut backends = self.backends.clone();
                backends.push(backend);
                Ok(self.replace(backends))
            }
            MaglevOp::RemoveBackend { name } => {
                let Some(index) = self.backends.iter().position(|b| b.name == name) else {
                    return Err(MaglevError::UnknownBackend(name));
                };
                if self.backends.len() == 1 {
                    return Err(MaglevError::LastBackend(name));
                }
                let mut backends = self.backends.clone();
                backends.remove(index);
                Ok(self.replace(backends))
            }
            MaglevOp::Permutations {} => {
                let entries = self.backends.len() as u64 * u64::from(self.table_size);
                if entries > MAX_PERMUTATION_ENTRIES {
                    return Err(MaglevError::PermutationsTooLarge(entries));
                }
                let lists = self
                    .backends
                    .iter()
                    .map(|b| {
                        (0..self.table_size)
                            .map(|j| b.permutation.slot(j, self.table_size))
                            .collect()
                    })
                    .collect();
                Ok(MaglevOutcome::Permutations(lists))
            }
            MaglevOp::Lookup { key } => Ok(MaglevOutcome::Looked(self.lookup(&key))),
        }
    }

    /// Where `key` lands: `entry[hsiphash(key, MH_KEY1) mod M]`.
    pub fn lookup(&self, key: &str) -> LookupResult {
        let hash = hsiphash(key.as_bytes(), MH_KEY1);
        let slot = hash % self.table_size;
        LookupResult { hash, slot, backend: self.owner(slot).to_owned() }
    }

    /// M.
    pub fn table_size(&self) -> u32 {
        self.table_size
    }

    /// The backends in turn order.
    pub fn backends(&self) -> &[Backend] {
        &self.backends
    }

    /// The table: for each slot, the index of its backend in [`Self::backends`].
    pub fn table(&self) -> &[u32] {
        &self.table
    }

    /// The name of the backend owning `slot` (empty if `slot ≥ M`).
    pub fn owner(&self, slot: u32) -> &str {
        self.table
            .get(slot as usize)
            .and_then(|&i| self.backends.get(i as usize))
            .map_or("", |b| b.name.as_str())
    }

    /// Entries per backend and the max/min ratio.
    pub fn balance(&self) -> Balance {
        Balance::of(&self.table, self.backends.len())
    }

    fn replace(&mut self, backends: Vec<Backend>) -> MaglevOutcome {
        let table = build(&backends, self.table_size, None);
        let old_names: Vec<&str> = self.backends.iter().map(|b| b.name.as_str()).collect();
        let new_names: Vec<&str> = backends.iter().map(|b| b.name.as_str()).collect();
        let disruption = Disruption::between(&self.table, &old_names, &table, &new_names);
        self.backends = backends;
        self.table = table;
        MaglevOutcome::Rebuilt { disruption }
    }
}

fn build(backends: &[Backend], table_size: u32, fill: Option<&mut Vec<FillStep>>) -> Vec<u32> {
    let permutations: Vec<Permutation> = backends.iter().map(|b| b.permutation).collect();
    populate(&permutations, table_size, fill)
}

fn validate_table_size(m: u32) -> Result<u32, MaglevError> {
    if m < 2 {
        Err(MaglevError::TableTooSmall(m))
    } else if m > MAX_TABLE_SIZE {
        Err(MaglevError::TableTooLarge(m))
    } else if !is_prime(m) {
        Err(MaglevError::NotPrime(m))
    } else {
        Ok(m)
    }
}

fn check_backend_count(n: usize, table_size: u32) -> Result<(), MaglevError> {
    if n == 0 {
        return Err(MaglevError::NoBackends);
    }
    if n > MAX_BACKENDS {
        return Err(MaglevError::TooManyBackends(n));
    }
    if n > table_size as usize {
        return Err(MaglevError::MoreBackendsThanSlots { backends: n, table_size });
    }
    if u64::from(table_size) * n as u64 > MAX_TABLE_WORK {
        return Err(MaglevError::TooMuchWork { table_size, backends: n });
    }
    Ok(())
}

/// The index of the first backend whose name an earlier one already has.
fn first_duplicate(specs: &[BackendSpec]) -> Option<usize> {
    let mut by_name: Vec<usize> = (0..specs.len()).collect();
    crate::sort::sort_by_key(&mut by_name, |&i| specs[i].name.as_str());
    by_name.windows(2).filter(|w| specs[w[0]].name == specs[w[1]].name).map(|w| w[1]).min()
}

fn make_backend(spec: BackendSpec, table_size: u32) -> Result<Backend, MaglevError> {
    if spec.name.is_empty() {
        return Err(MaglevError::EmptyName);
    }
    let (permutation, permutation_source) = match (spec.offset, spec.skip) {
        (None, None) => (Permutation::hashed(&spec.name, table_size), PermutationSource::Hashed),
        (Some(offset), Some(skip)) => {
            if offset >= table_size {
                return Err(MaglevError::OffsetOutOfRange { name: spec.name, offset, table_size });
            }
            if skip == 0 || skip >= table_size {
                return Err(MaglevError::SkipOutOfRange {
                    name: spec.name,
                    skip,
                    max: table_size - 1,
                });
            }
            (Permutation { offset, skip }, PermutationSource::Explicit)
        }
        _ => return Err(MaglevError::HalfPermutation(spec.name)),
    };
    Ok(Backend { name: spec.name, permutation, permutation_source })
}

/// Trial division; M ≤ [`MAX_TABLE_SIZE`] needs divisors up to 1000.
fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2u32;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper() -> MaglevSim {
        MaglevSim::new(MaglevParams {
            table_size: 7,
            backends: vec![
                BackendSpec::explicit("B0", 3, 4),
                BackendSpec::explicit("B1", 0, 2),
                BackendSpec::explicit("B2", 3, 1),
            ],
        })
        .unwrap()
    }

    fn names(sim: &MaglevSim) -> Vec<&str> {
        (0..sim.table_size()).map(|s| sim.owner(s)).collect()
    }

    #[test]
    fn paper_example_then_remove_b1() {
        let mut sim = paper();
        assert_eq!(names(&sim), ["B1", "B0", "B1", "B0", "B2", "B2", "B0"]);
        let MaglevOutcome::Rebuilt { disruption } =
            sim.apply(MaglevOp::RemoveBackend { name: "B1".into() }).unwrap()
        else {
            panic!("not rebuilt")
        };
        assert_eq!(names(&sim), ["B0", "B0", "B0", "B0", "B2", "B2", "B2"]);
        assert_eq!((disruption.changed, disruption.minimum), (3, 2));
    }

    #[test]
    fn primes_up_to_the_cap() {
        assert!(is_prime(2) && is_prime(7) && is_prime(65_537) && is_prime(655_373));
        assert!(is_prime(MAX_TABLE_SIZE));
        assert!(!is_prime(4_094) && !is_prime(1) && !is_prime(65_535) && !is_prime(1_000_001));
    }

    #[test]
    fn errors_leave_the_table_unchanged() {
        let mut sim = paper();
        let before = sim.clone();
        let err = sim.apply(MaglevOp::RemoveBackend { name: "B9".into() }).unwrap_err();
        assert_eq!(err.to_string(), "no backend named \"B9\"");
        let err = sim
            .apply(MaglevOp::AddBackend { name: "B0".into(), offset: None, skip: None })
            .unwrap_err();
        assert_eq!(err.to_string(), "duplicate backend name \"B0\"");
        assert_eq!(sim, before);
    }
}
