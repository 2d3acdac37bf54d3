//! Save-to-reload latency of `serve` on the real site: copies `content/`, `templates/`,
//! `static/`, `site.toml` and the demos' scenarios into a temporary directory, serves it
//! (without compiling the demos' WebAssembly, as `--no-wasm`), and edits one session
//! again and again. For each save it measures the time until the reload event arrives on the
//! event stream, and until the edited page has been fetched again (what a reloading browser
//! does first).
//!
//! ```console
//! $ cargo run --release -p generator --example serve_latency [-- ROUNDS [SESSION]]
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use generator::BuildOptions;
use generator::serve::{ServeOptions, Server};

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(30);
    let session =
        args.next().unwrap_or_else(|| "content/load-balancing/ipvs-load-balancing.md".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let dir = tempfile::tempdir().expect("temporary directory");
    for part in ["content", "templates", "static", "site.toml", "wasm-demos/scenarios"] {
        copy(&workspace.join(part), &dir.path().join(part));
    }
    let file = dir.path().join(&session);
    let original = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {session}: {e} (name a session of content/)"));
    let server = Server::start(ServeOptions {
        build: BuildOptions {
            root: dir.path().to_path_buf(),
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
    let page = session
        .strip_prefix("content/")
        .and_then(|p| p.strip_suffix(".md"))
        .map(|p| format!("/{p}/"))
        .expect("a session path is content/<category>/<slug>.md");

    let mut events = connect_events(server.addr());
    let (mut to_event, mut to_page) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let marker = format!("Latency marker {round}.");
        let text = format!("{original}\n{marker}\n");
        let saved = Instant::now();
        std::fs::write(&file, text).expect("session writable");
        wait_for_reload(&mut events);
        to_event.push(saved.elapsed());
        let body = fetch(server.addr(), &page);
        to_page.push(saved.elapsed());
        assert!(body.contains(&marker), "the fetched page has the edit");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::write(&file, original).expect("session writable");
    println!("{rounds} one-page edits of {session}:");
    report("save -> reload event", &mut to_event);
    report("save -> page fetched again", &mut to_page);
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "  {what}: median {:.1} ms, p90 {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(at(0.5)),
        ms(at(0.9)),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
}

fn connect_events(addr: SocketAddr) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout set");
    // HTTP/1.0: no chunk framing in the stream.
    write!(stream, "GET /__dev/events?since=1 HTTP/1.0\r\n\r\n").expect("request sent");
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while reader.read_line(&mut line).expect("headers") > 2 {
        line.clear();
    }
    reader
}

fn wait_for_reload(events: &mut BufReader<TcpStream>) {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(events.read_line(&mut line).expect("an event") > 0, "the stream ended");
        assert!(!line.starts_with("event: build-error"), "the edit failed the build");
        if line.starts_with("event: reload") {
            return;
        }
    }
}

fn fetch(addr: SocketAddr, target: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connects");
    write!(stream, "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
        .expect("request sent");
    let mut body = String::new();
    stream.read_to_string(&mut body).expect("response");
    body
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
