//! Valid sites: the pages produced, their links, and byte-identical rebuilds.

use std::collections::BTreeSet;
use std::path::Path;

use crate::site_test::{SiteTest, workspace_root};

#[test]
fn minimal_site_has_every_page_kind() {
    let site = SiteTest::minimal();
    let run = site.run(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout.starts_with(
            "Built 15 pages (3 sessions, 2 categories, 3 tags, 2 speakers, home, indexes, search, 404) in "
        ),
        "{}",
        run.stdout
    );
    for page in [
        "index.html",
        "404.html",
        "talks/index.html",
        "notes/index.html",
        "talks/one/index.html",
        "talks/two/index.html",
        "notes/yaml-note/index.html",
        "tags/index.html",
        "tags/kernel/index.html",
        "speakers/index.html",
        "speakers/jerome-example/index.html",
        "speakers/ann-other/index.html",
        "css/site.css",
        "css/highlight.css",
    ] {
        assert!(site.root().join("public").join(page).is_file(), "missing {page}");
    }
}

/// Pulls `<body>`'s fragment between `start` and the matching `end` marker.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start:?} in page"));
    let to = html[from..].find(end).map_or(html.len(), |i| from + i + end.len());
    &html[from..to]
}

#[test]
fn session_page_fragments() {
    let site = SiteTest::minimal();
    assert_eq!(site.run(&[]).code, 0);
    let html = site.read("public/talks/one/index.html");
    insta::assert_snapshot!("session_facts", between(&html, "<dl class=\"facts\">", "</dl>"));
    insta::assert_snapshot!(
        "session_body",
        between(&html, "<div class=\"prose\">", "</div>\n  </div>")
    );
    insta::assert_snapshot!("session_pager", between(&html, "<nav class=\"pager\"", "</nav>"));
    let two = site.read("public/talks/two/index.html");
    insta::assert_snapshot!(
        "speakers_with_unverified",
        between(&two, "<ul class=\"speakers\">", "</ul>")
    );
    let note = site.read("public/notes/yaml-note/index.html");
    assert!(note.contains("<strong>low</strong> confidence"), "low confidence notice");
}

#[test]
fn home_lists_categories_with_counts() {
    let site = SiteTest::minimal();
    assert_eq!(site.run(&[]).code, 0);
    let html = site.read("public/index.html");
    insta::assert_snapshot!(
        "home_categories",
        between(&html, "<ul class=\"category-grid\">", "</ul>")
    );
    assert!(html.contains("<a href=\"/sub/talks/one/#details\">link to one</a>"));
    assert!(html.contains("<link rel=\"canonical\" href=\"https://example.org/sub/\">"));
}

#[test]
fn base_url_option_rewrites_links() {
    let site = SiteTest::minimal();
    let run = site.run(&["build", "--base-url", "http://127.0.0.1:8000/", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = site.read("out/talks/one/index.html");
    assert!(html.contains("href=\"/talks/two/\""), "internal link under the new base");
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/css/site.css\">"));
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = SiteTest::minimal();
    let path = site.root().join("content/notes/yaml-note.md");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("confidence: low\n", "confidence: low\ndraft: true\n"))
        .expect("write");
    assert_eq!(site.run(&[]).code, 0);
    assert!(!site.root().join("public/notes/yaml-note/index.html").exists());
    // The home page links to the draft's heading, so the draft must be present for links:
    // with --drafts it is built.
    let run = site.run(&["build", "--drafts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(site.root().join("public/notes/yaml-note/index.html").exists());
}

#[test]
fn editors_scratch_files_are_not_published() {
    let site = SiteTest::minimal();
    let root = site.root();
    let files = [
        "content/talks/one.md~",
        "content/talks/#one.md#",
        "content/talks/diagram.svg",
        "static/css/.site.css.swp",
        "static/css/site.css~",
        "static/css/4913",
        "static/js/app.js___jb_tmp___",
        "static/.well-known/security.txt",
    ];
    for file in files {
        std::fs::create_dir_all(root.join(file).parent().expect("a parent")).expect("a directory");
        std::fs::write(root.join(file), "x").expect("writable");
    }
    let run = site.run(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let published: Vec<&str> =
        files.iter().copied().filter(|f| root.join(published_path(f)).exists()).collect();
    assert_eq!(published, ["content/talks/diagram.svg", "static/.well-known/security.txt"]);
}

/// Where a source under `content/` or `static/` is copied in the output.
fn published_path(source: &str) -> String {
    let rel = source.strip_prefix("content/").or_else(|| source.strip_prefix("static/"));
    format!("public/{}", rel.expect("under content/ or static/"))
}

#[test]
fn check_writes_nothing() {
    let site = SiteTest::minimal();
    let run = site.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("Checked 15 pages"), "{}", run.stdout);
    assert!(!site.root().join("public").exists());
}

#[test]
fn unknown_language_is_a_warning_naming_file_and_line() {
    let site = SiteTest::minimal();
    let path = site.root().join("content/talks/two.md");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("{text}\n```klingon\nqapla'\n```\n")).expect("write");
    let run = site.run(&[]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stderr,
        "content/talks/two.md:21:1: warning: unknown code language `klingon`, rendered as plain text\n"
    );
}

#[test]
fn two_builds_are_byte_identical() {
    let site = SiteTest::minimal();
    assert_eq!(site.run(&["build", "--out", "a"]).code, 0);
    assert_eq!(site.run(&["build", "--out", "b"]).code, 0);
    let a = site.snapshot_tree("a");
    assert!(!a.is_empty());
    assert_eq!(a, site.snapshot_tree("b"));
}

/// Every `href`/`src` starting with the base path must name a file in the output, and every
/// page but the 404 must be the target of at least one link. Returns the number of pages.
fn assert_all_linked_and_no_broken_links(out: &Path, base_path: &str) -> usize {
    let mut pages = BTreeSet::new();
    let mut targets = BTreeSet::new();
    for entry in walkdir::WalkDir::new(out).into_iter().filter_map(Result::ok) {
        if entry.path().extension().is_none_or(|e| e != "html") {
            continue;
        }
        pages.insert(entry.path().to_path_buf());
        let html = std::fs::read_to_string(entry.path()).expect("read page");
        for attr in ["href=\"", "src=\""] {
            for piece in html.split(attr).skip(1) {
                let url = piece.split('"').next().unwrap_or_default();
                let Some(rel) = url.strip_prefix(base_path) else { continue };
                // Demo pages preload the wasm, which `--no-wasm` builds leave out.
                if rel.starts_with("wasm/") {
                    continue;
                }
                let rel = rel.split(['#', '?']).next().unwrap_or_default();
                let target = if rel.is_empty() || rel.ends_with('/') {
                    out.join(rel).join("index.html")
                } else {
                    out.join(rel)
                };
                assert!(target.is_file(), "{} links to missing {url}", entry.path().display());
                targets.insert(target);
            }
        }
    }
    pages.remove(&out.join("404.html"));
    let orphans: Vec<_> = pages.difference(&targets).collect();
    assert!(orphans.is_empty(), "pages no link reaches: {orphans:?}");
    pages.len()
}

#[test]
fn the_real_site_builds_with_every_page_linked() {
    let site = SiteTest::minimal();
    for dir in ["content", "templates", "static"] {
        let _ = std::fs::remove_dir_all(site.root().join(dir));
        crate::site_test::copy_tree(&workspace_root().join(dir), &site.root().join(dir));
    }
    let scenarios = Path::new("wasm-demos/scenarios");
    crate::site_test::copy_tree(&workspace_root().join(scenarios), &site.root().join(scenarios));
    std::fs::copy(workspace_root().join("site.toml"), site.root().join("site.toml")).expect("copy");
    let run = site.run(&["build", "--no-wasm"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "", "the real site builds without warnings");
    let out = site.root().join("public");
    let sessions = walkdir::WalkDir::new(&out)
        .min_depth(3)
        .max_depth(3)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name() == "index.html"
                && !e.path().starts_with(out.join("tags"))
                && !e.path().starts_with(out.join("speakers"))
                && !e.path().starts_with(out.join("demos"))
        })
        .count();
    assert_eq!(sessions, 23, "one page per session");
    // 167 pages of write-ups, indexes and search, and per demo its page and embed page, and the deck.
    assert_eq!(assert_all_linked_and_no_broken_links(&out, "/"), 174);
}

#[test]
fn minimal_site_has_no_broken_internal_links() {
    let site = SiteTest::minimal();
    assert_eq!(site.run(&[]).code, 0);
    assert_eq!(assert_all_linked_and_no_broken_links(&site.root().join("public"), "/sub/"), 14);
}

#[test]
fn a_build_from_the_highlight_cache_writes_the_same_site() {
    let site = SiteTest::minimal();
    assert_eq!(site.run(&[]).code, 0);
    let cold = site.snapshot_tree("public");
    let cache = site.root().join(".cache/highlight.bin");
    let written = std::fs::metadata(&cache).expect("the build wrote its highlight cache");
    forget_the_build(&site);
    let run = site.run(&[]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(site.snapshot_tree("public"), cold);
    let kept = std::fs::metadata(&cache).expect("the cache is still there");
    assert_eq!(kept.modified().ok(), written.modified().ok(), "an unchanged site reuses it as is");
}

#[test]
fn a_damaged_highlight_cache_is_a_warning_and_is_rewritten() {
    let site = SiteTest::minimal();
    assert_eq!(site.run(&[]).code, 0);
    let cold = site.snapshot_tree("public");
    let cache = site.root().join(".cache/highlight.bin");
    let mut bytes = std::fs::read(&cache).expect("the build wrote its highlight cache");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&cache, &bytes).expect("write");
    forget_the_build(&site);
    let run = site.run(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        ".cache/highlight.bin:1:1: warning: the highlight cache is damaged and was ignored; this build rewrites it\n"
    );
    assert_eq!(site.snapshot_tree("public"), cold);
    forget_the_build(&site);
    let run = site.run(&[]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

/// Removes the stamp of the last build, so that the next one is a full build (through the
/// highlight cache) rather than an up-to-date one.
fn forget_the_build(site: &SiteTest) {
    std::fs::remove_file(site.root().join(".cache/build-stamp.json")).expect("the build stamped");
}

#[test]
fn scripts_are_minified_and_vendored_ones_copied_as_they_are() {
    use std::os::unix::fs::MetadataExt;
    let site = SiteTest::minimal();
    let vendored = "/*! lib 1.0 | MIT */\nexport const answer   =   42;\n";
    for (rel, text) in [
        (
            "static/js/total.js",
            "// Adds them up.\nexport function total(items) {\n  let sum = 0;\n  for (const item of items) sum += item;\n  return sum;\n}\n",
        ),
        ("static/vendor/lib/lib.js", vendored),
    ] {
        let path = site.root().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let build = || {
        let run = site.run(&["build"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    };
    build();
    assert_eq!(
        site.read("public/js/total.js"),
        "export function total(e){let t=0;for(let n of e)t+=n;return t}"
    );
    assert_eq!(site.read("public/vendor/lib/lib.js"), vendored);
    // The third build reuses the first one's output as its staging directory: an unchanged
    // script is left in place, not copied from `static/` and then minified over.
    let identity = |rel: &str| {
        let meta = std::fs::metadata(site.root().join(rel)).expect("metadata");
        (meta.ino(), meta.mtime_nsec(), meta.mtime())
    };
    let first = identity("public/js/total.js");
    for edit in ["\nOne edit.\n", "\nTwo edits.\n"] {
        let page = site.root().join("content/talks/two.md");
        let text = std::fs::read_to_string(&page).expect("read");
        std::fs::write(&page, text + edit).expect("edit");
        build();
    }
    assert_eq!(identity("public/js/total.js"), first);
}
