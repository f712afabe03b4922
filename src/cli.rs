//! The command line: parse arguments, call the pipeline, print, and choose
//! the exit status (0 ok, 1 the handbook has errors, 2 bad usage).

use crate::build::{self, BuildError, BuildOptions};
use crate::diag::Report;
use crate::model::Date;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "copbook",
    version,
    about = "Turns a folder of Markdown answers into the handbook website of a Community of Practice",
    long_about = "copbook reads book.toml and content/ (one folder per lifecycle phase, plus members/, \
roles/, norms/ and cases/) and builds a cross-linked handbook website.\n\n\
Exit status: 0 success, 1 the handbook has errors, 2 bad usage."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Build the site into book/ (or [build] build-dir, or -d DEST)
    #[command(
        long_about = "Validates the handbook, renders every page and writes the site. \
The site is written to a staging folder and swapped in, so a failed build leaves the previous \
site untouched. Errors are printed as path:line:col and the exit status is 1."
    )]
    Build {
        /// The handbook's folder (the one with book.toml)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write the site (default: [build] build-dir, "book")
        #[arg(short = 'd', long = "dest-dir", value_name = "DEST")]
        dest: Option<PathBuf>,
        /// Site URL: a path like /repo/ or a full URL; used for the sitemap,
        /// canonical links and 404.html (overrides [build] site-url)
        #[arg(long, value_name = "URL")]
        site_url: Option<String>,
    },
    /// Validate everything build validates, without writing anything
    #[command(
        long_about = "Loads and resolves the handbook and reports every problem in one run. \
Warnings (stale pages, vacant roles) do not fail the check unless --strict is given; --strict \
also fails on unanswered questions."
    )]
    Check {
        /// The handbook's folder (the one with book.toml)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Also fail on unanswered questions, stale pages and vacant roles
        #[arg(long)]
        strict: bool,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    /// path:line:col: error: message
    Text,
    /// One JSON object with errors, warnings and progress
    Json,
    /// GitHub Actions workflow annotations
    Github,
}

/// The date used for "stale" checks. `COPBOOK_TODAY=YYYY-MM-DD` fixes it,
/// for reproducible output in tests and CI.
fn today() -> Date {
    std::env::var("COPBOOK_TODAY")
        .ok()
        .and_then(|s| Date::parse(&s))
        .unwrap_or_else(Date::today)
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let today = today();
    match cli.command {
        Command::Build {
            dir,
            dest,
            site_url,
        } => {
            let started = Instant::now();
            let opts = BuildOptions {
                root: dir,
                dest,
                site_url,
                today,
            };
            match build::build(&opts) {
                Ok(b) => {
                    eprint!("{}", b.report.to_text());
                    eprintln!(
                        "built {} pages into {} in {} ms{}",
                        b.pages,
                        b.dest.display(),
                        started.elapsed().as_millis(),
                        if b.report.warnings.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", b.report.summary())
                        }
                    );
                    ExitCode::SUCCESS
                }
                Err(BuildError::NotABook(m)) => fail(&m),
                Err(BuildError::Output(m)) => fail(&m),
                Err(BuildError::Invalid(report)) => {
                    eprint!("{}", report.to_text());
                    eprintln!("build failed: {}; nothing was written", report.summary());
                    ExitCode::from(1)
                }
            }
        }
        Command::Check {
            dir,
            strict,
            format,
        } => match build::check(&dir, today, strict) {
            Ok(c) => {
                print_report(&c.report, format, c.progress);
                if c.report.has_errors() {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(crate::load::NotABook(m)) => fail(&m),
        },
    }
}

fn print_report(report: &Report, format: Format, progress: crate::diag::Progress) {
    let mut out = std::io::stdout().lock();
    let _ = match format {
        Format::Json => out.write_all(report.to_json(progress).as_bytes()),
        Format::Github => out.write_all(report.to_github().as_bytes()),
        Format::Text => {
            let _ = out.write_all(report.to_text().as_bytes());
            writeln!(
                out,
                "{}; {} of {} questions answered",
                report.summary(),
                progress.answered,
                progress.questions
            )
        }
    };
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(1)
}
