//! The pipeline: load → resolve → render → write. [`check`] stops after
//! resolve (a handbook to read); [`check_site`] (`copbook check`) also
//! renders, in memory, and throws the files away; `build` writes them.

use crate::diag::{Diagnostic, Progress, Report};
use crate::load::{self, NotABook};
use crate::model::{Date, LinkCheck, Status};
use crate::render::{OutFile, PRINT_FILE, Renderer};
use crate::resolve::{self, Dest, DocKey, Handbook};
use crate::theme::Theme;
use crate::write;
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Prints how long a stage took when `COPBOOK_TIMINGS` is set (for
/// profiling; read per call so there is no global state).
pub(crate) fn timing(stage: &str, since: std::time::Instant) {
    if std::env::var_os("COPBOOK_TIMINGS").is_some() {
        eprintln!(
            "timing: {stage} {:.1} ms",
            since.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// A handbook that loaded and resolved, with its diagnostics.
pub struct Checked<T = Theme> {
    pub handbook: Handbook,
    /// The theme, when it loaded (its errors are in the report otherwise).
    pub theme: Option<T>,
    pub report: Report,
    pub progress: Progress,
}

/// Loads and resolves; `strict` turns warnings and unanswered questions
/// into errors.
pub fn check(root: &Path, today: Date, strict: bool) -> Result<Checked, NotABook> {
    let t = std::time::Instant::now();
    let loaded = load::load(root)?;
    timing("load", t);
    Ok(check_loaded(loaded, today, strict, |cfg| {
        Theme::load(root, &cfg.theme, cfg.theme_loc)
    }))
}

/// [`check`] of a handbook already loaded, with the theme `theme` gives
/// for its book.toml (`serve` keeps its theme between rebuilds).
pub fn check_loaded<T>(
    loaded: load::Loaded,
    today: Date,
    strict: bool,
    theme: impl FnOnce(&crate::model::BookConfig) -> Result<T, Vec<Diagnostic>>,
) -> Checked<T> {
    let (mut checked, strict_diags) = resolve_checked(loaded, today, theme);
    if strict {
        make_strict(&mut checked.report, strict_diags);
    }
    checked
}

/// `--strict`: adds what only strict mode reports (unanswered questions)
/// and makes every warning an error. Applied last, so that what decides
/// whether the site is rendered is the report `build` would have.
fn make_strict(report: &mut Report, strict_diags: Vec<Diagnostic>) {
    let all = std::mem::take(&mut report.errors)
        .into_iter()
        .chain(std::mem::take(&mut report.warnings))
        .chain(strict_diags);
    *report = Report::from_diagnostics(all);
    report.make_strict();
}

/// What `copbook check` runs: load and resolve as [`check`] does, then,
/// when the handbook has none of the errors that stop `build` before it
/// renders, the whole site rendered in memory as `build` renders it (same
/// feed, same build dir in the messages), each file dropped as soon as its
/// links are scanned. The report then has everything `build` reports:
/// template errors, the site-url warning and the link check of every page,
/// as errors or warnings as `[build] link-check` says; `strict` then makes
/// every warning an error. Nothing is written.
///
/// A function of its own rather than a flag on [`check`]: `check` is what
/// `review`, the examples and the tests call to get a handbook, and they
/// should not pay for a render (about a build's CPU without the writes).
pub fn check_site(root: &Path, today: Date, strict: bool) -> Result<Checked, NotABook> {
    // The one git call runs while the handbook loads, as in `build`.
    let git = git_history(root, true);
    let t = std::time::Instant::now();
    let loaded = load::load(root)?;
    timing("load", t);
    let (checked, strict_diags) = resolve_checked(loaded, today, |cfg| {
        Theme::load(root, &cfg.theme, cfg.theme_loc)
    });
    let progress = checked.progress;
    // Named as `build` (without -d) names it, e.g. `book`.
    let out_dir = shown_dir(root, &root.join(&checked.handbook.config.build_dir));
    let mut checked = match Prepared::new(checked, git, Some(out_dir)) {
        Err(checked) => *checked,
        Ok(mut prepared) => {
            let rendered = prepared.render(&|_| Ok(()));
            let Prepared {
                handbook,
                theme,
                mut report,
                out_dir,
                ..
            } = prepared;
            match rendered {
                Ok(_) => {}
                Err(BuildError::Invalid(r)) => report = r,
                // The files are dropped, never written: not expected, but
                // said rather than lost if it happens.
                Err(BuildError::Output(m) | BuildError::NotABook(m)) => report.errors.push(
                    Diagnostic::error(out_dir.as_str(), crate::source::Loc::START, m),
                ),
            }
            Checked {
                handbook,
                theme: Some(theme),
                report,
                progress,
            }
        }
    };
    if strict {
        make_strict(&mut checked.report, strict_diags);
    }
    Ok(checked)
}

/// Resolves and loads the theme: [`check_loaded`] without `--strict`, and
/// the diagnostics only `--strict` reports, kept apart.
fn resolve_checked<T>(
    loaded: load::Loaded,
    today: Date,
    theme: impl FnOnce(&crate::model::BookConfig) -> Result<T, Vec<Diagnostic>>,
) -> (Checked<T>, Vec<Diagnostic>) {
    let t = std::time::Instant::now();
    let resolved = resolve::resolve(loaded, today);
    timing("resolve", t);
    let mut report = Report::from_diagnostics(resolved.diags);
    let progress = resolved.handbook.progress();
    let theme = match theme(&resolved.handbook.config) {
        Ok(t) => Some(t),
        Err(d) => {
            report.errors.extend(d);
            report
                .errors
                .sort_by(|a, b| (&a.path, a.loc).cmp(&(&b.path, b.loc)));
            None
        }
    };
    let checked = Checked {
        handbook: resolved.handbook,
        theme,
        report,
        progress,
    };
    (checked, resolved.strict_diags)
}

pub struct BuildOptions {
    pub root: PathBuf,
    pub dest: Option<PathBuf>,
    pub site_url: Option<String>,
    pub today: Date,
}

pub struct Built {
    pub dest: PathBuf,
    pub pages: usize,
    pub report: Report,
    /// The handbook the site was made of. Freeing it (hundreds of
    /// thousands of allocations) takes 5% of a build; a process that exits
    /// right after may leave that to the system.
    pub handbook: Handbook,
}

pub enum BuildError {
    NotABook(String),
    /// The handbook has errors; nothing was written.
    Invalid(Report),
    /// The build dir is refused, or writing failed.
    Output(String),
}

/// Where the files of a build go, one by one, as soon as each is made
/// (from any thread): into memory for `serve`, into the staging folder for
/// `build`, so that a build never holds its whole output.
pub type Put<'a> = dyn Fn(OutFile) -> std::io::Result<()> + Sync + 'a;

/// What rendering a site gives besides its files.
pub struct Rendered {
    /// HTML pages made.
    pub pages: usize,
    /// Broken internal links (errors or warnings, as `[build] link-check`
    /// says).
    pub links: Vec<Diagnostic>,
}

/// Why rendering stopped.
pub enum RenderError {
    Templates(Vec<Diagnostic>),
    Output(std::io::Error),
}

/// Renders the whole site, handing every file to `put`, and checks the
/// links of every page. `out_dir` names the build dir in diagnostics.
pub fn render_site(
    hb: &Handbook,
    theme: &Theme,
    changes: Option<&std::collections::HashMap<String, crate::feed::Change>>,
    out_dir: &str,
    put: &Put<'_>,
) -> Result<Rendered, RenderError> {
    use crate::linkcheck::{Known, PageScan};
    let renderer = Renderer::new(hb, theme)
        .map_err(|d| RenderError::Templates(vec![d]))?
        .with_changes(changes);
    let extra = extra_files(hb, theme, changes);
    let mut known_paths = renderer.output_paths();
    known_paths.extend(extra.iter().map(|f| f.path.clone()));
    let known = Known::new(
        known_paths
            .iter()
            .map(String::as_str)
            .chain(hb.assets.iter().map(|(_, out)| out.as_str()))
            .chain(["handbook.json"]),
        &hb.config.site_url,
    );
    // Each page is scanned for the link check before it is handed on.
    let emit = |f: OutFile| -> std::io::Result<(String, Option<PageScan>)> {
        let scan = f
            .path
            .ends_with(".html")
            .then(|| std::str::from_utf8(&f.bytes).ok())
            .flatten()
            .map(|html| PageScan::new(&f.path, html, Some(&known), f.shared.as_ref()));
        let path = f.path.clone();
        put(f)?;
        Ok((path, scan))
    };
    // The print page first, with the documents' own pages: those are made
    // from the same parse of each body, in the print page's parallel
    // batches (see `Renderer::render_each`). Beside it, handbook.json: the
    // print page's template is rendered on one thread before its bodies
    // are made in parallel (60 ms at 10,000 pages), and handbook.json is
    // made on one thread too (60-90 ms), so each fills the other's idle
    // core; the thread that ends first takes bodies. Then the index pages,
    // the search index (which only reads the handbook) and the print
    // page's link scan and write side by side: the last two each end on
    // one thread, and together they keep both cores busy (10,000 pages:
    // 45 ms sooner, peak RSS +21 MB for the print page kept meanwhile).
    renderer
        .render_navs()
        .map_err(|d| RenderError::Templates(vec![d]))?;
    let docs = renderer.document_paths();
    // The print page itself is handed on later: scanning and writing it
    // (43 MB at 10,000 pages) is mostly one thread's work, done beside
    // the index pages and the search index rather than before them.
    let first = |f: OutFile| {
        if f.path == PRINT_FILE {
            Err(f)
        } else {
            Ok(emit(f))
        }
    };
    let t = std::time::Instant::now();
    let (print, json) = rayon::join(
        || renderer.render_each(|p| p == PRINT_FILE || docs.contains(p), first),
        || {
            let t = std::time::Instant::now();
            let json = handbook_json(hb);
            timing("handbook.json", t);
            emit(OutFile::new("handbook.json", json.into_bytes()))
        },
    );
    let print = print.map_err(RenderError::Templates)?;
    timing("print page and documents", t);
    let (mut documents, mut print_page) = (Vec::with_capacity(print.len()), None);
    for made in print {
        match made {
            Ok(done) => documents.push(done),
            Err(page) => print_page = Some(page),
        }
    }
    let ((pages, side), print_page) = rayon::join(
        || {
            rayon::join(
                || renderer.render_each(|p| p != PRINT_FILE && !docs.contains(p), emit),
                || {
                    let t = std::time::Instant::now();
                    let index = crate::search::build_index(hb);
                    timing("search index", t);
                    let mut done: Vec<_> = index.into_par_iter().map(&emit).collect();
                    done.push(json);
                    done
                },
            )
        },
        || print_page.map(emit),
    );
    let pages = pages.map_err(RenderError::Templates)?;
    let extra: Vec<_> = extra.into_iter().map(&emit).collect();
    let mut paths = Vec::new();
    let mut scans = Vec::new();
    let made = documents.into_iter().chain(print_page).chain(pages);
    for done in made.chain(side).chain(extra) {
        let (path, scan) = done.map_err(RenderError::Output)?;
        paths.push(path);
        scans.extend(scan);
    }
    let t = std::time::Instant::now();
    let assets = hb.assets.iter().map(|(_, out)| out.as_str());
    let broken = crate::linkcheck::check_scans(
        &scans,
        paths.iter().map(String::as_str).chain(assets),
        &hb.config.site_url,
    );
    // A template's broken link is reported at its line in the page, which
    // is rendered again for that (the build has not kept it).
    let page_text = |path: &str| renderer.render_path(path).map(|f| f.bytes);
    let links =
        crate::linkcheck::diagnostics(hb, &page_text, &broken, hb.config.link_check, out_dir);
    timing("link check", t);
    Ok(Rendered {
        pages: scans.len(),
        links,
    })
}

/// Every file of the site besides its pages, the search index and
/// handbook.json: the theme's assets, sitemap, feed, calendars, and the
/// files GitHub Pages reads.
pub(crate) fn extra_files(
    hb: &Handbook,
    theme: &Theme,
    changes: Option<&std::collections::HashMap<String, crate::feed::Change>>,
) -> Vec<OutFile> {
    let mut extra = theme
        .files()
        .into_iter()
        .map(|(path, bytes)| OutFile::new(path.to_owned(), bytes.to_vec()))
        .collect::<Vec<_>>();
    // The sitemap protocol wants absolute URLs: only with a full site-url.
    if crate::feed::is_full_url(&hb.config.site_url) {
        extra.push(OutFile::new(
            "sitemap.xml",
            crate::feed::sitemap(hb).into_bytes(),
        ));
    }
    if let Some(changes) = changes {
        extra.push(OutFile::new(
            "feed.xml",
            crate::feed::atom(hb, changes).into_bytes(),
        ));
    }
    extra.extend(crate::meetings::calendar_files(hb));
    extra.push(OutFile::new(".nojekyll", Vec::new()));
    if let Some(cname) = &hb.config.cname {
        extra.push(OutFile::new(
            "CNAME",
            format!("{}\n", cname.trim()).into_bytes(),
        ));
    }
    extra
}

/// A rendered site held in memory, with the diagnostics of its build.
pub struct Site {
    pub files: Vec<OutFile>,
    /// Files copied as they are: (source file, output path).
    pub assets: Vec<(PathBuf, String)>,
    pub report: Report,
    pub handbook: Handbook,
    pub css_path: String,
    /// Kept so that `serve` can re-render single pages.
    pub theme: Theme,
}

/// What `build` asks of a site beyond what `serve` needs.
#[derive(Default)]
pub struct SiteOptions {
    /// Write `feed.xml` from the git history (one `git log`), and link it.
    pub feed: bool,
    /// The build dir as diagnostics name it (default: `[build] build-dir`).
    pub out_dir: Option<String>,
}

/// Loads, resolves and renders, writing nothing. `serve` and `build` both
/// start here.
pub fn site(root: &Path, today: Date, site_url: Option<&str>) -> Result<Site, BuildError> {
    site_with(root, today, site_url, &SiteOptions::default())
}

/// A handbook that checked without errors, ready to render.
struct Prepared {
    handbook: Handbook,
    theme: Theme,
    report: Report,
    changes: Option<Changes>,
    out_dir: String,
}

/// Load and resolve (and the git history, at the same time).
fn prepare(
    root: &Path,
    today: Date,
    site_url: Option<&str>,
    opts: &SiteOptions,
) -> Result<Prepared, BuildError> {
    // The one git call runs while the handbook loads.
    let git = git_history(root, opts.feed);
    let mut checked = check(root, today, false).map_err(|NotABook(m)| BuildError::NotABook(m))?;
    if let Some(url) = site_url {
        checked.handbook.config.site_url = crate::urls::normalize_site_url(url);
    }
    Prepared::new(checked, git, opts.out_dir.clone()).map_err(|c| BuildError::Invalid(c.report))
}

/// When each page last changed, from git (for the feed).
type Changes = std::collections::HashMap<String, crate::feed::Change>;

/// `git log` of `content/` on a thread of its own, when `feed` is asked
/// for, so that it runs while the handbook loads.
fn git_history(root: &Path, feed: bool) -> Option<std::thread::JoinHandle<Option<Changes>>> {
    feed.then(|| {
        let root = root.to_path_buf();
        std::thread::spawn(move || crate::feed::git_changes(&root))
    })
}

impl Prepared {
    /// What rendering needs, from a handbook that checked: the git history
    /// (joined only now, so that it ran while the handbook loaded) and the
    /// build dir as messages name it (default: `[build] build-dir`). The
    /// checked handbook back when it has errors or no theme: `build` stops
    /// there.
    fn new(
        checked: Checked,
        git: Option<std::thread::JoinHandle<Option<Changes>>>,
        out_dir: Option<String>,
    ) -> Result<Prepared, Box<Checked>> {
        let Checked {
            handbook,
            theme,
            report,
            progress,
        } = checked;
        let mut theme = match theme {
            Some(t) if !report.has_errors() => t,
            theme => {
                return Err(Box::new(Checked {
                    handbook,
                    theme,
                    report,
                    progress,
                }));
            }
        };
        let changes = git.and_then(|t| t.join().ok().flatten());
        theme.set_feed(changes.as_ref().map(|_| "feed.xml"));
        let out_dir = out_dir.unwrap_or_else(|| handbook.config.build_dir.clone());
        Ok(Prepared {
            handbook,
            theme,
            report,
            changes,
            out_dir,
        })
    }

    /// Renders into `put`; the report gains the link check's findings.
    fn render(&mut self, put: &Put<'_>) -> Result<usize, BuildError> {
        let t = std::time::Instant::now();
        let rendered = render_site(
            &self.handbook,
            &self.theme,
            self.changes.as_ref(),
            &self.out_dir,
            put,
        );
        // Pages are written as they are made, and the search index and the
        // link check run inside: their own lines are parts of this one.
        timing("render+write", t);
        let rendered = match rendered {
            Ok(r) => Ok(r),
            Err(RenderError::Templates(d)) => Err(d),
            Err(RenderError::Output(e)) => {
                return Err(BuildError::Output(format!("cannot write the site: {e}")));
            }
        };
        add_rendered(&self.handbook, &mut self.report, rendered)
            .ok_or_else(|| BuildError::Invalid(std::mem::take(&mut self.report)))
    }
}

/// Adds to `report` what rendering found, as `build` reports it (shared
/// with [`check_site`], so that the two cannot drift apart): the template
/// errors; or the site-url warning and the broken links, errors or
/// warnings as `[build] link-check` says. The pages made, or `None` when
/// the build fails on them.
fn add_rendered(
    hb: &Handbook,
    report: &mut Report,
    rendered: Result<Rendered, Vec<Diagnostic>>,
) -> Option<usize> {
    let rendered = match rendered {
        Ok(r) => r,
        Err(templates) => {
            report.errors.extend(templates);
            return None;
        }
    };
    publish_warnings(hb, report);
    let failed = hb.config.link_check == LinkCheck::Error && !rendered.links.is_empty();
    if failed {
        report.errors.extend(rendered.links);
    } else {
        report.warnings.extend(rendered.links);
    }
    for v in [&mut report.errors, &mut report.warnings] {
        v.sort_by(|a, b| (&a.path, a.loc).cmp(&(&b.path, b.loc)));
    }
    (!failed).then_some(rendered.pages)
}

/// [`site`], with a feed and the build dir's name for diagnostics.
pub fn site_with(
    root: &Path,
    today: Date,
    site_url: Option<&str>,
    opts: &SiteOptions,
) -> Result<Site, BuildError> {
    let mut prepared = prepare(root, today, site_url, opts)?;
    let files = std::sync::Mutex::new(Vec::new());
    prepared.render(&|f| {
        files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(f);
        Ok(())
    })?;
    let Prepared {
        handbook,
        theme,
        report,
        ..
    } = prepared;
    Ok(Site {
        files: files
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        assets: handbook.assets.clone(),
        report,
        css_path: theme.css_path.clone(),
        handbook,
        theme,
    })
}

/// Checks, renders and writes the site into its build dir: into a staging
/// folder while rendering, swapped in only when the whole build succeeded.
pub fn build(opts: &BuildOptions) -> Result<Built, BuildError> {
    // Refuse a dangerous destination before doing any work.
    let config_dir = load::configured_build_dir(&opts.root);
    let dest = opts
        .dest
        .clone()
        .unwrap_or_else(|| opts.root.join(config_dir));
    if let Err(msg) = write::check_dest(&opts.root, &dest) {
        return Err(BuildError::Output(msg));
    }
    let site_opts = SiteOptions {
        feed: true,
        out_dir: Some(shown_dir(&opts.root, &dest)),
    };
    let mut prepared = prepare(&opts.root, opts.today, opts.site_url.as_deref(), &site_opts)?;
    let cannot =
        |e: std::io::Error| BuildError::Output(format!("cannot write {}: {e}", dest.display()));
    // Dropped on any error below: the staging folder goes, the build dir
    // stays as it was.
    let staging = write::Staging::new(&dest).map_err(cannot)?;
    let pages = prepared.render(&|f| staging.put(&f.path, &f.bytes))?;
    let t = std::time::Instant::now();
    prepared
        .handbook
        .assets
        .par_iter()
        .try_for_each(|(src, out)| staging.copy(src, out))
        .map_err(cannot)?;
    staging.commit().map_err(cannot)?;
    timing("swap in", t);
    Ok(Built {
        dest,
        pages,
        report: prepared.report,
        handbook: prepared.handbook,
    })
}

fn shown_dir(root: &Path, dest: &Path) -> String {
    let d = dest.strip_prefix(root).unwrap_or(dest);
    d.to_string_lossy().replace('\\', "/")
}

/// A site-url that is only a path has no host: no sitemap and no canonical
/// links can be made. Said once, unless the site is at `/` (a local build).
pub(crate) fn publish_warnings(hb: &Handbook, report: &mut Report) {
    let url = &hb.config.site_url;
    if url != "/" && !crate::feed::is_full_url(url) {
        report.warnings.push(
            Diagnostic::warning(
                "book.toml",
                hb.config.site_url_loc,
                format!("site-url `{url}` is a path without a host: the site gets no sitemap.xml and no canonical links"),
            )
            .with_hint(Some(format!(
                "give the full address, e.g. `https://ORG.github.io{url}` (the workflow from `copbook init` passes it with --site-url)"
            ))),
        );
    }
}

// handbook.json's records. Fields are in alphabetical order: the file's
// keys are sorted (tools diff it), and typed records serialise straight
// to the output instead of through a tree of `serde_json::Value`s.

#[derive(Serialize)]
struct JQuestion<'a> {
    anchor: &'a str,
    answered: bool,
    text: &'a str,
}

#[derive(Serialize)]
struct JProgress {
    answered: usize,
    questions: usize,
}

#[derive(Serialize)]
struct JPhase<'a> {
    pages: Vec<&'a str>,
    slug: &'a str,
    summary: Option<&'a str>,
    title: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct JPage<'a> {
    owner: Option<&'a str>,
    phase: &'a str,
    questions: Vec<JQuestion<'a>>,
    review_by: Option<crate::model::Date>,
    source: Option<&'a str>,
    stale: bool,
    status: Option<&'static str>,
    title: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct JMember<'a> {
    contact: Option<&'a str>,
    expertise: &'a [String],
    id: &'a str,
    joined: Option<crate::model::Date>,
    name: &'a str,
    organization: Option<&'a str>,
    participation: Option<crate::model::Participation>,
    roles: Vec<&'a str>,
    url: &'a str,
}

#[derive(Serialize)]
struct JRole<'a> {
    commitment: Option<&'a str>,
    holders: Vec<&'a str>,
    id: &'a str,
    norms: Vec<&'a str>,
    responsibilities: &'a [String],
    summary: Option<&'a str>,
    title: &'a str,
    url: &'a str,
    vacant: bool,
}

/// A norm's owner or a meeting's facilitator: `{"member": id}` or
/// `{"role": id}`.
#[derive(Serialize)]
enum JWho<'a> {
    #[serde(rename = "member")]
    Member(&'a str),
    #[serde(rename = "role")]
    Role(&'a str),
}

#[derive(Serialize)]
struct JNorm<'a> {
    agreed: Option<crate::model::Date>,
    category: Option<&'a str>,
    id: &'a str,
    owner: Option<JWho<'a>>,
    title: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct JMeeting<'a> {
    agenda: &'a [String],
    duration_minutes: u32,
    facilitator: Option<JWho<'a>>,
    ics: String,
    id: &'a str,
    link: Option<&'a str>,
    location: Option<&'a str>,
    offset_minutes: i32,
    rrule: Option<String>,
    start: String,
    title: &'a str,
    url: String,
}

#[derive(Serialize)]
struct JTerm<'a> {
    aliases: &'a [String],
    ask: Option<&'a str>,
    definition: &'a str,
    term: &'a str,
    url: String,
}

#[derive(Serialize)]
struct JTopic<'a> {
    members: Vec<&'a str>,
    name: &'a str,
    url: String,
}

#[derive(Serialize)]
struct JCase<'a> {
    id: &'a str,
    member: Option<&'a str>,
    questions: Vec<JQuestion<'a>>,
    title: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct JHandbook<'a> {
    cases: Vec<JCase<'a>>,
    description: Option<&'a str>,
    glossary: Vec<JTerm<'a>>,
    language: &'a str,
    meetings: Vec<JMeeting<'a>>,
    members: Vec<JMember<'a>>,
    norms: Vec<JNorm<'a>>,
    pages: Vec<JPage<'a>>,
    phases: Vec<JPhase<'a>>,
    progress: JProgress,
    roles: Vec<JRole<'a>>,
    site_url: &'a str,
    title: &'a str,
    topics: Vec<JTopic<'a>>,
    version: u32,
}

fn qs(v: &[resolve::Question]) -> Vec<JQuestion<'_>> {
    v.iter()
        .map(|q| JQuestion {
            text: &q.text,
            anchor: &q.id,
            answered: q.answered,
        })
        .collect()
}

/// The resolved model for other tools. Ids are stable; URLs are relative to
/// the site root.
pub(crate) fn handbook_json(hb: &Handbook) -> String {
    let member_id = |i: usize| hb.members[i].id.as_str();
    let role_id = |i: usize| hb.roles[i].id.as_str();
    let norm_id = |i: usize| hb.norms[i].id.as_str();
    let who = |d: &Dest| match d {
        Dest::Doc(DocKey::Member(m)) => Some(JWho::Member(member_id(*m))),
        Dest::Doc(DocKey::Role(r)) => Some(JWho::Role(role_id(*r))),
        _ => None,
    };
    let progress = hb.progress();
    let model = JHandbook {
        version: 1,
        title: &hb.config.title,
        description: hb.config.description.as_deref(),
        language: &hb.config.language,
        site_url: &hb.config.site_url,
        progress: JProgress {
            answered: progress.answered,
            questions: progress.questions,
        },
        phases: (0..hb.phases.len())
            .map(|pi| {
                let p = &hb.phases[pi];
                JPhase {
                    slug: &p.slug,
                    title: &p.title,
                    summary: p.summary.as_deref(),
                    url: hb.url(DocKey::Phase(pi)),
                    pages: hb.phase_pages[pi]
                        .iter()
                        .map(|&i| hb.url(DocKey::Page(i)))
                        .collect(),
                }
            })
            .collect(),
        pages: (0..hb.pages.len())
            .map(|i| {
                let p = &hb.pages[i];
                JPage {
                    title: &p.title,
                    url: hb.url(DocKey::Page(i)),
                    source: hb.source_path(DocKey::Page(i)),
                    phase: &hb.phases[p.phase].slug,
                    owner: hb.page_owner[i].map(member_id),
                    status: p.status.map(|s| match s {
                        Status::Draft => "draft",
                        Status::Agreed => "agreed",
                    }),
                    review_by: p.review_by.as_ref().map(|d| d.value),
                    stale: hb.is_stale(i),
                    questions: qs(&hb.page_questions[i]),
                }
            })
            .collect(),
        members: (0..hb.members.len())
            .map(|i| {
                let m = &hb.members[i];
                JMember {
                    id: &m.id,
                    name: &m.name,
                    url: hb.url(DocKey::Member(i)),
                    roles: hb.member_roles[i].iter().map(|&r| role_id(r)).collect(),
                    participation: m.participation,
                    organization: m.organization.as_deref(),
                    expertise: &m.expertise,
                    joined: m.joined,
                    contact: m.contact.as_deref(),
                }
            })
            .collect(),
        roles: (0..hb.roles.len())
            .map(|i| {
                let r = &hb.roles[i];
                JRole {
                    id: &r.id,
                    title: &r.title,
                    url: hb.url(DocKey::Role(i)),
                    summary: r.summary.as_deref(),
                    commitment: r.commitment.as_deref(),
                    responsibilities: &r.responsibilities,
                    holders: hb.holders[i].iter().map(|&m| member_id(m)).collect(),
                    vacant: hb.holders[i].is_empty(),
                    norms: hb.role_norms[i].iter().map(|&n| norm_id(n)).collect(),
                }
            })
            .collect(),
        norms: (0..hb.norms.len())
            .map(|i| {
                let n = &hb.norms[i];
                JNorm {
                    id: &n.id,
                    title: &n.title,
                    url: hb.url(DocKey::Norm(i)),
                    category: n.category.as_deref(),
                    agreed: n.agreed,
                    owner: hb.norm_owner[i].as_ref().and_then(who),
                }
            })
            .collect(),
        meetings: hb
            .meetings
            .iter()
            .zip(&hb.meeting_facilitator)
            .map(|(m, f)| JMeeting {
                id: &m.id,
                title: &m.title,
                url: format!("meetings/#{}", m.id),
                ics: format!("meetings/{}.ics", m.id),
                start: crate::meetings::iso_utc(m.start),
                offset_minutes: m.offset,
                duration_minutes: m.minutes,
                rrule: m.rule.as_ref().map(|r| r.to_rrule()),
                location: m.location.as_deref(),
                link: m.link.as_deref(),
                facilitator: f.as_ref().and_then(who),
                agenda: &m.agenda,
            })
            .collect(),
        glossary: hb
            .glossary
            .terms
            .iter()
            .zip(&hb.glossary_ask)
            .map(|(t, ask)| JTerm {
                term: &t.term,
                url: format!("glossary/#{}", t.id),
                definition: &t.definition,
                aliases: &t.aliases,
                ask: ask.map(member_id),
            })
            .collect(),
        topics: hb
            .topics
            .iter()
            .map(|t| JTopic {
                name: &t.name,
                url: format!("topics/#{}", t.id),
                members: t.members.iter().map(|&m| member_id(m)).collect(),
            })
            .collect(),
        cases: (0..hb.cases.len())
            .map(|i| JCase {
                id: &hb.cases[i].id,
                title: hb.case_title(i),
                url: hb.url(DocKey::Case(i)),
                member: hb.case_member[i].map(member_id),
                questions: qs(&hb.case_questions[i]),
            })
            .collect(),
    };
    let mut json = serde_json::to_string_pretty(&model).unwrap_or_default();
    json.push('\n');
    escape_json(&json)
}

/// Makes JSON safe to paste into HTML or JavaScript as it is: `<`, `>`,
/// `&` and the line separators U+2028/U+2029 become `\u` escapes (they
/// can only occur inside strings, where the escape means the same).
fn escape_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    let mut done = 0;
    // Scans bytes: the five characters start with `<`, `>`, `&` or 0xE2.
    for (i, &b) in json.as_bytes().iter().enumerate() {
        let escaped = match b {
            b'<' => "\\u003c",
            b'>' => "\\u003e",
            b'&' => "\\u0026",
            0xE2 if json[i..].starts_with('\u{2028}') => "\\u2028",
            0xE2 if json[i..].starts_with('\u{2029}') => "\\u2029",
            _ => continue,
        };
        out.push_str(&json[done..i]);
        out.push_str(escaped);
        done = i + if b == 0xE2 { 3 } else { 1 };
    }
    out.push_str(&json[done..]);
    out
}

/// The handbook of `tests/fixtures/good`, checked as of a fixed day, for
/// the unit tests of the stages that read a resolved handbook.
#[cfg(test)]
pub(crate) fn good_fixture() -> Handbook {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
    let today = Date {
        year: 2026,
        month: 11,
        day: 22,
    };
    match check(&root, today, false) {
        Ok(c) => c.handbook,
        Err(e) => panic!("the good fixture is a book: {}", e.0),
    }
}
