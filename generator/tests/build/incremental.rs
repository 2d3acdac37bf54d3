//! `build_with` and its cache: a rebuild redoes only what a change affects, and ends with
//! exactly the output of a fresh build.

use generator::error::BuildError;
use generator::incremental::BuildCache;
use generator::{BuildOptions, BuildReport, build, build_with};

use crate::site_test::SiteTest;

fn options(site: &SiteTest, out: &str) -> BuildOptions {
    BuildOptions {
        root: site.root().to_path_buf(),
        out_dir: Some(site.root().join(out)),
        base_url: None,
        drafts: false,
        write: true,
        wasm: false,
    }
}

fn rebuild(site: &SiteTest, cache: &mut BuildCache) -> BuildReport {
    build_with(&options(site, "public"), Some(cache)).expect("the site builds")
}

fn edit(site: &SiteTest, rel: &str, from: &str, to: &str) {
    let path = site.root().join(rel);
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    assert!(text.contains(from), "{rel} contains {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("fixture writable");
}

#[test]
fn editing_a_body_rerenders_that_page_and_rewrites_it_and_its_index_shard() {
    let site = SiteTest::minimal();
    let mut cache = BuildCache::default();
    let first = rebuild(&site, &mut cache);
    assert_eq!(first.pages_rendered, first.pages);

    let unchanged = rebuild(&site, &mut cache);
    assert_eq!((unchanged.pages_rendered, unchanged.files_written), (0, 0));

    edit(
        &site,
        "content/talks/one.md",
        "A fact that came later",
        "A fact, edited, that came later",
    );
    let edited = rebuild(&site, &mut cache);
    // The page, and the search index's term shard: "edited" is a new term.
    assert_eq!((edited.pages_rendered, edited.files_written), (1, 2));
    assert!(site.read("public/talks/one/index.html").contains("A fact, edited, that came later"));
}

#[test]
fn editing_a_title_rerenders_the_listings_showing_it() {
    let site = SiteTest::minimal();
    let mut cache = BuildCache::default();
    rebuild(&site, &mut cache);
    let before = site.snapshot_tree("public");
    edit(&site, "content/talks/one.md", "title = \"Talk one\"", "title = \"Talk uno\"");
    let edited = rebuild(&site, &mut cache);
    // The page, its neighbour's previous link, the category, its two tags and its speaker:
    // the home page and the tags and speakers indexes show no session titles.
    assert_eq!(edited.pages_rendered, 6);
    let after = site.snapshot_tree("public");
    let changed: Vec<String> = after
        .iter()
        .filter(|file| !before.contains(file))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert_eq!(
        changed,
        [
            "atom.xml",
            "search/pages/0.json",
            "search/terms/0.bin",
            "sessions.json",
            "speakers/jerome-example/index.html",
            "tags/ipvs/index.html",
            "tags/kernel/index.html",
            "talks/atom.xml",
            "talks/index.html",
            "talks/one/index.html",
            "talks/two/index.html",
        ]
    );
    assert_eq!(edited.files_written, changed.len());
}

#[test]
fn a_cached_rebuild_ends_with_the_output_of_a_fresh_build() {
    let site = SiteTest::minimal();
    let mut cache = BuildCache::default();
    rebuild(&site, &mut cache);
    edit(&site, "content/talks/two.md", "tags = [\"kernel\"]", "tags = [\"kernel\", \"fresh\"]");
    rebuild(&site, &mut cache);
    edit(&site, "content/notes/yaml-note.md", "Plain text.", "Plain text, longer now.");
    std::fs::remove_file(site.root().join("content/talks/one.md")).expect("removable");
    edit(&site, "content/talks/two.md", "Back to [one](@/talks/one.md).", "Alone now.");
    edit(&site, "content/_index.md", "[link to one](@/talks/one.md#details)", "no link");
    std::fs::write(site.root().join("static/extra.txt"), "new static file").expect("writable");
    rebuild(&site, &mut cache);
    edit(
        &site,
        "templates/404.html",
        "<h1>Page not found</h1>",
        "<h1>Page not found</h1><p>edited</p>",
    );
    rebuild(&site, &mut cache);

    build(&options(&site, "fresh")).expect("the site builds");
    assert!(!site.root().join("public/talks/one/index.html").exists());
    assert!(!site.root().join("public/tags/ipvs/index.html").exists());
    assert!(site.read("public/404.html").contains("<p>edited</p>"));
    assert_eq!(site.snapshot_tree("public"), site.snapshot_tree("fresh"));
}

#[test]
fn a_failed_rebuild_writes_nothing_and_the_next_one_recovers() {
    let site = SiteTest::minimal();
    let mut cache = BuildCache::default();
    rebuild(&site, &mut cache);
    let before = site.snapshot_tree("public");
    edit(&site, "content/talks/one.md", "date = 2015-11-16", "date = 2015-13-16");
    let Err(BuildError::Invalid(errors)) = build_with(&options(&site, "public"), Some(&mut cache))
    else {
        panic!("an invalid date fails the rebuild");
    };
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        ["content/talks/one.md:4:8: invalid date, expected month between 01 and 12"]
    );
    assert_eq!(site.snapshot_tree("public"), before);
    edit(&site, "content/talks/one.md", "date = 2015-13-16", "date = 2015-11-16");
    let fixed = rebuild(&site, &mut cache);
    assert_eq!((fixed.pages_rendered, fixed.files_written), (0, 0));
}

#[test]
fn an_edited_script_is_minified_again_alone_and_a_broken_one_fails_the_rebuild() {
    let site = SiteTest::minimal();
    let script = site.root().join("static/js/greet.js");
    std::fs::create_dir_all(script.parent().expect("parent")).expect("mkdir");
    std::fs::write(&script, "// Says hello.\nexport const greeting = 'hello';\n").expect("write");
    let mut cache = BuildCache::default();
    rebuild(&site, &mut cache);
    assert_eq!(site.read("public/js/greet.js"), "export const greeting=`hello`;");

    std::fs::write(&script, "export const greeting = 'bonjour';\n").expect("write");
    let edited = rebuild(&site, &mut cache);
    assert_eq!((edited.pages_rendered, edited.files_written), (0, 1));
    assert_eq!(site.read("public/js/greet.js"), "export const greeting=`bonjour`;");

    let before = site.snapshot_tree("public");
    std::fs::write(&script, "export const = 'hi';\n").expect("write");
    let Err(BuildError::Invalid(errors)) = build_with(&options(&site, "public"), Some(&mut cache))
    else {
        panic!("a script that does not parse fails the rebuild");
    };
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(messages, ["static/js/greet.js:1:14: JavaScript syntax error: Unexpected token"]);
    assert_eq!(site.snapshot_tree("public"), before);
}

/// The real site, whose first build compiles the demos' WebAssembly (as `cargo run` does:
/// cargo only checks it when it is built already): a rebuild with the cache keeps the glue
/// and the module. Rebuilds once left them out of their output, which deleted them.
#[test]
fn a_rebuild_keeps_the_webassembly_the_first_build_compiled() {
    let out = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary directory");
    let options = BuildOptions {
        root: crate::site_test::workspace_root(),
        out_dir: Some(out.path().join("public")),
        base_url: None,
        drafts: false,
        write: true,
        wasm: true,
    };
    let mut cache = BuildCache::default();
    build_with(&options, Some(&mut cache)).expect("the real site builds");
    let read = |rel: &str| std::fs::read(out.path().join("public").join(rel));
    let (module, glue) = (read("wasm/demos_bg.wasm"), read("wasm/demos.js"));
    assert!(
        module.as_ref().is_ok_and(|m| m.starts_with(b"\0asm")),
        "the first build wrote the module"
    );

    let again = build_with(&options, Some(&mut cache)).expect("the real site builds");
    assert_eq!(again.files_written, 0, "nothing changed, nothing written");
    assert_eq!(read("wasm/demos_bg.wasm").ok(), module.ok());
    assert_eq!(read("wasm/demos.js").ok(), glue.ok());
}
