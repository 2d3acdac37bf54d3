//! The virtual service (`struct ip_vs_service`): its destinations, its bound scheduler and
//! the `ipvsadm` edits on them (`ip_vs_ctl.c`: `ip_vs_add_dest`, `ip_vs_edit_dest`,
//! `ip_vs_del_dest`, `__ip_vs_update_dest`, `ip_vs_edit_service`).

use std::net::{Ipv4Addr, SocketAddrV4};

use super::dest::{DestId, Destinations, MAX_DESTS, RealServer, check_thresholds, check_weight};
use super::error::IpvsError;
use super::prng::SplitMix64;
use super::sched::hashing::ShHash;
use super::sched::lblc::DEFAULT_EXPIRATION_MS;
use super::sched::mh::DEFAULT_TAB_INDEX;
use super::sched::{HashSettings, Packet, SchedState, SchedulerKind, ServiceFlags};
use crate::scenario::from_json::from_json_unit_enum;

/// Longest destination or connection name accepted.
pub const MAX_NAME_LEN: usize = 64;

/// The service's protocol: TCP connections become active on ESTABLISHED; UDP ones never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// `ip_vs_proto_tcp.c`.
    #[default]
    Tcp,
    /// `ip_vs_proto_udp.c`.
    Udp,
}
from_json_unit_enum!(Protocol { "tcp" => Tcp, "udp" => Udp });

impl Protocol {
    /// `tcp` or `udp`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }
}

/// How a service is created (`ipvsadm -A -t addr -s scheduler -b flags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    /// The virtual address; dh/lblc/lblcr key on the destination IP, which defaults to it.
    pub addr: SocketAddrV4,
    /// TCP or UDP.
    pub protocol: Protocol,
    /// The scheduler bound at creation, to the then empty list.
    pub scheduler: SchedulerKind,
    /// sh/mh flags.
    pub flags: ServiceFlags,
    /// SH/DH hash function (the kernel generation modelled).
    pub sh_hash: ShHash,
    /// `CONFIG_IP_VS_MH_TAB_INDEX`, 8..=17.
    pub mh_tab_index: u8,
    /// `net.ipv4.vs.lblc_expiration`, ms.
    pub lblc_expiration_ms: u64,
    /// `net.ipv4.vs.lblcr_expiration`, ms.
    pub lblcr_expiration_ms: u64,
    /// Seed of the PRNG standing in for `prandom_u32()`.
    pub seed: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 100), 80),
            protocol: Protocol::Tcp,
            scheduler: SchedulerKind::WeightedLeastConnection,
            flags: ServiceFlags::default(),
            sh_hash: ShHash::default(),
            mh_tab_index: DEFAULT_TAB_INDEX,
            lblc_expiration_ms: DEFAULT_EXPIRATION_MS,
            lblcr_expiration_ms: DEFAULT_EXPIRATION_MS,
            seed: 0,
        }
    }
}

/// What `ipvsadm -a` sends for a new destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestSpec {
    /// Display name.
    pub name: String,
    /// Address and port.
    pub addr: SocketAddrV4,
    /// Weight, 0..=65535.
    pub weight: i64,
    /// Upper connection threshold (0 = none).
    pub u_threshold: i64,
    /// Lower connection threshold (0 = 3/4 of the upper one).
    pub l_threshold: i64,
}

/// One IPVS virtual service.
#[derive(Debug, Clone)]
pub struct VirtualService {
    addr: SocketAddrV4,
    protocol: Protocol,
    flags: ServiceFlags,
    settings: HashSettings,
    dests: Destinations,
    sched: SchedState,
    rng: SplitMix64,
    now_ms: u64,
}

pub(crate) fn check_name(name: &str) -> Result<(), IpvsError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(IpvsError::BadName { name: name.chars().take(MAX_NAME_LEN).collect() });
    }
    Ok(())
}

impl VirtualService {
    /// `ip_vs_add_service`: an empty service with `config.scheduler` bound.
    pub fn new(config: &ServiceConfig) -> Result<Self, IpvsError> {
        let settings = HashSettings {
            sh_hash: config.sh_hash,
            mh_tab_index: config.mh_tab_index,
            lblc_expiration_ms: config.lblc_expiration_ms,
            lblcr_expiration_ms: config.lblcr_expiration_ms,
        };
        let dests = Destinations::default();
        let sched = SchedState::bind(config.scheduler, &dests, settings, 0)?;
        Ok(Self {
            addr: config.addr,
            protocol: config.protocol,
            flags: config.flags,
            settings,
            dests,
            sched,
            rng: SplitMix64::new(config.seed),
            now_ms: 0,
        })
    }

    /// The virtual address.
    pub fn addr(&self) -> SocketAddrV4 {
        self.addr
    }

    /// TCP or UDP.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The scheduler flags.
    pub fn flags(&self) -> ServiceFlags {
        self.flags
    }

    /// SH/DH hash, mh table index and lblc/lblcr expirations.
    pub fn settings(&self) -> HashSettings {
        self.settings
    }

    /// The destination list (head first) and the trash.
    pub fn dests(&self) -> &Destinations {
        &self.dests
    }

    /// The bound scheduler and its state.
    pub fn sched(&self) -> &SchedState {
        &self.sched
    }

    /// The simulation clock (`jiffies`, in ms).
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// `ip_vs_add_dest`: links a new destination at the head, or revives a trashed one with
    /// the same address (`ip_vs_trash_get_dest`), keeping its connection counters.
    pub fn add_dest(&mut self, spec: &DestSpec) -> Result<DestId, IpvsError> {
        check_name(&spec.name)?;
        let weight = check_weight(spec.weight)?;
        let (u_threshold, l_threshold) = check_thresholds(spec.u_threshold, spec.l_threshold)?;
        let list = self.dests.list();
        if list.iter().any(|d| d.addr == spec.addr) {
            return Err(IpvsError::DestExists { addr: spec.addr.to_string() });
        }
        if list.iter().any(|d| d.name == spec.name) {
            return Err(IpvsError::DuplicateName { name: spec.name.clone() });
        }
        if list.len() >= MAX_DESTS {
            return Err(IpvsError::TooManyDests { max: MAX_DESTS });
        }
        let id = match self.dests.trash_position_by_addr(spec.addr) {
            Some(pos) => {
                self.dests.revive(pos).ok_or(IpvsError::UnknownDest { name: spec.name.clone() })?
            }
            None => {
                let id = self.dests.next_id()?;
                self.dests.push_head(RealServer {
                    id,
                    name: spec.name.clone(),
                    addr: spec.addr,
                    weight: 0,
                    last_weight: 0,
                    u_threshold: 0,
                    l_threshold: 0,
                    overloaded: false,
                    activeconns: 0,
                    inactconns: 0,
                });
                id
            }
        };
        if let Some(dest) = self.dests.get_mut(id) {
            dest.name = spec.name.clone();
            update_dest(dest, weight, u_threshold, l_threshold, true);
        }
        self.sched.dest_added(&self.dests);
        Ok(id)
    }

    /// `ip_vs_edit_dest`: changes the given fields of a destination (the others are kept).
    pub fn edit_dest(
        &mut self,
        name: &str,
        weight: Option<i64>,
        u_threshold: Option<i64>,
        l_threshold: Option<i64>,
    ) -> Result<(), IpvsError> {
        let Ok(pos) = self.position(name) else {
            // ip_vs_edit_dest checks the ranges (-ERANGE) before looking the destination up
            // (-ENOENT); with no destination, omitted fields are ipvsadm's defaults.
            check_weight(weight.unwrap_or(1))?;
            check_thresholds(u_threshold.unwrap_or(0), l_threshold.unwrap_or(0))?;
            return Err(IpvsError::UnknownDest { name: name.to_owned() });
        };
        let current = &self.dests.list()[pos];
        let weight = check_weight(weight.unwrap_or(i64::from(current.weight)))?;
        let (u, l) = check_thresholds(
            u_threshold.unwrap_or(i64::from(current.u_threshold)),
            l_threshold.unwrap_or(i64::from(current.l_threshold)),
        )?;
        update_dest(&mut self.dests.list_mut()[pos], weight, u, l, false);
        self.sched.dest_changed(&self.dests);
        self.sched.dest_touched(&self.dests, pos);
        Ok(())
    }

    /// `ip_vs_del_dest`: unlinks the destination and moves it to the trash; its connections
    /// keep counting against it until they expire, but it takes no new ones.
    pub fn del_dest(&mut self, name: &str) -> Result<DestId, IpvsError> {
        let pos = self.position(name)?;
        let id = self
            .dests
            .unlink_to_trash(pos)
            .ok_or(IpvsError::UnknownDest { name: name.to_owned() })?;
        self.sched.dest_deleted(&self.dests, pos);
        Ok(id)
    }

    /// Sets or clears OVERLOAD by hand (not a kernel interface: it stands for a threshold
    /// being crossed, to show how each scheduler reacts).
    pub fn set_overload(&mut self, name: &str, overloaded: bool) -> Result<(), IpvsError> {
        let pos = self.position(name)?;
        self.dests.list_mut()[pos].overloaded = overloaded;
        self.sched.dest_touched(&self.dests, pos);
        Ok(())
    }

    /// `ip_vs_edit_service` (`ipvsadm -E`): new flags apply at once; a different scheduler
    /// is bound to the current list (`init_service`: for wrr, cw = mw). The same scheduler
    /// keeps its state.
    pub fn edit_service(
        &mut self,
        scheduler: Option<SchedulerKind>,
        flags: Option<ServiceFlags>,
    ) -> Result<(), IpvsError> {
        if let Some(kind) = scheduler
            && kind != self.sched.kind()
        {
            self.sched = SchedState::bind(kind, &self.dests, self.settings, self.now_ms)?;
        }
        if let Some(flags) = flags {
            self.flags = flags;
        }
        Ok(())
    }

    /// Runs the scheduler for one new connection. This is the hot path: no allocation and
    /// no name lookups (twos draws from the service PRNG unless `pkt.draws` is given).
    pub fn schedule(&mut self, pkt: &Packet) -> Option<DestId> {
        let Self { dests, sched, flags, settings, now_ms, rng, .. } = self;
        sched.schedule(dests, pkt, *flags, *settings, *now_ms, || [rng.next_u32(), rng.next_u32()])
    }

    /// Advances the clock, running lblc/lblcr's timer.
    pub fn tick(&mut self, ms: u64) {
        self.now_ms = self.now_ms.saturating_add(ms);
        self.sched.tick(self.now_ms);
    }

    /// Frees trashed destinations that neither a connection (counted in their counters) nor
    /// the scheduler's state references (the kernel's trash timer, run at once).
    pub(crate) fn reap(&mut self) {
        if self.dests.trash().is_empty() {
            return;
        }
        let sched = &self.sched;
        self.dests.reap(|d| d.totalconns() > 0 || sched.references(d.id));
    }

    /// Changes a destination in the list or the trash (connection counting) and lets the
    /// scheduler's least-connection tree see the change.
    pub(crate) fn with_dest<R>(
        &mut self,
        id: DestId,
        f: impl FnOnce(&mut RealServer) -> R,
    ) -> Option<R> {
        let result = f(self.dests.get_mut(id)?);
        if let Some(pos) = self.dests.position(id) {
            self.sched.dest_touched(&self.dests, pos);
        }
        Some(result)
    }

    fn position(&self, name: &str) -> Result<usize, IpvsError> {
        self.dests
            .position_by_name(name)
            .ok_or_else(|| IpvsError::UnknownDest { name: name.to_owned() })
    }
}

/// `__ip_vs_update_dest`: last_weight keeps the latest non-zero weight (any weight on add);
/// OVERLOAD is cleared when u_threshold becomes 0 or is raised.
fn update_dest(dest: &mut RealServer, weight: u32, u_threshold: u32, l_threshold: u32, add: bool) {
    if add || weight != 0 {
        dest.last_weight = weight;
    }
    dest.weight = weight;
    if u_threshold == 0 || u_threshold > dest.u_threshold {
        dest.overloaded = false;
    }
    dest.u_threshold = u_threshold;
    dest.l_threshold = l_threshold;
}
