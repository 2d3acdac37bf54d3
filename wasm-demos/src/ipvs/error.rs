//! The errors of the IPVS simulation: one per way an `ipvsadm` call (or a scenario op) can fail.
//!
//! Where the kernel rejects the same request, the message names its errno (`ip_vs_ctl.c`:
//! `-ENOENT` for an unknown destination, `-EEXIST` for a duplicate one, `-ERANGE` for a bad
//! weight or threshold pair, `-EINVAL` for a Maglev table too small for its destinations).

/// Why an IPVS operation was refused. The state is unchanged after any of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpvsError {
    /// No destination of this name in the service (`ip_vs_edit_dest`/`ip_vs_del_dest`: `-ENOENT`).
    #[error("unknown destination \"{name}\" (ENOENT)")]
    UnknownDest {
        /// The name asked for.
        name: String,
    },
    /// Another destination already has this name (names are the simulation's, not the kernel's).
    #[error("a destination named \"{name}\" already exists")]
    DuplicateName {
        /// The duplicated name.
        name: String,
    },
    /// Another destination already has this address and port (`ip_vs_add_dest`: `-EEXIST`).
    #[error("destination {addr} already exists (EEXIST)")]
    DestExists {
        /// The duplicated `ip:port`.
        addr: String,
    },
    /// A weight outside ipvsadm's range 0..=65535 (the kernel rejects negatives with `-ERANGE`).
    #[error("weight {weight} is out of range 0..=65535 (ERANGE)")]
    WeightOutOfRange {
        /// The weight given.
        weight: i64,
    },
    /// A threshold outside ipvsadm's range 0..=2147483647.
    #[error("{field} {value} is out of range 0..=2147483647 (ERANGE)")]
    ThresholdOutOfRange {
        /// `u_threshold` or `l_threshold`.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// `l_threshold > u_threshold` (`ip_vs_add_dest`/`ip_vs_edit_dest`: `-ERANGE`).
    #[error("l_threshold {l_threshold} is higher than u_threshold {u_threshold} (ERANGE)")]
    ThresholdOrder {
        /// The upper threshold.
        u_threshold: u32,
        /// The lower threshold.
        l_threshold: u32,
    },
    /// An address that is not `a.b.c.d:port`.
    #[error("bad address \"{text}\": expected an IPv4 address and port such as 10.0.0.1:80")]
    BadAddress {
        /// The text given.
        text: String,
    },
    /// A destination IP for dh/lblc/lblcr that is not `a.b.c.d` (optionally `:port`).
    #[error("bad address \"{text}\": expected an IPv4 address such as 10.0.0.1")]
    BadIp {
        /// The text given.
        text: String,
    },
    /// A scheduler name the kernel does not have (`ip_vs_scheduler_get` fails: `-ENOENT`).
    #[error(
        "unknown scheduler \"{name}\" (ENOENT; expected one of: rr, wrr, lc, wlc, sed, nq, fo, \
         ovf, twos, sh, dh, mh, lblc, lblcr)"
    )]
    UnknownScheduler {
        /// The name given.
        name: String,
    },
    /// A service flag other than the four scheduler flags ipvsadm names.
    #[error(
        "unknown service flag \"{flag}\" (expected sh-fallback, sh-port, mh-fallback or mh-port)"
    )]
    UnknownFlag {
        /// The flag given.
        flag: String,
    },
    /// `mh_tab_index` outside `CONFIG_IP_VS_MH_TAB_INDEX`'s range.
    #[error("mh_tab_index {index} is out of range 8..=17 (CONFIG_IP_VS_MH_TAB_INDEX)")]
    BadTabIndex {
        /// The index given.
        index: i64,
    },
    /// Binding mh to more destinations than table slots (`ip_vs_mh_reassign`: `-EINVAL`).
    #[error("mh: {dests} destinations do not fit a table of {size} slots (EINVAL)")]
    MhTableTooSmall {
        /// Destinations in the service.
        dests: usize,
        /// The table size M.
        size: u32,
    },
    /// No connection of this name.
    #[error("unknown connection \"{name}\"")]
    UnknownConn {
        /// The name asked for.
        name: String,
    },
    /// A connection of this name already exists.
    #[error("a connection named \"{name}\" already exists")]
    DuplicateConn {
        /// The duplicated name.
        name: String,
    },
    /// A destination or connection name that is empty or longer than 64 bytes.
    #[error("name \"{name}\" must be 1 to 64 bytes long")]
    BadName {
        /// The name given.
        name: String,
    },
    /// The simulation's cap on destinations in the service.
    #[error("too many destinations: at most {max} (ENOMEM)")]
    TooManyDests {
        /// The cap.
        max: usize,
    },
    /// The simulation's cap on destinations created over a run.
    #[error("too many destinations created: at most {max} over a run (ENOMEM)")]
    DestIdsExhausted {
        /// The cap.
        max: usize,
    },
    /// The simulation's cap on live connections.
    #[error("too many connections: at most {max} (ENOMEM)")]
    TooManyConns {
        /// The cap.
        max: usize,
    },
    /// A repeat count of 0 or above the cap.
    #[error("count {count} is out of range 1..={max}")]
    BadCount {
        /// The count given.
        count: u32,
        /// The cap.
        max: u32,
    },
    /// A tick longer than the simulation allows in one step.
    #[error("tick of {ms} ms is out of range 0..={max} ms")]
    TickTooLong {
        /// The tick given.
        ms: u64,
        /// The cap (31 days).
        max: u64,
    },
    /// Random draws given while the scheduler is not twos.
    #[error("draws are only used by the twos scheduler (the service uses {scheduler})")]
    DrawsNotUsed {
        /// The scheduler in use.
        scheduler: &'static str,
    },
}
