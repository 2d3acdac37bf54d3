//! Invalid sites: each case's exact diagnostics, exit code 1, and an untouched `public/`.

use std::path::Path;

use crate::site_test::{SiteTest, fixtures};

const SENTINEL: &str = "public/previous-build.html";

/// Builds `site` over a pre-existing `public/` and checks that it failed with `expected` on
/// stderr, exit code 1, and left `public/` byte for byte as it was.
fn assert_fails_untouched(site: &SiteTest, args: &[&str], expected: &str) {
    std::fs::create_dir_all(site.root().join("public/css")).expect("create public");
    std::fs::write(site.root().join(SENTINEL), "previous").expect("write sentinel");
    std::fs::write(site.root().join("public/css/site.css"), "old css").expect("write css");
    let before = site.snapshot_tree("public");
    let run = site.run(args);
    assert_eq!(run.stderr, expected, "stderr of {args:?}");
    assert_eq!(run.code, 1, "exit code; stdout: {}", run.stdout);
    assert_eq!(site.snapshot_tree("public"), before, "public/ must be left untouched");
}

#[test]
fn every_invalid_fixture_reports_its_exact_diagnostics() {
    let cases = fixtures().join("invalid");
    let mut names: Vec<_> = std::fs::read_dir(&cases)
        .expect("invalid fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 12, "found only {names:?}");
    for name in names {
        let case = cases.join(&name);
        let expected = std::fs::read_to_string(case.join("expected.txt"))
            .unwrap_or_else(|_| panic!("{name}: missing expected.txt"));
        let site = SiteTest::minimal_with(&[&case]);
        assert_fails_untouched(&site, &["build"], &expected);
        let check = site.run(&["check"]);
        assert_eq!((check.code, check.stderr.as_str()), (1, expected.as_str()), "check of {name}");
    }
}

#[test]
fn rejects_non_utf8_content_at_the_first_bad_byte() {
    let site = SiteTest::minimal();
    let path = site.root().join("content/talks/two.md");
    let mut bytes = std::fs::read(&path).expect("read");
    bytes.extend_from_slice(b"\nCaf\xe9 au lait\n");
    std::fs::write(&path, bytes).expect("write");
    assert_fails_untouched(
        &site,
        &[],
        "content/talks/two.md:21:4: file is not valid UTF-8 (save it as UTF-8)\n\
         error: 1 problem(s) found; nothing was written\n",
    );
}

#[test]
fn rejects_an_unreadable_file() {
    let site = SiteTest::minimal();
    std::os::unix::fs::symlink("missing-target.md", site.root().join("content/talks/gone.md"))
        .expect("symlink");
    assert_fails_untouched(
        &site,
        &[],
        "content/talks/gone.md:1:1: cannot read file: No such file or directory (os error 2)\n\
         error: 1 problem(s) found; nothing was written\n",
    );
}

#[test]
fn rejects_a_missing_home_page() {
    let site = SiteTest::minimal();
    std::fs::remove_file(site.root().join("content/_index.md")).expect("remove");
    assert_fails_untouched(
        &site,
        &[],
        "content/_index.md:1:1: the home page text is missing: create `content/_index.md` with a `title`\n\
         error: 1 problem(s) found; nothing was written\n",
    );
}

#[test]
fn rejects_an_output_directory_inside_content() {
    let site = SiteTest::minimal();
    assert_fails_untouched(
        &site,
        &["build", "--out", "content/public"],
        "error: output directory `content/public` is inside the content directory `./content`: \
         choose a directory outside it, such as `./public`\n",
    );
    assert!(!Path::new(&site.root().join("content/public")).exists());
}

#[test]
fn rejects_a_root_that_is_not_a_directory() {
    let site = SiteTest::minimal();
    assert_fails_untouched(
        &site,
        &["build", "--root", "no-such-dir"],
        "error: site root `no-such-dir` is not a directory: give the directory that holds site.toml and content/ with --root\n",
    );
}

#[test]
fn an_unknown_option_is_invalid_input_and_help_is_not_an_error() {
    let site = SiteTest::minimal();
    assert_fails_untouched(
        &site,
        &["build", "--bogus"],
        "error: unexpected argument '--bogus' found\n\n\
         Usage: generator build [OPTIONS]\n\n\
         For more information, try '--help'.\n",
    );
    let help = site.run(&["build", "--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.starts_with("Build the site"), "{}", help.stdout);
}

#[test]
fn rejects_a_relative_base_url_option() {
    let site = SiteTest::minimal();
    assert_fails_untouched(
        &site,
        &["build", "--base-url", "/x/"],
        "error: --base-url `/x/` must be an absolute http(s) URL\n",
    );
}

#[test]
fn reports_every_script_that_does_not_parse_but_not_vendored_ones() {
    let site = SiteTest::minimal();
    let write = |rel: &str, text: &str| {
        let path = site.root().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("static/js/a.js", "export const a = 1;\nconst = 2;\n");
    write("static/js/demos/b.js", "export function f(x {\n  return x;\n}\n");
    write("static/vendor/lib/c.js", "this is not checked: third-party code is copied as it is\n");
    assert_fails_untouched(
        &site,
        &[],
        "static/js/a.js:2:7: JavaScript syntax error: Unexpected token\n\
         static/js/demos/b.js:1:21: JavaScript syntax error: Expected `,` or `)` but found `{`\n\
         error: 2 problem(s) found; nothing was written\n",
    );
}
