//! The IPVS schedulers (`net/netfilter/ipvs/ip_vs_<name>.c`), one faithful port each.
//!
//! A scheduler is bound to a service with its current list (`init_service`), told about every
//! destination add, edit and delete (`add_dest`, `upd_dest`, `del_dest`; only rr, wrr, sh, dh
//! and mh have these hooks) and asked for a destination per new connection (`schedule`),
//! which may be none (the kernel logs "Scheduling failed" / "no destination available").

pub mod hashing;
pub mod lblc;
pub mod lc;
pub mod mh;
pub mod rr;
pub mod tournament;
pub mod twos;
pub mod wrr;

use self::hashing::{BucketTable, ShHash};
use self::lblc::{LblcState, LblcrState};
use self::mh::MhState;
use self::rr::RrState;
use self::tournament::{Rule, Tournament};
use self::twos::TwosState;
use self::wrr::WrrState;
use super::dest::{DestId, Destinations};
use super::error::IpvsError;

/// The kernel's schedulers, by `ipvsadm -s` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchedulerKind {
    /// `rr`: round-robin.
    RoundRobin,
    /// `wrr`: weighted round-robin.
    WeightedRoundRobin,
    /// `lc`: least-connection.
    LeastConnection,
    /// `wlc`: weighted least-connection (ipvsadm's default).
    WeightedLeastConnection,
    /// `sed`: shortest expected delay.
    ShortestExpectedDelay,
    /// `nq`: never queue.
    NeverQueue,
    /// `fo`: weighted failover.
    WeightedFailover,
    /// `ovf`: weighted overflow.
    WeightedOverflow,
    /// `twos`: power of two choices.
    PowerOfTwoChoices,
    /// `sh`: source hashing.
    SourceHashing,
    /// `dh`: destination hashing.
    DestinationHashing,
    /// `mh`: Maglev hashing.
    MaglevHashing,
    /// `lblc`: locality-based least-connection.
    LocalityBasedLeastConnection,
    /// `lblcr`: locality-based least-connection with replication.
    LocalityBasedLeastConnectionWithReplication,
}

impl SchedulerKind {
    /// Every scheduler, in the order the error message lists them.
    pub const ALL: [SchedulerKind; 14] = [
        Self::RoundRobin,
        Self::WeightedRoundRobin,
        Self::LeastConnection,
        Self::WeightedLeastConnection,
        Self::ShortestExpectedDelay,
        Self::NeverQueue,
        Self::WeightedFailover,
        Self::WeightedOverflow,
        Self::PowerOfTwoChoices,
        Self::SourceHashing,
        Self::DestinationHashing,
        Self::MaglevHashing,
        Self::LocalityBasedLeastConnection,
        Self::LocalityBasedLeastConnectionWithReplication,
    ];

    /// The `ipvsadm -s` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::RoundRobin => "rr",
            Self::WeightedRoundRobin => "wrr",
            Self::LeastConnection => "lc",
            Self::WeightedLeastConnection => "wlc",
            Self::ShortestExpectedDelay => "sed",
            Self::NeverQueue => "nq",
            Self::WeightedFailover => "fo",
            Self::WeightedOverflow => "ovf",
            Self::PowerOfTwoChoices => "twos",
            Self::SourceHashing => "sh",
            Self::DestinationHashing => "dh",
            Self::MaglevHashing => "mh",
            Self::LocalityBasedLeastConnection => "lblc",
            Self::LocalityBasedLeastConnectionWithReplication => "lblcr",
        }
    }

    /// Parses an `ipvsadm -s` name.
    pub fn parse(name: &str) -> Result<Self, IpvsError> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| IpvsError::UnknownScheduler { name: name.to_owned() })
    }
}

/// The scheduler flags of a service: the bits `IP_VS_SVC_F_SCHED1` and `IP_VS_SVC_F_SCHED2`.
///
/// ipvsadm's names are aliases of the same bits: `IP_VS_SVC_F_SCHED_SH_FALLBACK` and
/// `IP_VS_SVC_F_SCHED_MH_FALLBACK` are both `SCHED1`, `..._SH_PORT` and `..._MH_PORT` both
/// `SCHED2`. So `sh-fallback` on an mh service makes mh fall back, and a flag kept across
/// `edit_service` from sh to mh keeps its meaning for mh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceFlags {
    /// `IP_VS_SVC_F_SCHED1`: `sh-fallback` / `mh-fallback`.
    pub sched1: bool,
    /// `IP_VS_SVC_F_SCHED2`: `sh-port` / `mh-port`.
    pub sched2: bool,
}

impl ServiceFlags {
    /// Parses ipvsadm's `-b` flag names.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, IpvsError> {
        let mut flags = Self::default();
        for name in names {
            match name.as_ref() {
                "sh-fallback" | "mh-fallback" => flags.sched1 = true,
                "sh-port" | "mh-port" => flags.sched2 = true,
                other => return Err(IpvsError::UnknownFlag { flag: other.to_owned() }),
            }
        }
        Ok(flags)
    }

    /// The flag names that are set, in ipvsadm's order, named for the bound scheduler: the
    /// `mh-` aliases for mh (defined in `ip_vs_mh.c`), the `sh-` ones (the uapi header's)
    /// otherwise.
    pub fn names(self, kind: SchedulerKind) -> Vec<&'static str> {
        let (fallback, port) = match kind {
            SchedulerKind::MaglevHashing => ("mh-fallback", "mh-port"),
            _ => ("sh-fallback", "sh-port"),
        };
        [(self.sched1, fallback), (self.sched2, port)]
            .into_iter()
            .filter_map(|(set, name)| set.then_some(name))
            .collect()
    }
}

/// What a scheduler needs to know about the packet that opens a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// Client address (host order) and source port: sh and mh hash these.
    pub src_ip: u32,
    /// Client source port (hashed with `sh-port` / `mh-port`).
    pub src_port: u16,
    /// Destination IP (host order): dh, lblc and lblcr key on it.
    pub dst_ip: u32,
    /// twos only: the two `prandom_u32()` values to use instead of the service's PRNG.
    pub draws: Option<[u32; 2]>,
}

/// Settings the hashing schedulers read from the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashSettings {
    /// SH/DH hash function.
    pub sh_hash: ShHash,
    /// `CONFIG_IP_VS_MH_TAB_INDEX`.
    pub mh_tab_index: u8,
    /// `lblc_expiration` sysctl, ms.
    pub lblc_expiration_ms: u64,
    /// `lblcr_expiration` sysctl, ms.
    pub lblcr_expiration_ms: u64,
}

/// A bound scheduler and its `sched_data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchedState {
    /// rr and its cursor.
    RoundRobin(RrState),
    /// wrr and its mark.
    WeightedRoundRobin(WrrState),
    /// lc: stateless in the kernel; the tree answers its scan.
    LeastConnection(Tournament),
    /// wlc: stateless in the kernel; the tree answers its scan.
    WeightedLeastConnection(Tournament),
    /// sed: stateless in the kernel; the tree answers its scan.
    ShortestExpectedDelay(Tournament),
    /// nq: stateless in the kernel; the tree answers its scan.
    NeverQueue(Tournament),
    /// fo: stateless in the kernel; the tree answers its scan.
    WeightedFailover(Tournament),
    /// ovf: stateless in the kernel; the tree answers its scan.
    WeightedOverflow(Tournament),
    /// twos and its last draws.
    PowerOfTwoChoices(TwosState),
    /// sh and its buckets.
    SourceHashing(BucketTable),
    /// dh and its buckets.
    DestinationHashing(BucketTable),
    /// mh and its lookup table.
    MaglevHashing(MhState),
    /// lblc and its cache.
    LocalityBasedLeastConnection(LblcState),
    /// lblcr and its cache of sets.
    LocalityBasedLeastConnectionWithReplication(LblcrState),
}

impl SchedState {
    /// `init_service`: binds `kind` to the current list.
    pub fn bind(
        kind: SchedulerKind,
        dests: &Destinations,
        settings: HashSettings,
        now_ms: u64,
    ) -> Result<Self, IpvsError> {
        let list = dests.list();
        Ok(match kind {
            SchedulerKind::RoundRobin => Self::RoundRobin(RrState::default()),
            SchedulerKind::WeightedRoundRobin => Self::WeightedRoundRobin(WrrState::bind(list)),
            SchedulerKind::LeastConnection => {
                Self::LeastConnection(Tournament::build(Rule::Lc, list))
            }
            SchedulerKind::WeightedLeastConnection => {
                Self::WeightedLeastConnection(Tournament::build(Rule::Wlc, list))
            }
            SchedulerKind::ShortestExpectedDelay => {
                Self::ShortestExpectedDelay(Tournament::build(Rule::Sed, list))
            }
            SchedulerKind::NeverQueue => Self::NeverQueue(Tournament::build(Rule::Nq, list)),
            SchedulerKind::WeightedFailover => {
                Self::WeightedFailover(Tournament::build(Rule::Fo, list))
            }
            SchedulerKind::WeightedOverflow => {
                Self::WeightedOverflow(Tournament::build(Rule::Ovf, list))
            }
            SchedulerKind::PowerOfTwoChoices => Self::PowerOfTwoChoices(TwosState::default()),
            SchedulerKind::SourceHashing => Self::SourceHashing(BucketTable::sh_reassign(list)),
            SchedulerKind::DestinationHashing => {
                Self::DestinationHashing(BucketTable::dh_reassign(list))
            }
            SchedulerKind::MaglevHashing => {
                Self::MaglevHashing(MhState::bind(list, settings.mh_tab_index)?)
            }
            SchedulerKind::LocalityBasedLeastConnection => Self::LocalityBasedLeastConnection(
                LblcState::bind(now_ms, settings.lblc_expiration_ms),
            ),
            SchedulerKind::LocalityBasedLeastConnectionWithReplication => {
                Self::LocalityBasedLeastConnectionWithReplication(LblcrState::bind(
                    now_ms,
                    settings.lblcr_expiration_ms,
                ))
            }
        })
    }

    /// Which scheduler this is.
    pub fn kind(&self) -> SchedulerKind {
        match self {
            Self::RoundRobin(_) => SchedulerKind::RoundRobin,
            Self::WeightedRoundRobin(_) => SchedulerKind::WeightedRoundRobin,
            Self::LeastConnection(_) => SchedulerKind::LeastConnection,
            Self::WeightedLeastConnection(_) => SchedulerKind::WeightedLeastConnection,
            Self::ShortestExpectedDelay(_) => SchedulerKind::ShortestExpectedDelay,
            Self::NeverQueue(_) => SchedulerKind::NeverQueue,
            Self::WeightedFailover(_) => SchedulerKind::WeightedFailover,
            Self::WeightedOverflow(_) => SchedulerKind::WeightedOverflow,
            Self::PowerOfTwoChoices(_) => SchedulerKind::PowerOfTwoChoices,
            Self::SourceHashing(_) => SchedulerKind::SourceHashing,
            Self::DestinationHashing(_) => SchedulerKind::DestinationHashing,
            Self::MaglevHashing(_) => SchedulerKind::MaglevHashing,
            Self::LocalityBasedLeastConnection(_) => SchedulerKind::LocalityBasedLeastConnection,
            Self::LocalityBasedLeastConnectionWithReplication(_) => {
                SchedulerKind::LocalityBasedLeastConnectionWithReplication
            }
        }
    }

    /// `add_dest` hook: a destination was linked at the head.
    pub(crate) fn dest_added(&mut self, dests: &Destinations) {
        if let Self::RoundRobin(rr) = self {
            rr.dest_added();
        } else {
            self.dest_changed(dests);
        }
    }

    /// `del_dest` hook: the destination at list position `pos` was unlinked.
    pub(crate) fn dest_deleted(&mut self, dests: &Destinations, pos: usize) {
        if let Self::RoundRobin(rr) = self {
            rr.dest_deleted(pos);
        } else {
            self.dest_changed(dests);
        }
    }

    /// `upd_dest` hook (and the add/del hooks of wrr, sh, dh and mh, which all rebuild).
    pub(crate) fn dest_changed(&mut self, dests: &Destinations) {
        let list = dests.list();
        match self {
            Self::WeightedRoundRobin(wrr) => wrr.dest_changed(list),
            Self::SourceHashing(table) => *table = BucketTable::sh_reassign(list),
            Self::DestinationHashing(table) => *table = BucketTable::dh_reassign(list),
            // The kernel ignores the hook's -EINVAL: the old table stays.
            Self::MaglevHashing(mh) => {
                let _ = mh.dest_changed(list);
            }
            _ => {
                if let Some(t) = self.tournament_mut() {
                    *t = Tournament::build(t.rule(), list);
                }
            }
        }
    }

    /// Not a kernel hook: destination `pos` changed its counters or OVERLOAD flag, which the
    /// least-connection tree must see (the kernel rescans on every pick instead).
    pub(crate) fn dest_touched(&mut self, dests: &Destinations, pos: usize) {
        if let Some(t) = self.tournament_mut() {
            t.update(dests.list(), pos);
        }
    }

    fn tournament_mut(&mut self) -> Option<&mut Tournament> {
        match self {
            Self::LeastConnection(t)
            | Self::WeightedLeastConnection(t)
            | Self::ShortestExpectedDelay(t)
            | Self::NeverQueue(t)
            | Self::WeightedFailover(t)
            | Self::WeightedOverflow(t) => Some(t),
            _ => None,
        }
    }

    /// `schedule`: the destination for a new connection, or none.
    pub fn schedule(
        &mut self,
        dests: &Destinations,
        pkt: &Packet,
        flags: ServiceFlags,
        settings: HashSettings,
        now_ms: u64,
        draw: impl FnOnce() -> [u32; 2],
    ) -> Option<DestId> {
        let list = dests.list();
        let at = |i: Option<usize>| i.map(|i| list[i].id);
        match self {
            Self::RoundRobin(rr) => at(rr.schedule(list)),
            Self::WeightedRoundRobin(wrr) => at(wrr.schedule(list)),
            Self::LeastConnection(t)
            | Self::WeightedLeastConnection(t)
            | Self::ShortestExpectedDelay(t)
            | Self::NeverQueue(t)
            | Self::WeightedFailover(t)
            | Self::WeightedOverflow(t) => at(t.best()),
            Self::PowerOfTwoChoices(state) => {
                // The kernel draws only once it found an eligible destination.
                if !list.iter().any(|d| d.is_eligible()) {
                    return None;
                }
                let draws = pkt.draws.unwrap_or_else(draw);
                state.last_draws = Some(draws);
                at(twos::schedule(list, draws))
            }
            Self::SourceHashing(table) => {
                let port = if flags.sched2 { pkt.src_port } else { 0 };
                hashing::sh_schedule(table, dests, settings.sh_hash, pkt.src_ip, port, flags.sched1)
            }
            Self::DestinationHashing(table) => {
                hashing::dh_schedule(table, dests, settings.sh_hash, pkt.dst_ip)
            }
            Self::MaglevHashing(mh) => {
                let port = if flags.sched2 { pkt.src_port } else { 0 };
                mh.schedule(dests, pkt.src_ip, port, flags.sched1)
            }
            Self::LocalityBasedLeastConnection(lblc) => lblc.schedule(dests, pkt.dst_ip, now_ms),
            Self::LocalityBasedLeastConnectionWithReplication(lblcr) => {
                lblcr.schedule(dests, pkt.dst_ip, now_ms)
            }
        }
    }

    /// Advances lblc/lblcr's garbage-collection timer to `now_ms`.
    pub(crate) fn tick(&mut self, now_ms: u64) {
        match self {
            Self::LocalityBasedLeastConnection(lblc) => lblc.tick(now_ms),
            Self::LocalityBasedLeastConnectionWithReplication(lblcr) => lblcr.tick(now_ms),
            _ => {}
        }
    }

    /// Whether the scheduler's state holds a reference on destination `id` (which keeps a
    /// deleted destination in the trash, as `ip_vs_dest_hold` does).
    pub fn references(&self, id: DestId) -> bool {
        match self {
            Self::SourceHashing(t) | Self::DestinationHashing(t) => t.references(id),
            Self::MaglevHashing(mh) => mh.references(id),
            Self::LocalityBasedLeastConnection(lblc) => lblc.references(id),
            Self::LocalityBasedLeastConnectionWithReplication(lblcr) => lblcr.references(id),
            _ => false,
        }
    }
}
