//! Demos: the interactive simulations of `wasm-demos`, their curated scenarios, the `demo`
//! shortcode that places one in a page, and their WebAssembly build.
//!
//! A site has demos when its root holds `wasm-demos/scenarios/catalog.toml`:
//!
//! ```toml
//! [[ipvs]]
//! name = "wrr-5-1-1"              # wasm-demos/scenarios/ipvs/wrr-5-1-1.json
//! title = "Kernel WRR, weights 5:1:1"
//! summary = "One sentence for the scenario picker."
//! note = "Optional: where the scenario stands against the talk (the cgroups demo shows it)."
//! ```
//!
//! Every scenario file must be listed, and every listed scenario is checked with the
//! simulation's own parser at build time, so a broken scenario fails the build rather than
//! the demo. [`build_wasm`] compiles the `wasm-demos` crate for `wasm32-unknown-unknown` and
//! runs wasm-bindgen as a library, the JS glue and the `.wasm` ending up in the output.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use wasm_demos::scenario::Playback;

use crate::error::{Diagnostics, Location, SourceError, SourceErrorKind};
use crate::fs;
use crate::render::OutputFile;

/// The demos, in the order pages list them.
pub const KINDS: [DemoKind; 3] = [DemoKind::Namespaces, DemoKind::Ipvs, DemoKind::Cgroups];

pub(crate) const CATALOG: &str = "wasm-demos/scenarios/catalog.toml";

/// One of the three simulations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DemoKind {
    /// Linux namespaces.
    Namespaces,
    /// IPVS scheduling, Maglev, smooth WRR and GORB.
    Ipvs,
    /// cgroup limits.
    Cgroups,
}

impl DemoKind {
    /// The name in URLs, the shortcode and the scenario directory.
    pub fn name(self) -> &'static str {
        match self {
            DemoKind::Namespaces => "namespaces",
            DemoKind::Ipvs => "ipvs",
            DemoKind::Cgroups => "cgroups",
        }
    }

    /// The demo's page title.
    pub fn title(self) -> &'static str {
        match self {
            DemoKind::Namespaces => "Linux namespaces",
            DemoKind::Ipvs => "IPVS load balancing",
            DemoKind::Cgroups => "cgroup limits",
        }
    }

    /// One line for listings.
    pub fn description(self) -> &'static str {
        match self {
            DemoKind::Namespaces => {
                "A process tree with one pid per namespace level: build a container from a shell script, kill an init, move a veth, be root without privileges."
            }
            DemoKind::Ipvs => {
                "The kernel's IPVS schedulers pick real servers connection by connection; Maglev fills its table, GORB's health checks take a backend out and bring it back."
            }
            DemoKind::Cgroups => {
                "CPU quota and weights on a timeline, memory against memory.high and memory.max up to the OOM kill, a fork bomb against pids.max."
            }
        }
    }

    /// The kind called `name`.
    pub fn parse(name: &str) -> Option<DemoKind> {
        KINDS.into_iter().find(|k| k.name() == name)
    }

    fn ops(self, json: &str) -> Result<usize, wasm_demos::scenario::ScenarioError> {
        Ok(match self {
            DemoKind::Namespaces => {
                wasm_demos::namespaces::NamespacesPlayback::new(json)?.remaining()
            }
            DemoKind::Ipvs => wasm_demos::ipvs::playback(json)?.remaining(),
            DemoKind::Cgroups => {
                wasm_demos::cgroups::scenario::CgroupPlayback::new(json, false)?.remaining()
            }
        })
    }
}

/// A curated scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// The file stem, as in `?scenario=`.
    pub name: String,
    /// For the picker.
    pub title: String,
    /// One sentence.
    pub summary: String,
    /// Where the scenario stands against the talk ("Shown in Barcelona: …", "The fix that came
    /// after the talk: …"), shown beside the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Scripted operations: the largest `step` an embed accepts.
    pub ops: usize,
    /// The scenario file's text.
    #[serde(skip)]
    pub json: String,
}

/// Every demo's curated scenarios, in catalog order.
#[derive(Debug, Clone, Default)]
pub struct DemoCatalog {
    kinds: BTreeMap<DemoKind, Vec<Scenario>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogDoc {
    #[serde(default)]
    namespaces: Vec<toml::Spanned<EntryDoc>>,
    #[serde(default)]
    ipvs: Vec<toml::Spanned<EntryDoc>>,
    #[serde(default)]
    cgroups: Vec<toml::Spanned<EntryDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    name: String,
    title: String,
    summary: String,
    note: Option<String>,
}

impl DemoCatalog {
    /// The scenarios of `kind`.
    pub fn scenarios(&self, kind: DemoKind) -> &[Scenario] {
        self.kinds.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// The scenario `name` of `kind`.
    pub fn scenario(&self, kind: DemoKind, name: &str) -> Option<&Scenario> {
        self.scenarios(kind).iter().find(|s| s.name == name)
    }

    /// `demos/scenarios.json`: `{"<kind>": [{"name", "title", "summary", "ops"}, …], …}`.
    pub fn to_json(&self) -> String {
        let map: BTreeMap<&str, &[Scenario]> =
            KINDS.iter().map(|k| (k.name(), self.scenarios(*k))).collect();
        serde_json::to_string(&map).unwrap_or_default()
    }
}

/// Loads `wasm-demos/scenarios/catalog.toml` under `root` and checks every scenario; `None`
/// when the site has no demos.
pub fn load_catalog(root: &Path) -> (Option<DemoCatalog>, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let rel = Path::new(CATALOG);
    let Ok(text) = std::fs::read_to_string(root.join(rel)) else {
        return (None, diagnostics);
    };
    let doc: CatalogDoc = match toml::from_str(&text) {
        Ok(doc) => doc,
        Err(err) => {
            let at = err.span().map_or(Location::START, |s| Location::from_offset(&text, s.start));
            let message = err.message().to_owned();
            diagnostics.push(SourceError::new(rel, at, SourceErrorKind::InvalidData(message)));
            return (None, diagnostics);
        }
    };
    let mut catalog = DemoCatalog::default();
    for (kind, entries) in [
        (DemoKind::Namespaces, doc.namespaces),
        (DemoKind::Ipvs, doc.ipvs),
        (DemoKind::Cgroups, doc.cgroups),
    ] {
        let dir = Path::new("wasm-demos/scenarios").join(kind.name());
        let mut listed = BTreeSet::new();
        let mut scenarios = Vec::new();
        for entry in entries {
            let at = Location::from_offset(&text, entry.span().start);
            let entry = entry.into_inner();
            let invalid =
                |message: String| SourceError::new(rel, at, SourceErrorKind::InvalidValue(message));
            if !listed.insert(entry.name.clone()) {
                diagnostics.push(invalid(format!(
                    "{} scenario `{}` is listed twice",
                    kind.name(),
                    entry.name
                )));
                continue;
            }
            let file = dir.join(format!("{}.json", entry.name));
            let json = match std::fs::read_to_string(root.join(&file)) {
                Ok(json) => json,
                Err(_) => {
                    diagnostics.push(invalid(format!(
                        "{} scenario `{}` has no file `{}`",
                        kind.name(),
                        entry.name,
                        file.display()
                    )));
                    continue;
                }
            };
            match kind.ops(&json) {
                Ok(ops) => scenarios.push(Scenario {
                    name: entry.name,
                    title: entry.title,
                    summary: entry.summary,
                    note: entry.note,
                    ops,
                    json,
                }),
                Err(err) => diagnostics.push(SourceError::new(
                    &file,
                    Location::START,
                    SourceErrorKind::InvalidData(err.to_string()),
                )),
            }
        }
        for name in scenario_files(&root.join(&dir)) {
            if !listed.contains(&name) {
                diagnostics.push(SourceError::new(
                    dir.join(format!("{name}.json")),
                    Location::START,
                    SourceErrorKind::InvalidValue(format!(
                        "scenario `{name}` is not in {CATALOG}: add a [[{}]] entry with its name, title and summary",
                        kind.name()
                    )),
                ));
            }
        }
        catalog.kinds.insert(kind, scenarios);
    }
    (Some(catalog), diagnostics)
}

fn scenario_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name().to_str().and_then(|n| n.strip_suffix(".json")).map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// A `demo` block's settings, as written in a page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmbedDoc {
    kind: String,
    #[serde(default)]
    scenario: Option<String>,
    /// Signed, so that a negative step gets this module's message rather than serde's.
    #[serde(default)]
    step: Option<i64>,
    #[serde(default)]
    speed: Option<f64>,
    #[serde(default)]
    autoplay: bool,
    #[serde(default)]
    caption: Option<String>,
}

/// A checked `demo` block.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoEmbed {
    /// Which demo.
    pub kind: DemoKind,
    /// Its scenario.
    pub scenario: String,
    /// Scripted operations applied before the reader's first click.
    pub step: usize,
    /// Steps per second when playing.
    pub speed: f64,
    /// Start playing at once.
    pub autoplay: bool,
    /// Shown under the demo.
    pub caption: Option<String>,
}

/// Parses the body of a ```` ```demo ```` block (TOML: `kind`, `scenario`, `step`, `speed`,
/// `autoplay`, `caption`) and checks it against `catalog`. An error carries the byte offset
/// in `body` it is about and its message.
pub fn parse_embed(
    body: &str,
    catalog: Option<&DemoCatalog>,
) -> Result<DemoEmbed, (usize, String)> {
    let Some(catalog) = catalog else {
        return Err((0, format!("this site has no demos: `{CATALOG}` is missing")));
    };
    let doc: EmbedDoc = toml::from_str(body)
        .map_err(|e| (e.span().map_or(0, |s| s.start), e.message().to_owned()))?;
    let at = |key: &str| value_offset(body, key);
    let names = |list: Vec<&str>| list.join(", ");
    let kind = DemoKind::parse(&doc.kind).ok_or_else(|| {
        (
            at("kind"),
            format!(
                "unknown demo `{}`: expected one of {}",
                doc.kind,
                names(KINDS.iter().map(|k| k.name()).collect())
            ),
        )
    })?;
    let scenarios = catalog.scenarios(kind);
    let scenario = match doc.scenario {
        Some(name) => catalog.scenario(kind, &name).ok_or_else(|| {
            (
                at("scenario"),
                format!(
                    "unknown {} scenario `{name}`: expected one of {}",
                    kind.name(),
                    names(scenarios.iter().map(|s| s.name.as_str()).collect())
                ),
            )
        })?,
        None => scenarios
            .first()
            .ok_or_else(|| (at("kind"), format!("the {} demo has no scenarios", kind.name())))?,
    };
    let step = doc.step.unwrap_or(0);
    if step < 0 {
        return Err((
            at("step"),
            format!(
                "step {step} is negative: give the number of operations to apply first, from 0"
            ),
        ));
    }
    let step = usize::try_from(step).unwrap_or(usize::MAX);
    if step > scenario.ops {
        return Err((
            at("step"),
            format!(
                "step {step} is past the end of `{}`, which has {} operations",
                scenario.name, scenario.ops
            ),
        ));
    }
    let speed = doc.speed.unwrap_or(1.0);
    if !(0.25..=8.0).contains(&speed) {
        return Err((at("speed"), format!("speed {speed} is outside 0.25 to 8 steps per second")));
    }
    Ok(DemoEmbed {
        kind,
        scenario: scenario.name.clone(),
        step,
        speed,
        autoplay: doc.autoplay,
        caption: doc.caption,
    })
}

/// Where the value of `key = …` starts in a TOML block (0 when the key is absent).
fn value_offset(body: &str, key: &str) -> usize {
    let mut start = 0;
    for line in body.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(key)
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            return start + line.len() - value.trim_start().len();
        }
        start += line.len();
    }
    0
}

/// The output files every site with demos has: the catalog and each scenario's file.
pub fn scenario_files_output(catalog: &DemoCatalog) -> Vec<OutputFile> {
    let mut files = vec![OutputFile {
        rel_path: PathBuf::from("demos/scenarios.json"),
        bytes: catalog.to_json().into_bytes(),
    }];
    for kind in KINDS {
        for s in catalog.scenarios(kind) {
            files.push(OutputFile {
                rel_path: PathBuf::from(format!("demos/scenarios/{}/{}.json", kind.name(), s.name)),
                bytes: s.json.clone().into_bytes(),
            });
        }
    }
    files
}

const TARGET: &str = "wasm32-unknown-unknown";

/// Builds `wasm-demos` for the browser: `wasm/demos.js` (the wasm-bindgen glue, an ES module)
/// and `wasm/demos_bg.wasm`. Installs the `wasm32-unknown-unknown` target with rustup when it
/// is missing, and builds in `target/wasm` under `root` so that an outer `cargo run` keeps
/// its own build directory.
pub fn build_wasm(root: &Path) -> Result<Vec<OutputFile>> {
    ensure_target()?;
    let target_dir = root.join("target/wasm");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(["build", "--quiet", "--locked", "-p", "wasm-demos", "--lib", "--target", TARGET])
        .args(["--profile", "wasm-release", "--target-dir"])
        .arg(&target_dir)
        .status()
        .context("failed to run cargo to build the demos")?;
    if !status.success() {
        bail!("building wasm-demos for {TARGET} failed ({status}); cargo's messages are above");
    }
    let wasm = target_dir.join(TARGET).join("wasm-release/wasm_demos.wasm");
    let out = target_dir.join("bindgen");
    fs::remove_dir_all(&out)?;
    fs::create_dir_all(&out)?;
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(&wasm)
        .out_name("demos")
        .typescript(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .omit_default_module_path(false)
        .web(true)?
        .generate(&out)
        .with_context(|| format!("wasm-bindgen failed on `{}`", wasm.display()))?;
    let read = |name: &str| {
        fs::read(&out.join(name)).with_context(|| format!("wasm-bindgen wrote no `{name}`"))
    };
    let glue = String::from_utf8(read("demos.js")?).context("wasm-bindgen's glue is not UTF-8")?;
    let glue = crate::scripts::minify(&glue).map_err(|(offset, message)| {
        anyhow::anyhow!("wasm-bindgen's glue does not parse at byte {offset}: {message}")
    })?;
    Ok(vec![
        OutputFile { rel_path: PathBuf::from("wasm/demos.js"), bytes: glue.into_bytes() },
        OutputFile { rel_path: PathBuf::from("wasm/demos_bg.wasm"), bytes: read("demos_bg.wasm")? },
    ])
}

/// Installs the wasm target when rustc has no standard library for it.
fn ensure_target() -> Result<()> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .context("failed to run rustc")?;
    let installed = libdir.status.success() && {
        let dir = PathBuf::from(String::from_utf8_lossy(&libdir.stdout).trim());
        std::fs::read_dir(dir).is_ok_and(|mut d| {
            d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libcore")))
        })
    };
    if installed {
        return Ok(());
    }
    eprintln!("note: the {TARGET} target is missing; installing it: rustup target add {TARGET}");
    let status = Command::new("rustup").args(["target", "add", TARGET]).status().context(
        "failed to run rustup; install the target with `rustup target add wasm32-unknown-unknown`",
    )?;
    if !status.success() {
        bail!("`rustup target add {TARGET}` failed ({status})");
    }
    Ok(())
}
