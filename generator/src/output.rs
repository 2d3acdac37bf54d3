//! Output: writes the rendered files, the copied static files and the content's assets into a
//! fresh directory beside the output directory, then swaps it in.
//!
//! Nothing touches the existing output until everything has been written, so a build that
//! fails at any point, including while writing, leaves the previous site exactly as it was.
//!
//! `serve` rebuilds differently: [`sync_site`] rewrites in place only the files that changed
//! since the build it [recorded](Written), each replaced in one rename, and leaves alone the
//! files it did not write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use anyhow::{Context, Result};
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
    let staging = Staging::create(static_dir, assets, out_dir)?;
    for file in files {
        staging.write(file)?;
    }
    staging.finish()
}

/// A fresh directory beside the output directory that a build fills, then swaps in for it
/// with [`Staging::finish`]. Dropped unfinished (the build failed), it is removed and the
/// output directory is left as it was.
///
/// It starts with the copies of `static/` and of the assets, so that a rendered file written
/// later wins over a copy at the same path. [`Staging::write`] takes `&self`, for pages
/// written from the threads that render them.
pub struct Staging {
    dir: PathBuf,
    out_dir: PathBuf,
    written: AtomicUsize,
}

impl Staging {
    /// Creates the staging directory for `out_dir` and copies `static_dir` and `assets` into it.
    pub fn create(
        static_dir: &Path,
        assets: &[(PathBuf, PathBuf)],
        out_dir: &Path,
    ) -> Result<Staging> {
        let parent = parent_of(out_dir);
        fs::create_dir_all(parent)?;
        let dir = parent.join(format!(".{}.tmp-{}", name_of(out_dir), std::process::id()));
        fs::remove_dir_all(&dir)?;
        fs::create_dir_all(&dir)?;
        let staging = Staging { dir, out_dir: out_dir.to_path_buf(), written: AtomicUsize::new(0) };
        if static_dir.is_dir() {
            for entry in WalkDir::new(static_dir).sort_by_file_name() {
                let entry =
                    entry.with_context(|| format!("failed to walk `{}`", static_dir.display()))?;
                if entry.file_type().is_file() {
                    let rel = entry.path().strip_prefix(static_dir).unwrap_or(entry.path());
                    staging.copy(entry.path(), rel)?;
                }
            }
        }
        for (source, rel) in assets {
            staging.copy(source, rel)?;
        }
        Ok(staging)
    }

    fn copy(&self, source: &Path, rel: &Path) -> Result<()> {
        fs::copy(source, &self.dir.join(rel))?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Writes one rendered file.
    pub fn write(&self, file: &OutputFile) -> Result<()> {
        fs::write(&self.dir.join(&file.rel_path), &file.bytes)?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Swaps the staging directory in for the output directory. Returns the number of files
    /// written.
    pub fn finish(self) -> Result<usize> {
        swap_in(&self.dir, &self.out_dir)?;
        Ok(self.written.load(Ordering::Relaxed))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Swapped in, it is gone. Otherwise, best effort: the staging directory is ours alone;
        // leave no half-written copy behind.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn parent_of(out_dir: &Path) -> &Path {
    out_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn name_of(out_dir: &Path) -> String {
    out_dir.file_name().map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned())
}

fn swap_in(staging: &Path, out_dir: &Path) -> Result<()> {
    if out_dir.exists() {
        let old =
            parent_of(out_dir).join(format!(".{}.old-{}", name_of(out_dir), std::process::id()));
        fs::remove_dir_all(&old)?;
        fs::rename(out_dir, &old)?;
        if let Err(err) = fs::rename(staging, out_dir) {
            // Put the previous site back before reporting.
            let _ = fs::rename(&old, out_dir);
            return Err(err);
        }
        fs::remove_dir_all(&old)
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
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only public/ remains");
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
