//! Capabilities (`include/uapi/linux/capability.h`, capabilities(7)) and the namespace-relative
//! capability check of `security/commoncap.c` (`cap_capable`).

use serde_json::Value;

use crate::scenario::ScenarioError;
use crate::scenario::from_json::{FromJson, Path, str_from_json};

/// The 41 capabilities of Linux 5.9+ (`CAP_LAST_CAP` = `CAP_CHECKPOINT_RESTORE` = 40), by bit.
pub const CAP_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// A capability, by its kernel name (`"CAP_SYS_ADMIN"` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capability(u8);

impl Capability {
    /// `CAP_KILL`: signal a process of another uid.
    pub const KILL: Self = Self(5);
    /// `CAP_SETGID`.
    pub const SETGID: Self = Self(6);
    /// `CAP_SETUID`.
    pub const SETUID: Self = Self(7);
    /// `CAP_SETPCAP`: needed to drop from the bounding set (`PR_CAPBSET_DROP`).
    pub const SETPCAP: Self = Self(8);
    /// `CAP_NET_ADMIN`: configure interfaces and addresses.
    pub const NET_ADMIN: Self = Self(12);
    /// `CAP_SYS_CHROOT`.
    pub const SYS_CHROOT: Self = Self(18);
    /// `CAP_SYS_PTRACE`: open another uid's `/proc/<pid>/ns` files.
    pub const SYS_PTRACE: Self = Self(19);
    /// `CAP_SYS_ADMIN`: namespaces, mounts, hostname.
    pub const SYS_ADMIN: Self = Self(21);
    /// `CAP_SYS_TIME`: write `timens_offsets`.
    pub const SYS_TIME: Self = Self(25);
    /// `CAP_SETFCAP`: needed to map uid 0 of the parent (`verify_root_map`, 5.12+).
    pub const SETFCAP: Self = Self(31);

    /// The capability's bit number.
    pub fn bit(self) -> u8 {
        self.0
    }

    /// Its kernel name.
    pub fn name(self) -> &'static str {
        CAP_NAMES.get(usize::from(self.0)).copied().unwrap_or("CAP_?")
    }
}

impl FromJson for Capability {
    fn from_json(value: &Value, path: &Path<'_>) -> Result<Self, ScenarioError> {
        let name = str_from_json(value, path)?;
        CAP_NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(Capability)
            .ok_or_else(|| path.error(format_args!("unknown capability `{name}`")))
    }

    fn fallback() -> Self {
        Self(0)
    }
}

/// A capability set as the 64-bit mask shown in `/proc/<pid>/status` (`CapEff:` etc.).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapSet(pub u64);

impl CapSet {
    /// All 41 capabilities: `000001ffffffffff`.
    pub const FULL: Self = Self((1 << 41) - 1);
    /// No capability.
    pub const EMPTY: Self = Self(0);

    /// Whether `cap` is in the set.
    pub fn has(self, cap: Capability) -> bool {
        self.0 & (1 << cap.0) != 0
    }

    /// The set without `cap`.
    pub fn without(self, cap: Capability) -> Self {
        Self(self.0 & !(1 << cap.0))
    }

    /// The mask as `/proc/<pid>/status` prints it: 16 hex digits.
    pub fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

/// A task's credentials (`struct cred`, reduced): one uid/gid for real, effective and saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cred {
    /// Global (init user namespace) uid, `kuid_t`.
    pub kuid: u32,
    /// Global gid, `kgid_t`.
    pub kgid: u32,
    /// The user namespace the credentials live in.
    pub user_ns: super::NsId,
    /// Effective set.
    pub effective: CapSet,
    /// Permitted set.
    pub permitted: CapSet,
    /// Bounding set.
    pub bounding: CapSet,
}
