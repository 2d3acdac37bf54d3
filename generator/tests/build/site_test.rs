//! `SiteTest`: a fixture copied into a temporary directory, built, and inspected.

use std::path::{Path, PathBuf};
use std::process::Command;

use walkdir::WalkDir;

/// The workspace root (holding the real `templates/` and `static/`).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("generator/ has a parent").to_path_buf()
}

/// The fixtures directory.
pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub(crate) struct SiteTest {
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl SiteTest {
    /// The real templates and static files, the minimal fixture over them, then each overlay.
    pub(crate) fn minimal_with(overlays: &[&Path]) -> SiteTest {
        let dir = tempfile::Builder::new()
            .prefix("site-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temporary directory");
        let root = workspace_root();
        copy_tree(&root.join("templates"), &dir.path().join("templates"));
        copy_tree(&root.join("static"), &dir.path().join("static"));
        copy_tree(&fixtures().join("minimal"), dir.path());
        for overlay in overlays {
            copy_tree(overlay, dir.path());
        }
        SiteTest { dir }
    }

    pub(crate) fn minimal() -> SiteTest {
        SiteTest::minimal_with(&[])
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Runs the `generator` binary in the site root.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_generator"))
            .args(args)
            .current_dir(self.root())
            .output()
            .expect("the generator binary runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root().join(rel))
            .unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    /// Every file under `dir` (relative to the site root) with its bytes, sorted by path.
    pub(crate) fn snapshot_tree(&self, dir: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let base = self.root().join(dir);
        WalkDir::new(&base)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(&base).expect("under base").to_path_buf();
                (rel, std::fs::read(e.path()).expect("readable"))
            })
            .collect()
    }
}

/// Copies every file of `from` into `to`, keeping relative paths and overwriting.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for entry in WalkDir::new(from).into_iter().filter_map(Result::ok) {
        let rel = entry.path().strip_prefix(from).expect("under from");
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("create dir");
        } else if rel != Path::new("expected.txt") {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}
