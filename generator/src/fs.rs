//! File-system wrappers whose errors name the path. Nothing else in the generator calls
//! `std::fs` directly.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

/// Reads a file's bytes.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}

/// Writes `bytes` to `path`, creating its parent directories.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("failed to write `{}`", path.display()))
}

/// Creates a directory and its parents.
pub fn create_dir_all(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path)
        .with_context(|| format!("failed to create directory `{}`", path.display()))
}

/// Copies a file, creating the destination's parent directories.
pub fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        create_dir_all(parent)?;
    }
    std::fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("failed to copy `{}` to `{}`", from.display(), to.display()))
}

/// Replaces `path` with `bytes` in one step (a sibling temporary file renamed over it), so that
/// a reader sees either the old file or the new one, never a partial one.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    replace_with(path, |out| out.write_all(bytes))
}

/// [`replace`], with the contents written by `write` through a buffer rather than held in
/// memory whole.
pub fn replace_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    let written = std::fs::File::create(&temporary).and_then(|file| {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        write(&mut out)?;
        out.flush()
    });
    written.with_context(|| format!("failed to write `{}`", temporary.display()))?;
    rename(&temporary, path)
}

/// Removes a file if it exists.
pub fn remove_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("failed to remove `{}`", path.display()))
        }
        _ => Ok(()),
    }
}

/// A file's metadata, following symlinks.
pub fn metadata(path: &Path) -> std::io::Result<std::fs::Metadata> {
    std::fs::metadata(path)
}

/// The absolute path of `path` with every symlink resolved.
pub fn canonicalize(path: &Path) -> std::io::Result<std::path::PathBuf> {
    std::fs::canonicalize(path)
}

/// Renames a file or directory.
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to)
        .with_context(|| format!("failed to rename `{}` to `{}`", from.display(), to.display()))
}

/// Removes a directory tree if it exists.
pub fn remove_dir_all(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("failed to remove `{}`", path.display()))
        }
        _ => Ok(()),
    }
}

/// Whether a file named `name` is an editor's scratch file rather than a source: Vim's swap
/// files (`.name.swp`, `.name.swo`, … `.name.swa`) and the `4913` it writes to test a
/// directory, backups (`name~`), Emacs's autosaves (`#name#`) and locks (`.#name`), and
/// JetBrains' safe-write copies (`name___jb_tmp___`, `name___jb_old___`). They are not
/// published, do not make a build stale, and do not trigger a rebuild in `serve`.
pub fn is_scratch(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    let vim_swap = name.starts_with('.')
        && name.len() > 5
        && name.rsplit_once('.').is_some_and(|(_, ext)| {
            ext.len() == 3 && ext.starts_with("sw") && matches!(ext.as_bytes()[2], b'a'..=b'p')
        });
    vim_swap
        || name == "4913"
        || name.ends_with('~')
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name.starts_with(".#")
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
}

/// Reads a UTF-8 text file (templates and other non-content files).
pub fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("failed to read `{}`", path.display()))
}

/// Everything under `dir`, in the order of a depth-first walk sorted by name (a directory
/// before what it holds), with each entry's type; links are not followed. Directories are
/// read in parallel: a site's output has one per page.
pub fn walk(dir: &Path) -> std::io::Result<Vec<(PathBuf, std::fs::FileType)>> {
    let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let parts: Vec<Vec<(PathBuf, std::fs::FileType)>> = entries
        .par_iter()
        .map(|entry| {
            let (path, kind) = (entry.path(), entry.file_type()?);
            let below = if kind.is_dir() { walk(&path)? } else { Vec::new() };
            Ok(std::iter::once((path, kind)).chain(below).collect())
        })
        .collect::<std::io::Result<_>>()?;
    Ok(parts.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_editors_scratch_files_from_sources() {
        let scratch = [
            ".ipvs.md.swp",
            ".ipvs.md.swo",
            ".site.css.swa",
            "4913",
            "ipvs.md~",
            "#ipvs.md#",
            ".#ipvs.md",
            "ipvs.md___jb_tmp___",
            "ipvs.md___jb_old___",
        ];
        let sources =
            ["ipvs.md", ".well-known", ".nojekyll", ".x.swz", "swap.swp", "#", "4913.md", "a#b"];
        for name in scratch {
            assert!(is_scratch(name.as_ref()), "{name} is an editor's scratch file");
        }
        for name in sources {
            assert!(!is_scratch(name.as_ref()), "{name} is a source");
        }
    }
}
