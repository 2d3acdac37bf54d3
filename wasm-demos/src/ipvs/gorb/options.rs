//! Service, backend and pulse options with GORB's defaults (`core/options.go`,
//! `pulse/options.go`, `util/time.go`). They serialize as GORB's JSON `options` objects.

use std::net::IpAddr;

use super::context::GorbError;
use crate::scenario::from_json::from_json_struct;

/// `ServiceOptions`: the body of `PUT /service/{vsID}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ServiceOptions {
    /// Virtual IP; when empty, the daemon's endpoint (the `-i` device's address) is used and
    /// this field **stays empty** in the JSON, as in GORB.
    pub host: String,
    /// Virtual port; required (0 is `endpoint information is missing`).
    pub port: u16,
    /// `tcp` (default) or `udp`, case-insensitive, stored lower-cased.
    pub protocol: String,
    /// The IPVS scheduler name, passed through unvalidated; default `wrr` ("since Pulse will
    /// dynamically reweight backends").
    pub method: String,
    /// Parsed and shown, but never passed to IPVS.
    pub persistent: bool,
}
from_json_struct!(ServiceOptions, deny_unknown_fields {
    host = default,
    port = default,
    protocol = default,
    method = default,
    persistent = default,
});

/// `BackendOptions`: the body of `PUT /service/{vsID}/{rsID}`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct BackendOptions {
    /// Real server IP; required.
    pub host: String,
    /// Real server port; required.
    pub port: u16,
    /// IPVS weight; ≤ 0 at creation becomes 100. Afterwards it is the weight last set by
    /// `UpdateBackend` (PATCH or the pulse loop).
    pub weight: i32,
    /// Forwarding method: `nat` (default), `tunnel` or `ipip`, stored lower-cased.
    pub method: String,
    /// Health check; absent means the default tcp pulse every `1m`.
    pub pulse: Option<PulseOptions>,
}
from_json_struct!(BackendOptions, deny_unknown_fields {
    host = default,
    port = default,
    weight = default,
    method = default,
    pulse = default,
});

/// `pulse.Options`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct PulseOptions {
    /// `tcp` (default), `http` or `none`, stored lower-cased.
    #[serde(rename = "type")]
    pub kind: String,
    /// `util.ParseInterval` format, default `1m`.
    pub interval: String,
    /// Driver arguments (http: `method`, `path`, `expect`), kept as given; `null` when absent.
    pub args: Option<serde_json::Value>,
}
from_json_struct!(PulseOptions, deny_unknown_fields {
    kind as "type" = default,
    interval = default,
    args = default,
});

/// A validated service: the options as GORB stores them, and the resolved virtual IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidService {
    pub(crate) options: ServiceOptions,
    pub(crate) ip: IpAddr,
}

/// `ServiceOptions.Validate(defaultHost)`.
pub(crate) fn validate_service(
    mut options: ServiceOptions,
    endpoint: Option<IpAddr>,
) -> Result<ValidService, GorbError> {
    if options.port == 0 {
        return Err(GorbError::MissingEndpoint);
    }
    let ip = if !options.host.is_empty() {
        resolve(&options.host)?
    } else if let Some(ip) = endpoint {
        ip
    } else {
        return Err(GorbError::MissingEndpoint);
    };
    if options.protocol.is_empty() {
        options.protocol = "tcp".to_owned();
    }
    // GORB lowers with `strings.ToLower`. Lowering ASCII alone accepts and rejects the same
    // strings: the only non-ASCII letter that lowers into ASCII is the Kelvin sign (to `k`),
    // which no keyword here contains.
    options.protocol.make_ascii_lowercase();
    if options.protocol != "tcp" && options.protocol != "udp" {
        return Err(GorbError::UnknownProtocol);
    }
    if options.method.is_empty() {
        options.method = "wrr".to_owned();
    }
    Ok(ValidService { options, ip })
}

/// A validated backend and its resolved IP and pulse interval.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValidBackend {
    pub(crate) options: BackendOptions,
    pub(crate) ip: IpAddr,
    pub(crate) interval_ms: u64,
}

/// `BackendOptions.Validate()` then `pulse.New` (which validates the pulse options).
pub(crate) fn validate_backend(mut options: BackendOptions) -> Result<ValidBackend, GorbError> {
    if options.host.is_empty() || options.port == 0 {
        return Err(GorbError::MissingEndpoint);
    }
    let ip = resolve(&options.host)?;
    if options.weight <= 0 {
        options.weight = 100;
    }
    if options.method.is_empty() {
        options.method = "nat".to_owned();
    }
    options.method.make_ascii_lowercase();
    if !matches!(options.method.as_str(), "nat" | "tunnel" | "ipip") {
        return Err(GorbError::UnknownMethod);
    }
    let mut pulse = options.pulse.take().unwrap_or_default();
    if pulse.kind.is_empty() {
        pulse.kind = "tcp".to_owned();
    }
    if pulse.interval.is_empty() {
        pulse.interval = "1m".to_owned();
    }
    pulse.kind.make_ascii_lowercase();
    if !matches!(pulse.kind.as_str(), "tcp" | "http" | "none") {
        return Err(GorbError::UnknownPulseType);
    }
    let interval_ns = parse_interval(&pulse.interval)?;
    if interval_ns <= 0 {
        return Err(GorbError::InvalidPulseInterval);
    }
    options.pulse = Some(pulse);
    // Every unit is a whole number of seconds, so the milliseconds are exact.
    let interval_ms = u64::try_from(interval_ns / 1_000_000).unwrap_or(u64::MAX);
    Ok(ValidBackend { options, ip, interval_ms })
}

/// `util.ParseInterval`: trimmed, `(?i)^([+-]?[0-9]+)(s|sec|seconds|m|min|minutes|h|hours)$`,
/// returned in nanoseconds. As in Go, the number is parsed as 32 bits with out-of-range values
/// clamped (`strconv.ParseInt` returns the bound and the error is ignored), and the product
/// with the unit wraps like Go's `time.Duration` multiplication.
pub fn parse_interval(text: &str) -> Result<i64, GorbError> {
    let text = text.trim();
    let digits_start = usize::from(text.starts_with(['+', '-']));
    let digits_len = text
        .get(digits_start..)
        .map_or(0, |rest| rest.bytes().take_while(u8::is_ascii_digit).count());
    if digits_len == 0 {
        return Err(GorbError::InvalidIntervalFormat);
    }
    let (number, unit) = text.split_at(digits_start + digits_len);
    // Go's `(?i)` folds case by `unicode.SimpleFold`: the long s `ſ` matches `s` (the Kelvin
    // sign, the only other non-ASCII letter folding into ASCII, matches `k`, in no unit).
    let unit_ns: i64 = match unit.to_ascii_lowercase().replace('ſ', "s").as_str() {
        "s" | "sec" | "seconds" => 1_000_000_000,
        "m" | "min" | "minutes" => 60_000_000_000,
        "h" | "hours" => 3_600_000_000_000,
        _ => return Err(GorbError::InvalidIntervalFormat),
    };
    let negative = number.starts_with('-');
    let mut magnitude: i64 = 0;
    for digit in number.bytes().filter(u8::is_ascii_digit) {
        magnitude = magnitude.saturating_mul(10).saturating_add(i64::from(digit - b'0'));
    }
    let value = if negative {
        (-magnitude).max(i64::from(i32::MIN))
    } else {
        magnitude.min(i64::from(i32::MAX))
    };
    Ok(unit_ns.wrapping_mul(value))
}

/// `net.ResolveIPAddr("ip", host)` for IP literals; the simulation does no DNS. An
/// IPv4-mapped IPv6 literal counts as IPv4, as Go's `ip.To4() != nil` does.
fn resolve(host: &str) -> Result<IpAddr, GorbError> {
    host.parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| GorbError::NoSuchHost(host.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_follow_util_parse_interval() {
        assert_eq!(parse_interval("1m"), Ok(60_000_000_000));
        assert_eq!(parse_interval(" 5S "), Ok(5_000_000_000));
        assert_eq!(parse_interval("2hours"), Ok(7_200_000_000_000));
        assert_eq!(parse_interval("+10sec"), Ok(10_000_000_000));
        assert_eq!(parse_interval("-5s"), Ok(-5_000_000_000));
        assert_eq!(parse_interval("60"), Err(GorbError::InvalidIntervalFormat));
        assert_eq!(parse_interval("500ms"), Err(GorbError::InvalidIntervalFormat));
        assert_eq!(parse_interval("1.5m"), Err(GorbError::InvalidIntervalFormat));
        assert_eq!(parse_interval("3ſEC"), Ok(3_000_000_000));
        assert_eq!(parse_interval("1MINUTEſ"), Ok(60_000_000_000));
        assert_eq!(parse_interval("1é"), Err(GorbError::InvalidIntervalFormat));
    }

    #[test]
    fn huge_intervals_clamp_to_32_bits_then_wrap_like_go() {
        let clamped = parse_interval("99999999999s").unwrap();
        assert_eq!(clamped, 2_147_483_647 * 1_000_000_000);
        assert_eq!(
            parse_interval("2147483647h").unwrap(),
            3_600_000_000_000i64.wrapping_mul(2_147_483_647)
        );
    }

    #[test]
    fn backend_defaults() {
        let b = validate_backend(BackendOptions {
            host: "10.0.0.2".into(),
            port: 80,
            weight: -3,
            ..BackendOptions::default()
        })
        .unwrap();
        assert_eq!(b.options.weight, 100);
        assert_eq!(b.options.method, "nat");
        let pulse = b.options.pulse.unwrap();
        assert_eq!((pulse.kind.as_str(), pulse.interval.as_str()), ("tcp", "1m"));
        assert_eq!(b.interval_ms, 60_000);
    }

    #[test]
    fn service_defaults_keep_an_empty_host() {
        let s = validate_service(
            ServiceOptions { port: 80, protocol: "UDP".into(), ..ServiceOptions::default() },
            Some("10.0.0.1".parse().unwrap()),
        )
        .unwrap();
        assert_eq!(s.options.host, "");
        assert_eq!(s.options.protocol, "udp");
        assert_eq!(s.options.method, "wrr");
    }
}
