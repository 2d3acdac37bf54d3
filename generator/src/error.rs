//! Diagnostics: every problem found in the site's sources, located as `path:line:col`.
//!
//! Validation stages push [`SourceError`]s into a [`Diagnostics`] and keep going, so one run
//! reports every problem; [`crate::build`] fails with all of them, sorted by path and position.
//! Plumbing failures (a disk error while writing `public/`) are not diagnostics: they travel
//! as `anyhow::Error` with the path in their context.

use std::fmt;
use std::path::{Path, PathBuf};

/// A 1-based line and column in a source file; columns count characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in characters, starting at 1.
    pub column: u32,
}

impl Location {
    /// The start of a file.
    pub const START: Location = Location { line: 1, column: 1 };

    /// The location of byte `offset` in `text` (clamped to the text's length).
    pub fn from_offset(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location { line: to_u32(line), column: to_u32(column) }
    }

    /// This location moved down by `lines` lines (for text that starts `lines` lines into a file).
    pub fn shifted(self, lines: u32) -> Location {
        Location { line: self.line + lines, column: self.column }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One problem in one source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// The file, relative to the site root (`content/networking/overlay.md`).
    pub path: PathBuf,
    /// Where in the file.
    pub location: Location,
    /// What is wrong.
    pub kind: SourceErrorKind,
}

impl SourceError {
    /// A problem at `location` in `path`.
    pub fn new(path: impl Into<PathBuf>, location: Location, kind: SourceErrorKind) -> Self {
        Self { path: path.into(), location, kind }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.location.line,
            self.location.column,
            self.kind
        )
    }
}

impl std::error::Error for SourceError {}

/// What is wrong with a source file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceErrorKind {
    /// The file could not be read at all.
    #[error("cannot read file: {0}")]
    Unreadable(String),
    /// The file is not UTF-8.
    #[error("file is not valid UTF-8 (save it as UTF-8)")]
    NotUtf8,
    /// The file does not start with a `+++` (TOML) or `---` (YAML) front matter block.
    #[error("missing front matter: start the file with a `+++` (TOML) or `---` (YAML) line")]
    MissingFrontMatter,
    /// The front matter block is opened but never closed.
    #[error("front matter opened with `{0}` is never closed: add a line `{0}` after it")]
    UnclosedFrontMatter(&'static str),
    /// `site.toml` or front matter failed to deserialize (syntax, unknown field, wrong type).
    #[error("{0}")]
    InvalidData(String),
    /// A field has a value outside what it accepts.
    #[error("{0}")]
    InvalidValue(String),
    /// A session sits in a directory that `site.toml` does not list as a category.
    #[error("unknown category `{name}`: list it in `categories` in site.toml (known: {known})")]
    UnknownCategory {
        /// The directory name.
        name: String,
        /// The categories site.toml lists.
        known: String,
    },
    /// `content/_index.md` does not exist.
    #[error("the home page text is missing: create `content/_index.md` with a `title`")]
    MissingHome,
    /// A category listed in `site.toml` has no `_index.md`.
    #[error(
        "category `{0}` has no `content/{0}/_index.md`: create it with a title and description"
    )]
    MissingCategoryIndex(String),
    /// Two sessions share a slug.
    #[error("duplicate slug `{slug}`: also used by {other}; rename one of the files")]
    DuplicateSlug {
        /// The slug both files produce.
        slug: String,
        /// The other file.
        other: String,
    },
    /// A file name that does not make a valid slug.
    #[error("invalid file name `{0}`: use lowercase letters, digits and hyphens")]
    InvalidSlug(String),
    /// A script under `static/` that does not parse as an ES module.
    #[error("JavaScript syntax error: {0}")]
    Script(String),
    /// An `@/…` link to a page that does not exist.
    #[error("broken internal link `{0}`: no such page")]
    BrokenLink(String),
    /// An `@/…#anchor` link to a heading that does not exist on the target page.
    #[error(
        "broken internal link `{}`: `{}` has no heading with id `{}`{}",
        .0.link, .0.page, .0.anchor, .0.hint
    )]
    BrokenAnchor(Box<BrokenAnchor>),
    /// A template that does not parse.
    #[error("template syntax error: {0}")]
    TemplateSyntax(String),
    /// A template that failed while rendering a page.
    #[error("template error while rendering {page}: {message}")]
    TemplateRender {
        /// The page being rendered (its source file, or its output path).
        page: String,
        /// Tera's explanation.
        message: String,
    },
}

/// An `@/…#anchor` link whose anchor is none of the target page's heading ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenAnchor {
    /// The whole link as written.
    pub link: String,
    /// The target page.
    pub page: String,
    /// The missing anchor.
    pub anchor: String,
    /// What to fix it with: `; did you mean `…`?`, the page's ids, or that it has none.
    pub hint: String,
}

/// Problems collected across a stage; sorted and printed all together.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Diagnostics(Vec<SourceError>);

impl Diagnostics {
    /// Records a problem.
    pub fn push(&mut self, error: SourceError) {
        self.0.push(error);
    }

    /// Takes every problem of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems, sorted by path, then line and column, then message.
    pub fn into_sorted(mut self) -> Vec<SourceError> {
        self.0.sort_by(|a, b| {
            (&a.path, a.location, a.kind.to_string()).cmp(&(
                &b.path,
                b.location,
                b.kind.to_string(),
            ))
        });
        self.0.dedup();
        self.0
    }

    /// `Ok(value)` if nothing was recorded, the collected problems otherwise.
    pub fn finish<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() { Ok(value) } else { Err(self) }
    }
}

impl FromIterator<SourceError> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = SourceError>>(iter: I) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}

/// A warning about a source file: the build goes on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// The file, relative to the site root.
    pub path: PathBuf,
    /// Where in the file.
    pub location: Location,
    /// What to look at.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: warning: {}",
            self.path.display(),
            self.location.line,
            self.location.column,
            self.message
        )
    }
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The sources have problems; nothing was written.
    #[error("{} problem(s) found in the sources", .0.len())]
    Invalid(Vec<SourceError>),
    /// The options make no sense (an output directory inside `content/`…); nothing was written.
    #[error("{0}")]
    Usage(String),
    /// Something outside the sources failed (disk, templates directory missing…).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Diagnostics> for BuildError {
    fn from(diagnostics: Diagnostics) -> Self {
        BuildError::Invalid(diagnostics.into_sorted())
    }
}

/// The path of `path` relative to `root`, for messages.
pub fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_one_based_and_counts_characters() {
        let text = "ab\ncé|x\n";
        assert_eq!(Location::from_offset(text, 0), Location { line: 1, column: 1 });
        assert_eq!(Location::from_offset(text, 3), Location { line: 2, column: 1 });
        let bar = text.find('|').expect("fixture has a bar");
        assert_eq!(Location::from_offset(text, bar), Location { line: 2, column: 3 });
        assert_eq!(Location::from_offset(text, 999), Location { line: 3, column: 1 });
    }

    #[test]
    fn diagnostics_sort_by_path_then_position() {
        let at = |p: &str, line| {
            SourceError::new(p, Location { line, column: 1 }, SourceErrorKind::NotUtf8)
        };
        let d: Diagnostics = [at("b.md", 1), at("a.md", 9), at("a.md", 2)].into_iter().collect();
        let lines: Vec<String> = d.into_sorted().iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "a.md:2:1: file is not valid UTF-8 (save it as UTF-8)",
                "a.md:9:1: file is not valid UTF-8 (save it as UTF-8)",
                "b.md:1:1: file is not valid UTF-8 (save it as UTF-8)",
            ]
        );
    }
}
