//! Criterion: a full build of the real site (content, templates, static) into a temporary
//! directory, and a `check` of it (everything but writing); then builds of the synthetic corpus
//! (`generator::corpus`) at 1,000 and 10,000 sessions, highlighting and search on: cold (the
//! cache directory deleted before each build), one edit (one session's body changed before each
//! build: the whole pipeline runs, with the highlight cache) and unchanged (a rebuild that finds
//! the output up to date).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use generator::corpus::{CorpusConfig, write_corpus};
use generator::{BuildOptions, build};

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root")
}

fn options(root: &Path, out: &Path, write: bool) -> BuildOptions {
    BuildOptions {
        root: root.to_path_buf(),
        out_dir: Some(out.to_path_buf()),
        base_url: None,
        drafts: false,
        write,
        wasm: false,
    }
}

fn real_site(c: &mut Criterion) {
    generator::alloc::configure();
    let out = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("site/build");
    group.sample_size(20);
    // Without its stamp, each build is a full one, not an up-to-date one.
    let stamp = workspace_root().join(".cache/build-stamp.json");
    for (name, write) in [("build", true), ("check", false)] {
        let options = options(workspace_root(), &out.path().join("public"), write);
        group.bench_function(name, |b| {
            b.iter_batched(
                || std::fs::remove_file(&stamp).or_else(ignore_missing).expect("stamp removed"),
                |()| build(black_box(&options)).expect("the real site builds"),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn corpus(c: &mut Criterion) {
    generator::alloc::configure();
    let mut group = c.benchmark_group("corpus/build");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_secs(1));
    for pages in [1_000, 10_000] {
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = dir.path().join("site");
        write_corpus(CorpusConfig { pages, seed: 2015 }, workspace_root(), &root)
            .expect("corpus written");
        let options = options(&root, &dir.path().join("public"), true);
        group.measurement_time(Duration::from_secs(if pages > 1_000 { 120 } else { 20 }));
        let cache = root.join(".cache");
        group.bench_function(BenchmarkId::new("cold", pages), |b| {
            b.iter_batched(
                || std::fs::remove_dir_all(&cache).or_else(ignore_missing).expect("cache removed"),
                |()| build(black_box(&options)).expect("the corpus builds"),
                BatchSize::PerIteration,
            )
        });
        let edited = first_session(&root.join("content"));
        let text = std::fs::read_to_string(&edited).expect("read a session");
        let mut edits = 0_u64;
        group.bench_function(BenchmarkId::new("one-edit", pages), |b| {
            b.iter_batched(
                || {
                    edits += 1;
                    std::fs::write(&edited, format!("{text}\nEdit {edits}.\n")).expect("edit");
                },
                |()| build(black_box(&options)).expect("the corpus builds"),
                BatchSize::PerIteration,
            )
        });
        group.bench_function(BenchmarkId::new("unchanged", pages), |b| {
            b.iter(|| build(black_box(&options)).expect("the corpus builds"))
        });
    }
    group.finish();
}

/// The first session file of the corpus, in path order.
fn first_session(content: &Path) -> std::path::PathBuf {
    let mut categories: Vec<_> = std::fs::read_dir(content)
        .expect("content/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    categories.sort();
    let mut sessions: Vec<_> = std::fs::read_dir(&categories[0])
        .expect("a category")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "_index.md"))
        .collect();
    sessions.sort();
    sessions.swap_remove(0)
}

fn ignore_missing(err: std::io::Error) -> std::io::Result<()> {
    if err.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(err) }
}

criterion_group!(benches, real_site, corpus);
criterion_main!(benches);
