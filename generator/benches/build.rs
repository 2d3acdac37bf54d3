//! Criterion: a full build of the real site (content, templates, static) into a temporary
//! directory, and a `check` of it (everything but writing).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use generator::{BuildOptions, build};

fn real_site(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let out = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("site/build");
    group.sample_size(20);
    for (name, write) in [("build", true), ("check", false)] {
        let options = BuildOptions {
            root: root.to_path_buf(),
            out_dir: Some(out.path().join("public")),
            base_url: None,
            drafts: false,
            write,
            wasm: false,
        };
        group.bench_function(name, |b| {
            b.iter(|| build(black_box(&options)).expect("the real site builds"))
        });
    }
    group.finish();
}

criterion_group!(benches, real_site);
criterion_main!(benches);
