//! Output: writes the rendered files, the copied static files and the content's assets into a
//! staging directory beside the output directory, then swaps it in (see [`Staging`]).
//!
//! Nothing touches the existing output until everything has been written, so a build that
//! fails at any point, including while writing, leaves the previous site exactly as it was.
//!
//! `serve` rebuilds differently: [`sync_site`] rewrites in place only the files that changed
//! since the build it [recorded](Written), each replaced in one rename, and leaves alone the
//! files it did not write.

use std::collections::BTreeMap;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{Context, Result};
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::fs;
use crate::incremental::hash_bytes;
use crate::render::OutputFile;

/// Writes `files`, then copies every file under `static_dir` and every `(source, rel)` asset,
/// into `out_dir`, replacing it as a whole. Returns the number of files written.
pub fn write_site(
    files: &[OutputFile],
    static_dir: &Path,
    assets: &[(PathBuf, PathBuf)],
    out_dir: &Path,
) -> Result<usize> {
    let staging = Staging::create(static_dir, assets, out_dir, files)?;
    for file in files {
        staging.write(file)?;
    }
    staging.finish()
}

/// A directory beside the output directory that a build fills, then swaps in for it with
/// [`Staging::finish`]. Dropped unfinished (the build failed), the output directory is left
/// as it was.
///
/// The staging directory is the output of the build before last, kept as a spare
/// (`.public.spare` beside `public`) when the last build swapped its own in: a file that already
/// holds the right bytes is left alone, and what the new site no longer has is removed before
/// the swap. A rebuild then creates no directory and writes only what changed, where a fresh
/// tree made the kernel allocate an inode per page directory and per file and free as many in
/// the tree it replaced, which was most of an unchanged rebuild's time. The price is a second
/// copy of the site on disk. A spare holding anything but plain files and directories is not
/// trusted and is deleted.
///
/// It starts with the copies of `static/` and of the assets, so that a rendered file written
/// later wins over a copy at the same path; a static file that a file known at the start
/// replaces (a minified script) is not copied at all. [`Staging::write`] takes `&self`, for pages
/// written from the threads that render them.
pub struct Staging {
    dir: PathBuf,
    out_dir: PathBuf,
    /// What the reused spare held before this build (files and directories, relative).
    spare: Option<Spare>,
    /// Every file this build put in place, relative.
    written: Mutex<HashSet<PathBuf>>,
    finished: bool,
}

/// The entries of a reused spare tree.
struct Spare {
    files: HashSet<PathBuf>,
    dirs: HashSet<PathBuf>,
}

impl Staging {
    /// Creates the staging directory for `out_dir` and copies `static_dir` and `assets` into it,
    /// except the files at the paths of `replacing`, which the build writes later.
    pub fn create(
        static_dir: &Path,
        assets: &[(PathBuf, PathBuf)],
        out_dir: &Path,
        replacing: &[OutputFile],
    ) -> Result<Staging> {
        let parent = parent_of(out_dir);
        fs::create_dir_all(parent)?;
        let dir = parent.join(format!(".{}.tmp-{}", name_of(out_dir), std::process::id()));
        fs::remove_dir_all(&dir)?;
        let spare_dir = spare_of(out_dir);
        let spare = match std::fs::rename(&spare_dir, &dir) {
            Ok(()) => {
                let spare = Spare::scan(&dir);
                if spare.is_none() {
                    fs::remove_dir_all(&dir)?;
                }
                spare
            }
            Err(_) => None,
        };
        if spare.is_none() {
            fs::create_dir_all(&dir)?;
        }
        let staging = Staging {
            dir,
            out_dir: out_dir.to_path_buf(),
            spare,
            written: Mutex::new(HashSet::new()),
            finished: false,
        };
        // By destination: an asset of `content/` replaces a static file of the same path.
        let mut copies: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
        if static_dir.is_dir() {
            for entry in WalkDir::new(static_dir).sort_by_file_name() {
                let entry =
                    entry.with_context(|| format!("failed to walk `{}`", static_dir.display()))?;
                if entry.file_type().is_file() {
                    let rel = entry.path().strip_prefix(static_dir).unwrap_or(entry.path());
                    copies.insert(rel.to_path_buf(), entry.path().to_path_buf());
                }
            }
        }
        copies.extend(assets.iter().map(|(source, rel)| (rel.clone(), source.clone())));
        for file in replacing {
            copies.remove(&file.rel_path);
        }
        copies.par_iter().try_for_each(|(rel, source)| staging.copy(source, rel))?;
        Ok(staging)
    }

    fn copy(&self, source: &Path, rel: &Path) -> Result<()> {
        let dest = self.prepare(rel)?;
        let same = self.spare.is_some()
            && same_len(&dest, std::fs::metadata(source).map(|m| m.len()).ok())
            && std::fs::read(source).is_ok_and(|bytes| holds(&dest, &bytes));
        if !same {
            fs::copy(source, &dest)?;
        }
        self.put(rel);
        Ok(())
    }

    /// Writes one rendered file.
    pub fn write(&self, file: &OutputFile) -> Result<()> {
        let dest = self.prepare(&file.rel_path)?;
        if !(self.spare.is_some() && holds(&dest, &file.bytes)) {
            fs::write(&dest, &file.bytes)?;
        }
        self.put(&file.rel_path);
        Ok(())
    }

    /// The path of `rel` in the staging directory, cleared of what the spare had in its way:
    /// a directory where the file goes, or a file where one of its directories goes.
    fn prepare(&self, rel: &Path) -> Result<PathBuf> {
        let dest = self.dir.join(rel);
        if let Some(spare) = &self.spare {
            if spare.dirs.contains(rel) {
                fs::remove_dir_all(&dest)?;
            }
            for ancestor in rel.ancestors().skip(1) {
                // Another thread may have removed it and made the directory already.
                let path = self.dir.join(ancestor);
                if spare.files.contains(ancestor)
                    && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file())
                {
                    fs::remove_file(&path)?;
                }
            }
        }
        Ok(dest)
    }

    fn put(&self, rel: &Path) {
        self.written.lock().unwrap_or_else(|e| e.into_inner()).insert(rel.to_path_buf());
    }

    /// Removes what the spare held that this build did not write, swaps the staging directory
    /// in for the output directory and keeps the previous output as the next spare. Returns
    /// the number of files in the new output.
    pub fn finish(mut self) -> Result<usize> {
        let written = std::mem::take(&mut *self.written.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some(spare) = &self.spare {
            for rel in spare.files.difference(&written) {
                // Gone already when a new file took the place of one of its directories.
                let path = self.dir.join(rel);
                if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                    fs::remove_file(&path)?;
                }
            }
            // Deepest first, so that a directory emptied of directories goes too.
            let mut dirs: Vec<&PathBuf> = spare.dirs.iter().collect();
            dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
            for rel in dirs {
                // Only an empty directory is removed; one still holding files stays.
                let _ = std::fs::remove_dir(self.dir.join(rel));
            }
        }
        swap_in(&self.dir, &self.out_dir)?;
        self.finished = true;
        Ok(written.len())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // The build failed: the directory is half updated, which the next build's comparisons
        // repair, so it stays as the spare. Best effort: otherwise it is removed.
        if std::fs::rename(&self.dir, spare_of(&self.out_dir)).is_err() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Spare {
    /// The files and directories under `dir`, or `None` when it holds anything else (a
    /// symlink could send a write outside the staging directory).
    fn scan(dir: &Path) -> Option<Spare> {
        let mut spare = Spare { files: HashSet::new(), dirs: HashSet::new() };
        for (path, kind) in fs::walk(dir).ok()? {
            let rel = path.strip_prefix(dir).ok()?.to_path_buf();
            if kind.is_file() {
                spare.files.insert(rel);
            } else if kind.is_dir() {
                spare.dirs.insert(rel);
            } else {
                return None;
            }
        }
        Some(spare)
    }
}

fn same_len(path: &Path, len: Option<u64>) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && Some(m.len()) == len)
}

/// Whether the file at `path` holds exactly `bytes`.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    same_len(path, Some(bytes.len() as u64)) && std::fs::read(path).is_ok_and(|old| old == bytes)
}

/// The previous output kept for the next build: `.public.spare` beside `public`.
fn spare_of(out_dir: &Path) -> PathBuf {
    parent_of(out_dir).join(format!(".{}.spare", name_of(out_dir)))
}

fn parent_of(out_dir: &Path) -> &Path {
    out_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn name_of(out_dir: &Path) -> String {
    out_dir.file_name().map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned())
}

/// Puts `staging` in place of `out_dir`; the previous output becomes the spare.
fn swap_in(staging: &Path, out_dir: &Path) -> Result<()> {
    if out_dir.exists() {
        let spare = spare_of(out_dir);
        fs::remove_dir_all(&spare)?;
        fs::rename(out_dir, &spare)?;
        if let Err(err) = fs::rename(staging, out_dir) {
            // Put the previous site back before reporting.
            let _ = fs::rename(&spare, out_dir);
            return Err(err);
        }
        Ok(())
    } else {
        fs::rename(staging, out_dir)
    }
}

/// What a build put in the output directory: every file's path and what it was made from.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written(BTreeMap<PathBuf, Origin>);

/// Where an output file came from, compared between builds to tell whether to rewrite it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Rendered by the build: the hash of its bytes.
    Rendered(u64),
    /// Copied from `static/` or `content/`: the source's size and modification time.
    Copied { len: u64, modified: Option<SystemTime> },
}

enum Contents<'a> {
    Bytes(&'a [u8]),
    CopyOf(PathBuf),
}

type Plan<'a> = BTreeMap<PathBuf, (Origin, Contents<'a>)>;

/// Every output file of a build with its origin; rendered files win over copies.
fn plan<'a>(
    files: &'a [OutputFile],
    static_dir: &Path,
    assets: &[(PathBuf, PathBuf)],
) -> Result<Plan<'a>> {
    let mut plan = Plan::new();
    let mut copy = |source: PathBuf, rel: PathBuf| -> Result<()> {
        let meta = fs::metadata(&source)
            .with_context(|| format!("failed to read `{}`", source.display()))?;
        let origin = Origin::Copied { len: meta.len(), modified: meta.modified().ok() };
        plan.insert(rel, (origin, Contents::CopyOf(source)));
        Ok(())
    };
    if static_dir.is_dir() {
        for entry in WalkDir::new(static_dir).sort_by_file_name() {
            let entry =
                entry.with_context(|| format!("failed to walk `{}`", static_dir.display()))?;
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(static_dir).unwrap_or(entry.path());
                copy(entry.path().to_path_buf(), rel.to_path_buf())?;
            }
        }
    }
    for (source, rel) in assets {
        copy(source.clone(), rel.clone())?;
    }
    for file in files {
        let origin = Origin::Rendered(hash_bytes(&file.bytes));
        plan.insert(file.rel_path.clone(), (origin, Contents::Bytes(&file.bytes)));
    }
    Ok(plan)
}

/// [`write_site`], also recording what was written for later [`sync_site`] calls.
pub fn write_site_recorded(
    files: &[OutputFile],
    static_dir: &Path,
    assets: &[(PathBuf, PathBuf)],
    out_dir: &Path,
) -> Result<(usize, Written)> {
    // Recorded before copying: a source changed in between is then copied again next time.
    let plan = plan(files, static_dir, assets)?;
    let count = write_site(files, static_dir, assets, out_dir)?;
    Ok((count, Written(plan.into_iter().map(|(rel, (origin, _))| (rel, origin)).collect())))
}

/// Brings `out_dir`, which holds what `written` records, up to date with this build: writes
/// the files that are new or changed, removes those the build no longer produces, and
/// updates `written`. Returns the number of files written or removed.
pub fn sync_site(
    files: &[OutputFile],
    static_dir: &Path,
    assets: &[(PathBuf, PathBuf)],
    out_dir: &Path,
    written: &mut Written,
) -> Result<usize> {
    let plan = plan(files, static_dir, assets)?;
    let mut count = 0;
    for (rel, (origin, contents)) in &plan {
        if written.0.get(rel) == Some(origin) {
            continue;
        }
        let target = out_dir.join(rel);
        match contents {
            Contents::Bytes(bytes) => fs::replace(&target, bytes)?,
            Contents::CopyOf(source) => {
                let bytes = fs::read(source)
                    .with_context(|| format!("failed to read `{}`", source.display()))?;
                fs::replace(&target, &bytes)?;
            }
        }
        written.0.insert(rel.clone(), *origin);
        count += 1;
    }
    let gone: Vec<PathBuf> =
        written.0.keys().filter(|rel| !plan.contains_key(*rel)).cloned().collect();
    for rel in gone {
        fs::remove_file(&out_dir.join(&rel))?;
        written.0.remove(&rel);
        count += 1;
    }
    Ok(count)
}

/// Whether `inner` is `outer` or lies below it, comparing absolute, normalised paths (the
/// directories need not exist yet).
pub fn is_within(inner: &Path, outer: &Path) -> bool {
    normalise(inner).starts_with(normalise(outer))
}

fn normalise(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    // Resolve symlinks on the longest existing prefix, then apply the rest lexically.
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or_else(|_| existing.to_path_buf());
    for part in rest.iter().rev() {
        if part == ".." {
            out.pop();
        } else if part != "." {
            out.push(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_nested_output_directories() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir(&content).unwrap();
        assert!(is_within(&content.join("public"), &content));
        assert!(is_within(&content.join("x/../public"), &content));
        assert!(!is_within(&dir.path().join("public"), &content));
        assert!(!is_within(&content.join("../public"), &content));
    }

    #[test]
    fn replaces_the_output_as_a_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("stale.html"), "old").unwrap();
        let files = [OutputFile { rel_path: "a/index.html".into(), bytes: b"new".to_vec() }];
        let count = write_site(&files, &dir.path().join("static"), &[], &out).unwrap();
        assert_eq!(count, 1);
        assert!(!out.join("stale.html").exists());
        assert_eq!(std::fs::read_to_string(out.join("a/index.html")).unwrap(), "new");
        let mut leftovers: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        leftovers.sort();
        assert_eq!(leftovers, [".public.spare", "public"], "the previous output is the spare");
        let spare = dir.path().join(".public.spare");
        assert_eq!(std::fs::read_to_string(spare.join("stale.html")).unwrap(), "old");
    }

    #[cfg(unix)]
    #[test]
    fn a_build_reuses_the_output_of_the_build_before_last() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let static_dir = dir.path().join("static");
        let file = |rel: &str, text: &str| OutputFile { rel_path: rel.into(), bytes: text.into() };
        let first = [file("a/index.html", "a"), file("b.html", "b"), file("c/index.html", "c")];
        write_site(&first, &static_dir, &[], &out).unwrap();
        let inode = |rel: &str| std::fs::metadata(out.join(rel)).unwrap().ino();
        let a_first = inode("a/index.html");
        write_site(&first, &static_dir, &[], &out).unwrap();
        assert_ne!(inode("a/index.html"), a_first, "the second build starts a fresh tree");

        // The third build fills the first one's tree: `a` is kept as it is, `b.html` is
        // dropped, the directory `c/` gives way to a file `c`, and `d.html` is new.
        let third = [file("a/index.html", "a"), file("c", "c2"), file("d.html", "d")];
        assert_eq!(write_site(&third, &static_dir, &[], &out).unwrap(), 3);
        assert_eq!(inode("a/index.html"), a_first, "an unchanged file is left in place");
        let mut names: Vec<_> = walkdir::WalkDir::new(&out)
            .min_depth(1)
            .into_iter()
            .map(|e| e.unwrap().path().strip_prefix(&out).unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a", "a/index.html", "c", "d.html"]);
        assert_eq!(std::fs::read_to_string(out.join("c")).unwrap(), "c2");
    }

    #[cfg(unix)]
    #[test]
    fn a_spare_holding_a_symlink_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let spare = dir.path().join(".public.spare");
        std::fs::create_dir(&spare).unwrap();
        std::os::unix::fs::symlink(&outside, spare.join("a")).unwrap();
        let files = [OutputFile { rel_path: "a/index.html".into(), bytes: b"new".to_vec() }];
        write_site(&files, &dir.path().join("static"), &[], &out).unwrap();
        assert!(std::fs::symlink_metadata(out.join("a")).unwrap().is_dir());
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "nothing written through it");
    }

    #[test]
    fn sync_rewrites_only_changed_files_and_removes_dropped_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let file = |rel: &str, text: &str| OutputFile { rel_path: rel.into(), bytes: text.into() };
        let static_dir = dir.path().join("static");
        let (count, mut written) = write_site_recorded(
            &[file("a.html", "a1"), file("b.html", "b1"), file("c.html", "c1")],
            &static_dir,
            &[],
            &out,
        )
        .unwrap();
        assert_eq!(count, 3);
        std::fs::write(out.join("wasm.js"), "not ours").unwrap();
        let b_before = std::fs::metadata(out.join("b.html")).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));

        let changed = sync_site(
            &[file("a.html", "a2"), file("b.html", "b1")],
            &static_dir,
            &[],
            &out,
            &mut written,
        )
        .unwrap();
        assert_eq!(changed, 2, "a.html rewritten, c.html removed");
        assert_eq!(std::fs::read_to_string(out.join("a.html")).unwrap(), "a2");
        assert_eq!(std::fs::metadata(out.join("b.html")).unwrap().modified().unwrap(), b_before);
        assert!(!out.join("c.html").exists());
        assert_eq!(std::fs::read_to_string(out.join("wasm.js")).unwrap(), "not ours");
        let names: Vec<_> =
            std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 3, "no temporary file left: {names:?}");
    }
}
