//! The command line: `generator [build|check] [options]`, parsed with clap's derive API.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::BuildOptions;

/// Builds the DockerCon EU 2015 notes site. With no command, runs `build` with its defaults.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: build).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into the output directory (replaced only when the build succeeds).
    Build(BuildArgs),
    /// Validate everything `build` validates, without writing anything.
    Check(CheckArgs),
}

/// Options of `build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The site root, holding site.toml, content/, templates/ and static/.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Where to write the site (default: <ROOT>/public); must not be inside content/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override site.toml's base_url, e.g. http://127.0.0.1:8000/.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Include sessions marked `draft = true`.
    #[arg(long)]
    pub drafts: bool,
    /// Do not compile the demos to WebAssembly: their pages are written, their wasm is not.
    #[arg(long)]
    pub no_wasm: bool,
}

/// Options of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The site root, holding site.toml, content/, templates/ and static/.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Check sessions marked `draft = true` too.
    #[arg(long)]
    pub drafts: bool,
}

impl Cli {
    /// The build the command line asks for.
    pub fn into_options(self) -> BuildOptions {
        match self.command {
            None => BuildOptions {
                root: ".".into(),
                out_dir: None,
                base_url: None,
                drafts: false,
                write: true,
                wasm: true,
            },
            Some(Command::Build(args)) => BuildOptions {
                root: args.root,
                out_dir: args.out,
                base_url: args.base_url,
                drafts: args.drafts,
                write: true,
                wasm: !args.no_wasm,
            },
            Some(Command::Check(args)) => BuildOptions {
                root: args.root,
                out_dir: None,
                base_url: None,
                drafts: args.drafts,
                write: false,
                wasm: false,
            },
        }
    }
}
