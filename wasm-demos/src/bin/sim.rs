//! `sim`: runs a JSON scenario through one simulation and prints its trace as JSON.
//!
//! `cargo run --release -p wasm-demos --bin sim -- ipvs scenario.json` (or `-` for stdin).
//! Exit 0 with the trace on stdout; exit 1 with `path: JSON-path: message` on stderr when the
//! scenario is malformed; exit 2 when the file cannot be read.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

/// Runs a simulation scenario and prints one JSON record per operation.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Which simulation the scenario drives.
    kind: Kind,
    /// The scenario file (JSON); `-` reads standard input.
    scenario: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    /// IPVS virtual service and schedulers, Maglev, smooth WRR, GORB health.
    Ipvs,
    /// cgroup CPU, memory, pids and io controllers.
    Cgroups,
    /// pid, net, mnt, uts, ipc, user, cgroup and time namespaces.
    Namespaces,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let text = match read_scenario(&cli.scenario) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("sim: failed to read `{}`: {err}", cli.scenario.display());
            return ExitCode::from(2);
        }
    };
    let trace = match cli.kind {
        Kind::Ipvs => wasm_demos::ipvs::run_scenario(&text),
        Kind::Cgroups => wasm_demos::cgroups::run_scenario(&text),
        Kind::Namespaces => wasm_demos::namespaces::run_scenario(&text),
    };
    match trace {
        Ok(trace) => {
            // A closed stdout (`| head`) ends the output early; it is not a failure.
            let _ = writeln!(std::io::stdout().lock(), "{trace:#}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{}: {err}", cli.scenario.display());
            ExitCode::from(1)
        }
    }
}

fn read_scenario(path: &PathBuf) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}
