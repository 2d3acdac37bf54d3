//! The up-to-date check: an unchanged rebuild does nothing, and any change to the inputs or
//! to the output directory makes a full build again.

use std::time::SystemTime;

use crate::site_test::{Run, SiteTest};

const BUILT: &str =
    "Built 15 pages (3 sessions, 2 categories, 3 tags, 2 speakers, home, indexes, search, 404) in ";
const UP_TO_DATE: &str = "Up to date: 15 pages (3 sessions, 2 categories, 3 tags, 2 speakers, home, indexes, search, 404) in ";

fn assert_built(run: &Run) {
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with(BUILT), "{}", run.stdout);
}

fn assert_up_to_date(run: &Run) {
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (first, second) = run.stdout.split_once('\n').expect("two lines");
    assert!(first.starts_with(UP_TO_DATE), "{}", run.stdout);
    assert_eq!(second, "Nothing changed since the last build of ./public: nothing written\n");
}

fn modified(site: &SiteTest, rel: &str) -> SystemTime {
    let path = site.root().join(rel);
    std::fs::metadata(&path).and_then(|m| m.modified()).expect("the file exists")
}

#[test]
fn an_unchanged_rebuild_writes_nothing_and_repeats_the_warnings() {
    let site = SiteTest::minimal();
    let path = site.root().join("content/talks/two.md");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("{text}\n```klingon\nqapla'\n```\n")).expect("write");
    let warning = "content/talks/two.md:21:1: warning: unknown code language `klingon`, rendered as plain text\n";
    let run = site.run(&[]);
    assert_built(&run);
    assert_eq!(run.stderr, warning);
    let built = site.snapshot_tree("public");
    let written = modified(&site, "public/talks/two/index.html");

    let run = site.run(&[]);
    assert_up_to_date(&run);
    assert_eq!(run.stderr, warning);
    assert_eq!(site.snapshot_tree("public"), built);
    assert_eq!(modified(&site, "public/talks/two/index.html"), written);
}

#[test]
fn an_editors_scratch_file_coming_or_going_leaves_the_build_up_to_date() {
    let site = SiteTest::minimal();
    let backup = site.root().join("static/css/site.css~");
    std::fs::write(&backup, "x").expect("writable");
    assert_built(&site.run(&[]));
    std::fs::write(site.root().join("content/talks/.two.md.swp"), "x").expect("writable");
    std::fs::write(site.root().join("content/talks/#two.md#"), "x").expect("writable");
    std::fs::remove_file(&backup).expect("removable");
    assert_up_to_date(&site.run(&[]));
    std::fs::write(site.root().join("content/talks/notes.txt"), "x").expect("writable");
    assert_built(&site.run(&[]));
}

#[test]
fn a_changed_input_or_output_makes_a_full_build() {
    let site = SiteTest::minimal();
    assert_built(&site.run(&[]));
    assert_up_to_date(&site.run(&[]));

    let path = site.root().join("content/talks/one.md");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("{text}\nOne more line.\n")).expect("write");
    assert_built(&site.run(&[]));
    assert!(site.read("public/talks/one/index.html").contains("One more line."));
    assert_up_to_date(&site.run(&[]));

    let page = site.root().join("public/talks/two/index.html");
    let good = std::fs::read(&page).expect("read");
    std::fs::write(&page, b"edited by hand").expect("write");
    assert_built(&site.run(&[]));
    assert_eq!(std::fs::read(&page).expect("read"), good, "the full build puts the page back");

    std::fs::remove_file(&page).expect("remove");
    assert_built(&site.run(&[]));
    assert_eq!(std::fs::read(&page).expect("read"), good);

    std::fs::write(site.root().join("public/stray.html"), b"x").expect("write");
    assert_built(&site.run(&[]));
    assert!(!site.root().join("public/stray.html").exists(), "the full build removes it");

    let template = site.root().join("templates/404.html");
    let text = std::fs::read_to_string(&template).expect("read");
    std::fs::write(&template, format!("{text}\n")).expect("write");
    assert_built(&site.run(&[]));

    assert_built(&site.run(&["build", "--base-url", "https://example.org/elsewhere/"]));
    assert_built(&site.run(&["build", "--drafts"]));
    assert_up_to_date(&site.run(&["build", "--drafts"]));
    assert_built(&site.run(&[]));

    std::fs::remove_dir_all(site.root().join(".cache")).expect("remove the cache");
    assert_built(&site.run(&[]));
}
