//! Network namespaces (network_namespaces(7), veth(4), `net/core/dev.c`,
//! `drivers/net/veth.c`, `net/ipv4/devinet.c`): devices, IPv4 addresses, connected routes,
//! listeners, and what `connect`/`ping` reach.

use std::net::Ipv4Addr;

use super::error::sys;
use super::{
    Capability, Errno, MAX_DEVICES, NamespaceKind, NamespacesSim, NsData, NsError, NsId, ProcId,
};

/// `IFNAMSIZ - 1`: the longest interface name.
const IFNAMSIZ_MAX: usize = 15;

/// What kind of device it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// `lo`: one per namespace, cannot move (`NETIF_F_NETNS_LOCAL`).
    Loopback,
    /// One end of a veth pair; the value is the peer's device id.
    Veth(u32),
    /// A physical NIC: returns to the initial namespace when its namespace dies.
    Physical,
}

/// A network device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Interface name.
    pub name: String,
    /// `ifindex`, per network namespace.
    pub ifindex: u32,
    /// Kind.
    pub kind: DeviceKind,
    /// The namespace it lives in (exactly one).
    pub netns: NsId,
    /// `IFF_UP`.
    pub up: bool,
    /// IPv4 addresses with prefix length.
    pub addrs: Vec<(Ipv4Addr, u8)>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct NetNs {
    /// The next `ifindex` (`dev_new_index`: the namespace's counter, lo is 1).
    next_ifindex: u32,
    /// Listening TCP sockets: (address, port).
    listeners: Vec<(Ipv4Addr, u16)>,
}

fn in_subnet(a: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) };
    u32::from(a) & mask == u32::from(net) & mask
}

fn parse_ip(s: &str) -> Result<Ipv4Addr, NsError> {
    s.parse().map_err(|_| sys(Errno::EINVAL, format!("`{s}` is not an IPv4 address")))
}

impl NamespacesSim {
    fn netns(&self, id: NsId) -> Option<&NetNs> {
        match self.ns(id).map(|n| &n.data) {
            Some(NsData::Net(n)) => Some(n),
            _ => None,
        }
    }

    fn netns_mut(&mut self, id: NsId) -> Option<&mut NetNs> {
        match self.ns_mut(id).map(|n| &mut n.data) {
            Some(NsData::Net(n)) => Some(n),
            _ => None,
        }
    }

    /// The devices of a network namespace, by ifindex.
    pub fn devices(&self, netns: NsId) -> Vec<&Device> {
        let mut v: Vec<&Device> = self.devices.values().filter(|d| d.netns == netns).collect();
        crate::sort::sort_by_key(&mut v, |d| d.ifindex);
        v
    }

    fn new_ifindex(&mut self, netns: NsId) -> u32 {
        let used: Vec<u32> = self.devices(netns).iter().map(|d| d.ifindex).collect();
        let Some(n) = self.netns_mut(netns) else { return 0 };
        loop {
            n.next_ifindex = n.next_ifindex.saturating_add(1);
            if !used.contains(&n.next_ifindex) {
                return n.next_ifindex;
            }
        }
    }

    fn add_device(&mut self, netns: NsId, name: &str, kind: DeviceKind) -> Result<u32, NsError> {
        if self.devices.len() >= MAX_DEVICES {
            return Err(NsError::Limit { what: "network devices", max: MAX_DEVICES });
        }
        let ifindex = self.new_ifindex(netns);
        let id = self.next_device_id;
        self.next_device_id = self.next_device_id.saturating_add(1);
        self.devices.insert(
            id,
            Device { name: name.to_owned(), ifindex, kind, netns, up: false, addrs: Vec::new() },
        );
        Ok(id)
    }

    /// A new network namespace has only `lo`, down, without addresses (network_namespaces(7)).
    pub(crate) fn add_loopback(&mut self, netns: NsId) -> Result<(), NsError> {
        self.add_device(netns, "lo", DeviceKind::Loopback).map(|_| ())
    }

    pub(crate) fn boot_network(&mut self, netns: NsId) -> Result<(), NsError> {
        self.add_loopback(netns)?;
        self.link_up(netns, "lo");
        let eth = self.add_device(netns, "eth0", DeviceKind::Physical)?;
        if let Some(d) = self.devices.get_mut(&eth) {
            d.up = true;
            d.addrs.push((Ipv4Addr::new(192, 0, 2, 10), 24));
        }
        self.add_device(netns, "eth1", DeviceKind::Physical)?;
        Ok(())
    }

    /// `default_device_exit`: a dying namespace's virtual devices are unregistered (a veth
    /// takes its peer with it), physical ones move to the initial namespace, down and without
    /// addresses.
    pub(crate) fn destroy_netns_devices(&mut self, netns: NsId) {
        let init = self.init_namespace(NamespaceKind::Net).unwrap_or(0);
        let ids: Vec<u32> =
            self.devices.iter().filter(|(_, d)| d.netns == netns).map(|(&id, _)| id).collect();
        for id in ids {
            let Some(d) = self.devices.get(&id).cloned() else { continue };
            match d.kind {
                DeviceKind::Physical => {
                    let taken = self.devices.values().any(|o| o.netns == init && o.name == d.name);
                    // On a name clash the kernel falls back to the pattern "dev%d", lowest free.
                    let renamed = (0..MAX_DEVICES)
                        .map(|n| format!("dev{n}"))
                        .find(|n| !self.devices.values().any(|o| o.netns == init && &o.name == n))
                        .unwrap_or_default();
                    let clash =
                        self.devices.values().any(|o| o.netns == init && o.ifindex == d.ifindex);
                    let ifindex = if clash { self.new_ifindex(init) } else { d.ifindex };
                    if let Some(x) = self.devices.get_mut(&id) {
                        x.netns = init;
                        x.up = false;
                        x.addrs.clear();
                        x.ifindex = ifindex;
                        if taken {
                            x.name = renamed;
                        }
                    }
                }
                DeviceKind::Veth(peer) => {
                    self.devices.remove(&id);
                    self.devices.remove(&peer);
                }
                DeviceKind::Loopback => {
                    self.devices.remove(&id);
                }
            }
        }
    }

    fn find_dev(&self, netns: NsId, name: &str) -> Result<u32, NsError> {
        self.devices
            .iter()
            .find(|(_, d)| d.netns == netns && d.name == name)
            .map(|(&id, _)| id)
            .ok_or_else(|| {
                sys(Errno::ENODEV, format!("no device `{name}` in net:[{}]", self.ns_inode(netns)))
            })
    }

    /// The caller's network namespace after checking CAP_NET_ADMIN over it (rtnetlink's
    /// `netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)`).
    fn admin_netns(&self, id: ProcId, what: &str) -> Result<NsId, NsError> {
        let net = self.nsproxy(id)?.net;
        self.require_cap_over(&self.cred(id)?, net, Capability::NET_ADMIN, what)?;
        Ok(net)
    }

    fn check_ifname(&self, netns: NsId, name: &str) -> Result<(), NsError> {
        if name.is_empty() || name.len() > IFNAMSIZ_MAX || name.contains('/') || name.contains(' ')
        {
            return Err(sys(
                Errno::EINVAL,
                format!("`{name}` is not a valid interface name (1 to 15 bytes)"),
            ));
        }
        if self.devices.values().any(|d| d.netns == netns && d.name == name) {
            return Err(sys(
                Errno::EEXIST,
                format!("a device `{name}` exists in net:[{}]", self.ns_inode(netns)),
            ));
        }
        Ok(())
    }

    /// `ip link add <name> type veth peer name <peer>` (`veth_newlink`): CAP_NET_ADMIN over the
    /// caller's namespace; both names free; the peer is registered first (ifindex N), then
    /// `<name>` (N + 1).
    pub(crate) fn add_veth(&mut self, actor: &str, name: &str, peer: &str) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let net = self.admin_netns(id, "ip link add")?;
        self.check_ifname(net, name)?;
        self.check_ifname(net, peer)?;
        if name == peer {
            return Err(sys(Errno::EEXIST, "both ends have the same name"));
        }
        if self.devices.len().saturating_add(2) > MAX_DEVICES {
            return Err(NsError::Limit { what: "network devices", max: MAX_DEVICES });
        }
        // `veth_newlink` registers the peer first, so the peer gets the lower ifindex.
        let b = self.add_device(net, peer, DeviceKind::Physical)?;
        let a = self.add_device(net, name, DeviceKind::Veth(b))?;
        if let Some(d) = self.devices.get_mut(&b) {
            d.kind = DeviceKind::Veth(a);
        }
        Ok(())
    }

    /// `ip link set <dev> netns <pid>` (`dev_change_net_namespace`): CAP_NET_ADMIN over the
    /// caller's namespace (EPERM), the device (ENODEV), CAP_NET_ADMIN over the target
    /// (EPERM); `lo` cannot move (EINVAL); a name taken in the target is EEXIST.
    /// The device arrives down and without addresses; it keeps its ifindex if free there.
    pub(crate) fn set_netns(
        &mut self,
        actor: &str,
        dev: &str,
        target: &str,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let net = self.admin_netns(id, "ip link set netns")?;
        // `rtnl_setlink` finds the device (ENODEV) before `do_setlink` checks CAP_NET_ADMIN
        // over the target namespace (`rtnl_link_get_net_capable`).
        let d = self.find_dev(net, dev)?;
        let t = self.live(target)?;
        let to = self.nsproxy(t)?.net;
        self.require_cap_over(&self.cred(id)?, to, Capability::NET_ADMIN, "ip link set netns")?;
        if self.devices.get(&d).is_some_and(|x| x.kind == DeviceKind::Loopback) {
            return Err(sys(Errno::EINVAL, "lo cannot change namespace (NETIF_F_NETNS_LOCAL)"));
        }
        if to == net {
            return Ok(());
        }
        if self.devices.values().any(|o| o.netns == to && o.name == dev) {
            return Err(sys(
                Errno::EEXIST,
                format!("a device `{dev}` exists in net:[{}]", self.ns_inode(to)),
            ));
        }
        let old_index = self.devices.get(&d).map_or(0, |x| x.ifindex);
        let free = !self.devices.values().any(|o| o.netns == to && o.ifindex == old_index);
        let ifindex = if free { old_index } else { self.new_ifindex(to) };
        if let Some(x) = self.devices.get_mut(&d) {
            x.netns = to;
            x.up = false;
            x.addrs.clear();
            x.ifindex = ifindex;
        }
        Ok(())
    }

    pub(crate) fn addr_add(&mut self, actor: &str, dev: &str, addr: &str) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let net = self.admin_netns(id, "ip addr add")?;
        let d = self.find_dev(net, dev)?;
        let (ip, prefix) = addr
            .split_once('/')
            .ok_or_else(|| sys(Errno::EINVAL, format!("`{addr}` is not address/prefix")))?;
        let ip = parse_ip(ip)?;
        let prefix: u8 =
            prefix.parse().ok().filter(|p| *p <= 32).ok_or_else(|| {
                sys(Errno::EINVAL, format!("`{addr}` has no prefix length 0..32"))
            })?;
        let x = self.devices.get_mut(&d).ok_or_else(|| sys(Errno::ENODEV, "no device"))?;
        if x.addrs.iter().any(|&(a, _)| a == ip) {
            return Err(sys(Errno::EEXIST, format!("{ip} is already on {dev}")));
        }
        if x.addrs.len() >= 64 {
            return Err(NsError::Limit { what: "addresses per device", max: 64 });
        }
        x.addrs.push((ip, prefix));
        Ok(())
    }

    fn link_up(&mut self, net: NsId, dev: &str) {
        if let Ok(d) = self.find_dev(net, dev)
            && let Some(x) = self.devices.get_mut(&d)
        {
            x.up = true;
            // `inetdev_event(NETDEV_UP)` gives the loopback 127.0.0.1/8 on first up.
            if x.kind == DeviceKind::Loopback && x.addrs.is_empty() {
                x.addrs.push((Ipv4Addr::LOCALHOST, 8));
            }
        }
    }

    pub(crate) fn link_set(&mut self, actor: &str, dev: &str, up: bool) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let net = self.admin_netns(id, "ip link set")?;
        let d = self.find_dev(net, dev)?;
        if up {
            self.link_up(net, dev);
        } else if let Some(x) = self.devices.get_mut(&d) {
            x.up = false;
        }
        Ok(())
    }

    /// Whether a device has carrier: a veth only while its peer is up too (`veth_open`).
    fn carrier(&self, d: &Device) -> bool {
        match d.kind {
            DeviceKind::Veth(peer) => d.up && self.devices.get(&peer).is_some_and(|p| p.up),
            _ => d.up,
        }
    }

    /// `ip addr` of the caller's namespace, one line per device and per address; `lo` shows
    /// `::1/128` while up (addrconf).
    pub(crate) fn ip_addr(&self, actor: &str) -> Result<Vec<String>, NsError> {
        let net = self.nsproxy(self.live(actor)?)?.net;
        Ok(self.ip_addr_lines(net))
    }

    pub(crate) fn ip_addr_lines(&self, net: NsId) -> Vec<String> {
        let mut out = Vec::new();
        for d in self.devices(net) {
            let name = match d.kind {
                DeviceKind::Veth(peer) => {
                    let peer = self.devices.get(&peer);
                    match peer {
                        Some(p) if p.netns == d.netns => format!("{}@{}", d.name, p.name),
                        Some(p) => format!("{}@if{}", d.name, p.ifindex),
                        None => d.name.clone(),
                    }
                }
                _ => d.name.clone(),
            };
            let state = if !d.up {
                "DOWN"
            } else if self.carrier(d) {
                if d.kind == DeviceKind::Loopback { "UNKNOWN" } else { "UP" }
            } else {
                "LOWERLAYERDOWN"
            };
            out.push(format!("{}: {name}: state {state}", d.ifindex));
            for (a, p) in &d.addrs {
                out.push(format!("    inet {a}/{p}"));
            }
            if d.kind == DeviceKind::Loopback && d.up {
                out.push("    inet6 ::1/128".to_owned());
            }
        }
        out
    }

    /// Whether `ip` is a local address of an up device of `net` (table local; 127/8 on lo).
    fn is_local(&self, net: NsId, ip: Ipv4Addr) -> bool {
        self.devices.values().filter(|d| d.netns == net && d.up).any(|d| {
            d.addrs
                .iter()
                .any(|&(a, p)| a == ip || (d.kind == DeviceKind::Loopback && in_subnet(ip, a, p)))
        })
    }

    /// `listen`: bind(2) to a local address (EADDRNOTAVAIL) or 0.0.0.0, not already bound
    /// (EADDRINUSE).
    pub(crate) fn listen(
        &mut self,
        actor: &str,
        addr: Option<&str>,
        port: u16,
    ) -> Result<(), NsError> {
        let id = self.live(actor)?;
        let net = self.nsproxy(id)?.net;
        let ip = parse_ip(addr.unwrap_or("0.0.0.0"))?;
        if !ip.is_unspecified() && !self.is_local(net, ip) {
            return Err(sys(
                Errno::EADDRNOTAVAIL,
                format!("{ip} is not a local address of net:[{}]", self.ns_inode(net)),
            ));
        }
        let n = self.netns(net).ok_or_else(|| sys(Errno::EINVAL, "no network namespace"))?;
        if n.listeners
            .iter()
            .any(|&(a, p)| p == port && (a == ip || a.is_unspecified() || ip.is_unspecified()))
        {
            return Err(sys(Errno::EADDRINUSE, format!("port {port} is already bound")));
        }
        if n.listeners.len() >= 1024 {
            return Err(NsError::Limit { what: "listeners per namespace", max: 1024 });
        }
        if let Some(n) = self.netns_mut(net) {
            n.listeners.push((ip, port));
        }
        Ok(())
    }

    /// `connect` (with a port) or `ping` (without): a local destination is delivered in the
    /// caller's namespace; otherwise the longest connected route of an up device is used
    /// (none: ENETUNREACH); the packet crosses a veth with carrier to the peer's namespace,
    /// which must have the address on an up device and a route back (else EHOSTUNREACH: the
    /// neighbour never answers); finally a TCP port needs a listener (ECONNREFUSED). Returns
    /// the inode of the namespace that answered.
    pub(crate) fn connect(
        &self,
        actor: &str,
        addr: &str,
        port: Option<u16>,
    ) -> Result<u32, NsError> {
        let id = self.live(actor)?;
        let net = self.nsproxy(id)?.net;
        let ip = parse_ip(addr)?;
        let there = if self.is_local(net, ip) {
            net
        } else {
            let route = self
                .devices
                .values()
                .filter(|d| d.netns == net && d.up)
                .flat_map(|d| d.addrs.iter().map(move |&(a, p)| (d, a, p)))
                .filter(|&(_, a, p)| in_subnet(ip, a, p))
                .max_by_key(|&(_, _, p)| p);
            let Some((dev, src, _)) = route else {
                return Err(sys(
                    Errno::ENETUNREACH,
                    format!("net:[{}] has no route to {ip}", self.ns_inode(net)),
                ));
            };
            let unreachable = || sys(Errno::EHOSTUNREACH, format!("no neighbour answers for {ip}"));
            let DeviceKind::Veth(peer) = dev.kind else { return Err(unreachable()) };
            let Some(p) = self.devices.get(&peer).filter(|_| self.carrier(dev)) else {
                return Err(unreachable());
            };
            let routes_back = p.addrs.iter().any(|&(a, pl)| in_subnet(src, a, pl));
            if !self.is_local(p.netns, ip) || !routes_back {
                return Err(unreachable());
            }
            p.netns
        };
        if let Some(port) = port {
            let listening = self.netns(there).is_some_and(|n| {
                n.listeners.iter().any(|&(a, p)| p == port && (a == ip || a.is_unspecified()))
            });
            if !listening {
                return Err(sys(Errno::ECONNREFUSED, format!("nothing listens on {ip}:{port}")));
            }
        }
        Ok(self.ns_inode(there))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_membership_uses_the_prefix() {
        let net = Ipv4Addr::new(10, 200, 0, 1);
        assert!(in_subnet(Ipv4Addr::new(10, 200, 0, 2), net, 24));
        assert!(!in_subnet(Ipv4Addr::new(10, 200, 1, 2), net, 24));
        assert!(in_subnet(Ipv4Addr::new(127, 9, 9, 9), Ipv4Addr::LOCALHOST, 8));
        assert!(in_subnet(Ipv4Addr::new(1, 2, 3, 4), net, 0));
    }
}
