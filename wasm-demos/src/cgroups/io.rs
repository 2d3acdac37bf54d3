//! The io controller's throttling (`block/blk-throttle.c`, `cgroup-v2.rst` "IO").
//!
//! Each cgroup keeps, per device and direction, a throttle slice of `throtl_slice` = 100 ms
//! (`DFL_THROTL_SLICE`, HZ=1000) with the bytes and ios dispatched in it. A bio may go when
//! `bytes_disp + size ≤ bps · roundup(elapsed, slice) / HZ` and `io_disp + 1 ≤
//! iops · roundup(elapsed + 1, slice) / HZ` (`tg_within_bps_limit`, `tg_within_iops_limit`),
//! which lets one slice's worth through at once (the burst); otherwise it waits
//! `extra_bytes · HZ / bps` plus the rounding, and the slice is extended. After a dispatch
//! the slice is trimmed by the whole slices already used (`throtl_trim_slice`). A bio passes
//! the limits of its cgroup and of every ancestor, in FIFO order per direction.
//!
//! Buffered writes dirty the page cache and are written back later by the flusher: on v1
//! that writeback belongs to the root cgroup, so `blkio.throttle.write_*` never sees it; on
//! v2 with the memory controller, cgroup writeback charges it to the dirtying cgroup and
//! `io.max` throttles it (the writer itself is not slowed: `balance_dirty_pages` is not
//! modelled).

use super::{Block, CgroupError, CgroupSim, CgroupVersion, IoDir, Life, MAX_OP_BYTES, Outcome};

/// `throtl_slice`, jiffies (ms).
pub const THROTL_SLICE_MS: u64 = 100;
/// An unset limit (`U64_MAX`, shown as "max").
pub const UNLIMITED: u64 = u64::MAX;

/// One direction's throttle slice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThrottleSlice {
    /// `slice_start`, jiffies.
    pub start_ms: u64,
    /// `slice_end`, jiffies.
    pub end_ms: u64,
    /// `bytes_disp`.
    pub bytes_disp: u64,
    /// `io_disp`.
    pub io_disp: u64,
    /// When the last bio of this direction was dispatched (FIFO), jiffies.
    pub last_dispatch_ms: u64,
}

/// A cgroup's io state on one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoGroup {
    /// `rbps`, `wbps`, `riops`, `wiops`; [`UNLIMITED`] when unset.
    pub limits: [u64; 4],
    /// Read and write slices.
    pub slices: [ThrottleSlice; 2],
    /// Bytes read and written by this cgroup itself, `rbytes`, `wbytes`.
    pub bytes: [u64; 2],
    /// Reads and writes, `rios`, `wios`.
    pub ios: [u64; 2],
    /// Bytes and bios of async writes (buffered writeback, no `REQ_SYNC`); reads and direct
    /// writes are sync (`op_is_sync`). v1's rwstat files show the split.
    pub async_writes: [u64; 2],
}

impl Default for IoGroup {
    fn default() -> Self {
        Self {
            limits: [UNLIMITED; 4],
            slices: [ThrottleSlice::default(); 2],
            bytes: [0; 2],
            ios: [0; 2],
            async_writes: [0; 2],
        }
    }
}

impl IoGroup {
    /// Installs limits and starts new slices (`tg_conf_updated`).
    pub(crate) fn set_limits(&mut self, limits: [u64; 4], now_ms: u64) {
        self.limits = limits;
        for s in &mut self.slices {
            *s = ThrottleSlice {
                start_ms: now_ms,
                end_ms: now_ms + THROTL_SLICE_MS,
                bytes_disp: 0,
                io_disp: 0,
                last_dispatch_ms: s.last_dispatch_ms,
            };
        }
    }

    /// Whether any limit is set.
    pub fn is_limited(&self) -> bool {
        self.limits.iter().any(|&l| l != UNLIMITED)
    }

    /// When a bio of `bytes` submitted at `t` is dispatched (`tg_may_dispatch` until it may).
    fn dispatch(&mut self, dir: usize, bytes: u64, t: u64) -> u64 {
        let bps = self.limits.get(dir).copied().unwrap_or(UNLIMITED);
        let iops = self.limits.get(2 + dir).copied().unwrap_or(UNLIMITED);
        let Some(s) = self.slices.get_mut(dir) else { return t };
        if bps == UNLIMITED && iops == UNLIMITED {
            return t;
        }
        let mut queued = t < s.last_dispatch_ms;
        let mut now = t.max(s.last_dispatch_ms);
        for _ in 0..64 {
            let used = !(s.start_ms <= now && now <= s.end_ms);
            if used && !queued {
                *s = ThrottleSlice {
                    start_ms: now,
                    end_ms: now + THROTL_SLICE_MS,
                    bytes_disp: 0,
                    io_disp: 0,
                    last_dispatch_ms: s.last_dispatch_ms,
                };
            } else if s.end_ms < now + THROTL_SLICE_MS {
                s.end_ms = now + THROTL_SLICE_MS;
            }
            let wait = bps_wait(s, bps, bytes, now).max(iops_wait(s, iops, now));
            if wait == 0 {
                break;
            }
            if s.end_ms < now + wait {
                s.end_ms = now + wait;
            }
            now += wait;
            queued = true;
        }
        s.bytes_disp = s.bytes_disp.saturating_add(bytes);
        s.io_disp += 1;
        trim_slice(s, bps, iops, now);
        s.last_dispatch_ms = now;
        now
    }
}

fn allowed(limit: u64, elapsed_ms: u64) -> u128 {
    u128::from(limit) * u128::from(elapsed_ms) / 1000
}

/// `tg_within_bps_limit`: 0 if the bio fits, else the jiffies to wait.
fn bps_wait(s: &ThrottleSlice, bps: u64, bytes: u64, now: u64) -> u64 {
    if bps == UNLIMITED {
        return 0;
    }
    let elapsed = now - s.start_ms.min(now);
    let rnd = if elapsed == 0 { THROTL_SLICE_MS } else { elapsed }.div_ceil(THROTL_SLICE_MS)
        * THROTL_SLICE_MS;
    let allowed_bytes = allowed(bps, rnd);
    let need = u128::from(s.bytes_disp) + u128::from(bytes);
    if allowed_bytes > 0 && need <= allowed_bytes {
        return 0;
    }
    let extra = need - allowed_bytes.min(need);
    let wait = u64::try_from(extra * 1000 / u128::from(bps.max(1))).unwrap_or(u64::MAX).max(1);
    wait.saturating_add(rnd - elapsed)
}

/// `tg_within_iops_limit`: 0 if one more io fits, else the jiffies to wait.
fn iops_wait(s: &ThrottleSlice, iops: u64, now: u64) -> u64 {
    if iops == UNLIMITED {
        return 0;
    }
    let elapsed = now - s.start_ms.min(now);
    let rnd = (elapsed + 1).div_ceil(THROTL_SLICE_MS) * THROTL_SLICE_MS;
    let allowed_ios = allowed(iops, rnd).min(u128::from(u32::MAX));
    if allowed_ios > 0 && u128::from(s.io_disp) < allowed_ios {
        return 0;
    }
    rnd - elapsed
}

/// `throtl_trim_slice`: drops the whole slices already used from the dispatched counts.
fn trim_slice(s: &mut ThrottleSlice, bps: u64, iops: u64, now: u64) {
    if !(s.start_ms <= now && now <= s.end_ms) {
        return;
    }
    s.end_ms = now + THROTL_SLICE_MS;
    let elapsed = (now - s.start_ms) / THROTL_SLICE_MS * THROTL_SLICE_MS;
    if elapsed == 0 {
        return;
    }
    let bytes_trim = allowed(bps, elapsed);
    let io_trim = allowed(iops, elapsed);
    s.bytes_disp = u64::try_from(u128::from(s.bytes_disp).saturating_sub(bytes_trim)).unwrap_or(0);
    s.io_disp = u64::try_from(u128::from(s.io_disp).saturating_sub(io_trim)).unwrap_or(0);
    s.start_ms += elapsed;
}

/// Parses `MAJ:MIN`.
pub fn parse_dev(s: &str) -> Option<(u32, u32)> {
    let (maj, min) = s.split_once(':')?;
    Some((maj.parse().ok()?, min.parse().ok()?))
}

/// One `io` op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IoRequest {
    pub(crate) pid: u32,
    pub(crate) dir: IoDir,
    pub(crate) bytes: u64,
    pub(crate) direct: bool,
    pub(crate) device: Option<String>,
    pub(crate) file: Option<String>,
}

impl CgroupSim {
    /// The index of device `name` (`MAJ:MIN`) among the configured devices.
    pub(crate) fn device_index(&self, name: &str) -> Result<usize, CgroupError> {
        let want = parse_dev(name).ok_or_else(|| CgroupError::NoSuchDevice(name.to_owned()))?;
        self.params
            .devices
            .iter()
            .position(|d| parse_dev(d) == Some(want))
            .ok_or_else(|| CgroupError::NoSuchDevice(name.to_owned()))
    }

    /// Submits one bio through the throttle groups of `g` and its ancestors; returns the
    /// dispatch time in ms and counts the bio in `g`'s stats.
    fn throttle_bio(&mut self, g: usize, dev: usize, dir: usize, bytes: u64, sync: bool) -> u64 {
        let mut t = self.now_us / 1000;
        for a in self.ancestors(g).collect::<Vec<_>>() {
            if let Some(tg) = self.cgroups.get_mut(a).and_then(|c| c.io.get_mut(dev)) {
                t = tg.dispatch(dir, bytes, t);
            }
        }
        if let Some(tg) = self.cgroups.get_mut(g).and_then(|c| c.io.get_mut(dev)) {
            if let Some(b) = tg.bytes.get_mut(dir) {
                *b = b.saturating_add(bytes);
            }
            if let Some(n) = tg.ios.get_mut(dir) {
                *n += 1;
            }
            if !sync {
                tg.async_writes[0] = tg.async_writes[0].saturating_add(bytes);
                tg.async_writes[1] += 1;
            }
        }
        t
    }

    /// `io`: a direct bio waits for its dispatch (the task is shown `throttled_io`); a buffered
    /// write dirties the page cache and its writeback is charged to the dirtying cgroup (v2) or
    /// to the root (v1); a buffered read reads only the pages not cached yet.
    pub(crate) fn submit_io(
        &mut self,
        req: &IoRequest,
        out: &mut Outcome,
    ) -> Result<(), CgroupError> {
        if req.bytes == 0 || req.bytes > MAX_OP_BYTES {
            return Err(CgroupError::OutOfRange(format!(
                "io: bytes {} is outside 1..={MAX_OP_BYTES}",
                req.bytes
            )));
        }
        let dev = match &req.device {
            Some(d) => self.device_index(d)?,
            None => 0,
        };
        let pi = self.process_index(req.pid)?;
        if self.procs.get(pi).is_some_and(|p| p.pending_pages > 0) {
            return Err(CgroupError::ProcessBlocked(req.pid));
        }
        let g = self.procs.get(pi).map_or(0, |p| p.cgroup);
        let dir = match req.dir {
            IoDir::Read => 0,
            IoDir::Write => 1,
        };
        let now_ms = self.now_us / 1000;
        if !req.direct {
            let file = req.file.clone().unwrap_or_else(|| format!("io-{}", req.pid));
            let cached: u64 = self.page_cache().filter(|e| e.file == file).map(|e| e.pages).sum();
            self.touch_page_cache(req.pid, &file, req.bytes, out)?;
            if req.dir == IoDir::Write {
                let owner = if self.version() == CgroupVersion::V2 { g } else { 0 };
                let t = self.throttle_bio(owner, dev, dir, req.bytes, false);
                out.delay_us = Some(t.saturating_sub(now_ms).saturating_mul(1000));
                return Ok(());
            }
            let missing = super::memory::bytes_to_pages(req.bytes).saturating_sub(cached);
            if missing == 0 {
                out.delay_us = Some(0);
                return Ok(());
            }
            let t = self.throttle_bio(g, dev, dir, missing * super::PAGE_SIZE, true);
            self.block_for_io(req.pid, t, now_ms, out);
            return Ok(());
        }
        let t = self.throttle_bio(g, dev, dir, req.bytes, true);
        self.block_for_io(req.pid, t, now_ms, out);
        Ok(())
    }

    fn block_for_io(&mut self, pid: u32, t: u64, now_ms: u64, out: &mut Outcome) {
        out.delay_us = Some(t.saturating_sub(now_ms).saturating_mul(1000));
        if t > now_ms
            && let Some(task) =
                self.tasks.iter_mut().find(|x| x.pid == pid && x.life == Life::Alive)
        {
            task.block = Block::Io { until_us: t.saturating_mul(1000) };
            self.sched.dirty = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(bps: u64, iops: u64) -> IoGroup {
        let mut g = IoGroup::default();
        g.set_limits([bps, bps, iops, iops], 0);
        g
    }

    #[test]
    fn first_slice_lets_a_slice_worth_through_at_once() {
        let mut g = group(1_000_000, UNLIMITED);
        // 100 ms of 1 MB/s = 100 000 bytes pass at t = 0.
        assert_eq!(g.dispatch(1, 100_000, 0), 0);
        // The next 100 000 bytes wait for the next slice: extra 100000 → 100 ms, plus rounding.
        assert_eq!(g.dispatch(1, 100_000, 0), 200);
    }

    #[test]
    fn a_bio_larger_than_a_slice_waits_for_its_bytes() {
        let mut g = group(1_048_576, UNLIMITED);
        assert_eq!(g.dispatch(1, 1_048_576, 0), 1000);
    }

    #[test]
    fn unlimited_groups_never_delay() {
        let mut g = IoGroup::default();
        assert_eq!(g.dispatch(0, 1 << 30, 5), 5);
    }

    #[test]
    fn slices_restart_after_idle() {
        let mut g = group(1_000_000, UNLIMITED);
        assert_eq!(g.dispatch(0, 100_000, 0), 0);
        // Long after the slice ended, a new slice starts with a fresh allowance.
        assert_eq!(g.dispatch(0, 100_000, 5000), 5000);
    }

    #[test]
    fn parse_dev_wants_two_numbers() {
        assert_eq!(parse_dev("8:0"), Some((8, 0)));
        assert_eq!(parse_dev("253:16"), Some((253, 16)));
        assert_eq!(parse_dev("8"), None);
        assert_eq!(parse_dev("a:b"), None);
    }
}
