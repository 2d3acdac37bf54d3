//! The up-to-date check, as `make` and cargo do it: a build whose inputs are those of the last
//! build that wrote the same output directory, and whose output directory is exactly as that
//! build left it, has nothing to do.
//!
//! The last successful build that wrote without a cache leaves a stamp in
//! `<root>/.cache/build-stamp.json`: a fingerprint of its inputs, one of the output directory
//! it left, and its report (counts and warnings, which an up-to-date build repeats).
//!
//! - **Inputs** are the generator's executable, the build options, the output directory's
//!   path, and every file under `site.toml`, `content/`, `templates/` and `static/` (and
//!   `wasm-demos/scenarios/`, the demo catalog), each by path, type, size, modification time
//!   and inode. A site whose demos are compiled to WebAssembly is never up to date: the wasm also
//!   depends on `wasm-demos/` and on the Rust toolchain, which cargo checks on every build.
//! - **The output directory** is fingerprinted the same way, every file and directory under it.
//!   Editing, adding or removing anything there makes the next build a full one, which puts it
//!   back.
//!
//! Any difference, or no stamp (`rm -rf .cache`), means a full build. Like `make`, the check
//! trusts that a file whose size, modification time and inode are unchanged still holds the
//! same bytes; `touch` forces a rebuild of what it touches.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use siphasher::sip128::{Hasher128, SipHasher13};
use walkdir::{DirEntry, WalkDir};

use crate::error::{Location, Warning};
use crate::{BuildOptions, BuildReport};

/// Where the stamp is, under the site root.
pub(crate) const STAMP: &str = ".cache/build-stamp.json";

/// What the last full build recorded, to tell whether the next one has anything to do.
#[derive(Serialize, Deserialize)]
struct Stamp {
    inputs: String,
    output: String,
    sessions: usize,
    categories: usize,
    tags: usize,
    speakers: usize,
    pages: usize,
    warnings: Vec<(PathBuf, u32, u32, String)>,
}

/// The fingerprint of a build's inputs, or `None` when the build cannot be up to date: it
/// compiles demos, or an input could not be read (the full build reports it).
pub fn inputs(options: &BuildOptions, out_dir: &Path) -> Option<u128> {
    let root = options.root.as_path();
    let has_catalog = root.join(crate::demos::CATALOG).exists();
    if has_catalog && options.wasm {
        return None;
    }
    let mut hasher = SipHasher13::new();
    hasher.write_u64(crate::highlight::executable_hash());
    hasher.write(format!("{:?}", (&options.base_url, options.drafts, options.wasm)).as_bytes());
    hasher.write(out_dir.as_os_str().as_encoded_bytes());
    hasher.write_u8(0);
    let mut paths = vec![root.join("site.toml"), root.join("content")];
    paths.extend([root.join("templates"), root.join("static")]);
    if has_catalog {
        paths.push(root.join("wasm-demos/scenarios"));
    }
    for path in paths {
        tree(&mut hasher, root, &path, true)?;
    }
    Some(hasher.finish128().as_u128())
}

/// Hashes the path, type, size, modification time and inode of `path` and everything under it.
/// The tree is walked in order; its entries are looked at in parallel.
fn tree(hasher: &mut SipHasher13, root: &Path, path: &Path, follow_links: bool) -> Option<()> {
    if !path.exists() {
        hasher.write(path.strip_prefix(root).unwrap_or(path).as_os_str().as_encoded_bytes());
        hasher.write_u8(0xff);
        return Some(());
    }
    let walk = WalkDir::new(path).follow_links(follow_links).sort_by_file_name();
    let entries: Vec<DirEntry> = walk
        .into_iter()
        .filter_entry(|e| !crate::fs::is_scratch(e.file_name()))
        .collect::<Result<_, _>>()
        .ok()?;
    let stamps: Option<Vec<u128>> = entries.par_iter().map(|e| entry(root, e)).collect();
    for stamp in stamps? {
        hasher.write_u128(stamp);
    }
    Some(())
}

/// One entry's path, type, size, modification time and inode, hashed.
fn entry(root: &Path, entry: &DirEntry) -> Option<u128> {
    stamp(root, entry.path(), &entry.metadata().ok()?)
}

fn stamp(root: &Path, path: &Path, metadata: &std::fs::Metadata) -> Option<u128> {
    let mut hasher = SipHasher13::new();
    let rel = path.strip_prefix(root).unwrap_or(path);
    hasher.write(rel.as_os_str().as_encoded_bytes());
    hasher.write_u8(0);
    let kind = metadata.file_type();
    hasher.write_u8(u8::from(kind.is_dir()) | u8::from(kind.is_symlink()) << 1);
    // A directory's size and time change with its entries, which the walk stamps one by one;
    // taking them too would make a build stale when an editor's scratch file comes or goes.
    if !kind.is_dir() {
        hasher.write_u64(metadata.len());
        let modified = metadata.modified().ok()?;
        let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
        hasher.write_u128(since.as_nanos());
    }
    #[cfg(unix)]
    hasher.write_u64(std::os::unix::fs::MetadataExt::ino(metadata));
    Some(hasher.finish128().as_u128())
}

/// The fingerprint of the output directory as it is now: the same stamps as [`tree`] without
/// following links, with the directories read in parallel ([`crate::fs::walk`]), since the
/// output has one per page: read one after the other, they were most of an up-to-date build.
fn output(out_dir: &Path) -> Option<u128> {
    let mut hasher = SipHasher13::new();
    if !out_dir.exists() {
        return tree(&mut hasher, out_dir, out_dir, false).map(|()| hasher.finish128().as_u128());
    }
    hasher.write_u128(stamp(out_dir, out_dir, &std::fs::metadata(out_dir).ok()?)?);
    let entries = crate::fs::walk(out_dir).ok()?;
    let stamps: Option<Vec<u128>> = entries
        .par_iter()
        .map(|(path, _)| stamp(out_dir, path, &std::fs::symlink_metadata(path).ok()?))
        .collect();
    for stamp in stamps? {
        hasher.write_u128(stamp);
    }
    Some(hasher.finish128().as_u128())
}

/// The report of the build the stamp records, if the stamp is for these `inputs` and the
/// output directory is as that build left it.
pub fn check(root: &Path, inputs: u128, out_dir: &Path) -> Option<BuildReport> {
    let bytes = crate::fs::read(&root.join(STAMP)).ok()?;
    let stamp: Stamp = serde_json::from_slice(&bytes).ok()?;
    if stamp.inputs != format!("{inputs:032x}")
        || stamp.output != format!("{:032x}", output(out_dir)?)
    {
        return None;
    }
    Some(BuildReport {
        sessions: stamp.sessions,
        categories: stamp.categories,
        tags: stamp.tags,
        speakers: stamp.speakers,
        pages: stamp.pages,
        pages_rendered: 0,
        files_written: 0,
        up_to_date: true,
        out_dir: out_dir.to_path_buf(),
        warnings: stamp
            .warnings
            .into_iter()
            .map(|(path, line, column, message)| Warning {
                path,
                location: Location { line, column },
                message,
            })
            .collect(),
        elapsed: Default::default(),
    })
}

/// Records `report`, the build of `inputs`, with the output directory as it now is. Without a
/// stamp, the next build is a full one: that is the only consequence of a failure here.
pub fn record(root: &Path, inputs: u128, report: &BuildReport) -> anyhow::Result<()> {
    let Some(output) = output(&report.out_dir) else { return Ok(()) };
    let stamp = Stamp {
        inputs: format!("{inputs:032x}"),
        output: format!("{output:032x}"),
        sessions: report.sessions,
        categories: report.categories,
        tags: report.tags,
        speakers: report.speakers,
        pages: report.pages,
        // The highlight cache's own problems are not the site's: they are not repeated.
        warnings: report
            .warnings
            .iter()
            .filter(|w| !w.path.starts_with(".cache"))
            .map(|w| (w.path.clone(), w.location.line, w.location.column, w.message.clone()))
            .collect(),
    };
    crate::fs::replace(&root.join(STAMP), &serde_json::to_vec(&stamp)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parallel_output_walk_stamps_what_the_sorted_walk_does() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let out = dir.path().join("public");
        for rel in ["index.html", "a/index.html", "a/b/c.txt", "a-b/x.js", "a.b", "Z/y", "é/z"] {
            let path = out.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, rel).expect("write");
        }
        std::fs::create_dir_all(out.join("empty")).expect("mkdir");
        #[cfg(unix)]
        std::os::unix::fs::symlink("a", out.join("link")).expect("symlink");
        let mut sorted = SipHasher13::new();
        tree(&mut sorted, &out, &out, false).expect("walk");
        assert_eq!(output(&out), Some(sorted.finish128().as_u128()));
        let missing = dir.path().join("missing");
        let mut sorted = SipHasher13::new();
        tree(&mut sorted, &missing, &missing, false).expect("walk");
        assert_eq!(output(&missing), Some(sorted.finish128().as_u128()));
    }
}
