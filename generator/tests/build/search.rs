//! The search index on the real content and on the minimal fixture: what queries find, how
//! large the index is next to the site, and that every page carries the search box.

use std::io::Write;
use std::path::Path;

use generator::search::SearchIndex;
use generator::{BuildOptions, build};

use crate::site_test::{SiteTest, workspace_root};

fn build_real_site(out: &Path) {
    build(&BuildOptions {
        root: workspace_root(),
        out_dir: Some(out.to_path_buf()),
        base_url: None,
        drafts: false,
        write: true,
        wasm: false,
    })
    .expect("the real site builds");
}

fn urls(index: &SearchIndex, query: &str) -> Vec<String> {
    index.search(query).iter().map(|hit| index.pages[hit.page].url.clone()).collect()
}

fn gzipped_len(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory").len()
}

#[test]
fn finds_ipvs_and_petazzoni_in_the_real_content() {
    let out = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary directory");
    build_real_site(out.path());
    let index = SearchIndex::load(&out.path().join("search")).expect("the index loads");
    assert_eq!(index.manifest.pages, 23, "one entry per session");

    let ipvs = urls(&index, "IPVS");
    assert_eq!(ipvs[0], "load-balancing/ipvs-load-balancing/", "the title hit comes first");
    assert!(ipvs.contains(&"networking/dns-service-discovery-wagl/".to_owned()), "{ipvs:?}");
    assert_eq!(urls(&index, "ipv")[0], "load-balancing/ipvs-load-balancing/", "as a prefix");
    assert_eq!(urls(&index, "Sibiryov"), ["load-balancing/ipvs-load-balancing/"], "speaker");
    assert_eq!(urls(&index, "uber")[0], "load-balancing/ipvs-load-balancing/", "affiliation");

    let petazzoni = urls(&index, "Petazzoni");
    assert_eq!(petazzoni[0], "internals/cgroups-namespaces-petazzoni/", "the speaker hit first");
    assert_eq!(urls(&index, "petaz")[0], "internals/cgroups-namespaces-petazzoni/");
    assert_eq!(urls(&index, "Jérôme")[0], "internals/cgroups-namespaces-petazzoni/");
    assert_eq!(urls(&index, "jerome petazzoni")[0], "internals/cgroups-namespaces-petazzoni/");
    assert!(urls(&index, "petazzoni gorb").is_empty(), "every word must match");

    let page = &index.pages[index.search("petazzoni")[0].page];
    assert_eq!(page.title, "Cgroups, namespaces, and beyond: what are containers made from?");
    assert_eq!(page.speakers, "Jérôme Petazzoni");
    assert_eq!(page.category, "Container internals");
}

#[test]
fn finds_docker_1_9_as_written_in_the_real_content() {
    let out = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary directory");
    build_real_site(out.path());
    let index = SearchIndex::load(&out.path().join("search")).expect("the index loads");
    let release = "announcements/docker-1-9-release/";
    let versions = urls(&index, "1.9");
    assert_eq!(versions[0], release, "the title hit comes first");
    assert!(versions.contains(&"networking/networking-deep-dive/".to_owned()), "{versions:?}");
    assert_eq!(urls(&index, "Docker 1.9")[0], release);
    assert_eq!(urls(&index, "1.9.1"), [release], "only the release notes name 1.9.1");
}

#[test]
fn the_index_is_a_fraction_of_the_site_and_a_query_needs_part_of_it() {
    let out = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary directory");
    build_real_site(out.path());
    let search_dir = out.path().join("search");
    let (mut site, mut index_total) = (0, 0);
    for entry in walkdir::WalkDir::new(out.path()).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        if !entry.file_type().is_file() {
            continue;
        }
        let gz = gzipped_len(&std::fs::read(path).expect("read output"));
        if path.starts_with(&search_dir) && path.extension().is_some_and(|e| e != "html") {
            index_total += gz;
        } else if path.extension().is_some_and(|e| {
            ["html", "css", "js", "json", "xml", "txt", "svg"].contains(&e.to_str().unwrap_or(""))
        }) {
            site += gz;
        }
    }
    assert!(index_total * 4 <= site, "index {index_total} B gzipped vs site text {site} B");

    let index = SearchIndex::load(&search_dir).expect("the index loads");
    let read = |rel: String| gzipped_len(&std::fs::read(search_dir.join(rel)).expect("read"));
    let first_query = read("manifest.json".into())
        + index.shards_for("ipvs").map(|n| read(format!("terms/{n}.bin"))).sum::<usize>()
        + read("pages/0.json".into());
    assert_eq!(index.shards_for("ipvs").len(), 1);
    assert!(first_query < index_total, "a query for `ipvs` loads {first_query} of {index_total} B");
}

#[test]
fn every_page_has_the_search_box_under_the_base_path() {
    let site = SiteTest::minimal();
    let run = site.run(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for page in ["index.html", "talks/one/index.html", "tags/index.html", "404.html"] {
        let html = site.read(&format!("public/{page}"));
        assert!(
            html.contains(r#"<script type="module" src="/sub/js/search.js"></script>"#),
            "{page}"
        );
        assert!(
            html.contains(r#"<form class="site-search" role="search" action="/sub/search/""#),
            "{page}"
        );
    }
    let page = site.read("public/search/index.html");
    assert!(page.contains("<title>Search · Minimal</title>"), "{page}");
    assert!(page.contains(r#"<form class="search-page" role="search" action="/sub/search/""#));
    assert!(site.root().join("public/js/search.js").is_file());

    let index = SearchIndex::load(&site.root().join("public/search")).expect("the index loads");
    assert_eq!(index.pages.len(), 3);
    assert_eq!(urls(&index, "jerome"), ["talks/one/", "talks/two/"], "speaker, accents folded");
    assert_eq!(urls(&index, "yaml"), ["notes/yaml-note/"]);
    assert_eq!(urls(&index, "notes heading"), ["notes/yaml-note/"], "headings and body");
}
