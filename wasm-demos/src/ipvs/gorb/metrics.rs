//! A backend's pulse metrics (`pulse/metrics.go`, `pulse/status.go`).

use std::collections::VecDeque;

use crate::scenario::from_json::from_json_unit_enum;

/// How many past checks the health window keeps (`if len(m.record) > 100`).
pub const WINDOW: usize = 100;

/// `pulse.StatusType`: the result of one check. Serialized as GORB does, `0` Up and `1` Down;
/// read from scenarios as `"up"` / `"down"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusType {
    /// `StatusUp` (0): the check succeeded.
    Up,
    /// `StatusDown` (1): the check failed.
    Down,
}
from_json_unit_enum!(StatusType { "up" => Up, "down" => Down });

impl StatusType {
    /// The Go value: 0 for Up, 1 for Down.
    pub fn code(self) -> u8 {
        match self {
            Self::Up => 0,
            Self::Down => 1,
        }
    }
}

impl serde::Serialize for StatusType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

/// `pulse.Metrics` as GORB serves it in `GET /service/{vsID}/{rsID}`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Metrics {
    /// The last check's result.
    pub status: StatusType,
    /// `1 − downs / n` over the window.
    pub health: f64,
    /// GORB's `uptime`: a `time.Duration` holding a count of **seconds** (the code divides by
    /// `time.Second` before storing it), so the JSON number is seconds, not nanoseconds.
    pub uptime: i64,
}

impl Metrics {
    /// The Go zero value a backend's metrics hold in the context until its first pulse:
    /// status 0 (Up), health 0, uptime 0. `GET` shows it, and it pulls the service's average
    /// health down.
    pub fn zero() -> Self {
        Self { status: StatusType::Up, health: 0.0, uptime: 0 }
    }
}

/// The pulse's own metrics (`NewMetrics`: Up, health 1, uptime 0, `lastTs` = creation).
#[derive(Debug, Clone, PartialEq)]
pub struct PulseMetrics {
    metrics: Metrics,
    last_ts_ms: u64,
    record: VecDeque<StatusType>,
}

impl PulseMetrics {
    /// `NewMetrics()` at `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        Self {
            metrics: Metrics { status: StatusType::Up, health: 1.0, uptime: 0 },
            last_ts_ms: now_ms,
            record: VecDeque::with_capacity(WINDOW + 1),
        }
    }

    /// `Metrics.Update`: appends the result (dropping the oldest beyond 100), recomputes
    /// health in the same float64 steps as Go (sum of 0/1 codes, then `1.0 − sum / n`), and
    /// resets uptime on Down or adds the whole seconds since the last check on Up.
    pub fn update(&mut self, result: StatusType, at_ms: u64) -> Metrics {
        self.metrics.status = result;
        self.record.push_back(result);
        if self.record.len() > WINDOW {
            self.record.pop_front();
        }
        let mut sum = 0.0f64;
        for status in &self.record {
            sum += f64::from(status.code());
        }
        self.metrics.health = 1.0 - sum / self.record.len() as f64;
        if result == StatusType::Up {
            let seconds = at_ms.saturating_sub(self.last_ts_ms) / 1_000;
            self.metrics.uptime =
                self.metrics.uptime.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX));
        } else {
            self.metrics.uptime = 0;
        }
        self.last_ts_ms = at_ms;
        self.metrics
    }

    /// The current metrics.
    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    /// How many checks the window holds (at most 100).
    pub fn checks(&self) -> usize {
        self.record.len()
    }

    /// How many of them were Down.
    pub fn downs(&self) -> usize {
        self.record.iter().filter(|s| **s == StatusType::Down).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rolls_over_at_100_checks() {
        let mut m = PulseMetrics::new(0);
        for i in 0..=100 {
            m.update(StatusType::Up, i * 60_000);
        }
        assert_eq!(m.checks(), 100);
    }

    #[test]
    fn one_down_in_four_checks_is_health_0_75() {
        let mut m = PulseMetrics::new(0);
        m.update(StatusType::Down, 60_000);
        for i in 2..=4 {
            m.update(StatusType::Up, i * 60_000);
        }
        assert_eq!(m.metrics().health, 0.75);
        assert_eq!(m.metrics().uptime, 180);
    }

    #[test]
    fn down_resets_uptime_and_up_adds_whole_seconds() {
        let mut m = PulseMetrics::new(0);
        assert_eq!(m.update(StatusType::Up, 1_999).uptime, 1);
        assert_eq!(m.update(StatusType::Up, 3_500).uptime, 2);
        assert_eq!(m.update(StatusType::Down, 4_000).uptime, 0);
    }

    #[test]
    fn status_serializes_as_go_integers() {
        assert_eq!(serde_json::to_string(&StatusType::Down).unwrap(), "1");
        assert_eq!(
            serde_json::to_string(&Metrics::zero()).unwrap(),
            r#"{"status":0,"health":0.0,"uptime":0}"#
        );
    }
}
