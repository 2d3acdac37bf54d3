//! The site generator for the DockerCon EU 2015 session notes.
//!
//! [`build`] runs the pipeline, one module per stage:
//!
//! 1. [`config`]: `site.toml` → [`config::SiteConfig`];
//! 2. [`discover`]: `content/` → the Markdown files and the assets, in path order;
//! 3. [`front_matter`] and [`model`]: files → a checked, ordered [`model::Site`];
//! 4. [`markdown`] (with [`highlight`]): each body → HTML, table of contents, `@/` links,
//!    ```` ```demo ```` blocks checked against the [`demos`] catalog;
//! 5. [`links`]: every `@/` link checked against every page's headings;
//! 6. [`render`]: the site through the Tera templates → output files, [`feeds`]: Atom
//!    feeds, sitemap, robots.txt and `sessions.json`, and [`search`]: the search index.
//!    Each session goes through its template and into its search terms as soon as its
//!    Markdown is rendered (stages 4 and 6 at once), so a build never holds every page's HTML;
//! 7. [`demos`]: `wasm-demos` compiled to WebAssembly, with its JS glue, when the site has
//!    demos and the build writes;
//! 8. [`output`]: files, `static/` (its scripts minified by [`scripts`]) and assets → a
//!    staging directory swapped in for `public/`.
//!
//! Stages 1–6 collect problems instead of stopping at the first one; any problem fails the
//! build with all of them, sorted, before the output directory is touched (pages already
//! written to the staging directory stay there, for the next build to reuse).
//!
//! [`serve`] runs the same pipeline on every change, through [`build_with`] and the caches of
//! [`incremental`], so that it redoes only what the change affects.

pub mod alloc;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod demos;
pub mod discover;
pub mod error;
pub mod feeds;
pub mod fresh;
pub mod front_matter;
pub mod fs;
pub mod highlight;
pub mod incremental;
pub mod links;
pub mod markdown;
pub mod model;
pub mod output;
pub mod render;
pub mod scripts;
pub mod search;
pub mod serve;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::config::SiteConfig;
use crate::discover::FileKind;
use crate::error::{BuildError, Diagnostics, Location, SourceError, SourceErrorKind, Warning};
use crate::highlight::{HighlightCache, Highlighter};
use crate::incremental::BuildCache;
use crate::markdown::{MarkdownContext, RenderedMarkdown, render_markdown};
use crate::render::{OutputFile, PageRenderer, RenderedSite};

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The site root: `site.toml`, `content/`, `templates/`, `static/`.
    pub root: PathBuf,
    /// The output directory (default `<root>/public`).
    pub out_dir: Option<PathBuf>,
    /// Replaces `base_url` from `site.toml`.
    pub base_url: Option<String>,
    /// Include sessions marked `draft = true`.
    pub drafts: bool,
    /// Write the output; `false` only validates (`check`).
    pub write: bool,
    /// Compile the demos to WebAssembly (when the site has demos and the build writes).
    pub wasm: bool,
}

/// What a build did.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Session pages.
    pub sessions: usize,
    /// Category pages.
    pub categories: usize,
    /// Tag pages (the index excluded).
    pub tags: usize,
    /// Speaker pages (the index excluded).
    pub speakers: usize,
    /// Every HTML page rendered.
    pub pages: usize,
    /// The pages that went through their template: all of them, except in a [`build_with`]
    /// that found the others unchanged in its cache.
    pub pages_rendered: usize,
    /// Files written to the output directory (0 for `check`).
    pub files_written: usize,
    /// Nothing was done: the output directory already holds this build ([`fresh`]).
    pub up_to_date: bool,
    /// The output directory.
    pub out_dir: PathBuf,
    /// Soft problems, sorted.
    pub warnings: Vec<Warning>,
    /// Wall time of the whole build.
    pub elapsed: Duration,
}

/// Builds (or, with `write: false`, checks) the site.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    build_with(options, None)
}

/// [`build`], reusing and refilling `cache` when one is given: the first build with a cache
/// replaces the output directory as [`build`] does, later ones update it in place.
pub fn build_with(
    options: &BuildOptions,
    mut cache: Option<&mut BuildCache>,
) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let root = options.root.as_path();
    let content_dir = root.join("content");
    let out_dir = options.out_dir.clone().unwrap_or_else(|| root.join("public"));
    if !root.is_dir() {
        return Err(BuildError::Usage(format!(
            "site root `{}` is not a directory: give the directory that holds site.toml and content/ with --root",
            root.display()
        )));
    }
    if options.write && output::is_within(&out_dir, &content_dir) {
        return Err(BuildError::Usage(format!(
            "output directory `{}` is inside the content directory `{}`: choose a directory outside it, such as `{}`",
            out_dir.display(),
            content_dir.display(),
            root.join("public").display()
        )));
    }

    let stamp_inputs =
        if options.write && cache.is_none() { fresh::inputs(options, &out_dir) } else { None };
    if let Some(inputs) = stamp_inputs
        && let Some(report) = fresh::check(root, inputs, &out_dir)
    {
        return Ok(BuildReport { elapsed: started.elapsed(), ..report });
    }

    let mut diagnostics = Diagnostics::default();
    let config = load_config(root, options.base_url.as_deref(), &mut diagnostics)?;
    // Minifying the scripts takes as long as the rest of the real site's reading and
    // parsing, so it runs alongside.
    let script_cache = cache.as_deref_mut().map(|c| &mut c.scripts);
    let ((mut discovered, discover_errors), ((scripts, script_errors), templates)) = rayon::join(
        || discover::discover(root, &content_dir),
        || {
            rayon::join(
                || scripts::static_scripts(root, script_cache),
                || render::load_templates(root, &root.join("templates")),
            )
        },
    );
    diagnostics.extend(discover_errors);
    diagnostics.extend(script_errors);
    let tera = match templates {
        Ok(tera) => Some(tera),
        Err(errors) => {
            diagnostics.extend(errors);
            None
        }
    };
    let files = std::mem::take(&mut discovered.files);
    let site = match config.map(|c| model::link(c, files, &discovered.kinds, options.drafts)) {
        Some((site, errors)) => {
            diagnostics.extend(errors);
            site
        }
        None => None,
    };
    let Some(site) = site else {
        return Err(diagnostics.into());
    };

    let (catalog, demo_errors) = demos::load_catalog(root);
    diagnostics.extend(demo_errors);
    let (highlight_cache, cache_warning) = HighlightCache::load(root);
    let highlighter = Highlighter::with_cache(highlight_cache);
    let base_path = site.config.base_path();
    let ctx = MarkdownContext {
        highlighter: &highlighter,
        allow_html: site.config.allow_html,
        base_path: &base_path,
        demos: catalog.as_ref(),
    };
    if let Some(cache) = cache.as_deref_mut() {
        cache.markdown.prepare(ctx);
    }
    let markdown = cache.as_deref().map(|c| &c.markdown);
    let md = |source: &model::Source| match markdown {
        Some(markdown) => markdown.render(source, ctx),
        None => render_markdown(source, ctx),
    };
    let home = md(&site.home.1);
    let categories: Vec<RenderedMarkdown> =
        site.categories.par_iter().map(|c| md(&c.source)).collect();

    // Sessions stream: each one's Markdown goes through its page template and into its search
    // terms at once, so that a build without a cache keeps neither its HTML nor its text. A
    // page renders only while the site is valid so far: a template error on an invalid site
    // could be a consequence of a content error already reported.
    let valid_so_far = tera.is_some() && diagnostics.is_empty();
    let static_dir = root.join("static");
    let staging = match &cache {
        None if options.write && valid_so_far => {
            Some(output::Staging::create(&static_dir, &discovered.assets, &out_dir, &scripts)?)
        }
        _ => None,
    };
    let renderer = tera.as_ref().filter(|_| valid_so_far).map(|templates| {
        PageRenderer::new(
            &site,
            templates,
            catalog.is_some(),
            cache.as_deref().map(|c| &c.pages),
            staging.as_ref(),
        )
    });
    let keep_text = cache.is_some();
    // The listings need nothing of the sessions' Markdown: they render alongside, so that no
    // core waits at the end of the stream.
    let (streamed, listings) = rayon::join(
        || {
            site.sessions
                .par_iter()
                .enumerate()
                .map(|(i, session)| {
                    let mut md = md(&session.source);
                    let page = match &renderer {
                        Some(renderer) if md.errors.is_empty() => Some(renderer.session(i, &md)?),
                        _ => None,
                    };
                    let terms = search::page_terms(&site, i, &md);
                    if !keep_text {
                        md.html = String::new();
                        md.text = String::new();
                    }
                    Ok((md, page, terms))
                })
                .collect::<anyhow::Result<Vec<_>>>()
        },
        || renderer.as_ref().map(|renderer| renderer.listings(&categories)),
    );
    let streamed = streamed.map_err(BuildError::Internal)?;
    let listings = listings.transpose().map_err(BuildError::Internal)?;
    let mut sessions = Vec::with_capacity(streamed.len());
    let mut session_pages = Vec::with_capacity(streamed.len());
    let mut terms = Vec::with_capacity(streamed.len());
    for (md, page, page_terms) in streamed {
        sessions.push(md);
        session_pages.extend(page);
        terms.push(page_terms);
    }
    let rendered = RenderedSite { home, categories, sessions };

    let pages: BTreeMap<String, &BTreeSet<String>> = site
        .categories
        .iter()
        .zip(&rendered.categories)
        .map(|(c, md)| (format!("{}/_index.md", c.slug), &md.anchors))
        .chain(
            site.sessions
                .iter()
                .zip(&rendered.sessions)
                .map(|(s, md)| (format!("{}/{}.md", s.category, s.slug), &md.anchors)),
        )
        .collect();
    let all_pages = || -> Vec<(&Path, &RenderedMarkdown)> {
        std::iter::once((site.home.1.path.as_path(), &rendered.home))
            .chain(
                site.categories.iter().map(|c| c.source.path.as_path()).zip(&rendered.categories),
            )
            .chain(site.sessions.iter().map(|s| s.source.path.as_path()).zip(&rendered.sessions))
            .collect()
    };
    let unparsed: BTreeSet<String> = discovered
        .kinds
        .iter()
        .filter_map(|kind| match kind {
            FileKind::CategoryIndex { category } => Some(format!("{category}/_index.md")),
            FileKind::Session { category, slug } => Some(format!("{category}/{slug}.md")),
            FileKind::Home => None,
        })
        .filter(|key| !pages.contains_key(key))
        .collect();
    diagnostics.extend(links::check_links(all_pages(), &pages, &unparsed));
    diagnostics
        .extend(all_pages().into_iter().flat_map(|(_, md)| md.errors.iter().cloned()).collect());
    let mut warnings: Vec<Warning> =
        all_pages().into_iter().flat_map(|(_, md)| md.warnings.iter().cloned()).collect();
    warnings.extend(cache_warning.map(cache_problem));

    let renderer = match renderer {
        Some(renderer) if diagnostics.is_empty() => renderer,
        _ => return Err(diagnostics.into()),
    };
    let highlight_css = highlighter.css();
    let highlight_cache = highlighter.into_cache().filter(|_| options.write);
    let ((others, search_index), highlight_saved) = rayon::join(
        || {
            rayon::join(
                || renderer.with_demos(&rendered, catalog.as_ref()),
                || search::build_index(&terms),
            )
        },
        // Highlighting is over: its cache is written while the pages render.
        || highlight_cache.map(HighlightCache::save),
    );
    drop(renderer);
    if let Some(Err(err)) = highlight_saved {
        warnings.push(cache_problem(format!("{err:#}; the next build highlights again")));
    }
    let mut outcomes = others.map_err(BuildError::Internal)?;
    outcomes.extend(listings.into_iter().flatten());
    outcomes.extend(session_pages);
    if let Some(cache) = cache.as_deref_mut() {
        let sources = std::iter::once(&site.home.1)
            .chain(site.categories.iter().map(|c| &c.source))
            .chain(site.sessions.iter().map(|s| &s.source));
        let mds =
            std::iter::once(&rendered.home).chain(&rendered.categories).chain(&rendered.sessions);
        cache.markdown.replace(sources.zip(mds));
    }
    let pages = render::finish(outcomes, cache.as_deref_mut().map(|c| &mut c.pages))?;
    let page_count = pages.paths.len();
    let pages_rendered = cache.as_deref().map_or(page_count, |c| c.pages.rendered);
    let mut files = pages.files;
    files.extend(feeds::render_feeds(&site, &pages.paths));
    files.extend(search_index);
    files.extend(scripts);
    files.push(OutputFile {
        rel_path: PathBuf::from("css/highlight.css"),
        bytes: highlight_css.into_bytes(),
    });

    if let Some(catalog) = &catalog {
        files.extend(demos::scenario_files_output(catalog));
        // A cached rebuild writes again the wasm the first build compiled: serve starts over
        // with an empty cache when `wasm-demos/` changes.
        if options.write && options.wasm {
            match cache.as_deref_mut() {
                Some(cache) if cache.output.is_some() => files.extend(cache.wasm.iter().cloned()),
                cache => {
                    let wasm = demos::build_wasm(root).map_err(BuildError::Internal)?;
                    if let Some(cache) = cache {
                        cache.wasm.clone_from(&wasm);
                    }
                    files.extend(wasm);
                }
            }
        }
    }

    let files_written = match (staging, cache.map(|c| &mut c.output)) {
        (Some(staging), _) => {
            files.par_iter().try_for_each(|file| staging.write(file))?;
            staging.finish()?
        }
        _ if !options.write => 0,
        (None, Some(Some(written))) => {
            output::sync_site(&files, &static_dir, &discovered.assets, &out_dir, written)?
        }
        (None, Some(recorded @ None)) => {
            let (count, written) =
                output::write_site_recorded(&files, &static_dir, &discovered.assets, &out_dir)?;
            *recorded = Some(written);
            count
        }
        (None, None) => 0,
    };
    warnings.sort();
    let mut report = BuildReport {
        sessions: site.sessions.len(),
        categories: site.categories.len(),
        tags: site.tags.len(),
        speakers: site.speakers.len(),
        pages: page_count,
        pages_rendered,
        files_written,
        out_dir,
        up_to_date: false,
        warnings,
        elapsed: started.elapsed(),
    };
    if let Some(inputs) = stamp_inputs
        && let Err(err) = fresh::record(root, inputs, &report)
    {
        report.warnings.push(Warning {
            path: PathBuf::from(fresh::STAMP),
            location: Location::START,
            message: format!("{err:#}; the next build is a full one"),
        });
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

fn cache_problem(message: String) -> Warning {
    Warning { path: PathBuf::from(".cache/highlight.bin"), location: Location::START, message }
}

fn load_config(
    root: &Path,
    base_url: Option<&str>,
    diagnostics: &mut Diagnostics,
) -> Result<Option<SiteConfig>, BuildError> {
    let rel = Path::new("site.toml");
    let text = match fs::read(&root.join(rel)) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                diagnostics.push(SourceError::new(rel, Location::START, SourceErrorKind::NotUtf8));
                return Ok(None);
            }
        },
        Err(err) => {
            diagnostics.push(SourceError::new(
                rel,
                Location::START,
                SourceErrorKind::Unreadable(err.to_string()),
            ));
            return Ok(None);
        }
    };
    match SiteConfig::parse(rel, &text) {
        Ok(config) => match base_url {
            Some(url) => config.with_base_url(url).map(Some).map_err(BuildError::Usage),
            None => Ok(Some(config)),
        },
        Err(errors) => {
            diagnostics.extend(Diagnostics::from_iter(errors));
            Ok(None)
        }
    }
}
