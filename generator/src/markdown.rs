//! Markdown to HTML with pulldown-cmark, plus the site's extensions:
//!
//! - headings get unique ids, a visible anchor link, and feed the table of contents;
//! - fenced code goes through the [`Highlighter`]; an unknown language is a warning;
//! - `@/<category>/<slug>.md#anchor` links become site URLs and are recorded, so that
//!   [`crate::links`] can check them once every page's headings are known;
//! - external links open in a new tab with `rel="noopener"`;
//! - raw HTML is escaped unless the site allows it;
//! - the markers `[later]` and `[unconfirmed]` become visible badges.
//!
//! Locations are computed from pulldown-cmark's byte offsets and shifted by the body's line
//! offset, so every message points into the file as the author sees it.

use std::collections::BTreeSet;
use std::path::Path;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::demos::{DemoCatalog, DemoEmbed, parse_embed};
use crate::error::{Location, SourceError, SourceErrorKind, Warning};
use crate::highlight::{Highlighter, escape};
use crate::model::{Source, slugify};

/// What rendering needs besides the Markdown.
#[derive(Clone, Copy)]
pub struct MarkdownContext<'a> {
    /// The shared highlighter.
    pub highlighter: &'a Highlighter,
    /// Emit raw HTML as is (otherwise it is escaped).
    pub allow_html: bool,
    /// The site's base path (`/` or `/notes/`), prefixed to internal links.
    pub base_path: &'a str,
    /// The demos ```` ```demo ```` blocks may place, if the site has any.
    pub demos: Option<&'a DemoCatalog>,
}

/// One entry of a page's table of contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TocEntry {
    /// 2 or 3.
    pub level: u8,
    /// The heading's id.
    pub id: String,
    /// The heading's text.
    pub title: String,
}

/// An `@/…` link found in a page, checked later against the whole site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalLink {
    /// The link as written (`@/security/userns.md#remap`).
    pub written: String,
    /// Where it is in the source file.
    pub location: Location,
}

/// A rendered Markdown body.
#[derive(Debug, Clone, Default)]
pub struct RenderedMarkdown {
    /// The HTML.
    pub html: String,
    /// Level-2 and level-3 headings, in order.
    pub toc: Vec<TocEntry>,
    /// Every heading id of the page.
    pub anchors: BTreeSet<String>,
    /// The page's `@/` links.
    pub links: Vec<InternalLink>,
    /// Unknown code languages and similar soft problems.
    pub warnings: Vec<Warning>,
    /// Words of prose (code excluded).
    pub words: usize,
    /// The prose as plain text, code blocks excluded, for the search index. A demo block
    /// adds its caption alone.
    pub text: String,
    /// Which badges the page shows: `(later, unconfirmed)`.
    pub badges: (bool, bool),
    /// The demos the page embeds, in order.
    pub demos: Vec<DemoEmbed>,
    /// Invalid ```` ```demo ```` blocks.
    pub errors: Vec<SourceError>,
}

/// The parser options every page uses.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_GFM
}

/// The URL an `@/…` link points to, or `None` when it is not of the form
/// `@/<category>/<slug>.md[#anchor]` or `@/<category>/_index.md[#anchor]`.
pub fn internal_url(written: &str, base_path: &str) -> Option<(String, String, Option<String>)> {
    let rest = written.strip_prefix("@/")?;
    let (path, anchor) = match rest.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor.to_owned())),
        None => (rest, None),
    };
    let (category, file) = path.split_once('/')?;
    let slug = file.strip_suffix(".md")?;
    if category.is_empty() || slug.is_empty() || slug.contains('/') {
        return None;
    }
    let page = if slug == "_index" {
        format!("{base_path}{category}/")
    } else {
        format!("{base_path}{category}/{slug}/")
    };
    let url = match &anchor {
        Some(anchor) => format!("{page}#{anchor}"),
        None => page,
    };
    Some((url, path.to_owned(), anchor))
}

const LATER_BADGE: &str = "<span class=\"badge badge-later\" title=\"This fact post-dates DockerCon EU 2015\">after the conference</span>";
const UNCONFIRMED_BADGE: &str = "<span class=\"badge badge-unconfirmed\" title=\"Inferred, or stated by a single secondary source\">unconfirmed</span>";

struct Renderer<'a, 'b> {
    ctx: MarkdownContext<'a>,
    path: &'b Path,
    body: &'b str,
    line_offset: u32,
    out: RenderedMarkdown,
    events: Vec<Event<'b>>,
    pending_text: String,
    heading: Option<(HeadingLevel, Option<String>, Vec<Event<'b>>, String)>,
    code: Option<(String, String, usize)>,
}

/// Renders a page's Markdown body.
pub fn render_markdown(source: &Source, ctx: MarkdownContext<'_>) -> RenderedMarkdown {
    let mut renderer = Renderer {
        ctx,
        path: &source.path,
        body: &source.body,
        line_offset: source.body_line_offset,
        out: RenderedMarkdown::default(),
        events: Vec::new(),
        pending_text: String::new(),
        heading: None,
        code: None,
    };
    for (event, range) in Parser::new_ext(&source.body, options()).into_offset_iter() {
        renderer.event(event, range.start);
    }
    renderer.flush_text();
    let mut html = String::with_capacity(source.body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, renderer.events.into_iter());
    // Every page's Markdown is kept until the site is written: the spare capacity of grown
    // strings was a third of a 10,000-page build's peak memory.
    html.shrink_to_fit();
    renderer.out.html = html;
    renderer.out.text.shrink_to_fit();
    renderer.out
}

impl<'b> Renderer<'_, 'b> {
    fn location(&self, offset: usize) -> Location {
        Location::from_offset(self.body, offset).shifted(self.line_offset)
    }

    fn emit(&mut self, event: Event<'b>) {
        match &mut self.heading {
            Some((_, _, events, _)) => events.push(event),
            None => self.events.push(event),
        }
    }

    fn flush_text(&mut self) {
        if self.pending_text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.pending_text);
        let mut rest = text.as_str();
        while let Some((start, marker, badge)) = next_marker(rest) {
            if start > 0 {
                self.emit(Event::Text(CowStr::from(rest[..start].to_owned())));
            }
            self.emit(Event::InlineHtml(CowStr::Borrowed(badge)));
            if marker == "[later]" {
                self.out.badges.0 = true;
            } else {
                self.out.badges.1 = true;
            }
            rest = &rest[start + marker.len()..];
        }
        if !rest.is_empty() {
            self.emit(Event::Text(CowStr::from(rest.to_owned())));
        }
    }

    fn event(&mut self, event: Event<'b>, offset: usize) {
        if let Some((_, code, _)) = &mut self.code {
            match event {
                Event::Text(text) => code.push_str(&text),
                Event::End(TagEnd::CodeBlock) => self.end_code(),
                _ => {}
            }
            return;
        }
        if let Event::Text(text) = &event {
            self.out.words += text.split_whitespace().count();
            self.out.text.push_str(text);
            if let Some((_, _, _, heading_text)) = &mut self.heading {
                heading_text.push_str(text);
            }
            self.pending_text.push_str(text);
            return;
        }
        // Block boundaries and line breaks separate words in the plain text.
        if !matches!(event, Event::Code(_))
            && !self.out.text.is_empty()
            && !self.out.text.ends_with(' ')
        {
            self.out.text.push(' ');
        }
        self.flush_text();
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or_default().to_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new(), offset));
            }
            Event::Start(Tag::Heading { level, id, .. }) => {
                self.heading =
                    Some((level, id.map(|id| id.to_string()), Vec::new(), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => self.end_heading(),
            Event::Code(code) => {
                if let Some((_, _, _, heading_text)) = &mut self.heading {
                    heading_text.push_str(&code);
                }
                self.out.text.push_str(&code);
                self.emit(Event::Code(code));
            }
            Event::Start(Tag::Link { dest_url, title, .. }) => {
                let html = self.open_link(&dest_url, &title, offset);
                self.emit(Event::InlineHtml(CowStr::from(html)));
            }
            Event::End(TagEnd::Link) => self.emit(Event::InlineHtml(CowStr::Borrowed("</a>"))),
            Event::Html(html) | Event::InlineHtml(html) if !self.ctx.allow_html => {
                self.emit(Event::Text(html));
            }
            other => self.emit(other),
        }
    }

    fn open_link(&mut self, dest: &str, title: &str, offset: usize) -> String {
        let title_attr =
            if title.is_empty() { String::new() } else { format!(" title=\"{}\"", escape(title)) };
        if dest.starts_with("@/") {
            self.out
                .links
                .push(InternalLink { written: dest.to_owned(), location: self.location(offset) });
            let url =
                internal_url(dest, self.ctx.base_path).map_or_else(String::new, |(u, _, _)| u);
            format!("<a href=\"{}\"{title_attr}>", escape(&url))
        } else if dest.starts_with("http://")
            || dest.starts_with("https://")
            || dest.starts_with("//")
        {
            format!("<a href=\"{}\"{title_attr} target=\"_blank\" rel=\"noopener\">", escape(dest))
        } else {
            format!("<a href=\"{}\"{title_attr}>", escape(dest))
        }
    }

    fn end_code(&mut self) {
        let Some((lang, code, offset)) = self.code.take() else { return };
        if lang == "demo" {
            self.demo(&code, offset);
            return;
        }
        let highlighted = self.ctx.highlighter.highlight(&lang, &code);
        if !highlighted.known_language {
            self.out.warnings.push(Warning {
                path: self.path.to_path_buf(),
                location: self.location(offset),
                message: format!("unknown code language `{lang}`, rendered as plain text"),
            });
        }
        self.emit(Event::Html(CowStr::from(highlighted.html)));
    }

    /// A ```` ```demo ```` block: checked against the catalog, then a mount point for
    /// `js/demos.js` (loaded as a module, so once per page however many blocks it has).
    fn demo(&mut self, body: &str, fence: usize) {
        let embed = match parse_embed(body, self.ctx.demos) {
            Ok(embed) => embed,
            Err((at, message)) => {
                let first_line = self.body[fence..].find('\n').map_or(0, |i| i + 1);
                let location = self.location(fence + first_line + at);
                let kind = SourceErrorKind::InvalidValue(format!("demo block: {message}"));
                self.out.errors.push(SourceError::new(self.path, location, kind));
                return;
            }
        };
        let base = self.ctx.base_path;
        let kind = embed.kind.name();
        let scenario = escape(&embed.scenario);
        let page = format!("{base}demos/{kind}/?scenario={scenario}");
        let caption = embed.caption.as_deref().map(escape).unwrap_or_default();
        let html = format!(
            "<figure class=\"demo-embed\">\n<div class=\"demo-root\" data-demo=\"{kind}\" data-scenario=\"{scenario}\" data-step=\"{step}\" data-speed=\"{speed}\" data-autoplay=\"{autoplay}\"><p class=\"demo-fallback\">This interactive {title} demo needs JavaScript and WebAssembly.</p></div>\n<figcaption>{caption} <a href=\"{page}\">Open the {title} demo</a></figcaption>\n</figure>\n<script type=\"module\" src=\"{base}js/demos.js\"></script>\n",
            step = embed.step,
            speed = embed.speed,
            autoplay = embed.autoplay,
            title = embed.kind.title(),
        );
        // The caption is the author's prose, searchable like the text around it; the fallback
        // and the link to the demo's page are the site's words, the same on every demo.
        if let Some(caption) = &embed.caption {
            self.out.text.push_str(caption);
            self.out.text.push(' ');
        }
        self.out.demos.push(embed);
        self.emit(Event::Html(CowStr::from(html)));
    }

    fn end_heading(&mut self) {
        let Some((level, explicit_id, inner, text)) = self.heading.take() else { return };
        let base = explicit_id.unwrap_or_else(|| {
            let slug = slugify(&text);
            if slug.is_empty() { "section".to_owned() } else { slug }
        });
        let mut id = base.clone();
        let mut n = 1;
        while self.out.anchors.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.out.anchors.insert(id.clone());
        let level_number = level as u8;
        if (2..=3).contains(&level_number) {
            self.out.toc.push(TocEntry {
                level: level_number,
                id: id.clone(),
                title: text.trim().to_owned(),
            });
        }
        let id = escape(&id);
        let mut inner_html = String::new();
        pulldown_cmark::html::push_html(&mut inner_html, inner.into_iter());
        self.events.push(Event::Html(CowStr::from(format!(
            "<h{level_number} id=\"{id}\">{inner_html}<a class=\"anchor\" href=\"#{id}\" aria-label=\"Link to this section\">#</a></h{level_number}>\n"
        ))));
    }
}

fn next_marker(text: &str) -> Option<(usize, &'static str, &'static str)> {
    [("[later]", LATER_BADGE), ("[unconfirmed]", UNCONFIRMED_BADGE)]
        .into_iter()
        .filter_map(|(marker, badge)| text.find(marker).map(|i| (i, marker, badge)))
        .min_by_key(|(i, _, _)| *i)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn render_with(body: &str, allow_html: bool) -> RenderedMarkdown {
        let source = Source {
            path: PathBuf::from("content/a/b.md"),
            body: body.to_owned(),
            body_line_offset: 5,
        };
        let highlighter = Highlighter::new();
        render_markdown(
            &source,
            MarkdownContext {
                highlighter: &highlighter,
                allow_html,
                base_path: "/n/",
                demos: None,
            },
        )
    }

    fn render(body: &str) -> RenderedMarkdown {
        render_with(body, false)
    }

    #[test]
    fn headings_get_unique_ids_anchors_and_toc() {
        let out = render("## Why it matters\n\ntext\n\n## Why it matters\n\n### Deep `dive`\n");
        insta::assert_snapshot!(out.html);
        let ids: Vec<&str> = out.toc.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["why-it-matters", "why-it-matters-1", "deep-dive"]);
        assert_eq!(out.toc[2].title, "Deep dive");
    }

    #[test]
    fn internal_links_become_urls_and_are_recorded_with_their_line() {
        let out = render("See\n[the talk](@/net/dns.md#setup) and [home](https://x.org).\n");
        insta::assert_snapshot!(out.html);
        assert_eq!(
            out.links,
            [InternalLink {
                written: "@/net/dns.md#setup".into(),
                location: Location { line: 7, column: 1 }
            }]
        );
    }

    #[test]
    fn raw_html_is_escaped_unless_allowed() {
        assert_eq!(render("a <b>x</b>\n").html, "<p>a &lt;b&gt;x&lt;/b&gt;</p>\n");
        assert_eq!(render_with("a <b>x</b>\n", true).html, "<p>a <b>x</b></p>\n");
    }

    #[test]
    fn markers_become_badges() {
        let out = render("Pids landed in 4.3 [later] and 1 GB/s [unconfirmed].\n");
        insta::assert_snapshot!(out.html);
        assert_eq!(out.badges, (true, true));
    }

    #[test]
    fn unknown_language_warns_with_file_line() {
        let out = render("text\n\n```klingon\nqapla'\n```\n");
        assert_eq!(
            out.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "content/a/b.md:8:1: warning: unknown code language `klingon`, rendered as plain text"
            ]
        );
        assert!(out.html.contains("qapla&#39;"));
    }

    #[test]
    fn extensions_are_enabled() {
        let out = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n\n~~old~~ \"quoted\"[^1]\n\n[^1]: note\n",
        );
        insta::assert_snapshot!(out.html);
    }

    #[test]
    fn plain_text_separates_blocks_and_leaves_out_code_blocks() {
        let out = render(
            "## Why\n\nSee `ipvsadm`\nand *more*.\n\n```bash\nsecret-code\n```\n\n- one\n- two\n",
        );
        assert_eq!(out.text, "Why See ipvsadm and more . one two ");
    }

    #[test]
    fn plain_text_keeps_a_demo_caption_but_not_its_fallback_or_link() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace");
        let (catalog, _) = crate::demos::load_catalog(root);
        let source = Source {
            path: PathBuf::from("content/a/b.md"),
            body: "Forks count per user.\n\n```demo\nkind = \"cgroups\"\ncaption = \"--ulimit nproc is counted per user across containers.\"\n```\n\nAfter the demo.\n\n```demo\nkind = \"ipvs\"\n```\n".to_owned(),
            body_line_offset: 5,
        };
        let highlighter = Highlighter::new();
        let ctx = MarkdownContext {
            highlighter: &highlighter,
            allow_html: false,
            base_path: "/",
            demos: catalog.as_ref(),
        };
        let out = render_markdown(&source, ctx);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert!(out.html.contains("needs JavaScript and WebAssembly"), "{}", out.html);
        assert_eq!(
            out.text,
            "Forks count per user. --ulimit nproc is counted per user across containers. After the demo. "
        );
    }

    #[test]
    fn internal_url_accepts_only_page_paths() {
        assert_eq!(
            internal_url("@/a/b.md#c", "/"),
            Some(("/a/b/#c".into(), "a/b.md".into(), Some("c".into())))
        );
        assert_eq!(internal_url("@/a/_index.md", "/n/").map(|u| u.0), Some("/n/a/".into()));
        assert_eq!(internal_url("@/a/b", "/"), None);
        assert_eq!(internal_url("@/a/b/c.md", "/"), None);
    }
}
