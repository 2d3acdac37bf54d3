//! `serve`: builds the site, serves the output directory over HTTP, watches the sources and
//! rebuilds on every change, telling open pages to reload.
//!
//! - The first build replaces the output directory as `build` does; later ones go through
//!   [`build_with`] and its [`BuildCache`], so editing one session re-renders that page and
//!   the listings showing it, and rewrites only the files that changed. A change under
//!   `wasm-demos/src` or `wasm-demos/scenarios` starts over with an empty cache.
//! - Pages get a script (see [`http`]) that listens to Server-Sent Events: `reload` after a
//!   build that changed something, `build-error` with the diagnostics after a failed one.
//!   A failed build writes nothing, so the last good site is still what is served.
//! - The server binds 127.0.0.1 unless told otherwise, and says loudly when it is not.
//!
//! [`Server`] stops everything when dropped: the watcher, the rebuild thread, then the
//! HTTP runtime with its open connections.

mod http;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::watch;

use crate::error::BuildError;
use crate::incremental::BuildCache;
use crate::{BuildOptions, BuildReport, build_with, fs};

use self::http::Status;

/// How long a burst of file events (an editor's save) must be quiet before a rebuild.
const SETTLE: Duration = Duration::from_millis(10);
/// The longest a rebuild waits for a burst to settle.
const SETTLE_AT_MOST: Duration = Duration::from_millis(250);

/// What to serve and where.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The site root, output directory and drafts setting; `base_url` and `write` are set
    /// by the server (the base URL becomes the server's own address).
    pub build: BuildOptions,
    /// The address to listen on (127.0.0.1 by default).
    pub interface: IpAddr,
    /// The port; 0 picks a free one.
    pub port: u16,
    /// Open the site in the default browser once it is served.
    pub open: bool,
    /// Print nothing but warnings about the interface (for tests).
    pub quiet: bool,
}

/// A running dev server. Dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    url: String,
    watcher: Option<RecommendedWatcher>,
    rebuilds: Option<JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    /// Binds the address, builds the site, and starts serving and watching. Invalid content
    /// does not stop it: the diagnostics are printed and shown in the browser until fixed.
    pub fn start(options: ServeOptions) -> Result<Server, BuildError> {
        let listener = TcpListener::bind((options.interface, options.port)).map_err(|err| {
            BuildError::Usage(format!(
                "cannot listen on {}: {err} (choose another port with --port, or another address with --interface)",
                SocketAddr::new(options.interface, options.port)
            ))
        })?;
        let addr = listener.local_addr().context("failed to read the listening address")?;
        if !options.interface.is_loopback() {
            eprintln!(
                "warning: serving on {addr}, which other machines may reach: anyone who can connect can read the site; use --interface 127.0.0.1 to keep it local"
            );
        }
        let host = if addr.ip().is_unspecified() {
            SocketAddr::new(IpAddr::from([127, 0, 0, 1]), addr.port())
        } else {
            addr
        };
        let url = format!("http://{host}/");
        let build =
            BuildOptions { base_url: Some(url.clone()), write: true, ..options.build.clone() };
        let out_dir = build.out_dir.clone().unwrap_or_else(|| build.root.join("public"));

        // Watching starts before the first build, so that a save during it is not missed.
        let root = fs::canonicalize(&build.root)
            .with_context(|| format!("failed to resolve `{}`", build.root.display()))?;
        let (events_tx, events_rx) = mpsc::channel::<notify::Result<Event>>();
        let mut watcher =
            notify::recommended_watcher(events_tx).context("failed to start watching")?;
        for (path, mode) in watched(&root) {
            if path.exists() {
                watcher
                    .watch(&path, mode)
                    .with_context(|| format!("failed to watch `{}`", path.display()))?;
            }
        }

        let mut cache = BuildCache::default();
        let first = build_with(&build, Some(&mut cache));
        let error = match first {
            Ok(report) => {
                if !options.quiet {
                    print_built(&report);
                }
                None
            }
            Err(BuildError::Invalid(errors)) => Some(print_failure(&errors)),
            Err(err) => return Err(err),
        };
        fs::create_dir_all(&out_dir)?;
        let out_dir = fs::canonicalize(&out_dir)
            .with_context(|| format!("failed to resolve `{}`", out_dir.display()))?;
        let (status_tx, status_rx) = watch::channel(Status { generation: 1, error });

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            // File reads are short: a few blocking threads keep up, and bound the memory a
            // burst of clients can make the pool grow to.
            .max_blocking_threads(8)
            .thread_name("serve-http")
            .enable_all()
            .build()
            .context("failed to start the HTTP runtime")?;
        listener.set_nonblocking(true).context("failed to configure the listening socket")?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .context("failed to hand the listening socket to the runtime")?
        };
        let app = http::router(out_dir.clone(), status_rx);
        runtime.spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                eprintln!("error: the HTTP server stopped: {err}");
            }
        });

        if !options.quiet {
            println!("Serving {} at {url} (Ctrl-C to stop)", out_dir.display());
        }
        let rebuilder =
            Rebuilder { build, root, out_dir, cache, status: status_tx, quiet: options.quiet };
        let rebuilds = std::thread::Builder::new()
            .name("serve-rebuild".into())
            .spawn(move || rebuilder.run(&events_rx))
            .context("failed to start the rebuild thread")?;

        if options.open {
            open_browser(&url);
        }
        Ok(Server {
            addr,
            url,
            watcher: Some(watcher),
            rebuilds: Some(rebuilds),
            runtime: Some(runtime),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The site's URL (`http://127.0.0.1:PORT/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Serves until Ctrl-C.
    pub fn run_until_interrupted(self) -> Result<(), BuildError> {
        if let Some(runtime) = &self.runtime {
            runtime.block_on(tokio::signal::ctrl_c()).context("failed to wait for Ctrl-C")?;
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The watcher holds the only sender of the rebuild thread's channel: dropping it ends
        // the rebuild loop, whose status sender in turn ends every event stream.
        drop(self.watcher.take());
        if let Some(rebuilds) = self.rebuilds.take() {
            let _ = rebuilds.join();
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_millis(200));
        }
    }
}

/// What to watch under the (canonical) site root. The root itself is watched alone for
/// `site.toml`, whose editors often replace the file rather than write it.
fn watched(root: &Path) -> Vec<(PathBuf, RecursiveMode)> {
    let mut paths = vec![(root.to_path_buf(), RecursiveMode::NonRecursive)];
    for dir in ["content", "templates", "static", "wasm-demos/src", "wasm-demos/scenarios"] {
        paths.push((root.join(dir), RecursiveMode::Recursive));
    }
    paths
}

/// What a changed path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rebuild {
    /// A rebuild through the cache.
    Incremental,
    /// A rebuild from an empty cache (the WebAssembly demos' sources changed).
    Full,
}

/// Whether a file event means a file changed and is ready to read. Opening or reading one
/// does not count (the build itself opens every source). On Linux, a write is counted when
/// the writer closes the file: the writes before that can leave it truncated or half written.
fn changes(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Data(_)) => !cfg!(target_os = "linux"),
        _ => true,
    }
}

fn classify(root: &Path, out_dir: &Path, path: &Path) -> Option<Rebuild> {
    if path.starts_with(out_dir) || path.file_name().is_some_and(crate::fs::is_scratch) {
        return None;
    }
    let rel = path.strip_prefix(root).ok()?;
    if rel.starts_with("wasm-demos/src") || rel.starts_with("wasm-demos/scenarios") {
        return Some(Rebuild::Full);
    }
    let watched = rel == Path::new("site.toml")
        || ["content", "templates", "static"].iter().any(|dir| rel.starts_with(dir));
    watched.then_some(Rebuild::Incremental)
}

/// What the log says changed: the first path that still exists (an editor that saves by
/// renaming a temporary file over the source names both), and how many more.
fn describe(root: &Path, mut paths: Vec<PathBuf>) -> String {
    paths.sort_by_key(|path| !path.exists());
    let name = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    match paths.as_slice() {
        [path] => name(path),
        [path, rest @ ..] => format!("{} and {} more", name(path), rest.len()),
        [] => String::new(),
    }
}

struct Rebuilder {
    build: BuildOptions,
    root: PathBuf,
    out_dir: PathBuf,
    cache: BuildCache,
    status: watch::Sender<Status>,
    quiet: bool,
}

impl Rebuilder {
    fn run(mut self, events: &mpsc::Receiver<notify::Result<Event>>) {
        while let Ok(first) = events.recv() {
            let mut burst = vec![first];
            let started = Instant::now();
            while started.elapsed() < SETTLE_AT_MOST {
                match events.recv_timeout(SETTLE) {
                    Ok(event) => burst.push(event),
                    Err(_) => break,
                }
            }
            let mut changed: Vec<(PathBuf, Rebuild)> = Vec::new();
            for event in burst {
                let event = match event {
                    Ok(event) if changes(&event.kind) => event,
                    Ok(_) => continue,
                    Err(err) => {
                        eprintln!("warning: watching the sources failed: {err}");
                        continue;
                    }
                };
                for path in event.paths {
                    if let Some(kind) = classify(&self.root, &self.out_dir, &path)
                        && !changed.iter().any(|(p, _)| *p == path)
                    {
                        changed.push((path, kind));
                    }
                }
            }
            let Some(kind) = changed.iter().map(|(_, kind)| *kind).max() else {
                continue;
            };
            if kind == Rebuild::Full {
                self.cache = BuildCache::default();
            }
            let paths: Vec<PathBuf> = changed.into_iter().map(|(path, _)| path).collect();
            self.rebuild(&describe(&self.root, paths));
        }
    }

    fn rebuild(&mut self, what: &str) {
        match build_with(&self.build, Some(&mut self.cache)) {
            Ok(report) => {
                let failed_before = self.status.borrow().error.is_some();
                if !self.quiet {
                    println!(
                        "{what} changed: rendered {} of {} pages, wrote {} file(s) in {} ms",
                        report.pages_rendered,
                        report.pages,
                        report.files_written,
                        report.elapsed.as_millis()
                    );
                    for warning in &report.warnings {
                        eprintln!("{warning}");
                    }
                }
                if report.files_written > 0 || failed_before {
                    self.status.send_modify(|s| {
                        s.generation += 1;
                        s.error = None;
                    });
                }
            }
            Err(BuildError::Invalid(errors)) => {
                let text = print_failure(&errors);
                self.status.send_modify(|s| s.error = Some(text));
            }
            Err(err) => {
                let text = format!("error: {err:#}");
                eprintln!("{text}; still serving the last good build");
                self.status.send_modify(|s| s.error = Some(text.into()));
            }
        }
    }
}

fn print_built(report: &BuildReport) {
    println!(
        "Built {} pages in {} ms, wrote {} files to {}",
        report.pages,
        report.elapsed.as_millis(),
        report.files_written,
        report.out_dir.display()
    );
    for warning in &report.warnings {
        eprintln!("{warning}");
    }
}

/// Prints the diagnostics as `build` does and returns them as one text for the browser.
fn print_failure(errors: &[crate::error::SourceError]) -> Arc<str> {
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for line in &text {
        eprintln!("{line}");
    }
    eprintln!("error: {} problem(s) found; still serving the last good build", errors.len());
    text.join("\n").into()
}

fn open_browser(url: &str) {
    let (program, args): (&str, &[&str]) = if cfg!(target_os = "macos") {
        ("open", &[])
    } else if cfg!(windows) {
        ("cmd", &["/C", "start", ""])
    } else {
        ("xdg-open", &[])
    };
    if let Err(err) = std::process::Command::new(program).args(args).arg(url).spawn() {
        eprintln!("warning: could not open a browser with `{program}`: {err}; open {url} yourself");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_changed_paths() {
        let root = Path::new("/site");
        let out = Path::new("/site/static/public");
        let kind = |p: &str| classify(root, out, Path::new(p));
        assert_eq!(kind("/site/content/security/userns.md"), Some(Rebuild::Incremental));
        assert_eq!(kind("/site/templates/base.html"), Some(Rebuild::Incremental));
        assert_eq!(kind("/site/static/css/site.css"), Some(Rebuild::Incremental));
        assert_eq!(kind("/site/site.toml"), Some(Rebuild::Incremental));
        assert_eq!(kind("/site/wasm-demos/src/ipvs/mod.rs"), Some(Rebuild::Full));
        assert_eq!(kind("/site/wasm-demos/scenarios/ipvs/wrr.json"), Some(Rebuild::Full));
        assert_eq!(kind("/site/static/public/index.html"), None);
        assert_eq!(kind("/site/.public.tmp-1"), None);
        assert_eq!(kind("/site/wasm-demos/README.md"), None);
        assert_eq!(kind("/site/content/security/.userns.md.swp"), None);
        assert_eq!(kind("/site/content/security/userns.md~"), None);
        assert_eq!(kind("/elsewhere/content/x.md"), None);
    }

    #[test]
    fn names_a_path_that_still_exists_first() {
        let root = tempfile::tempdir().expect("temporary directory");
        let saved = root.path().join("content/talks/one.md");
        std::fs::create_dir_all(saved.parent().expect("a parent")).expect("directories");
        std::fs::write(&saved, "x").expect("writable");
        let renamed_away = root.path().join("content/talks/.one.md.tmp.4021");
        assert_eq!(
            describe(root.path(), vec![renamed_away.clone(), saved.clone()]),
            "content/talks/one.md and 1 more"
        );
        assert_eq!(describe(root.path(), vec![renamed_away]), "content/talks/.one.md.tmp.4021");
    }

    #[test]
    fn counts_a_write_once_the_file_is_closed() {
        use notify::event::{CreateKind, DataChange};
        assert!(changes(&EventKind::Access(AccessKind::Close(AccessMode::Write))));
        assert!(!changes(&EventKind::Access(AccessKind::Open(AccessMode::Any))));
        assert!(!changes(&EventKind::Access(AccessKind::Close(AccessMode::Read))));
        assert!(changes(&EventKind::Create(CreateKind::File)));
        assert!(changes(&EventKind::Modify(ModifyKind::Name(notify::event::RenameMode::To))));
        assert_eq!(
            changes(&EventKind::Modify(ModifyKind::Data(DataChange::Content))),
            !cfg!(target_os = "linux")
        );
    }
}
