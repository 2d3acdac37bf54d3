//! Discovery: walks `content/` in file-name order and classifies every file.
//!
//! Reading never stops at the first bad file: an unreadable or non-UTF-8 file becomes a
//! diagnostic and the walk goes on. Dotfiles are skipped. Non-Markdown files (images next to
//! a session) are assets, copied to the output at the same relative path.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::error::{Diagnostics, Location, SourceError, SourceErrorKind, relative};
use crate::fs;

/// What a content file is, from where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// `content/_index.md`: the home page text.
    Home,
    /// `content/<category>/_index.md`: a category's title and description.
    CategoryIndex {
        /// The category directory name.
        category: String,
    },
    /// `content/<category>/<slug>.md`: one session.
    Session {
        /// The category directory name.
        category: String,
        /// The file name without `.md`.
        slug: String,
    },
}

/// A Markdown file of the content directory, read and decoded.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the site root, for messages (`content/security/userns.md`).
    pub rel_path: PathBuf,
    /// What the file is.
    pub kind: FileKind,
    /// The file's text.
    pub text: String,
}

/// Everything found under `content/`.
#[derive(Debug, Default)]
pub struct Discovered {
    /// The Markdown files, in path order.
    pub files: Vec<SourceFile>,
    /// Other files (`(absolute source, path relative to content/)`), copied as they are.
    pub assets: Vec<(PathBuf, PathBuf)>,
    /// The kind of every Markdown file found, read or not: a file that exists but could not
    /// be read is reported once, not again as missing or as a broken link target.
    pub kinds: Vec<FileKind>,
}

/// Walks `content_dir` (which sits under `root`).
/// Returns what could be read, and a diagnostic for every file that could not.
pub fn discover(root: &Path, content_dir: &Path) -> (Discovered, Diagnostics) {
    let mut found = Discovered::default();
    let mut diagnostics = Diagnostics::default();
    let mut to_read = Vec::new();
    let walker =
        WalkDir::new(content_dir).follow_links(true).sort_by_file_name().into_iter().filter_entry(
            |e| {
                e.depth() == 0
                    || !(e.file_name().to_string_lossy().starts_with('.')
                        || fs::is_scratch(e.file_name()))
            },
        );
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().map_or_else(|| content_dir.to_path_buf(), Path::to_path_buf);
                let reason =
                    err.io_error().map_or_else(|| err.to_string(), std::io::Error::to_string);
                // A dangling link or an unreadable directory: report it as unreadable.
                diagnostics.push(SourceError::new(
                    relative(root, &path),
                    Location::START,
                    SourceErrorKind::Unreadable(reason),
                ));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let path = entry.path();
        let rel_path = relative(root, path);
        let in_content = relative(content_dir, path);
        if path.extension().is_none_or(|ext| ext != "md") {
            found.assets.push((path.to_path_buf(), in_content));
            continue;
        }
        let kind = match classify(&in_content) {
            Ok(kind) => kind,
            Err(message) => {
                diagnostics.push(SourceError::new(
                    rel_path,
                    Location::START,
                    SourceErrorKind::InvalidValue(message),
                ));
                continue;
            }
        };
        found.kinds.push(kind.clone());
        to_read.push((path.to_path_buf(), rel_path, kind));
    }
    // The walk is in path order; the files are read in parallel, and kept in that order.
    let read: Vec<_> = to_read
        .into_par_iter()
        .map(|(path, rel_path, kind)| match read_text(&path) {
            Ok(text) => Ok(SourceFile { rel_path, kind, text }),
            Err((location, kind)) => Err(SourceError::new(rel_path, location, kind)),
        })
        .collect();
    for file in read {
        match file {
            Ok(file) => found.files.push(file),
            Err(err) => diagnostics.push(err),
        }
    }
    (found, diagnostics)
}

fn classify(in_content: &Path) -> Result<FileKind, String> {
    let parts: Vec<String> =
        in_content.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    match parts.as_slice() {
        [name] if name == "_index.md" => Ok(FileKind::Home),
        [category, name] if name == "_index.md" => {
            Ok(FileKind::CategoryIndex { category: category.clone() })
        }
        [category, name] => Ok(FileKind::Session {
            category: category.clone(),
            slug: name.trim_end_matches(".md").to_owned(),
        }),
        _ => {
            Err("unexpected Markdown file: sessions live at `content/<category>/<slug>.md`"
                .to_owned())
        }
    }
}

/// A source file's text; an error is located at the first byte that is not UTF-8.
pub(crate) fn read_text(path: &Path) -> Result<String, (Location, SourceErrorKind)> {
    let bytes = fs::read(path)
        .map_err(|err| (Location::START, SourceErrorKind::Unreadable(err.to_string())))?;
    String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&err.as_bytes()[..valid]).into_owned();
        (Location::from_offset(&prefix, prefix.len()), SourceErrorKind::NotUtf8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_position() {
        assert_eq!(classify(Path::new("_index.md")), Ok(FileKind::Home));
        assert_eq!(
            classify(Path::new("net/_index.md")),
            Ok(FileKind::CategoryIndex { category: "net".into() })
        );
        assert_eq!(
            classify(Path::new("net/dns.md")),
            Ok(FileKind::Session { category: "net".into(), slug: "dns".into() })
        );
        assert!(classify(Path::new("net/x/deep.md")).is_err());
        assert!(classify(Path::new("stray.md")).is_err());
    }
}
