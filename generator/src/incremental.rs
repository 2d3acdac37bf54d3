//! What `serve` keeps between builds so that a rebuild redoes only what its inputs changed.
//!
//! A rebuild still runs the whole pipeline of [`crate::build`]: reading `content/` and
//! linking the model take a few milliseconds. The costly stages look their inputs up here:
//!
//! - a page's Markdown is rendered again only when its body, its line offset or the
//!   rendering settings changed ([`MarkdownCache`]);
//! - a page goes through its template again only when the template set or the page's
//!   context changed ([`PageCache`]), so editing one session's body re-renders that page
//!   alone, and editing its title also re-renders the listings that show it;
//! - a script of `static/` is minified again only when its text changed ([`ScriptCache`]);
//! - only files whose bytes or sources changed are written ([`crate::output::Written`]).
//!
//! Every key holds everything its value is computed from, so nothing here can go stale; an
//! empty cache gives the same output as a plain build.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io;
use std::path::PathBuf;

use crate::markdown::{MarkdownContext, RenderedMarkdown, render_markdown};
use crate::model::Source;
use crate::output::Written;
use crate::render::OutputFile;
use crate::scripts::ScriptCache;

/// The caches one `serve` session keeps from build to build. Start with `default()`.
#[derive(Default)]
pub struct BuildCache {
    pub(crate) markdown: MarkdownCache,
    pub(crate) pages: PageCache,
    pub(crate) scripts: ScriptCache,
    /// What the output directory holds; `None` until the first build wrote it.
    pub(crate) output: Option<Written>,
    /// The WebAssembly build's files (the glue and the module), compiled by the first build
    /// and part of every rebuild's output: a rebuild that left them out would delete them.
    pub(crate) wasm: Vec<OutputFile>,
}

/// Rendered Markdown by source path, with the inputs it was rendered from.
#[derive(Default)]
pub(crate) struct MarkdownCache {
    settings: Option<(bool, String)>,
    pages: HashMap<PathBuf, (String, u32, RenderedMarkdown)>,
}

impl MarkdownCache {
    /// Forgets everything if the rendering settings differ from the previous build's.
    pub(crate) fn prepare(&mut self, ctx: MarkdownContext<'_>) {
        let settings = (ctx.allow_html, ctx.base_path.to_owned());
        if self.settings.as_ref() != Some(&settings) {
            self.pages.clear();
            self.settings = Some(settings);
        }
    }

    /// The cached rendering of `source` if its body is unchanged, else a fresh one.
    pub(crate) fn render(&self, source: &Source, ctx: MarkdownContext<'_>) -> RenderedMarkdown {
        match self.pages.get(&source.path) {
            Some((body, offset, md))
                if *body == source.body && *offset == source.body_line_offset =>
            {
                md.clone()
            }
            _ => render_markdown(source, ctx),
        }
    }

    /// Keeps exactly this build's renderings.
    pub(crate) fn replace<'a>(
        &mut self,
        pages: impl IntoIterator<Item = (&'a Source, &'a RenderedMarkdown)>,
    ) {
        self.pages = pages
            .into_iter()
            .map(|(s, md)| (s.path.clone(), (s.body.clone(), s.body_line_offset, md.clone())))
            .collect();
    }
}

/// Rendered pages by output path (kept by `serve` between builds), keyed by a hash of their template set and context.
#[derive(Default)]
pub struct PageCache {
    pages: HashMap<PathBuf, (u64, Vec<u8>)>,
    /// How many of the last build's pages went through their template.
    pub(crate) rendered: usize,
}

impl PageCache {
    /// The page's previous bytes if `key` is the one they were rendered with.
    pub(crate) fn get(&self, rel_path: &PathBuf, key: u64) -> Option<&[u8]> {
        self.pages.get(rel_path).filter(|(k, _)| *k == key).map(|(_, bytes)| bytes.as_slice())
    }

    /// Keeps exactly this build's pages, `rendered` of which were rendered afresh.
    pub(crate) fn replace(&mut self, pages: HashMap<PathBuf, (u64, Vec<u8>)>, rendered: usize) {
        self.pages = pages;
        self.rendered = rendered;
    }
}

/// Feeds serialized JSON into a hasher without building the string.
pub(crate) struct HashWriter(pub(crate) DefaultHasher);

impl io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A hash of `bytes`, for telling whether an output file changed within one process.
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}
