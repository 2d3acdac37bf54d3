//! The simulation's error type: a failed syscall names its errno, as `-1` with `errno` set would.

use std::fmt;

/// The errno values the modelled syscalls return (errno(3) names, `include/uapi/asm-generic/errno*.h`).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Errno {
    /// Operation not permitted (a capability check failed).
    EPERM,
    /// No such file or directory.
    ENOENT,
    /// No such process.
    ESRCH,
    /// No child processes.
    ECHILD,
    /// Try again (pid space or process limit exhausted).
    EAGAIN,
    /// Out of memory: `alloc_pid` returns it for a pid namespace whose init died.
    ENOMEM,
    /// Permission denied.
    EACCES,
    /// Device or resource busy.
    EBUSY,
    /// File exists.
    EEXIST,
    /// Invalid argument.
    EINVAL,
    /// No space left: the nesting limit of pid and user namespaces (since Linux 4.9).
    ENOSPC,
    /// Result out of range.
    ERANGE,
    /// Too many users: the pid nesting limit on Linux 3.11 to 4.8 (not the modelled kernel).
    EUSERS,
    /// Address already in use.
    EADDRINUSE,
    /// Cannot assign requested address.
    EADDRNOTAVAIL,
    /// Network is unreachable (no route).
    ENETUNREACH,
    /// No route to host (neighbour resolution failed).
    EHOSTUNREACH,
    /// Connection refused (nothing listening: a RST came back).
    ECONNREFUSED,
    /// No such device.
    ENODEV,
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Why an operation failed. The state is unchanged after any error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NsError {
    /// The modelled syscall failed with `errno`.
    #[error("{errno}: {reason}")]
    Sys {
        /// The errno the kernel returns.
        errno: Errno,
        /// Which kernel rule refused it.
        reason: String,
    },
    /// The scenario names a process label that does not exist (or was reaped).
    #[error("no process labelled `{0}`")]
    UnknownProcess(String),
    /// A new process was given a label that a live or zombie process already has.
    #[error("label `{0}` is already taken")]
    DuplicateLabel(String),
    /// A simulation cap (not a kernel limit) was reached.
    #[error("simulation limit: at most {max} {what}")]
    Limit {
        /// What is capped.
        what: &'static str,
        /// The cap.
        max: usize,
    },
    /// The acting process is stopped (SIGSTOP/SIGTSTP): it makes no syscalls until SIGCONT.
    #[error("process `{0}` is stopped: it makes no syscalls until SIGCONT")]
    Stopped(String),
    /// The initial process of the initial pid namespace may not exit.
    #[error("the initial process cannot exit: the kernel panics (\"Attempted to kill init!\")")]
    KillInit,
}

impl NsError {
    /// The errno of a failed syscall, `None` for simulation-level errors.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Self::Sys { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

/// Shorthand for a syscall failure.
pub(crate) fn sys(errno: Errno, reason: impl Into<String>) -> NsError {
    NsError::Sys { errno, reason: reason.into() }
}
