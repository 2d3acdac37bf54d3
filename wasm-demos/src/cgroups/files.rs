//! The cgroup files of each hierarchy version: which exist, how a write is parsed (with the
//! kernel's own syntax and errno), and how a read is formatted.
//!
//! | knob | v2 file | v1 file |
//! |---|---|---|
//! | quota/period | `cpu.max` ("$MAX $PERIOD") | `cpu.cfs_quota_us` (−1 = none), `cpu.cfs_period_us` |
//! | burst | `cpu.max.burst` | `cpu.cfs_burst_us` |
//! | weight | `cpu.weight` (1…10000, ERANGE), `cpu.weight.nice` (−20…19, ERANGE) | `cpu.shares` (clamped to 2…262144) |
//! | CPU stats | `cpu.stat` (µs) | `cpu.stat` (ns), `cpuacct.usage` |
//! | hard limit | `memory.max` | `memory.limit_in_bytes` (−1 = none) |
//! | usage | `memory.current`, `memory.peak` | `memory.usage_in_bytes`, `memory.max_usage_in_bytes` |
//! | events | `memory.events`, `memory.events.local` | `memory.failcnt`, `memory.oom_control` |
//! | soft limit | `memory.high` | — |
//! | group kill | `memory.oom.group` | — |
//! | pids | `pids.max`, `pids.current`, `pids.peak`, `pids.events`, `pids.events.local` | same, no `.local` |
//! | io limits | `io.max` (MAJ:MIN rbps= wbps= riops= wiops=) | `blkio.throttle.{read,write}_{bps,iops}_device` |
//! | io stats | `io.stat` | `blkio.throttle.io_service_bytes`, `blkio.throttle.io_serviced` |
//!
//! Files marked `CFTYPE_NOT_ON_ROOT` in the kernel do not exist in the root cgroup.

use super::cpu::{shares_to_weight, weight_to_shares};
use super::io::UNLIMITED;
use super::memory::{MEM_EVENT_NAMES, PAGE_COUNTER_MAX};
use super::pids::PIDS_MAX;
use super::{CgroupError, CgroupSim, CgroupVersion, Outcome, PAGE_SIZE};
use crate::scenario::object;

/// The readable files shown for a cgroup, v2; those after the marker are not on the root.
const V2_FILES: &[(&str, bool)] = &[
    ("cgroup.procs", true),
    ("cpu.stat", true),
    ("cpu.weight", false),
    ("cpu.weight.nice", false),
    ("cpu.max", false),
    ("cpu.max.burst", false),
    ("memory.current", false),
    ("memory.max", false),
    ("memory.high", false),
    ("memory.peak", false),
    ("memory.events", false),
    ("memory.events.local", false),
    ("memory.oom.group", false),
    ("memory.stat", true),
    ("pids.current", false),
    ("pids.max", false),
    ("pids.peak", false),
    ("pids.events", false),
    ("pids.events.local", false),
    ("io.max", false),
    ("io.stat", true),
];

/// The readable files shown for a cgroup, v1 (`true`: also on the root).
const V1_FILES: &[(&str, bool)] = &[
    ("cgroup.procs", true),
    ("cpu.shares", true),
    ("cpu.cfs_quota_us", true),
    ("cpu.cfs_period_us", true),
    ("cpu.cfs_burst_us", true),
    ("cpu.stat", true),
    ("cpuacct.usage", true),
    ("memory.usage_in_bytes", true),
    ("memory.limit_in_bytes", true),
    ("memory.max_usage_in_bytes", true),
    ("memory.failcnt", true),
    ("memory.oom_control", true),
    ("memory.stat", true),
    ("pids.current", false),
    ("pids.max", false),
    ("pids.peak", false),
    ("pids.events", false),
    ("blkio.throttle.read_bps_device", true),
    ("blkio.throttle.write_bps_device", true),
    ("blkio.throttle.read_iops_device", true),
    ("blkio.throttle.write_iops_device", true),
    ("blkio.throttle.io_service_bytes", true),
    ("blkio.throttle.io_serviced", true),
];

/// Files that accept writes.
const WRITABLE: &[&str] = &[
    "cgroup.procs",
    "cpu.weight",
    "cpu.weight.nice",
    "cpu.max",
    "cpu.max.burst",
    "memory.max",
    "memory.high",
    "memory.oom.group",
    "pids.max",
    "io.max",
    "cpu.shares",
    "cpu.cfs_quota_us",
    "cpu.cfs_period_us",
    "cpu.cfs_burst_us",
    "memory.limit_in_bytes",
    "memory.max_usage_in_bytes",
    "memory.failcnt",
    "memory.oom_control",
    "blkio.throttle.read_bps_device",
    "blkio.throttle.write_bps_device",
    "blkio.throttle.read_iops_device",
    "blkio.throttle.write_iops_device",
];

/// The content of a cgroup file, structured so that it can be shown as kernel text or JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileValue {
    /// A number (`pids.current`).
    Num(u64),
    /// A signed number (v1 `cpu.cfs_quota_us` shows −1).
    Signed(i64),
    /// A word or phrase (`max`, `50000 100000`).
    Text(String),
    /// `key value` lines (`cpu.stat`, `memory.events`).
    Keyed(Vec<(String, u64)>),
    /// Free-form lines (`io.stat`, `io.max`).
    Lines(Vec<String>),
    /// A list of ids, one per line (`cgroup.procs`).
    Ids(Vec<u32>),
}

impl FileValue {
    /// The text the kernel would print.
    pub fn to_kernel_text(&self) -> String {
        match self {
            FileValue::Num(n) => format!("{n}\n"),
            FileValue::Signed(n) => format!("{n}\n"),
            FileValue::Text(s) => format!("{s}\n"),
            FileValue::Keyed(kv) => kv.iter().map(|(k, v)| format!("{k} {v}\n")).collect(),
            FileValue::Lines(lines) => lines.iter().map(|l| format!("{l}\n")).collect(),
            FileValue::Ids(ids) => ids.iter().map(|i| format!("{i}\n")).collect(),
        }
    }

    /// The JSON shown in a trace: numbers, strings, objects for keyed files, arrays for lines.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            FileValue::Num(n) => Value::from(*n),
            FileValue::Signed(n) => Value::from(*n),
            FileValue::Text(s) => Value::from(s.as_str()),
            FileValue::Keyed(kv) => object(kv.iter().map(|(k, v)| (k.clone(), Value::from(*v)))),
            FileValue::Lines(lines) => Value::from(lines.clone()),
            FileValue::Ids(ids) => Value::from(ids.clone()),
        }
    }
}

fn table(version: CgroupVersion) -> &'static [(&'static str, bool)] {
    match version {
        CgroupVersion::V1 => V1_FILES,
        CgroupVersion::V2 => V2_FILES,
    }
}

/// The readable files of cgroup `g`, in display order.
pub fn visible_files(sim: &CgroupSim, g: usize) -> impl Iterator<Item = &'static str> + '_ {
    let root = sim.cgroups().get(g).is_some_and(super::Cgroup::is_root);
    table(sim.version()).iter().filter(move |(_, on_root)| *on_root || !root).map(|(f, _)| *f)
}

fn exists(sim: &CgroupSim, g: usize, file: &str) -> bool {
    visible_files(sim, g).any(|f| f == file)
}

fn no_file(sim: &CgroupSim, g: usize, file: &str) -> CgroupError {
    CgroupError::NoSuchFile {
        cgroup: sim.cgroups().get(g).map_or_else(String::new, |c| c.path.clone()),
        file: file.to_owned(),
        version: sim.version().number(),
    }
}

/// `cat <cgroup>/<file>`.
pub(crate) fn read(sim: &CgroupSim, g: usize, file: &str) -> Result<String, CgroupError> {
    render(sim, g, file).map(|v| v.to_kernel_text()).ok_or_else(|| no_file(sim, g, file))
}

fn invalid(file: &str, reason: impl Into<String>) -> CgroupError {
    CgroupError::Invalid { file: file.to_owned(), reason: reason.into() }
}

/// `kstrtoull(s, 0, …)`: decimal, `0x` hex or leading-0 octal, optional `+`.
fn kstrtoull(s: &str) -> Option<u64> {
    let s = s.strip_prefix('+').unwrap_or(s);
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if s.len() > 1
        && let Some(oct) = s.strip_prefix('0')
    {
        return u64::from_str_radix(oct, 8).ok();
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `kstrtoll(s, 0, …)`.
fn kstrtoll(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(rest) => {
            let v = kstrtoull(rest)?;
            if v == 1 << 63 { Some(i64::MIN) } else { i64::try_from(v).ok().map(|v| -v) }
        }
        None => i64::try_from(kstrtoull(s)?).ok(),
    }
}

/// The kernel's `isspace` (`skip_spaces`): space, `\t`, `\n`, `\v`, `\f`, `\r`.
fn is_kspace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `sscanf(s, "%llu")` as `vsscanf` does it: leading white space is skipped, then the longest
/// run of decimal digits is taken (no sign, no `0x` prefix: `0x10` scans as 0, `010` as 10),
/// wrapping on overflow like `simple_strntoull`; what follows is ignored. `None` when no digit
/// comes first (the conversion fails). Returns the value and the rest of the string.
fn sscanf_llu(s: &str) -> Option<(u64, &str)> {
    let s = s.trim_start_matches(|c: char| c.is_ascii() && is_kspace(c as u8));
    let end = s.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    let (digits, rest) = s.split_at(end);
    let v = digits.bytes().fold(0u64, |v, d| v.wrapping_mul(10).wrapping_add(u64::from(d - b'0')));
    Some((v, rest))
}

/// `sscanf(s, "%<width>s")`: skips white space, then takes at most `width` bytes up to the
/// next white space. Returns the token and the rest, or `None` when there is no token.
fn sscanf_token(s: &str, width: usize) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(|c: char| c.is_ascii() && is_kspace(c as u8));
    let mut end = s.bytes().position(is_kspace).unwrap_or(s.len()).min(width);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (end > 0).then(|| s.split_at(end))
}

/// `page_counter_memparse`: `max_word`, or `memparse` bytes rounded down to pages and capped
/// at `PAGE_COUNTER_MAX`. `memparse` is `simple_strtoull(…, 0)` (base from the prefix: `0x`
/// before a hex digit, a leading `0` for octal; no sign; wrapping on overflow; an empty number
/// is 0) followed by at most one suffix K, M, G, T, P or E (each a wrapping `<< 10` step), and
/// the string must end there.
fn memparse_pages(file: &str, value: &str, max_word: &str) -> Result<u64, CgroupError> {
    if value == max_word {
        return Ok(PAGE_COUNTER_MAX);
    }
    let bad = || invalid(file, format!("`{value}` is not a size in bytes or `{max_word}`"));
    let b = value.as_bytes();
    let (radix, mut i) = match b {
        [b'0', x, h, ..] if x.eq_ignore_ascii_case(&b'x') && h.is_ascii_hexdigit() => (16, 2),
        [b'0', ..] => (8, 0),
        _ => (10, 0),
    };
    let mut bytes: u64 = 0;
    while let Some(d) = b.get(i).and_then(|&c| char::from(c).to_digit(radix)) {
        bytes = bytes.wrapping_mul(u64::from(radix)).wrapping_add(u64::from(d));
        i += 1;
    }
    let steps = match b.get(i).map(u8::to_ascii_uppercase) {
        Some(b'K') => 1,
        Some(b'M') => 2,
        Some(b'G') => 3,
        Some(b'T') => 4,
        Some(b'P') => 5,
        Some(b'E') => 6,
        _ => 0,
    };
    if steps > 0 {
        i += 1;
    }
    if i != b.len() {
        return Err(bad());
    }
    for _ in 0..steps {
        bytes = bytes.wrapping_shl(10);
    }
    Ok((bytes / PAGE_SIZE).min(PAGE_COUNTER_MAX))
}

fn bool01(file: &str, value: &str) -> Result<bool, CgroupError> {
    match kstrtoll(value) {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(invalid(file, format!("`{value}` is not 0 or 1"))),
    }
}

/// `echo <value> > <cgroup>/<file>`.
pub(crate) fn write(
    sim: &mut CgroupSim,
    g: usize,
    file: &str,
    value: &str,
    out: &mut Outcome,
) -> Result<(), CgroupError> {
    let value = match file {
        // These handlers run strstrip(buf) first.
        "memory.max"
        | "memory.high"
        | "memory.limit_in_bytes"
        | "memory.oom.group"
        | "pids.max"
        | "cgroup.procs" => value.trim_matches(|c: char| c.is_ascii() && is_kspace(c as u8)),
        // Scanned with sscanf, which skips white space itself.
        "cpu.max"
        | "io.max"
        | "blkio.throttle.read_bps_device"
        | "blkio.throttle.write_bps_device"
        | "blkio.throttle.read_iops_device"
        | "blkio.throttle.write_iops_device" => value,
        // write_u64/write_s64 files: cgroup_file_write calls kstrtoull/kstrtoll on the raw
        // buffer, which allow one trailing newline and nothing else.
        _ => value.strip_suffix('\n').unwrap_or(value),
    };
    let is_v1_only_reset = matches!(file, "memory.failcnt" | "memory.max_usage_in_bytes");
    if !exists(sim, g, file) {
        return Err(no_file(sim, g, file));
    }
    if !WRITABLE.contains(&file) {
        return Err(CgroupError::ReadOnly(file.to_owned()));
    }
    let is_root = g == 0;
    match file {
        "cgroup.procs" => {
            let pid = kstrtoull(value)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| invalid(file, format!("`{value}` is not a pid")))?;
            let cg = sim.cgroups().get(g).map_or_else(String::new, |c| c.path.clone());
            return sim.apply(&super::Op::Migrate { pid, cgroup: cg }).map(|_| ());
        }
        "cpu.max" => {
            // cpu_period_quota_parse: sscanf(buf, "%20s %llu", tok, &period) < 1 is EINVAL; a
            // period that does not scan keeps the current one; the quota token is scanned with
            // "%llu" (decimal, trailing characters ignored) or must be "max".
            let cur = sim.cgroups().get(g).map(|c| c.cpu.clone()).unwrap_or_default();
            let (tok, rest) = sscanf_token(value, 20)
                .ok_or_else(|| invalid(file, "expected \"$MAX $PERIOD\""))?;
            let period = sscanf_llu(rest).map_or(cur.period_us, |(p, _)| p);
            let quota = match sscanf_llu(tok) {
                Some((q, _)) => Some(q),
                None if tok == "max" => None,
                None => return Err(invalid(file, format!("`{tok}` is not a number or `max`"))),
            };
            set_cfs_bandwidth(sim, g, file, quota, period, cur.burst_us)?;
        }
        "cpu.cfs_quota_us" => {
            let v = kstrtoll(value)
                .ok_or_else(|| invalid(file, format!("`{value}` is not a number")))?;
            let cur = sim.cgroups().get(g).map(|c| c.cpu.clone()).unwrap_or_default();
            let quota = if v < 0 { None } else { Some(v.unsigned_abs()) };
            set_cfs_bandwidth(sim, g, file, quota, cur.period_us, cur.burst_us)?;
        }
        "cpu.cfs_period_us" => {
            let v = kstrtoull(value)
                .ok_or_else(|| invalid(file, format!("`{value}` is not a number")))?;
            let cur = sim.cgroups().get(g).map(|c| c.cpu.clone()).unwrap_or_default();
            set_cfs_bandwidth(sim, g, file, cur.quota_us, v, cur.burst_us)?;
        }
        "cpu.max.burst" | "cpu.cfs_burst_us" => {
            let v = kstrtoull(value)
                .ok_or_else(|| invalid(file, format!("`{value}` is not a number")))?;
            let cur = sim.cgroups().get(g).map(|c| c.cpu.clone()).unwrap_or_default();
            set_cfs_bandwidth(sim, g, file, cur.quota_us, cur.period_us, v)?;
        }
        "cpu.weight" => {
            let v = kstrtoull(value)
                .ok_or_else(|| invalid(file, format!("`{value}` is not a number")))?;
            if !(1..=10_000).contains(&v) {
                return Err(CgroupError::WeightRange(v));
            }
            set_shares(sim, g, weight_to_shares(v));
        }
        "cpu.weight.nice" => {
            let v = kstrtoll(value)
                .ok_or_else(|| invalid(file, format!("`{value}` is not a number")))?;
            let weight = i32::try_from(v)
                .ok()
                .and_then(super::cpu::nice_to_weight)
                .ok_or(CgroupError::NiceRange(v))?;
            set_shares(sim, g, weight >> 10);
        }
        "cpu.shares" => {
            if is_root {
                return Err(invalid(file, "the root cgroup's shares cannot be changed"));
            }
            let v = kstrtoull(value)
                .ok_or_else(|| invalid(file, format!("`{value}` is not a number")))?;
            set_shares(sim, g, v.clamp(2, 262_144));
        }
        "memory.max" => {
            let pages = memparse_pages(file, value, "max")?;
            sim.set_memory_max_v2(g, pages, out);
        }
        "memory.high" => {
            let pages = memparse_pages(file, value, "max")?;
            sim.set_memory_high(g, pages);
        }
        "memory.limit_in_bytes" => {
            if is_root {
                return Err(invalid(file, "the root cgroup cannot be limited"));
            }
            let pages = memparse_pages(file, value, "-1")?;
            sim.set_limit_v1(g, pages, out)?;
        }
        "memory.oom.group" => {
            let on = bool01(file, value)?;
            if let Some(c) = sim.cgroups.get_mut(g) {
                c.mem.oom_group = on;
            }
        }
        "memory.oom_control" => {
            if is_root {
                return Err(invalid(file, "the root cgroup's OOM killer cannot be disabled"));
            }
            let on = bool01(file, value)?;
            if let Some(c) = sim.cgroups.get_mut(g) {
                c.mem.oom_kill_disable = on;
            }
            if !on {
                sim.note_oom_recover(g);
                sim.retry_waiters(out);
            }
        }
        _ if is_v1_only_reset => {
            if let Some(c) = sim.cgroups.get_mut(g) {
                if file == "memory.failcnt" {
                    c.mem.failcnt = 0;
                } else {
                    c.mem.watermark_pages = c.mem.usage_pages;
                }
            }
        }
        "pids.max" => {
            let limit = if value == "max" {
                PIDS_MAX
            } else {
                let v = kstrtoll(value)
                    .ok_or_else(|| invalid(file, format!("`{value}` is not a number or `max`")))?;
                if v < 0 || v.unsigned_abs() >= PIDS_MAX {
                    return Err(invalid(file, format!("{v} is outside 0..{PIDS_MAX}")));
                }
                v.unsigned_abs()
            };
            if let Some(c) = sim.cgroups.get_mut(g) {
                c.pids.max = limit;
            }
        }
        "io.max" => write_io_max(sim, g, file, value)?,
        _ => write_blkio_v1(sim, g, file, value)?,
    }
    Ok(())
}

fn set_shares(sim: &mut CgroupSim, g: usize, shares: u64) {
    if let Some(c) = sim.cgroups.get_mut(g) {
        c.cpu.shares = shares;
    }
    sim.sched.dirty = true;
}

/// `tg_set_cfs_bandwidth`'s checks (and v1's `__cfs_schedulable`), then the update.
fn set_cfs_bandwidth(
    sim: &mut CgroupSim,
    g: usize,
    file: &str,
    quota_us: Option<u64>,
    period_us: u64,
    burst_us: u64,
) -> Result<(), CgroupError> {
    if g == 0 {
        return Err(invalid(file, "the root cgroup has no bandwidth limit"));
    }
    const MAX_CFS_RUNTIME_US: u64 = (1 << 44) - 1;
    if quota_us.is_some_and(|q| q < 1000) || period_us < 1000 {
        return Err(invalid(file, "quota and period must be at least 1000 us"));
    }
    if period_us > 1_000_000 {
        return Err(invalid(file, "period must be at most 1000000 us"));
    }
    if quota_us.is_some_and(|q| q > MAX_CFS_RUNTIME_US) {
        return Err(invalid(file, format!("quota must be at most {MAX_CFS_RUNTIME_US} us")));
    }
    if let Some(q) = quota_us
        && (burst_us > q || burst_us.saturating_add(q) > MAX_CFS_RUNTIME_US)
    {
        return Err(invalid(file, "burst must not exceed the quota"));
    }
    // tg_set_cfs_burst: only `burst_us > U64_MAX / NSEC_PER_USEC` is refused on its own; with
    // no quota (RUNTIME_INF) tg_set_cfs_bandwidth does not compare the burst with anything.
    if burst_us > u64::MAX / 1000 {
        return Err(invalid(file, format!("burst must be at most {} us", u64::MAX / 1000)));
    }
    if sim.version() == CgroupVersion::V1 {
        check_v1_schedulable(sim, g, file, quota_us, period_us)?;
    }
    sim.set_bandwidth(g, quota_us, period_us, burst_us);
    Ok(())
}

/// v1 `tg_cfs_schedulable_down`: a child's quota/period ratio may not exceed its nearest
/// limited ancestor's (cgroup v2 silently takes the minimum instead).
fn check_v1_schedulable(
    sim: &CgroupSim,
    g: usize,
    file: &str,
    quota_us: Option<u64>,
    period_us: u64,
) -> Result<(), CgroupError> {
    let ratio = |q: Option<u64>, p: u64| q.map(|q| (u128::from(q) << 20) / u128::from(p.max(1)));
    let groups = sim.cgroups();
    let mut effective: Vec<Option<u128>> = vec![None; groups.len()];
    for (i, c) in groups.iter().enumerate() {
        let Some(parent) = c.parent else { continue };
        let own = if i == g {
            ratio(quota_us, period_us)
        } else {
            ratio(c.cpu.quota_us, c.cpu.period_us)
        };
        let parent_eff = effective.get(parent).copied().flatten();
        let eff = match (own, parent_eff) {
            (None, p) => p,
            (Some(o), Some(p)) if o > p => {
                return Err(invalid(
                    file,
                    format!("the quota of {} would exceed its parent's", c.path),
                ));
            }
            (Some(o), _) => Some(o),
        };
        if let Some(e) = effective.get_mut(i) {
            *e = eff;
        }
    }
    Ok(())
}

/// v2 `io.max`: `MAJ:MIN` then `key=value` pairs, each value a number > 1 or `max`.
fn write_io_max(sim: &mut CgroupSim, g: usize, file: &str, value: &str) -> Result<(), CgroupError> {
    let (dev_tok, mut body) = sscanf_token(value, usize::MAX)
        .ok_or_else(|| invalid(file, "expected \"MAJ:MIN key=value…\""))?;
    if super::io::parse_dev(dev_tok).is_none() {
        return Err(invalid(file, format!("`{dev_tok}` is not MAJ:MIN")));
    }
    let dev = sim.device_index(dev_tok)?;
    let mut limits =
        sim.cgroups().get(g).and_then(|c| c.io.get(dev)).map_or([UNLIMITED; 4], |t| t.limits);
    // tg_set_limit (6.6): tokens of at most 26 bytes ("%26s"); the value after '=' is scanned
    // with "%llu" or is "max" (EINVAL otherwise); 0 is ERANGE; then the key must be known and
    // the value greater than 1 (EINVAL). iops are capped at UINT_MAX, which means "max".
    while let Some((tok, rest)) = sscanf_token(body, 26) {
        body = rest;
        let (key, val) = tok
            .split_once('=')
            .ok_or_else(|| invalid(file, format!("`{tok}` is not key=value")))?;
        let v = match sscanf_llu(val) {
            Some((v, _)) => v,
            None if val == "max" => UNLIMITED,
            None => {
                return Err(invalid(file, format!("`{tok}`: values must be a number or `max`")));
            }
        };
        if v == 0 {
            return Err(CgroupError::Range {
                file: file.to_owned(),
                reason: format!("`{tok}`: 0 is not a limit (use `max`)"),
            });
        }
        let slot = match key {
            "rbps" => 0,
            "wbps" => 1,
            "riops" => 2,
            "wiops" => 3,
            _ => {
                return Err(invalid(
                    file,
                    format!("unknown key `{key}` (rbps, wbps, riops, wiops)"),
                ));
            }
        };
        if v == 1 {
            return Err(invalid(file, format!("`{tok}`: values must be greater than 1 or `max`")));
        }
        if let Some(l) = limits.get_mut(slot) {
            *l = if slot >= 2 && v >= u64::from(u32::MAX) { UNLIMITED } else { v };
        }
    }
    let now_ms = sim.now_us() / 1000;
    if let Some(t) = sim.cgroups.get_mut(g).and_then(|c| c.io.get_mut(dev)) {
        t.set_limits(limits, now_ms);
    }
    Ok(())
}

/// v1 `blkio.throttle.*_device`: `MAJ:MIN VALUE`, 0 removes the limit.
fn write_blkio_v1(
    sim: &mut CgroupSim,
    g: usize,
    file: &str,
    value: &str,
) -> Result<(), CgroupError> {
    let slot = match file {
        "blkio.throttle.read_bps_device" => 0,
        "blkio.throttle.write_bps_device" => 1,
        "blkio.throttle.read_iops_device" => 2,
        "blkio.throttle.write_iops_device" => 3,
        _ => return Err(CgroupError::ReadOnly(file.to_owned())),
    };
    let (dev_tok, body) = sscanf_token(value, usize::MAX)
        .ok_or_else(|| invalid(file, "expected \"MAJ:MIN VALUE\""))?;
    if super::io::parse_dev(dev_tok).is_none() {
        return Err(invalid(file, format!("`{dev_tok}` is not MAJ:MIN")));
    }
    let dev = sim.device_index(dev_tok)?;
    // tg_set_conf: sscanf(body, "%llu") (decimal, trailing characters ignored); 0 means no
    // limit (U64_MAX). The iops fields are `unsigned int`, so the value is truncated to 32
    // bits, and UINT_MAX means no limit.
    let (v, _) = sscanf_llu(body).ok_or_else(|| invalid(file, "expected \"MAJ:MIN VALUE\""))?;
    let v = if v == 0 {
        UNLIMITED
    } else if slot >= 2 {
        let iops = v & u64::from(u32::MAX);
        if iops == u64::from(u32::MAX) { UNLIMITED } else { iops }
    } else {
        v
    };
    let now_ms = sim.now_us() / 1000;
    if let Some(t) = sim.cgroups.get_mut(g).and_then(|c| c.io.get_mut(dev)) {
        let mut limits = t.limits;
        if let Some(l) = limits.get_mut(slot) {
            *l = v;
        }
        t.set_limits(limits, now_ms);
    }
    Ok(())
}

/// `cpu_weight_nice_read_s64`: the nice value whose weight is closest to the shares (the
/// first of two equally close ones).
fn shares_to_nice(shares: u64) -> i64 {
    let table = super::cpu::SCHED_PRIO_TO_WEIGHT;
    let mut last_delta = u64::MAX;
    let mut prio = 0;
    while let Some(&w) = table.get(prio) {
        let delta = w.abs_diff(shares);
        if delta >= last_delta {
            break;
        }
        last_delta = delta;
        prio += 1;
    }
    i64::try_from(prio).unwrap_or(40) - 1 - 20
}

fn limit_text(v: u64) -> String {
    if v == UNLIMITED { "max".to_owned() } else { v.to_string() }
}

fn pages_or_max(pages: u64) -> FileValue {
    if pages >= PAGE_COUNTER_MAX {
        FileValue::Text("max".to_owned())
    } else {
        FileValue::Num(pages * PAGE_SIZE)
    }
}

/// The current content of `file` in cgroup `g`, or `None` if it does not exist there.
pub fn render(sim: &CgroupSim, g: usize, file: &str) -> Option<FileValue> {
    if !exists(sim, g, file) {
        return None;
    }
    let c = sim.cgroups().get(g)?;
    let kv = |pairs: &[(&str, u64)]| {
        FileValue::Keyed(pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect())
    };
    let subtree = sim.subtree_preorder(g);
    let sum = |f: &dyn Fn(&super::Cgroup) -> u64| -> u64 {
        subtree.iter().filter_map(|&i| sim.cgroups().get(i)).map(f).sum()
    };
    let v1 = sim.version() == CgroupVersion::V1;
    let cpu = &c.cpu;
    Some(match file {
        "cgroup.procs" => {
            let mut procs: Vec<&super::Process> =
                sim.processes().iter().filter(|p| p.cgroup == g && p.nr_threads > 0).collect();
            if v1 {
                crate::sort::sort_by_key(&mut procs, |p| p.pid);
            } else {
                crate::sort::sort_by_key(&mut procs, |p| p.join_seq);
            }
            FileValue::Ids(procs.iter().map(|p| p.pid).collect())
        }
        "cpu.stat" if v1 => kv(&[
            ("nr_periods", cpu.nr_periods),
            ("nr_throttled", cpu.nr_throttled),
            ("throttled_time", cpu.throttled_time_ns),
            ("nr_bursts", cpu.nr_bursts),
            ("burst_time", cpu.burst_time_ns),
        ]),
        "cpu.stat" => {
            let usage = cpu.usage_ns / 1000;
            let mut pairs = vec![("usage_usec", usage), ("user_usec", usage), ("system_usec", 0)];
            if !c.is_root() {
                pairs.extend([
                    ("nr_periods", cpu.nr_periods),
                    ("nr_throttled", cpu.nr_throttled),
                    ("throttled_usec", cpu.throttled_time_ns / 1000),
                    ("nr_bursts", cpu.nr_bursts),
                    ("burst_usec", cpu.burst_time_ns / 1000),
                ]);
            }
            kv(&pairs)
        }
        "cpuacct.usage" => FileValue::Num(cpu.usage_ns),
        "cpu.weight" => FileValue::Num(shares_to_weight(cpu.shares)),
        "cpu.weight.nice" => FileValue::Signed(shares_to_nice(cpu.shares)),
        "cpu.shares" => FileValue::Num(cpu.shares),
        "cpu.max" => FileValue::Text(format!(
            "{} {}",
            cpu.quota_us.map_or_else(|| "max".to_owned(), |q| q.to_string()),
            cpu.period_us
        )),
        "cpu.max.burst" | "cpu.cfs_burst_us" => FileValue::Num(cpu.burst_us),
        "cpu.cfs_quota_us" => {
            FileValue::Signed(cpu.quota_us.map_or(-1, |q| i64::try_from(q).unwrap_or(i64::MAX)))
        }
        "cpu.cfs_period_us" => FileValue::Num(cpu.period_us),
        "memory.current" | "memory.usage_in_bytes" => FileValue::Num(c.mem.usage_pages * PAGE_SIZE),
        "memory.max" => pages_or_max(c.mem.max_pages),
        "memory.high" => pages_or_max(c.mem.high_pages),
        "memory.limit_in_bytes" => FileValue::Num(c.mem.max_pages * PAGE_SIZE),
        "memory.peak" | "memory.max_usage_in_bytes" => {
            FileValue::Num(c.mem.watermark_pages * PAGE_SIZE)
        }
        "memory.failcnt" => FileValue::Num(c.mem.failcnt),
        "memory.events" | "memory.events.local" => {
            let ev = if file == "memory.events" { &c.mem.events } else { &c.mem.events_local };
            FileValue::Keyed(
                MEM_EVENT_NAMES.iter().zip(ev.iter()).map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            )
        }
        "memory.oom.group" => FileValue::Num(u64::from(c.mem.oom_group)),
        "memory.oom_control" => kv(&[
            ("oom_kill_disable", u64::from(c.mem.oom_kill_disable)),
            ("under_oom", u64::from(sim.under_oom(g))),
            (
                "oom_kill",
                c.mem.events.get(super::memory::MemEvent::OomKill as usize).copied().unwrap_or(0),
            ),
        ]),
        "memory.stat" if v1 => kv(&[
            ("cache", c.mem.file_pages * PAGE_SIZE),
            ("rss", c.mem.anon_pages * PAGE_SIZE),
            ("total_cache", sum(&|x| x.mem.file_pages) * PAGE_SIZE),
            ("total_rss", sum(&|x| x.mem.anon_pages) * PAGE_SIZE),
        ]),
        "memory.stat" => kv(&[
            ("anon", sum(&|x| x.mem.anon_pages) * PAGE_SIZE),
            ("file", sum(&|x| x.mem.file_pages) * PAGE_SIZE),
        ]),
        "pids.current" => FileValue::Num(c.pids.current),
        "pids.max" => {
            if c.pids.max >= PIDS_MAX {
                FileValue::Text("max".to_owned())
            } else {
                FileValue::Num(c.pids.max)
            }
        }
        "pids.peak" => FileValue::Num(c.pids.peak),
        "pids.events" if v1 => kv(&[("max", c.pids.events_local_forkfail)]),
        "pids.events" => kv(&[("max", c.pids.events_max)]),
        "pids.events.local" => kv(&[("max", c.pids.events_local_max)]),
        "io.max" => FileValue::Lines(
            sim.params()
                .devices
                .iter()
                .zip(c.io.iter())
                .filter(|(_, t)| t.is_limited())
                .map(|(d, t)| {
                    let [rb, wb, ri, wi] = t.limits;
                    format!(
                        "{d} rbps={} wbps={} riops={} wiops={}",
                        limit_text(rb),
                        limit_text(wb),
                        limit_text(ri),
                        limit_text(wi)
                    )
                })
                .collect(),
        ),
        "io.stat" => {
            let mut lines = Vec::new();
            for (di, d) in sim.params().devices.iter().enumerate() {
                let get = |f: &dyn Fn(&super::io::IoGroup) -> u64| -> u64 {
                    subtree.iter().filter_map(|&i| sim.cgroups().get(i)?.io.get(di)).map(f).sum()
                };
                let (rb, wb) = (get(&|t| t.bytes[0]), get(&|t| t.bytes[1]));
                let (ri, wi) = (get(&|t| t.ios[0]), get(&|t| t.ios[1]));
                if rb + wb + ri + wi > 0 {
                    lines.push(format!(
                        "{d} rbytes={rb} wbytes={wb} rios={ri} wios={wi} dbytes=0 dios=0"
                    ));
                }
            }
            FileValue::Lines(lines)
        }
        "blkio.throttle.read_bps_device"
        | "blkio.throttle.write_bps_device"
        | "blkio.throttle.read_iops_device"
        | "blkio.throttle.write_iops_device" => {
            let slot = match file {
                "blkio.throttle.read_bps_device" => 0,
                "blkio.throttle.write_bps_device" => 1,
                "blkio.throttle.read_iops_device" => 2,
                _ => 3,
            };
            FileValue::Lines(
                sim.params()
                    .devices
                    .iter()
                    .zip(c.io.iter())
                    .filter_map(|(d, t)| {
                        let l = t.limits.get(slot).copied().unwrap_or(UNLIMITED);
                        (l != UNLIMITED).then(|| format!("{d} {l}"))
                    })
                    .collect(),
            )
        }
        "blkio.throttle.io_service_bytes" | "blkio.throttle.io_serviced" => {
            let bytes = file == "blkio.throttle.io_service_bytes";
            let mut lines = Vec::new();
            let mut total = 0;
            for (d, t) in sim.params().devices.iter().zip(c.io.iter()) {
                let (r, w) = if bytes { (t.bytes[0], t.bytes[1]) } else { (t.ios[0], t.ios[1]) };
                let a = if bytes { t.async_writes[0] } else { t.async_writes[1] };
                // __blkg_prfill_rwstat: Read, Write, Sync, Async, Discard, then Total.
                if r + w > 0 {
                    lines.push(format!("{d} Read {r}"));
                    lines.push(format!("{d} Write {w}"));
                    lines.push(format!("{d} Sync {}", r + w - a));
                    lines.push(format!("{d} Async {a}"));
                    lines.push(format!("{d} Discard 0"));
                    lines.push(format!("{d} Total {}", r + w));
                }
                total += r + w;
            }
            lines.push(format!("Total {total}"));
            FileValue::Lines(lines)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kstrtoull_takes_base_0_like_the_kernel() {
        assert_eq!(kstrtoull("42"), Some(42));
        assert_eq!(kstrtoull("+42"), Some(42));
        assert_eq!(kstrtoull("0x10"), Some(16));
        assert_eq!(kstrtoull("010"), Some(8));
        assert_eq!(kstrtoull("0"), Some(0));
        assert_eq!(kstrtoull("-1"), None);
        assert_eq!(kstrtoull("1 2"), None);
        assert_eq!(kstrtoll("-1"), Some(-1));
        assert_eq!(kstrtoll("-9223372036854775808"), Some(i64::MIN));
    }

    #[test]
    fn memparse_rounds_down_to_pages_and_knows_suffixes() {
        assert_eq!(memparse_pages("f", "max", "max").unwrap(), PAGE_COUNTER_MAX);
        assert_eq!(memparse_pages("f", "-1", "-1").unwrap(), PAGE_COUNTER_MAX);
        assert_eq!(memparse_pages("f", "4095", "max").unwrap(), 0);
        assert_eq!(memparse_pages("f", "1k", "max").unwrap(), 0);
        assert_eq!(memparse_pages("f", "1M", "max").unwrap(), 256);
        assert_eq!(memparse_pages("f", "2G", "max").unwrap(), 524_288);
        assert_eq!(memparse_pages("f", "0x2000", "max").unwrap(), 2);
        // memparse wraps: 100 << 60 is 4 << 60 modulo 2^64.
        assert_eq!(memparse_pages("f", "100E", "max").unwrap(), 1 << 50);
        assert_eq!(memparse_pages("f", "8E", "max").unwrap(), PAGE_COUNTER_MAX);
        // An empty number is 0 (`echo > memory.max` sets 0), and so is a bare suffix.
        assert_eq!(memparse_pages("f", "", "max").unwrap(), 0);
        assert_eq!(memparse_pages("f", "K", "max").unwrap(), 0);
        assert_eq!(memparse_pages("f", "010000", "max").unwrap(), 1);
        assert!(memparse_pages("f", "09", "max").is_err());
        assert!(memparse_pages("f", "1KB", "max").is_err());
        assert!(memparse_pages("f", "0x", "max").is_err());
        assert_eq!(
            memparse_pages("f", "-1", "max").unwrap_err().to_string(),
            "EINVAL: f: `-1` is not a size in bytes or `max`"
        );
    }

    #[test]
    fn weight_nice_reads_the_closest_nice() {
        assert_eq!(shares_to_nice(1024), 0);
        assert_eq!(shares_to_nice(88761), -20);
        assert_eq!(shares_to_nice(15), 19);
        assert_eq!(shares_to_nice(2), 19);
        assert_eq!(shares_to_nice(262_144), -20);
    }
}
