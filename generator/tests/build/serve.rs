//! The dev server: a fixture copied into a temporary directory, served on 127.0.0.1 port 0,
//! and talked to over raw HTTP so that request targets reach it unnormalised. Every server
//! stops when its test drops it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use generator::BuildOptions;
use generator::serve::{ServeOptions, Server};

use crate::site_test::SiteTest;

const SCRIPT_TAG: &str = "<script src=\"/__dev/livereload.js\"";

fn serve(site: &SiteTest) -> Server {
    Server::start(ServeOptions {
        build: BuildOptions {
            root: site.root().to_path_buf(),
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
    .expect("the server starts")
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One `GET target` on a fresh connection, the target sent exactly as given.
fn get(addr: SocketAddr, target: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout set");
    write!(stream, "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
        .expect("request sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("response read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply { status, headers, body: raw[split + 4..].to_vec() }
}

/// The server's event stream, read as a browser's `EventSource` would.
struct Events(BufReader<TcpStream>);

impl Events {
    fn connect(addr: SocketAddr, since: u64) -> Events {
        let mut stream = TcpStream::connect(addr).expect("connects");
        stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout set");
        // HTTP/1.0 keeps the body free of chunk framing.
        write!(
            stream,
            "GET /__dev/events?since={since} HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n"
        )
        .expect("request sent");
        let mut events = Events(BufReader::new(stream));
        let mut line = String::new();
        while events.0.read_line(&mut line).expect("headers read") > 2 {
            line.clear();
        }
        events
    }

    /// The next event's name and data, within 20 s (keep-alive comments do not count).
    fn next(&mut self) -> (String, String) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let (mut name, mut data) = (String::new(), Vec::new());
        loop {
            assert!(Instant::now() < deadline, "no event within 20 s");
            let mut line = String::new();
            let read = self.0.read_line(&mut line).expect("an event within the timeout");
            assert!(read > 0, "the stream ended");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() && !name.is_empty() {
                return (name, data.join("\n"));
            } else if let Some(value) = line.strip_prefix("event: ") {
                name = value.to_owned();
            } else if let Some(value) = line.strip_prefix("data: ") {
                data.push(value.to_owned());
            }
        }
    }
}

fn without_script(html: &str) -> String {
    html.replace(&format!("{SCRIPT_TAG} data-generation=\"1\"></script>\n"), "")
}

fn edit(site: &SiteTest, rel: &str, from: &str, to: &str) {
    let path = site.root().join(rel);
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    assert!(text.contains(from), "{rel} contains {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("fixture writable");
}

#[test]
fn serves_files_with_their_content_types() {
    let site = SiteTest::minimal();
    std::fs::create_dir_all(site.root().join("static/wasm")).expect("dir");
    std::fs::write(site.root().join("static/wasm/demos_bg.wasm"), b"\0asm\x01\0\0\0")
        .expect("file");
    std::fs::create_dir_all(site.root().join("static/js")).expect("dir");
    std::fs::write(site.root().join("static/js/demos.js"), "export {};\n").expect("file");
    let server = serve(&site);
    for (target, mime) in [
        ("/", "text/html; charset=utf-8"),
        ("/talks/one/", "text/html; charset=utf-8"),
        ("/css/site.css", "text/css; charset=utf-8"),
        ("/js/demos.js", "text/javascript; charset=utf-8"),
        ("/wasm/demos_bg.wasm", "application/wasm"),
        ("/favicon.svg", "image/svg+xml"),
        ("/sessions.json", "application/json"),
        ("/atom.xml", "application/atom+xml"),
        ("/talks/atom.xml", "application/atom+xml"),
        ("/sitemap.xml", "application/xml"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/__dev/livereload.js", "text/javascript; charset=utf-8"),
    ] {
        let reply = get(server.addr(), target);
        assert_eq!(reply.status, 200, "{target}");
        assert_eq!(reply.header("content-type"), Some(mime), "{target}");
    }
    let wasm = get(server.addr(), "/wasm/demos_bg.wasm");
    assert_eq!(wasm.body, b"\0asm\x01\0\0\0");
}

#[test]
fn serves_directory_indexes_and_redirects_to_the_slash() {
    let site = SiteTest::minimal();
    let server = serve(&site);
    let page = get(server.addr(), "/talks/one/");
    assert_eq!(without_script(&page.text()), site.read("public/talks/one/index.html"));
    for (target, location) in [("/talks/one", "/talks/one/"), ("/tags?x=1", "/tags/?x=1")] {
        let reply = get(server.addr(), target);
        assert_eq!(reply.status, 308, "{target}");
        assert_eq!(reply.header("location"), Some(location), "{target}");
    }
}

#[test]
fn answers_unknown_paths_with_the_sites_404_page() {
    let site = SiteTest::minimal();
    let server = serve(&site);
    for target in ["/no/such/page/", "/talks/three/", "/missing.css", "/css/"] {
        let reply = get(server.addr(), target);
        assert_eq!(reply.status, 404, "{target}");
        assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"), "{target}");
        let body = reply.text();
        assert!(body.contains("<h1>Page not found</h1>"), "{target}: {body}");
        assert!(body.contains(SCRIPT_TAG), "{target}: the 404 page reloads too");
    }
}

#[test]
fn refuses_paths_that_leave_the_output_directory() {
    let site = SiteTest::minimal();
    let secret = "canary-3f9a1c";
    std::fs::write(site.root().join("canary.txt"), secret).expect("canary written");
    let server = serve(&site);
    for target in [
        "/../canary.txt",
        "/%2e%2e/canary.txt",
        "/%2E%2E/canary.txt",
        "/..%2fcanary.txt",
        "/%2e%2e%2fcanary.txt",
        "/talks/../../canary.txt",
        "/talks/%2e%2e/%2e%2e/canary.txt",
        "/./../canary.txt",
        "/..%5ccanary.txt",
        "/index.html%00",
        "/%2F..%2Fcanary.txt",
    ] {
        let reply = get(server.addr(), target);
        assert_eq!(reply.status, 400, "{target}");
        assert!(!reply.text().contains(secret), "{target} leaked the file");
    }
    let absolute = site.root().join("canary.txt");
    for target in [absolute.display().to_string(), format!("/{}", absolute.display())] {
        let reply = get(server.addr(), &target);
        assert_eq!(reply.status, 404, "{target}");
        assert!(!reply.text().contains(secret), "{target} leaked the file");
    }

    let public = site.root().join("public");
    std::os::unix::fs::symlink(site.root().join("canary.txt"), public.join("leak.txt"))
        .expect("symlink");
    std::os::unix::fs::symlink(site.root().join("content"), public.join("sources"))
        .expect("symlink");
    for target in ["/leak.txt", "/sources/talks/one.md"] {
        let reply = get(server.addr(), target);
        assert_eq!(reply.status, 403, "{target}");
        assert!(!reply.text().contains(secret) && !reply.text().contains("+++"), "{target}");
    }
}

#[test]
fn injects_the_reload_script_only_when_serving() {
    let site = SiteTest::minimal();
    let server = serve(&site);
    assert!(get(server.addr(), "/").text().contains(SCRIPT_TAG));
    assert!(!get(server.addr(), "/sessions.json").text().contains("__dev"));
    assert!(!site.read("public/index.html").contains("__dev"), "the file on disk has no script");

    let built = site.run(&["build", "--out", "built"]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let files = site.snapshot_tree("built");
    assert!(files.iter().any(|(path, _)| path.ends_with("index.html")));
    for (path, bytes) in files {
        assert!(!String::from_utf8_lossy(&bytes).contains("__dev"), "{}", path.display());
    }
}

#[test]
fn reloads_open_pages_after_an_edit() {
    let site = SiteTest::minimal();
    let server = serve(&site);
    let mut events = Events::connect(server.addr(), 1);
    edit(
        &site,
        "content/talks/one.md",
        "A fact that came later",
        "A fact, edited, that came later",
    );
    assert_eq!(events.next(), ("reload".to_owned(), "2".to_owned()));
    let page = get(server.addr(), "/talks/one/");
    assert!(page.text().contains("A fact, edited, that came later"));
    assert!(page.text().contains("data-generation=\"2\""));

    // A page loaded before a build it has not heard of reloads as soon as it connects.
    let mut late = Events::connect(server.addr(), 1);
    assert_eq!(late.next(), ("reload".to_owned(), "2".to_owned()));
}

#[test]
fn shows_content_errors_and_keeps_serving_the_last_good_site() {
    let site = SiteTest::minimal();
    let server = serve(&site);
    let good = site.read("public/talks/one/index.html");
    let mut events = Events::connect(server.addr(), 1);
    edit(&site, "content/talks/one.md", "date = 2015-11-16", "date = 2015-13-16");
    let expected = "content/talks/one.md:4:8: invalid date, expected month between 01 and 12";
    assert_eq!(events.next(), ("build-error".to_owned(), expected.to_owned()));

    let page = get(server.addr(), "/talks/one/");
    assert_eq!(page.status, 200);
    assert_eq!(without_script(&page.text()), good, "the last good page is still served");
    let mut opened_now = Events::connect(server.addr(), 1);
    assert_eq!(opened_now.next(), ("build-error".to_owned(), expected.to_owned()));

    edit(&site, "content/talks/one.md", "date = 2015-13-16", "date = 2015-11-16");
    assert_eq!(events.next(), ("reload".to_owned(), "2".to_owned()));
    assert_eq!(opened_now.next(), ("reload".to_owned(), "2".to_owned()));
}

#[test]
fn starts_on_invalid_content_and_shows_why() {
    let site = SiteTest::minimal();
    edit(&site, "content/talks/one.md", "date = 2015-11-16", "date = 2015-13-16");
    let server = serve(&site);
    let home = get(server.addr(), "/");
    assert_eq!(home.status, 404, "nothing was built");
    assert!(home.text().contains(SCRIPT_TAG), "{}", home.text());
    let mut events = Events::connect(server.addr(), 1);
    let expected = "content/talks/one.md:4:8: invalid date, expected month between 01 and 12";
    assert_eq!(events.next(), ("build-error".to_owned(), expected.to_owned()));
    edit(&site, "content/talks/one.md", "date = 2015-13-16", "date = 2015-11-16");
    assert_eq!(events.next(), ("reload".to_owned(), "2".to_owned()));
    assert_eq!(get(server.addr(), "/").status, 200);
}

#[test]
fn answers_every_request_of_a_short_load() {
    let site = SiteTest::minimal();
    let server = serve(&site);
    let base = server.url().to_owned();
    let deadline = Instant::now() + Duration::from_millis(1500);
    let clients: Vec<_> = (0..16)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                let agent = ureq::Agent::new_with_defaults();
                let targets = ["", "talks/one/", "css/site.css", "atom.xml", "nope/"];
                let (mut ok, mut failed) = (0u32, Vec::new());
                let mut n = i;
                while Instant::now() < deadline {
                    let target = targets[n % targets.len()];
                    n += 1;
                    let expected = if target == "nope/" { 404 } else { 200 };
                    let status = match agent.get(format!("{base}{target}")).call() {
                        Ok(mut reply) => reply.body_mut().read_to_vec().map(|_| 200),
                        Err(ureq::Error::StatusCode(code)) => Ok(code),
                        Err(err) => Err(err),
                    };
                    match status {
                        Ok(code) if code == expected => ok += 1,
                        other => failed.push(format!("{target}: {other:?}")),
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let mut total = 0;
    for client in clients {
        let (ok, failed) = client.join().expect("client thread");
        assert!(failed.is_empty(), "{failed:?}");
        total += ok;
    }
    assert!(total > 100, "only {total} requests in 1.5 s");
}
