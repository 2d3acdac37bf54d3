//! Connections and their counting (`ip_vs_conn.c`, `ip_vs_proto_tcp.c`, `ip_vs_proto_udp.c`).
//!
//! * `ip_vs_bind_dest`: a new connection carries `IP_VS_CONN_F_INACTIVE` (from the dest's
//!   `conn_flags`, set by `__ip_vs_update_dest`), so it counts in `inactconns`; then OVERLOAD
//!   is set if `u_threshold != 0` and active + inactive ≥ u_threshold.
//! * `set_tcp_state`: entering ESTABLISHED moves it to `activeconns`; any other state
//!   (FIN_WAIT, TIME_WAIT, …) moves it back. UDP never changes the flag.
//! * `ip_vs_unbind_dest` (on expiry): uncounts it, then applies the OVERLOAD clearing rules.

use std::net::{Ipv4Addr, SocketAddrV4};

use super::dest::{DestId, RealServer};
use super::service::Protocol;

/// Cap on live connections in one simulation.
pub const MAX_CONNS: usize = 100_000;

/// The protocol state of a connection, by the kernel's names (`tcp_state_name_table`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// TCP `SYN_RECV`: the director saw the client's SYN (counted inactive).
    SynRecv,
    /// TCP `ESTABLISHED` (counted active).
    Established,
    /// TCP `FIN_WAIT` (counted inactive).
    FinWait,
    /// UDP: a single pseudo-state, always counted inactive.
    Udp,
}

impl ConnState {
    /// The kernel's state name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SynRecv => "SYN_RECV",
            Self::Established => "ESTABLISHED",
            Self::FinWait => "FIN_WAIT",
            Self::Udp => "UDP",
        }
    }
}

/// One connection (`struct ip_vs_conn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The destination it is bound to.
    pub dest: DestId,
    /// Client address and port.
    pub client: SocketAddrV4,
    /// Destination IP of the client's packet.
    pub daddr: Ipv4Addr,
    /// Protocol state.
    pub state: ConnState,
    /// `IP_VS_CONN_F_INACTIVE`.
    pub inactive: bool,
}

impl Connection {
    /// `ip_vs_bind_dest`: counts the new connection as inactive and checks u_threshold.
    pub(crate) fn bind(
        dest: &mut RealServer,
        protocol: Protocol,
        client: SocketAddrV4,
        daddr: Ipv4Addr,
    ) -> Self {
        dest.inactconns = dest.inactconns.saturating_add(1);
        dest.check_overload_on_bind();
        let state = match protocol {
            Protocol::Tcp => ConnState::SynRecv,
            Protocol::Udp => ConnState::Udp,
        };
        Self { dest: dest.id, client, daddr, state, inactive: true }
    }

    /// `set_tcp_state` to `new_state`: moves the connection between the counters. UDP
    /// connections keep their single state.
    pub(crate) fn set_state(&mut self, dest: &mut RealServer, new_state: ConnState) {
        if self.state == ConnState::Udp {
            return;
        }
        let established = new_state == ConnState::Established;
        if !self.inactive && !established {
            dest.activeconns = dest.activeconns.saturating_sub(1);
            dest.inactconns = dest.inactconns.saturating_add(1);
            self.inactive = true;
        } else if self.inactive && established {
            dest.activeconns = dest.activeconns.saturating_add(1);
            dest.inactconns = dest.inactconns.saturating_sub(1);
            self.inactive = false;
        }
        self.state = new_state;
    }

    /// `ip_vs_unbind_dest`: uncounts the connection and applies the OVERLOAD clearing rules.
    pub(crate) fn unbind(&self, dest: &mut RealServer) {
        if self.inactive {
            dest.inactconns = dest.inactconns.saturating_sub(1);
        } else {
            dest.activeconns = dest.activeconns.saturating_sub(1);
        }
        dest.check_overload_on_unbind();
    }
}
