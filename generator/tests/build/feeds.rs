//! Feeds and metadata: Atom feeds parse as XML with the elements RFC 4287 requires, every
//! sitemap URL names a file of the output, and `sessions.json` lists every session.

use crate::site_test::SiteTest;

const ATOM: &str = "http://www.w3.org/2005/Atom";

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children().find(|c| c.has_tag_name((ATOM, name))).and_then(|c| c.text())
}

fn assert_valid_atom(xml: &str, expected_entries: usize) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("the feed is well-formed XML");
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")), "root is atom:feed");
    for required in ["id", "title", "updated"] {
        assert!(child_text(feed, required).is_some_and(|t| !t.is_empty()), "feed lacks {required}");
    }
    assert!(
        feed.children()
            .any(|c| c.has_tag_name((ATOM, "link")) && c.attribute("rel") == Some("self")),
        "feed lacks a self link"
    );
    let entries: Vec<_> = feed.children().filter(|c| c.has_tag_name((ATOM, "entry"))).collect();
    assert_eq!(entries.len(), expected_entries);
    entries
        .iter()
        .map(|entry| {
            for required in ["id", "title", "updated", "summary"] {
                assert!(child_text(*entry, required).is_some(), "entry lacks {required}");
            }
            let author = entry.children().find(|c| c.has_tag_name((ATOM, "author")));
            assert!(author.and_then(|a| child_text(a, "name")).is_some(), "entry lacks an author");
            child_text(*entry, "id").unwrap_or_default().to_owned()
        })
        .collect()
}

#[test]
fn atom_feeds_are_valid_and_complete() {
    let site = SiteTest::minimal();
    assert_eq!(site.run(&[]).code, 0);
    let ids = assert_valid_atom(&site.read("public/atom.xml"), 3);
    assert_eq!(
        ids,
        [
            "https://example.org/sub/talks/one/",
            "https://example.org/sub/talks/two/",
            "https://example.org/sub/notes/yaml-note/",
        ]
    );
    assert_valid_atom(&site.read("public/talks/atom.xml"), 2);
    assert_valid_atom(&site.read("public/notes/atom.xml"), 1);
    let feed = site.read("public/atom.xml");
    assert!(
        feed.contains("<updated>2015-11-17T00:00:00Z</updated>\n  <author>"),
        "feed updated = newest session"
    );
    assert!(feed.contains("<author><name>Jérôme Example</name></author>"));
}

#[test]
fn every_sitemap_url_exists_in_the_output() {
    let site = SiteTest::minimal();
    assert_eq!(site.run(&[]).code, 0);
    let xml = site.read("public/sitemap.xml");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed sitemap");
    let urls: Vec<&str> =
        doc.descendants().filter(|n| n.has_tag_name("loc")).filter_map(|n| n.text()).collect();
    assert_eq!(urls.len(), 14, "every page but the 404");
    for url in urls {
        let rel =
            url.strip_prefix("https://example.org/sub/").expect("absolute URL under the base");
        let file = site.root().join("public").join(rel).join("index.html");
        assert!(file.is_file(), "{url} has no page");
    }
    assert_eq!(
        site.read("public/robots.txt"),
        "User-agent: *\nAllow: /\nSitemap: https://example.org/sub/sitemap.xml\n"
    );
}

#[test]
fn sessions_json_lists_every_session() {
    let site = SiteTest::minimal();
    assert_eq!(site.run(&[]).code, 0);
    let json: serde_json::Value =
        serde_json::from_str(&site.read("public/sessions.json")).expect("valid JSON");
    let sessions = json["sessions"].as_array().expect("sessions array");
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions[0]["url"], "https://example.org/sub/talks/one/");
    assert_eq!(sessions[0]["speakers"][0]["slug"], "jerome-example");
    assert_eq!(sessions[2]["confidence"], "low");
}

#[test]
fn pages_carry_canonical_and_social_metadata() {
    let site = SiteTest::minimal();
    assert_eq!(site.run(&[]).code, 0);
    let html = site.read("public/talks/one/index.html");
    for expected in [
        "<link rel=\"canonical\" href=\"https://example.org/sub/talks/one/\">",
        "<meta property=\"og:type\" content=\"article\">",
        "<meta property=\"og:title\" content=\"Talk one\">",
        "<meta property=\"og:description\" content=\"The first talk.\">",
        "<meta property=\"og:url\" content=\"https://example.org/sub/talks/one/\">",
        "<meta name=\"twitter:card\" content=\"summary\">",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
}
