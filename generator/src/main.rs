//! `cargo run --release`: builds the site into `public/`. See `generator --help`.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use generator::cli::{Action, Cli};
use generator::error::BuildError;
use generator::serve::Server;

fn main() -> ExitCode {
    generator::alloc::configure();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            // `--help` and `--version` print to stdout and succeed; a bad option is invalid
            // input, exit code 1, like a bad `--base-url`.
            return if err.use_stderr() { ExitCode::from(1) } else { ExitCode::SUCCESS };
        }
    };
    let options = match cli.into_action() {
        Action::Build(options) => options,
        Action::Serve(options) => {
            return match Server::start(options).and_then(Server::run_until_interrupted) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => failure(err),
            };
        }
    };
    match generator::build(&options) {
        Ok(report) => {
            for warning in &report.warnings {
                eprintln!("{warning}");
            }
            let verb = match (options.write, report.up_to_date) {
                (true, false) => "Built",
                (true, true) => "Up to date:",
                (false, _) => "Checked",
            };
            // A closed stdout (`| head`) must not turn a successful build into a panic.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "{verb} {} pages ({} sessions, {} categories, {} tags, {} speakers, home, indexes, search, 404) in {} ms",
                report.pages,
                report.sessions,
                report.categories,
                report.tags,
                report.speakers,
                report.elapsed.as_millis()
            );
            if report.up_to_date {
                let _ = writeln!(
                    out,
                    "Nothing changed since the last build of {}: nothing written",
                    report.out_dir.display()
                );
            } else if options.write {
                let _ = writeln!(
                    out,
                    "Wrote {} files to {}",
                    report.files_written,
                    report.out_dir.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(err) => failure(err),
    }
}

fn failure(err: BuildError) -> ExitCode {
    match err {
        BuildError::Invalid(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            eprintln!("error: {} problem(s) found; nothing was written", errors.len());
            ExitCode::from(1)
        }
        BuildError::Usage(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        BuildError::Internal(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
