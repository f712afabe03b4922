//! The command line: parse arguments, call the pipeline, print, and choose
//! the exit status (0 ok, 1 the handbook has errors, 2 bad usage).

use crate::build::{self, BuildError, BuildOptions};
use crate::diag::Report;
use crate::model::Date;
use clap::{Parser, Subcommand, ValueEnum};
use std::fmt::Write as _;
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
    /// Build, serve on 127.0.0.1:3000, watch, rebuild and reload open pages
    #[command(
        long_about = "Builds the site in memory and serves it. Every save rebuilds and reloads \
open pages; when an edit breaks the handbook, the last good site stays and the error shows in \
the page and the terminal until it is fixed. Nothing is written to the build dir."
    )]
    Serve {
        /// The handbook's folder (the one with book.toml)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Port to listen on
        #[arg(short, long, default_value_t = 3000)]
        port: u16,
        /// Address to bind to (loopback by default, so only this machine can see it)
        #[arg(short, long, default_value = "127.0.0.1")]
        bind: String,
        /// Open the site in a browser
        #[arg(long)]
        open: bool,
    },
    /// Validate everything build validates, without writing anything
    #[command(
        long_about = "Loads and resolves the handbook, renders the site in memory and checks every \
link of every page, as build does, and reports every problem in one run; nothing is written. \
Warnings (stale pages, vacant roles) do not fail the check unless --strict is given; --strict \
also fails on unanswered questions. --external also requests every http(s) link written in \
the Markdown (each URL once, several hosts at a time, one request at a time and at most four a \
second per host) and reports dead ones (4xx, 5xx, no answer) at the line they are on."
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
        /// Also check links to other sites (http and https) over the
        /// network: concurrently, one request at a time per host
        #[arg(long)]
        external: bool,
    },
    /// Start a handbook from a question template
    #[command(
        long_about = "Writes book.toml, content/ with every guiding question of the template \
(each a heading with a placeholder that does not count as an answer), starter roles and norms, \
an example member, .gitignore, a GitHub Pages workflow and a README. Refuses to overwrite \
existing files unless --force is given."
    )]
    Init {
        /// Folder to create the handbook in
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Question template (see `copbook templates`)
        #[arg(long, default_value = "lifecycle")]
        template: String,
        /// The community's name (default: the folder's name)
        #[arg(long)]
        title: Option<String>,
        /// Overwrite files that already exist
        #[arg(long)]
        force: bool,
    },
    /// Add a member, role, norm, page, case or meeting, with every field documented
    #[command(
        long_about = "Writes content/<folder>/ID.md with every field and a comment on what it \
means. Works from the book root or any folder below it. ID must be a slug (lower-case letters, \
digits, - and _); `new case MEMBER` writes the case for participation of an existing member."
    )]
    New {
        /// What to add
        #[arg(value_enum)]
        kind: crate::scaffold::NewKind,
        /// The new record's id (its file name and URL)
        id: String,
        /// For pages: the phase folder, e.g. 01-define
        #[arg(long)]
        phase: Option<String>,
        /// Title or name (default: from the id)
        #[arg(long)]
        title: Option<String>,
    },
    /// List the pages by review date, with their owners (stale first)
    #[command(
        long_about = "Prints a table of every answer page that has a `review-by` date, earliest \
first: the date, whether it is stale (past), due soon (within 30 days) or later, the days left, \
the owner to ask and the page. Exit status 1 when the handbook has errors."
    )]
    Review {
        /// The handbook's folder (the one with book.toml)
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// List the built-in question templates
    Templates,
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

/// What the command about to run does with memory, so that the binary can
/// set its allocator up for it (see `src/main.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// One pass over the handbook, then the process ends (build, check,
    /// review, init, new, templates).
    Batch,
    /// A long-lived process that rebuilds again and again (serve).
    Serve,
}

pub fn run() -> ExitCode {
    run_with(|_| {})
}

/// [`run`], telling `before` what kind of work the parsed command is
/// before it starts.
pub fn run_with(before: impl FnOnce(Workload)) -> ExitCode {
    let cli = Cli::parse();
    before(match cli.command {
        Command::Serve { .. } => Workload::Serve,
        _ => Workload::Batch,
    });
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
                    let build::Built {
                        dest,
                        pages,
                        report,
                        handbook,
                    } = b;
                    // The process ends here: the system reclaims the
                    // handbook's memory at once, freeing it piece by piece
                    // would cost about 5% of the build.
                    std::mem::forget(handbook);
                    eprint!("{}", report.to_text());
                    eprintln!(
                        "built {} pages into {} in {} ms{}",
                        pages,
                        dest.display(),
                        started.elapsed().as_millis(),
                        if report.warnings.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", report.summary())
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
        Command::Serve {
            dir,
            port,
            bind,
            open,
        } => {
            let opts = crate::serve::ServeOptions {
                root: dir,
                port,
                bind,
                open,
                today,
            };
            match crate::serve::serve(opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(m) => fail(&m),
            }
        }
        Command::Check {
            dir,
            strict,
            format,
            external,
        } => match build::check_site(&dir, today, strict) {
            Ok(mut c) => {
                if external {
                    check_external(&mut c);
                }
                print_report(&c.report, format, c.progress);
                if c.report.has_errors() {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(crate::load::NotABook(m)) => fail(&m),
        },
        Command::Init {
            dir,
            template,
            title,
            force,
        } => {
            let opts = crate::scaffold::InitOptions {
                dir,
                template,
                title,
                force,
            };
            match crate::scaffold::init(&opts) {
                Ok(files) => {
                    eprintln!(
                        "wrote {} files into {}; next: `copbook build {}`",
                        files.len(),
                        opts.dir.display(),
                        opts.dir.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(m) => fail(&m),
            }
        }
        Command::New {
            kind,
            id,
            phase,
            title,
        } => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            let Some(root) = crate::scaffold::find_root(&cwd) else {
                return fail(
                    "no book.toml here or in any folder above; run this inside a handbook, or start one with `copbook init`",
                );
            };
            let opts = crate::scaffold::NewOptions {
                kind,
                id,
                phase,
                title,
                today,
            };
            match crate::scaffold::new_record(&root, &opts) {
                Ok(path) => {
                    println!("{path}");
                    ExitCode::SUCCESS
                }
                Err(m) => fail(&m),
            }
        }
        Command::Review { dir } => match build::check(&dir, today, false) {
            Ok(c) => {
                if c.report.has_errors() {
                    eprint!("{}", c.report.errors_text());
                    return ExitCode::from(1);
                }
                print!("{}", crate::review::table(&c.handbook));
                ExitCode::SUCCESS
            }
            Err(crate::load::NotABook(m)) => fail(&m),
        },
        Command::Templates => {
            let mut out = String::new();
            for name in crate::templates::names() {
                match crate::templates::template(name) {
                    Ok(t) => {
                        let _ = writeln!(
                            out,
                            "{name:<14} {} ({} phases, {} questions)",
                            t.description,
                            t.phases.len(),
                            t.question_count()
                        );
                    }
                    Err(m) => return fail(&m),
                }
            }
            match crate::templates::case() {
                Ok(c) => {
                    let n: usize = c.sections.iter().map(|s| s.questions.len()).sum();
                    let _ = writeln!(
                        out,
                        "{:<14} {} ({n} questions; used by `copbook new case MEMBER`)",
                        c.name, c.description
                    );
                }
                Err(m) => return fail(&m),
            }
            print!("{out}");
            ExitCode::SUCCESS
        }
    }
}

/// `check --external`: adds the dead links to the report.
fn check_external(c: &mut build::Checked) {
    let started = Instant::now();
    let opts = crate::external::ExternalOptions::default();
    let (diags, summary) = crate::external::check(&c.handbook, &opts);
    eprintln!(
        "checked {} external link{} on {} host{} in {:.1} s: {} dead",
        summary.urls,
        if summary.urls == 1 { "" } else { "s" },
        summary.hosts,
        if summary.hosts == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64(),
        summary.dead
    );
    for d in diags {
        match d.severity {
            crate::diag::Severity::Error => c.report.errors.push(d),
            crate::diag::Severity::Warning => c.report.warnings.push(d),
        }
    }
    for v in [&mut c.report.errors, &mut c.report.warnings] {
        v.sort_by(|a, b| (&a.path, a.loc, &a.message).cmp(&(&b.path, b.loc, &b.message)));
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
