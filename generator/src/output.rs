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
use std::collections::{HashMap, HashSet};
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
/// Whether a spare file already holds the right bytes is known without reading it when the
/// build that wrote it recorded it in its manifest (see [`Manifest`]) and the file is still
/// as that build left it; otherwise the file is read and compared.
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
    /// Every file this build put in place, relative, with its record for the manifest (none
    /// when the file could not be looked at after writing it).
    written: Mutex<HashMap<PathBuf, Option<Recorded>>>,
    finished: bool,
}

/// The entries of a reused spare tree.
struct Spare {
    files: HashSet<PathBuf>,
    dirs: HashSet<PathBuf>,
    /// What the build that wrote the spare recorded of its files.
    manifest: Manifest,
}

/// What a build recorded of each file it left in an output directory, kept beside it
/// (`.public.manifest`, then `.public.spare.manifest` once that output is the spare): the
/// file's identity ([`identity`]: size, modification and change times, inode) and the XXH3-128
/// hash of its bytes. A file whose identity is unchanged holds the bytes of that hash, as
/// `make` and the [up-to-date check](crate::fresh) trust, and with the change time, which
/// `touch` cannot set back, a file rewritten in place never passes for unchanged. An entry
/// that does not match is only a file to read; a missing or unreadable manifest, a slower
/// build.
#[derive(Default)]
struct Manifest(HashMap<PathBuf, Recorded>);

/// A file's identity and the hash of its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Recorded {
    identity: u128,
    hash: u128,
}

const MANIFEST_MAGIC: &[u8; 8] = b"OUTMAN01";

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
        // The spare is about to change: its manifest is read once and goes.
        let manifest_path = manifest_of(&spare_dir);
        let manifest = Manifest::read(&manifest_path);
        let _ = std::fs::remove_file(&manifest_path);
        let spare = match std::fs::rename(&spare_dir, &dir) {
            Ok(()) => {
                let spare = Spare::scan(&dir, manifest);
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
            written: Mutex::new(HashMap::new()),
            finished: false,
        };
        // By destination: an asset of `content/` replaces a static file of the same path.
        let mut copies: BTreeMap<PathBuf, PathBuf> =
            static_files(static_dir)?.into_iter().map(|(source, rel)| (rel, source)).collect();
        copies.extend(assets.iter().map(|(source, rel)| (rel.clone(), source.clone())));
        for file in replacing {
            copies.remove(&file.rel_path);
        }
        copies.par_iter().try_for_each(|(rel, source)| staging.copy(source, rel))?;
        Ok(staging)
    }

    fn copy(&self, source: &Path, rel: &Path) -> Result<()> {
        let bytes =
            fs::read(source).with_context(|| format!("failed to read `{}`", source.display()))?;
        self.put_bytes(rel, &bytes)
    }

    /// Writes one rendered file.
    pub fn write(&self, file: &OutputFile) -> Result<()> {
        self.put_bytes(&file.rel_path, &file.bytes)
    }

    /// Puts `bytes` at `rel`, unless the spare's file there holds them already.
    fn put_bytes(&self, rel: &Path, bytes: &[u8]) -> Result<()> {
        let dest = self.prepare(rel)?;
        let hash = xxhash_rust::xxh3::xxh3_128(bytes);
        let held = self.spare.as_ref().and_then(|spare| spare.holds(rel, &dest, bytes, hash));
        let identity = match held {
            Some(identity) => Some(identity),
            None => {
                fs::write(&dest, bytes)?;
                std::fs::symlink_metadata(&dest).ok().map(|m| identity(&m))
            }
        };
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(rel.to_path_buf(), identity.map(|identity| Recorded { identity, hash }));
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

    /// Removes what the spare held that this build did not write, swaps the staging directory
    /// in for the output directory and keeps the previous output as the next spare. Returns
    /// the number of files in the new output.
    pub fn finish(mut self) -> Result<usize> {
        let written = std::mem::take(&mut *self.written.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some(spare) = &self.spare {
            for rel in spare.files.iter().filter(|rel| !written.contains_key(*rel)) {
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
        let had_output = self.out_dir.exists();
        swap_in(&self.dir, &self.out_dir)?;
        self.finished = true;
        // The previous output's manifest follows it to the spare. The manifests are a
        // shortcut: failing to move or write one costs the next builds reads, nothing else.
        let manifest = manifest_of(&self.out_dir);
        if had_output {
            let _ = std::fs::rename(&manifest, manifest_of(&spare_of(&self.out_dir)));
        }
        let count = written.len();
        let recorded = written.into_iter().filter_map(|(rel, r)| Some((rel, r?))).collect();
        let _ = Manifest(recorded).write(&manifest);
        Ok(count)
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
    fn scan(dir: &Path, manifest: Manifest) -> Option<Spare> {
        let mut spare = Spare { files: HashSet::new(), dirs: HashSet::new(), manifest };
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

    /// The identity of the spare's file `dest` (at `rel`) when it holds exactly `bytes`, whose
    /// hash is `hash`: known from the manifest when the file is as recorded, else read.
    fn holds(&self, rel: &Path, dest: &Path, bytes: &[u8], hash: u128) -> Option<u128> {
        let meta = std::fs::symlink_metadata(dest).ok()?;
        if !meta.is_file() || meta.len() != bytes.len() as u64 {
            return None;
        }
        let identity = identity(&meta);
        let same = match self.manifest.0.get(rel) {
            Some(recorded) if recorded.identity == identity => recorded.hash == hash,
            _ => std::fs::read(dest).is_ok_and(|old| old == bytes),
        };
        same.then_some(identity)
    }
}

/// A file's size, modification and change times and inode, hashed.
fn identity(meta: &std::fs::Metadata) -> u128 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(&meta.len().to_le_bytes());
    let modified = meta.modified().ok().and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok());
    hasher.update(&modified.map_or(0, |d| d.as_nanos()).to_le_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        for n in [meta.ctime(), meta.ctime_nsec(), meta.ino() as i64, meta.dev() as i64] {
            hasher.update(&n.to_le_bytes());
        }
    }
    hasher.digest128()
}

impl Manifest {
    /// The manifest at `path`, empty when there is none or it cannot be read whole.
    fn read(path: &Path) -> Manifest {
        std::fs::read(path).ok().and_then(|bytes| Manifest::decode(&bytes)).unwrap_or_default()
    }

    /// Entries: the path's length (`u32`), the path, the identity and the hash (`u128`s),
    /// little-endian, after [`MANIFEST_MAGIC`] and the count (`u64`).
    fn decode(bytes: &[u8]) -> Option<Manifest> {
        let mut rest = bytes.strip_prefix(MANIFEST_MAGIC)?;
        let mut take = |n: usize| -> Option<&[u8]> {
            let (head, tail) = rest.split_at_checked(n)?;
            rest = tail;
            Some(head)
        };
        let count = u64::from_le_bytes(take(8)?.try_into().ok()?);
        let mut entries = HashMap::new();
        for _ in 0..count {
            let len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
            let rel = PathBuf::from(std::str::from_utf8(take(len)?).ok()?);
            let identity = u128::from_le_bytes(take(16)?.try_into().ok()?);
            let hash = u128::from_le_bytes(take(16)?.try_into().ok()?);
            entries.insert(rel, Recorded { identity, hash });
        }
        take(1).is_none().then_some(Manifest(entries))
    }

    fn write(&self, path: &Path) -> Result<()> {
        let mut bytes = MANIFEST_MAGIC.to_vec();
        let entries: Vec<(&str, &Recorded)> =
            self.0.iter().filter_map(|(rel, r)| Some((rel.to_str()?, r))).collect();
        bytes.extend((entries.len() as u64).to_le_bytes());
        for (rel, recorded) in entries {
            bytes.extend((rel.len() as u32).to_le_bytes());
            bytes.extend(rel.as_bytes());
            bytes.extend(recorded.identity.to_le_bytes());
            bytes.extend(recorded.hash.to_le_bytes());
        }
        fs::replace(path, &bytes)
    }
}

/// The previous output kept for the next build: `.public.spare` beside `public`.
fn spare_of(out_dir: &Path) -> PathBuf {
    parent_of(out_dir).join(format!(".{}.spare", name_of(out_dir)))
}

/// The manifest of the output directory `dir`, beside it: `.public.manifest` for `public`,
/// `.public.spare.manifest` for `.public.spare`.
fn manifest_of(dir: &Path) -> PathBuf {
    let name = name_of(dir);
    let hidden = if name.starts_with('.') { name } else { format!(".{name}") };
    parent_of(dir).join(format!("{hidden}.manifest"))
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

/// The files of `static_dir` to publish, each with its path relative to it, in path order;
/// none when there is no such directory. Editors' scratch files are left out.
fn static_files(static_dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut files = Vec::new();
    if static_dir.is_dir() {
        for entry in WalkDir::new(static_dir).sort_by_file_name() {
            let entry =
                entry.with_context(|| format!("failed to walk `{}`", static_dir.display()))?;
            if entry.file_type().is_file() && !fs::is_scratch(entry.file_name()) {
                let rel = entry.path().strip_prefix(static_dir).unwrap_or(entry.path());
                files.push((entry.path().to_path_buf(), rel.to_path_buf()));
            }
        }
    }
    Ok(files)
}

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
    for (source, rel) in static_files(static_dir)? {
        copy(source, rel)?;
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
        assert_eq!(
            leftovers,
            [".public.manifest", ".public.spare", "public"],
            "the previous output is the spare"
        );
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

    #[test]
    fn each_output_has_a_manifest_of_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let static_dir = dir.path().join("static");
        std::fs::create_dir(&static_dir).unwrap();
        std::fs::write(static_dir.join("site.css"), "body {}").unwrap();
        let file = |rel: &str, text: &str| OutputFile { rel_path: rel.into(), bytes: text.into() };
        write_site(&[file("a/index.html", "a1")], &static_dir, &[], &out).unwrap();
        write_site(&[file("a/index.html", "a2")], &static_dir, &[], &out).unwrap();
        for (manifest, tree, a) in [
            (".public.manifest", "public", "a2"),
            (".public.spare.manifest", ".public.spare", "a1"),
        ] {
            let Manifest(entries) = Manifest::read(&dir.path().join(manifest));
            let mut names: Vec<_> = entries.keys().map(|p| p.to_str().unwrap()).collect();
            names.sort();
            assert_eq!(names, ["a/index.html", "site.css"], "{manifest}");
            for (rel, bytes) in [("a/index.html", a), ("site.css", "body {}")] {
                let meta = std::fs::metadata(dir.path().join(tree).join(rel)).unwrap();
                let expected = Recorded {
                    identity: identity(&meta),
                    hash: xxhash_rust::xxh3::xxh3_128(bytes.as_bytes()),
                };
                assert!(entries[Path::new(rel)] == expected, "{manifest}: {rel}");
            }
        }
        // The third build takes the spare and its manifest, and leaves a new one in its place.
        write_site(&[file("a/index.html", "a3")], &static_dir, &[], &out).unwrap();
        let Manifest(spare) = Manifest::read(&dir.path().join(".public.spare.manifest"));
        let meta = std::fs::metadata(dir.path().join(".public.spare/a/index.html")).unwrap();
        assert!(spare[Path::new("a/index.html")].identity == identity(&meta));
        assert_eq!(std::fs::read_to_string(out.join("a/index.html")).unwrap(), "a3");
    }

    #[test]
    fn a_spare_file_is_trusted_by_its_manifest_only_while_it_is_as_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.html");
        std::fs::write(&path, "abc").unwrap();
        let recorded = |bytes: &[u8]| Recorded {
            identity: identity(&std::fs::metadata(&path).unwrap()),
            hash: xxhash_rust::xxh3::xxh3_128(bytes),
        };
        let spare = |recorded: Recorded| Spare {
            files: HashSet::new(),
            dirs: HashSet::new(),
            manifest: Manifest(HashMap::from([(PathBuf::from("a.html"), recorded)])),
        };
        let holds = |spare: &Spare, bytes: &[u8]| {
            spare
                .holds(Path::new("a.html"), &path, bytes, xxhash_rust::xxh3::xxh3_128(bytes))
                .is_some()
        };
        // A manifest that says the file holds "xyz" is believed without reading the file.
        let says_xyz = spare(recorded(b"xyz"));
        assert!(holds(&says_xyz, b"xyz"));
        assert!(!holds(&says_xyz, b"abc"));
        assert!(!holds(&says_xyz, b"abcd"), "another length is never the same file");

        // Rewritten in place, even with its modification time set back, the file is read.
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, "def").unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(modified).unwrap();
        assert!(holds(&says_xyz, b"def"));
        assert!(!holds(&says_xyz, b"xyz"));
        assert!(holds(&spare(recorded(b"def")), b"def"));
    }

    #[test]
    fn a_damaged_manifest_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m");
        let entry = Recorded { identity: 1, hash: 2 };
        Manifest(HashMap::from([(PathBuf::from("a/index.html"), entry)])).write(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(Manifest::decode(&bytes).unwrap().0[Path::new("a/index.html")] == entry);
        assert!(Manifest::decode(&bytes[..bytes.len() - 1]).is_none(), "truncated");
        assert!(Manifest::decode(&[bytes.as_slice(), b"x"].concat()).is_none(), "trailing bytes");
        assert!(Manifest::decode(b"OUTMAN00").is_none(), "another format");
        std::fs::write(&path, &bytes[..20]).unwrap();
        assert!(Manifest::read(&path).0.is_empty());
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
