//! Feeds and metadata for other tools: Atom feeds (the site's and one per category),
//! `sitemap.xml`, `robots.txt` and `sessions.json`.
//!
//! Dates come from the sessions' front matter, never from the clock, so the files are
//! byte-identical between builds. URLs are absolute, from the configured base URL.

use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use crate::highlight::escape;
use crate::model::{Session, Site, slugify};
use crate::render::OutputFile;

fn rfc3339(session: &Session) -> String {
    format!("{}T00:00:00Z", session.meta.date)
}

fn session_url(site: &Site, session: &Session) -> String {
    format!("{}{}/{}/", site.config.base_url, session.category, session.slug)
}

/// An Atom feed of `sessions`, published at `self_path` (relative to the base URL).
fn atom(site: &Site, title: &str, page_path: &str, self_path: &str, sessions: &[usize]) -> String {
    let base = &site.config.base_url;
    let updated = sessions
        .iter()
        .map(|&i| &site.sessions[i])
        .max_by_key(|s| s.meta.date)
        .map_or_else(|| "2015-11-17T00:00:00Z".to_owned(), rfc3339);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        escape(&site.config.language)
    ));
    xml.push_str(&format!("  <title>{}</title>\n", escape(title)));
    xml.push_str(&format!("  <subtitle>{}</subtitle>\n", escape(&site.config.description)));
    xml.push_str(&format!("  <id>{}</id>\n", escape(&format!("{base}{self_path}"))));
    xml.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape(&format!("{base}{self_path}"))
    ));
    xml.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape(&format!("{base}{page_path}"))
    ));
    xml.push_str(&format!("  <updated>{updated}</updated>\n"));
    xml.push_str(&format!("  <author><name>{}</name></author>\n", escape(&site.config.title)));
    for &i in sessions {
        let session = &site.sessions[i];
        let url = escape(&session_url(site, session));
        xml.push_str("  <entry>\n");
        xml.push_str(&format!("    <title>{}</title>\n", escape(&session.meta.title)));
        xml.push_str(&format!("    <id>{url}</id>\n"));
        xml.push_str(&format!("    <link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n"));
        xml.push_str(&format!("    <published>{}</published>\n", rfc3339(session)));
        xml.push_str(&format!("    <updated>{}</updated>\n", rfc3339(session)));
        for speaker in &session.meta.speakers {
            xml.push_str(&format!("    <author><name>{}</name></author>\n", escape(&speaker.name)));
        }
        xml.push_str(&format!("    <category term=\"{}\"/>\n", escape(&session.category)));
        for tag in &session.meta.tags {
            xml.push_str(&format!("    <category term=\"{}\"/>\n", escape(tag)));
        }
        xml.push_str(&format!("    <summary>{}</summary>\n", escape(&session.meta.summary)));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

#[derive(Serialize)]
struct SessionsJson<'a> {
    site: SiteJson<'a>,
    sessions: Vec<SessionJson<'a>>,
}

#[derive(Serialize)]
struct SiteJson<'a> {
    title: &'a str,
    base_url: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct SessionJson<'a> {
    slug: &'a str,
    category: &'a str,
    url: String,
    title: &'a str,
    summary: &'a str,
    date: String,
    day: Option<u8>,
    track: Option<&'a str>,
    tags: &'a [String],
    confidence: &'static str,
    speakers: Vec<SpeakerJson<'a>>,
    slides: Option<&'a str>,
    video: Option<&'a str>,
    source: Option<&'a str>,
}

#[derive(Serialize)]
struct SpeakerJson<'a> {
    name: &'a str,
    slug: String,
    affiliation: Option<&'a str>,
    handle: Option<&'a str>,
    unverified: bool,
}

fn sessions_json(site: &Site) -> String {
    let doc = SessionsJson {
        site: SiteJson {
            title: &site.config.title,
            base_url: &site.config.base_url,
            description: &site.config.description,
        },
        sessions: site
            .sessions
            .iter()
            .map(|s| SessionJson {
                slug: &s.slug,
                category: &s.category,
                url: session_url(site, s),
                title: &s.meta.title,
                summary: &s.meta.summary,
                date: s.meta.date.to_string(),
                day: s.meta.day,
                track: s.meta.track.as_deref(),
                tags: &s.meta.tags,
                confidence: s.meta.confidence.as_str(),
                speakers: s
                    .meta
                    .speakers
                    .iter()
                    .map(|sp| SpeakerJson {
                        name: &sp.name,
                        slug: slugify(&sp.name),
                        affiliation: sp.affiliation.as_deref(),
                        handle: sp.handle.as_deref(),
                        unverified: sp.unverified,
                    })
                    .collect(),
                slides: s.meta.links.slides.as_deref(),
                video: s.meta.links.video.as_deref(),
                source: s.meta.links.source.as_deref(),
            })
            .collect(),
    };
    let mut json = serde_json::to_string_pretty(&doc).unwrap_or_default();
    json.push('\n');
    json
}

/// `sitemap.xml` listing every HTML page of `pages` except the 404 page.
fn sitemap(site: &Site, pages: &[PathBuf]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for page in pages {
        let path = page.to_string_lossy().replace('\\', "/");
        if path == "404.html" || !path.ends_with(".html") {
            continue;
        }
        let url = format!("{}{}", site.config.base_url, path.trim_end_matches("index.html"));
        xml.push_str(&format!("  <url><loc>{}</loc></url>\n", escape(&url)));
    }
    xml.push_str("</urlset>\n");
    xml
}

/// The feeds and metadata files for `site`, whose rendered HTML `pages` are listed in the sitemap.
pub fn render_feeds(site: &Site, pages: &[PathBuf]) -> Vec<OutputFile> {
    let all: Vec<usize> = (0..site.sessions.len()).collect();
    // The site feed, the sitemap and the listing each hold every session: built in parallel.
    let ((feed, sitemap), listing) = rayon::join(
        || {
            rayon::join(
                || atom(site, &site.config.title, "", "atom.xml", &all),
                || sitemap(site, pages),
            )
        },
        || sessions_json(site),
    );
    let mut files = vec![
        OutputFile { rel_path: PathBuf::from("atom.xml"), bytes: feed.into_bytes() },
        OutputFile { rel_path: PathBuf::from("sitemap.xml"), bytes: sitemap.into_bytes() },
        OutputFile {
            rel_path: PathBuf::from("robots.txt"),
            bytes: format!(
                "User-agent: *\nAllow: /\nSitemap: {}sitemap.xml\n",
                site.config.base_url
            )
            .into_bytes(),
        },
        OutputFile { rel_path: PathBuf::from("sessions.json"), bytes: listing.into_bytes() },
    ];
    files.par_extend(site.categories.par_iter().map(|category| {
        let title = format!("{} · {}", category.meta.title, site.config.title);
        let page = format!("{}/", category.slug);
        let feed = format!("{}/atom.xml", category.slug);
        OutputFile {
            rel_path: PathBuf::from(&feed),
            bytes: atom(site, &title, &page, &feed, &category.sessions).into_bytes(),
        }
    }));
    files
}
