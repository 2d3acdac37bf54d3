//! `corpus --pages N --out DIR [--seed S]`: writes a synthetic site for benchmarks (see
//! `generator::corpus`), with this repository's templates and static files.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use generator::corpus::{CorpusConfig, write_corpus};

/// Writes a seeded synthetic site of N session pages, ready for `generator build --root DIR`.
#[derive(Debug, Parser)]
#[command(about, long_about = None)]
struct Args {
    /// Session pages to write.
    #[arg(long, default_value_t = 1000)]
    pages: usize,
    /// The site root to write (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// The seed; the same seed and page count give the same files.
    #[arg(long, default_value_t = 2015)]
    seed: u64,
    /// The site whose templates/ and static/ are copied (default: this repository).
    #[arg(long)]
    templates_from: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let from = args.templates_from.unwrap_or(repo);
    match write_corpus(CorpusConfig { pages: args.pages, seed: args.seed }, &from, &args.out) {
        Ok(()) => {
            println!("Wrote {} sessions to {}", args.pages, args.out.display());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
