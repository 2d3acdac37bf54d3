//! Rendering: the checked [`Site`] and its rendered Markdown, through the Tera templates of
//! `templates/`, into output files.
//!
//! Templates receive borrowed, serialize-only `*View` structs built for them; the model types
//! do not derive `Serialize`. Pages render in parallel and come back sorted by path, so the
//! output does not depend on thread scheduling. Template errors are diagnostics naming the
//! template file (with the line and column Tera gives for syntax errors) and the page.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use crate::demos::{DemoCatalog, DemoKind, KINDS, Scenario};
use crate::error::{BuildError, Diagnostics, Location, SourceError, SourceErrorKind};
use crate::incremental::{HashWriter, PageCache};
use crate::markdown::{RenderedMarkdown, TocEntry};
use crate::model::{Session, Site, slugify};
use crate::output::Staging;

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path under the output directory (`security/userns/index.html`).
    pub rel_path: PathBuf,
    /// The file's contents.
    pub bytes: Vec<u8>,
}

/// The site's Markdown, rendered: one entry per page of the model, in model order.
pub struct RenderedSite {
    /// The home page body.
    pub home: RenderedMarkdown,
    /// One per [`Site::categories`].
    pub categories: Vec<RenderedMarkdown>,
    /// One per [`Site::sessions`].
    pub sessions: Vec<RenderedMarkdown>,
}

/// The loaded templates, with their text for locating render errors.
pub struct Templates {
    tera: Tera,
    sources: BTreeMap<String, String>,
    fingerprint: u64,
}

/// Loads every `*.html` under `dir`, named by their path relative to it (`partials/x.html`).
/// Each syntax error is a diagnostic on its template file.
pub fn load_templates(root: &Path, dir: &Path) -> Result<Templates, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let mut templates = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                diagnostics.push(SourceError::new(
                    crate::error::relative(root, err.path().unwrap_or(dir)),
                    Location::START,
                    SourceErrorKind::Unreadable(err.to_string()),
                ));
                continue;
            }
        };
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let rel = crate::error::relative(root, path);
        let name = crate::error::relative(dir, path).to_string_lossy().replace('\\', "/");
        let text = match crate::fs::read(path).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                diagnostics.push(SourceError::new(rel, Location::START, SourceErrorKind::NotUtf8));
                continue;
            }
            Err(err) => {
                diagnostics.push(SourceError::new(
                    rel,
                    Location::START,
                    SourceErrorKind::Unreadable(err.to_string()),
                ));
                continue;
            }
        };
        // Parse each template alone first, so that every syntax error is reported, not only
        // the first one Tera meets when loading them together.
        if let Err(err) = Tera::default().add_raw_template(&name, &text)
            && let Some((location, message)) = syntax_error(&err)
        {
            diagnostics.push(SourceError::new(
                rel,
                location,
                SourceErrorKind::TemplateSyntax(message),
            ));
            continue;
        }
        templates.push((name, text, rel));
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html"]);
    // Tera's default escaper also escapes `/`, which makes every URL unreadable in the source.
    tera.set_escape_fn(crate::highlight::escape);
    let raw: Vec<(&str, &str)> =
        templates.iter().map(|(n, t, _)| (n.as_str(), t.as_str())).collect();
    if let Err(err) = tera.add_raw_templates(raw) {
        let path = dir.strip_prefix(root).unwrap_or(dir).to_path_buf();
        diagnostics.push(SourceError::new(
            path,
            Location::START,
            SourceErrorKind::TemplateSyntax(chain(&err)),
        ));
        return Err(diagnostics);
    }
    let sources: BTreeMap<String, String> =
        templates.into_iter().map(|(name, text, _)| (name, text)).collect();
    let mut hasher = DefaultHasher::new();
    sources.hash(&mut hasher);
    Ok(Templates { tera, sources, fingerprint: hasher.finish() })
}

/// The position and explanation of a Tera syntax error, from pest's ` --> L:C` and ` = …` lines.
fn syntax_error(err: &tera::Error) -> Option<(Location, String)> {
    let source = std::error::Error::source(err)?.to_string();
    let position = source.lines().find_map(|l| l.trim_start().strip_prefix("--> "))?;
    let (line, column) = position.trim().split_once(':')?;
    let location = Location { line: line.parse().ok()?, column: column.parse().ok()? };
    let message = source
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("= "))
        .unwrap_or("invalid syntax")
        .to_owned();
    Some((location, message))
}

/// Tera's error and its causes, joined.
fn chain(err: &tera::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    base_url: &'a str,
    base_path: String,
    language: &'a str,
    categories: Vec<CategoryLinkView<'a>>,
    session_count: usize,
}

#[derive(Serialize)]
struct CategoryLinkView<'a> {
    slug: &'a str,
    title: &'a str,
    description: &'a str,
    url: String,
    count: usize,
}

#[derive(Serialize)]
struct LinkView<'a> {
    name: &'a str,
    url: String,
}

#[derive(Serialize)]
struct SpeakerView<'a> {
    name: &'a str,
    affiliation: Option<&'a str>,
    handle: Option<&'a str>,
    unverified: bool,
    note: Option<&'a str>,
    url: String,
}

#[derive(Serialize)]
struct SessionView<'a> {
    title: &'a str,
    summary: &'a str,
    url: String,
    category: CategoryLinkView<'a>,
    date: String,
    date_long: String,
    day: Option<u8>,
    track: Option<&'a str>,
    tags: Vec<LinkView<'a>>,
    confidence: &'static str,
    speakers: Vec<SpeakerView<'a>>,
    slides: Option<&'a str>,
    video: Option<&'a str>,
    source: Option<&'a str>,
    source_path: String,
}

#[derive(Serialize)]
struct SessionPageView<'a> {
    #[serde(flatten)]
    session: SessionView<'a>,
    content: &'a str,
    toc: &'a [TocEntry],
    words: usize,
    reading_minutes: usize,
    later: bool,
    unconfirmed: bool,
    previous: Option<LinkView<'a>>,
    next: Option<LinkView<'a>>,
}

#[derive(Serialize)]
struct TagView<'a> {
    name: &'a str,
    url: String,
    sessions: Vec<SessionView<'a>>,
}

/// A line of the tags or speakers index: a link and how many sessions it leads to.
#[derive(Serialize)]
struct CountedLinkView<'a> {
    name: &'a str,
    url: String,
    affiliations: Vec<&'a str>,
    count: usize,
}

#[derive(Serialize)]
struct SpeakerPageView<'a> {
    name: &'a str,
    url: String,
    affiliations: Vec<&'a str>,
    handle: Option<&'a str>,
    sessions: Vec<SessionView<'a>>,
}

struct Views<'a> {
    site: &'a Site,
    base: String,
}

impl<'a> Views<'a> {
    fn category(&self, index: usize) -> CategoryLinkView<'a> {
        let c = &self.site.categories[index];
        CategoryLinkView {
            slug: &c.slug,
            title: &c.meta.title,
            description: &c.meta.description,
            url: format!("{}{}/", self.base, c.slug),
            count: c.sessions.len(),
        }
    }

    fn category_of(&self, session: &Session) -> CategoryLinkView<'a> {
        let index = self.site.categories.iter().position(|c| c.slug == session.category);
        self.category(index.unwrap_or_default())
    }

    fn session_url(&self, session: &Session) -> String {
        format!("{}{}/{}/", self.base, session.category, session.slug)
    }

    fn session(&self, index: usize) -> SessionView<'a> {
        let s = &self.site.sessions[index];
        let meta = &s.meta;
        SessionView {
            title: &meta.title,
            summary: &meta.summary,
            url: self.session_url(s),
            category: self.category_of(s),
            date: meta.date.to_string(),
            date_long: meta.date.long(),
            day: meta.day,
            track: meta.track.as_deref(),
            tags: meta.tags.iter().map(|t| self.tag_link(t)).collect(),
            confidence: meta.confidence.as_str(),
            speakers: meta
                .speakers
                .iter()
                .map(|sp| SpeakerView {
                    name: &sp.name,
                    affiliation: sp.affiliation.as_deref(),
                    handle: sp.handle.as_deref(),
                    unverified: sp.unverified,
                    note: sp.note.as_deref(),
                    url: format!("{}speakers/{}/", self.base, slugify(&sp.name)),
                })
                .collect(),
            slides: meta.links.slides.as_deref(),
            video: meta.links.video.as_deref(),
            source: meta.links.source.as_deref(),
            source_path: s.source.path.to_string_lossy().replace('\\', "/"),
        }
    }

    fn tag_link(&self, tag: &'a str) -> LinkView<'a> {
        LinkView { name: tag, url: format!("{}tags/{tag}/", self.base) }
    }

    fn site_view(&self) -> SiteView<'a> {
        let config = &self.site.config;
        SiteView {
            title: &config.title,
            description: &config.description,
            base_url: &config.base_url,
            base_path: self.base.clone(),
            language: &config.language,
            categories: (0..self.site.categories.len()).map(|i| self.category(i)).collect(),
            session_count: self.site.sessions.len(),
        }
    }
}

/// A demo, for its own page, its embed page, the slide deck and the home page.
#[derive(Serialize)]
struct DemoView<'a> {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    url: String,
    embed_url: String,
    scenarios: &'a [Scenario],
    /// The sessions whose write-up embeds it.
    sessions: Vec<SessionView<'a>>,
}

fn demo_views<'a>(
    views: &Views<'a>,
    rendered: &RenderedSite,
    catalog: Option<&'a DemoCatalog>,
) -> Vec<DemoView<'a>> {
    let Some(catalog) = catalog else { return Vec::new() };
    let uses = |kind: DemoKind, i: usize| rendered.sessions[i].demos.iter().any(|d| d.kind == kind);
    KINDS
        .iter()
        .map(|&kind| DemoView {
            name: kind.name(),
            title: kind.title(),
            description: kind.description(),
            url: format!("{}demos/{}/", views.base, kind.name()),
            embed_url: format!("{}demos/{}/embed/", views.base, kind.name()),
            scenarios: catalog.scenarios(kind),
            sessions: (0..views.site.sessions.len())
                .filter(|&i| uses(kind, i))
                .map(|i| views.session(i))
                .collect(),
        })
        .collect()
}

/// A page to render: its output path, template, what it is (for messages) and the function
/// that builds its context. Contexts are built on the rendering threads, one page at a time,
/// since each holds a serialized copy of everything the page shows.
struct Job<'v> {
    rel_path: PathBuf,
    template: &'static str,
    page: String,
    context: ContextFn<'v>,
}

type ContextFn<'v> = Box<dyn Fn() -> Context + Send + Sync + 'v>;

/// A page gone through its template (its path, its file unless written already, its cache key
/// and whether it was rendered afresh), or the template error it met.
pub struct PageOutcome(Result<(PathBuf, Option<OutputFile>, u64, bool), SourceError>);

/// The sorted paths of the pages rendered, and the pages kept: all of them, unless the
/// renderer was given somewhere to write them.
pub struct RenderedPages {
    /// Every page's path under the output directory, sorted.
    pub paths: Vec<PathBuf>,
    /// The pages not written by the build's writer, sorted by path.
    pub files: Vec<OutputFile>,
}

/// Renders the pages of a site. Session pages render one at a time with their Markdown
/// ([`PageRenderer::session`]), so that a build need not hold every page's HTML; the other
/// pages render together from what the sessions left ([`PageRenderer::others`]), and
/// [`finish`] gathers them all.
///
/// With a `previous` cache (kept by `serve`), a page whose templates and context are those of
/// the previous build is taken from it instead of rendered again. With a `staging` directory
/// (and no cache), each page is written there as soon as it is rendered and not kept in memory.
pub struct PageRenderer<'a> {
    site: &'a Site,
    templates: &'a Templates,
    views: Views<'a>,
    site_view: SiteView<'a>,
    has_demos: bool,
    previous: Option<&'a PageCache>,
    staging: Option<&'a Staging>,
}

impl<'a> PageRenderer<'a> {
    /// A renderer of `site`'s pages; `has_demos` when the site has a demo catalog.
    pub fn new(
        site: &'a Site,
        templates: &'a Templates,
        has_demos: bool,
        previous: Option<&'a PageCache>,
        staging: Option<&'a Staging>,
    ) -> Self {
        let views = Views { site, base: site.config.base_path() };
        let site_view = views.site_view();
        let staging = staging.filter(|_| previous.is_none());
        PageRenderer { site, templates, views, site_view, has_demos, previous, staging }
    }

    /// A job whose context holds what every page shows, then `extra`.
    fn job<'v>(
        &'v self,
        rel_path: String,
        template: &'static str,
        page: String,
        (title, description): (String, String),
        extra: ContextFn<'v>,
    ) -> Job<'v> {
        let path = rel_path.trim_end_matches("index.html").to_owned();
        let context: ContextFn<'v> = Box::new(move || {
            let mut context = Context::new();
            context.insert("site", &self.site_view);
            context.insert("has_demos", &self.has_demos);
            context.insert("page_title", &title);
            context.insert("page_description", &description);
            context.insert(
                "page_type",
                if template == "session.html" { "article" } else { "website" },
            );
            context.insert("page_path", &path);
            context.extend(extra());
            context
        });
        Job { rel_path: PathBuf::from(rel_path), template, page, context }
    }

    /// Renders the job's page (or takes it from the cache) and writes it to the staging
    /// directory if there is one. Only writing can fail the build here; a template error is
    /// the page's outcome.
    fn render(&self, job: &Job<'_>) -> anyhow::Result<PageOutcome> {
        let context = (job.context)();
        let key = self.previous.map_or(0, |_| page_key(self.templates.fingerprint, job, &context));
        let (bytes, fresh) = match self.previous.and_then(|c| c.get(&job.rel_path, key)) {
            Some(bytes) => (bytes.to_vec(), false),
            None => match self.templates.tera.render(job.template, &context) {
                Ok(html) => (html.into_bytes(), true),
                Err(err) => {
                    return Ok(PageOutcome(Err(render_error(job, &err, &self.templates.sources))));
                }
            },
        };
        let file = OutputFile { rel_path: job.rel_path.clone(), bytes };
        let kept = match self.staging {
            Some(staging) => {
                staging.write(&file)?;
                None
            }
            None => Some(file),
        };
        Ok(PageOutcome(Ok((job.rel_path.clone(), kept, key, fresh))))
    }

    /// Renders session `i`, whose Markdown rendered to `md`.
    pub fn session(&self, i: usize, md: &RenderedMarkdown) -> anyhow::Result<PageOutcome> {
        let site = self.site;
        let views = &self.views;
        let session = &site.sessions[i];
        let job = self.job(
            format!("{}/{}/index.html", session.category, session.slug),
            "session.html",
            display(&session.source.path),
            (session.meta.title.clone(), session.meta.summary.clone()),
            Box::new(move || {
                let category = site.categories.iter().find(|c| c.slug == session.category);
                let siblings = category.map_or(&[][..], |c| c.sessions.as_slice());
                let position = siblings.iter().position(|&s| s == i);
                let neighbour = |offset: isize| {
                    let at = position?.checked_add_signed(offset)?;
                    let &index = siblings.get(at)?;
                    let s = &site.sessions[index];
                    Some(LinkView { name: &s.meta.title, url: views.session_url(s) })
                };
                let page = SessionPageView {
                    session: views.session(i),
                    content: &md.html,
                    toc: &md.toc,
                    words: md.words,
                    reading_minutes: md.words.div_ceil(200).max(1),
                    later: md.badges.0,
                    unconfirmed: md.badges.1,
                    previous: neighbour(-1),
                    next: neighbour(1),
                };
                let mut ctx = Context::new();
                ctx.insert("session", &page);
                ctx
            }),
        );
        self.render(&job)
    }

    /// Renders the pages that need nothing of the sessions' Markdown: categories (whose own
    /// Markdown rendered to `categories`), tags, speakers, 404 and search. They can render while
    /// the sessions stream.
    pub fn listings(&self, categories: &[RenderedMarkdown]) -> anyhow::Result<Vec<PageOutcome>> {
        let site = self.site;
        let views = &self.views;
        let mut jobs: Vec<Job<'_>> = Vec::new();
        for (i, category) in site.categories.iter().enumerate() {
            jobs.push(self.job(
                format!("{}/index.html", category.slug),
                "category.html",
                display(&category.source.path),
                (category.meta.title.clone(), category.meta.description.clone()),
                Box::new(move || {
                    let mut ctx = Context::new();
                    ctx.insert("category", &views.category(i));
                    ctx.insert("content", &categories[i].html);
                    let sessions: Vec<SessionView<'_>> =
                        category.sessions.iter().map(|&s| views.session(s)).collect();
                    ctx.insert("sessions", &sessions);
                    ctx
                }),
            ));
        }
        for (name, sessions) in &site.tags {
            jobs.push(self.job(
                format!("tags/{name}/index.html"),
                "tag.html",
                format!("tag `{name}`"),
                (format!("Tag: {name}"), format!("DockerCon EU 2015 sessions tagged {name}.")),
                Box::new(move || {
                    let tag = TagView {
                        name,
                        url: format!("{}tags/{name}/", views.base),
                        sessions: sessions.iter().map(|&s| views.session(s)).collect(),
                    };
                    let mut ctx = Context::new();
                    ctx.insert("tag", &tag);
                    ctx
                }),
            ));
        }
        jobs.push(self.job(
            "tags/index.html".into(),
            "tags.html",
            "the tags index".into(),
            ("Tags".into(), "Every tag of the DockerCon EU 2015 session notes.".into()),
            Box::new(move || {
                let tags: Vec<CountedLinkView<'_>> = site
                    .tags
                    .iter()
                    .map(|(name, sessions)| CountedLinkView {
                        name,
                        url: format!("{}tags/{name}/", views.base),
                        affiliations: Vec::new(),
                        count: sessions.len(),
                    })
                    .collect();
                let mut ctx = Context::new();
                ctx.insert("tags", &tags);
                ctx
            }),
        ));

        for (slug, speaker) in &site.speakers {
            jobs.push(self.job(
                format!("speakers/{slug}/index.html"),
                "speaker.html",
                format!("speaker `{}`", speaker.name),
                (
                    speaker.name.clone(),
                    format!("DockerCon EU 2015 sessions given by {}.", speaker.name),
                ),
                Box::new(move || {
                    let page = SpeakerPageView {
                        name: &speaker.name,
                        url: format!("{}speakers/{slug}/", views.base),
                        affiliations: speaker.affiliations.iter().map(String::as_str).collect(),
                        handle: speaker.handle.as_deref(),
                        sessions: speaker.sessions.iter().map(|&s| views.session(s)).collect(),
                    };
                    let mut ctx = Context::new();
                    ctx.insert("speaker", &page);
                    ctx
                }),
            ));
        }
        jobs.push(self.job(
            "speakers/index.html".into(),
            "speakers.html",
            "the speakers index".into(),
            ("Speakers".into(), "Every speaker of the DockerCon EU 2015 session notes.".into()),
            Box::new(move || {
                let speakers: Vec<CountedLinkView<'_>> = site
                    .speakers
                    .iter()
                    .map(|(slug, speaker)| CountedLinkView {
                        name: &speaker.name,
                        url: format!("{}speakers/{slug}/", views.base),
                        affiliations: speaker.affiliations.iter().map(String::as_str).collect(),
                        count: speaker.sessions.len(),
                    })
                    .collect();
                let mut ctx = Context::new();
                ctx.insert("speakers", &speakers);
                ctx
            }),
        ));

        jobs.push(self.job(
            "404.html".into(),
            "404.html",
            "the 404 page".into(),
            ("Page not found".into(), site.config.description.clone()),
            Box::new(Context::new),
        ));
        jobs.push(self.job(
            "search/index.html".into(),
            "search.html",
            "the search page".into(),
            ("Search".into(), "Search the DockerCon EU 2015 session notes.".into()),
            Box::new(Context::new),
        ));

        jobs.par_iter().map(|job| self.render(job)).collect()
    }

    /// Renders the home page and the demos' pages, which list the sessions that embed each
    /// demo: `rendered.sessions` need only say which demos each session embeds.
    pub fn with_demos(
        &self,
        rendered: &RenderedSite,
        demos: Option<&DemoCatalog>,
    ) -> anyhow::Result<Vec<PageOutcome>> {
        let site = self.site;
        let views = &self.views;
        let demo_list = demo_views(views, rendered, demos);
        let demo_list = &demo_list;
        let mut jobs: Vec<Job<'_>> = Vec::new();
        let (home_meta, home_source) = &site.home;
        let home_description = home_meta.description.as_deref().unwrap_or(&site.config.description);
        jobs.push(self.job(
            "index.html".into(),
            "index.html",
            display(&home_source.path),
            (site.config.title.clone(), home_description.to_owned()),
            Box::new(move || {
                let mut ctx = Context::new();
                ctx.insert("content", &rendered.home.html);
                ctx.insert("home_title", &home_meta.title);
                ctx.insert("demos", demo_list);
                ctx
            }),
        ));

        for demo in demo_list {
            for (path, template, what) in [
                (format!("demos/{}/index.html", demo.name), "demo.html", "page"),
                (format!("demos/{}/embed/index.html", demo.name), "demo-embed.html", "embed page"),
            ] {
                jobs.push(self.job(
                    path,
                    template,
                    format!("the {} demo's {what}", demo.name),
                    (demo.title.to_owned(), demo.description.to_owned()),
                    Box::new(move || {
                        let mut ctx = Context::new();
                        ctx.insert("demo", demo);
                        ctx
                    }),
                ));
            }
        }
        if !demo_list.is_empty() {
            jobs.push(self.job(
                "demos/slides/index.html".into(),
                "slides.html",
                "the demo slide deck".into(),
                ("Demos in slides".into(), "The three kernel demos in a reveal.js deck.".into()),
                Box::new(move || {
                    let mut ctx = Context::new();
                    ctx.insert("demos", demo_list);
                    ctx
                }),
            ));
        }

        jobs.par_iter().map(|job| self.render(job)).collect()
    }
}

/// Gathers the pages' outcomes: sorted paths and kept files, or every template error. With a
/// `cache`, and no error, the cache keeps exactly these pages.
pub fn finish(
    outcomes: Vec<PageOutcome>,
    cache: Option<&mut PageCache>,
) -> Result<RenderedPages, BuildError> {
    let mut diagnostics = Diagnostics::default();
    let mut paths = Vec::with_capacity(outcomes.len());
    let mut files = Vec::with_capacity(outcomes.len());
    let mut keys = Vec::with_capacity(outcomes.len());
    let mut fresh = 0;
    for PageOutcome(outcome) in outcomes {
        match outcome {
            Ok((path, file, key, rendered)) => {
                paths.push(path);
                files.extend(file);
                keys.push(key);
                fresh += usize::from(rendered);
            }
            Err(err) => diagnostics.push(err),
        }
    }
    if let Some(cache) = cache
        && diagnostics.is_empty()
    {
        let pages: HashMap<PathBuf, (u64, Vec<u8>)> = files
            .iter()
            .zip(keys)
            .map(|(file, key)| (file.rel_path.clone(), (key, file.bytes.clone())))
            .collect();
        cache.replace(pages, fresh);
    }
    paths.sort();
    files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    Ok(diagnostics.finish(RenderedPages { paths, files })?)
}

/// What a page's HTML is computed from: the template set, the page's template and context.
fn page_key(templates: u64, job: &Job<'_>, context: &Context) -> u64 {
    let mut writer = HashWriter(DefaultHasher::new());
    templates.hash(&mut writer.0);
    job.template.hash(&mut writer.0);
    // Serializing a `serde_json::Value` into a hasher cannot fail.
    let _ = serde_json::to_writer(&mut writer, &context.clone().into_json());
    writer.0.finish()
}

fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// A render error as a diagnostic. Tera gives no position for these, so when the error names a
/// variable, the diagnostic points at the variable's first use in the failing template.
fn render_error(
    job: &Job<'_>,
    err: &tera::Error,
    sources: &BTreeMap<String, String>,
) -> SourceError {
    let mut message = chain(err);
    let prefix = format!("Failed to render '{}': ", job.template);
    if let Some(rest) = message.strip_prefix(&prefix) {
        message = rest.to_owned();
    }
    let template = message
        .rsplit_once("while rendering '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map_or(job.template, |(name, _)| name);
    let location = message
        .split_once("Variable `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .and_then(|(variable, _)| {
            let text = sources.get(template)?;
            text.find(variable).map(|i| Location::from_offset(text, i))
        })
        .unwrap_or(Location::START);
    SourceError::new(
        Path::new("templates").join(template),
        location,
        SourceErrorKind::TemplateRender { page: job.page.clone(), message },
    )
}
