//! Load test of `serve` from a second process on loopback: copies the real site into a
//! temporary directory (without compiling the demos' WebAssembly, as `--no-wasm`), starts the dev server there in a child process (this program run
//! with `--server DIR`), then runs CLIENTS keep-alive clients for SECONDS, each cycling
//! through every file of the output and a few missing paths. Every request must come back
//! with the expected status (200, or 404 for the missing ones). The server's resident memory
//! is sampled once a second: before, during and after the load.
//!
//! ```console
//! $ cargo run --release -p generator --example serve_load [-- CLIENTS SECONDS]
//! ```

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use generator::BuildOptions;
use generator::serve::{ServeOptions, Server};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, dir] = args.as_slice()
        && flag == "--server"
    {
        run_server(Path::new(dir));
        return ExitCode::SUCCESS;
    }
    let clients: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(100);
    let seconds: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10);

    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let dir = tempfile::tempdir().expect("temporary directory");
    for part in ["content", "templates", "static", "site.toml", "wasm-demos/scenarios"] {
        copy(&workspace.join(part), &dir.path().join(part));
    }
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .arg("--server")
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server process starts");
    let mut url = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut url).expect("url");
    let url = url.trim().to_owned();
    let pid = child.id();

    let public = dir.path().join("public");
    let mut targets: Vec<(String, u16)> = walkdir::WalkDir::new(&public)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(&public).expect("under public");
            let rel = rel.to_string_lossy().replace('\\', "/");
            (rel.strip_suffix("index.html").unwrap_or(&rel).to_owned(), 200)
        })
        .collect();
    targets.extend(["missing/", "css/missing.css", "talks/nope/"].map(|t| (t.to_owned(), 404)));
    targets.sort();
    let targets = Arc::new(targets);

    let before = rss_kib(pid);
    println!(
        "server pid {pid} at {url}; {} paths; {clients} clients for {seconds} s",
        targets.len()
    );
    println!("RSS before load: {before} KiB");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..clients)
        .map(|i| {
            let (url, targets) = (url.clone(), Arc::clone(&targets));
            std::thread::spawn(move || load(&url, &targets, i, deadline))
        })
        .collect();
    let mut peak = before;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(1));
        let now = rss_kib(pid);
        peak = peak.max(now);
        println!("  RSS {now} KiB");
    }
    let (mut ok, mut failures, mut latencies) = (0usize, Vec::new(), Vec::new());
    for worker in workers {
        let result = worker.join().expect("client thread");
        ok += result.0;
        failures.extend(result.1);
        latencies.extend(result.2);
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = rss_kib(pid);
    drop(child.stdin.take());
    let _ = child.wait();

    latencies.sort();
    let ms = |q: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * q) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let total = ok + failures.len();
    println!(
        "{total} requests in {seconds} s ({:.0}/s), {} failed; latency median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        total as f64 / seconds as f64,
        failures.len(),
        ms(0.5),
        ms(0.99),
        ms(1.0)
    );
    println!("RSS before {before} KiB, peak {peak} KiB, after {after} KiB");
    for failure in failures.iter().take(10) {
        println!("  failed: {failure}");
    }
    if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

type Outcome = (usize, Vec<String>, Vec<Duration>);

fn load(url: &str, targets: &[(String, u16)], start: usize, deadline: Instant) -> Outcome {
    let agent = ureq::Agent::new_with_defaults();
    let (mut ok, mut failures, mut latencies) = (0, Vec::new(), Vec::new());
    let mut n = start * 7;
    while Instant::now() < deadline {
        let (target, expected) = &targets[n % targets.len()];
        n += 1;
        let sent = Instant::now();
        let status = match agent.get(format!("{url}{target}")).call() {
            Ok(mut reply) => reply.body_mut().read_to_vec().map(|_| 200),
            Err(ureq::Error::StatusCode(code)) => Ok(code),
            Err(err) => Err(err),
        };
        latencies.push(sent.elapsed());
        match status {
            Ok(code) if code == *expected => ok += 1,
            other => failures.push(format!("/{target}: {other:?}")),
        }
    }
    (ok, failures, latencies)
}

/// The server process: serves `dir` on a free loopback port, prints its URL, and stops when
/// its standard input closes (the parent exited or is done).
fn run_server(dir: &Path) {
    let server = Server::start(ServeOptions {
        build: BuildOptions {
            root: dir.to_path_buf(),
            out_dir: None,
            base_url: None,
            drafts: false,
            write: true,
            wasm: false,
        },
        interface: [127, 0, 0, 1].into(),
        port: 0,
        open: false,
        quiet: true,
    })
    .unwrap_or_else(|e| panic!("the server did not start: {e}"));
    let mut out = std::io::stdout();
    writeln!(out, "{}", server.url()).and_then(|()| out.flush()).expect("url written");
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
}

/// The resident set size of process `pid`, from /proc.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn copy(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::copy(from, to).expect("copy");
        return;
    }
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("readable tree");
        let target = to.join(entry.path().strip_prefix(from).expect("under from"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("directory");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
