//! The pipeline: load → resolve → render → write. `check` stops after
//! resolve; `build` goes on to write the site.

use crate::diag::{Diagnostic, Progress, Report};
use crate::load::{self, NotABook};
use crate::model::{Date, LinkCheck, Status};
use crate::render::{OutFile, Renderer};
use crate::resolve::{self, Dest, DocKey, Handbook};
use crate::theme::Theme;
use crate::write;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Prints how long a stage took when `COPBOOK_TIMINGS` is set (for
/// profiling; read per call so there is no global state).
fn timing(stage: &str, since: std::time::Instant) {
    if std::env::var_os("COPBOOK_TIMINGS").is_some() {
        eprintln!(
            "timing: {stage} {:.1} ms",
            since.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// A handbook that loaded and resolved, with its diagnostics.
pub struct Checked {
    pub handbook: Handbook,
    /// The theme, when it loaded (its errors are in the report otherwise).
    pub theme: Option<Theme>,
    pub report: Report,
    pub progress: Progress,
}

/// Loads and resolves; `strict` turns warnings and unanswered questions
/// into errors.
pub fn check(root: &Path, today: Date, strict: bool) -> Result<Checked, NotABook> {
    let t = std::time::Instant::now();
    let loaded = load::load(root)?;
    timing("load", t);
    let t = std::time::Instant::now();
    let resolved = resolve::resolve(loaded, today);
    timing("resolve", t);
    let mut diags = resolved.diags;
    if strict {
        diags.extend(resolved.strict_diags);
    }
    let mut report = Report::from_diagnostics(diags);
    if strict {
        report.make_strict();
    }
    let progress = resolved.handbook.progress();
    let cfg = &resolved.handbook.config;
    let theme = match Theme::load(root, &cfg.theme, cfg.theme_loc) {
        Ok(t) => Some(t),
        Err(d) => {
            report.errors.extend(d);
            report
                .errors
                .sort_by(|a, b| (&a.path, a.loc).cmp(&(&b.path, b.loc)));
            None
        }
    };
    Ok(Checked {
        handbook: resolved.handbook,
        theme,
        report,
        progress,
    })
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
}

pub enum BuildError {
    NotABook(String),
    /// The handbook has errors; nothing was written.
    Invalid(Report),
    /// The build dir is refused, or writing failed.
    Output(String),
}

/// Renders the whole site in memory (no files written).
pub fn render_site(
    hb: &Handbook,
    theme: &Theme,
    changes: Option<&std::collections::HashMap<String, crate::feed::Change>>,
) -> Result<Vec<OutFile>, Vec<Diagnostic>> {
    let renderer = Renderer::new(hb, theme)
        .map_err(|d| vec![d])?
        .with_changes(changes);
    // The search index only reads the handbook: build it beside the pages.
    let (pages, index) = rayon::join(
        || renderer.render_all(),
        || {
            let t = std::time::Instant::now();
            let index = crate::search::build_index(hb);
            timing("search index", t);
            index
        },
    );
    let mut files = pages?;
    files.extend(index);
    files.extend(theme.files().into_iter().map(|(path, bytes)| OutFile {
        path: path.to_owned(),
        bytes: bytes.to_vec(),
    }));
    files.push(OutFile {
        path: "handbook.json".into(),
        bytes: handbook_json(hb).into_bytes(),
    });
    // The sitemap protocol wants absolute URLs: only with a full site-url.
    if crate::feed::is_full_url(&hb.config.site_url) {
        files.push(OutFile {
            path: "sitemap.xml".into(),
            bytes: crate::feed::sitemap(hb).into_bytes(),
        });
    }
    files.extend(crate::meetings::calendar_files(hb));
    files.push(OutFile {
        path: ".nojekyll".into(),
        bytes: Vec::new(),
    });
    if let Some(cname) = &hb.config.cname {
        files.push(OutFile {
            path: "CNAME".into(),
            bytes: format!("{}\n", cname.trim()).into_bytes(),
        });
    }
    Ok(files)
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

/// [`site`], with a feed and the build dir's name for diagnostics.
pub fn site_with(
    root: &Path,
    today: Date,
    site_url: Option<&str>,
    opts: &SiteOptions,
) -> Result<Site, BuildError> {
    // The one git call runs while the handbook loads.
    let git = opts.feed.then(|| {
        let root = root.to_path_buf();
        std::thread::spawn(move || crate::feed::git_changes(&root))
    });
    let checked = check(root, today, false).map_err(|NotABook(m)| BuildError::NotABook(m))?;
    let Checked {
        mut handbook,
        mut report,
        theme,
        ..
    } = checked;
    if let Some(url) = site_url {
        handbook.config.site_url = crate::urls::normalize_site_url(url);
    }
    let mut theme = match theme {
        Some(t) if !report.has_errors() => t,
        _ => return Err(BuildError::Invalid(report)),
    };
    let changes = git.and_then(|t| t.join().ok().flatten());
    theme.set_feed(changes.as_ref().map(|_| "feed.xml"));
    let t = std::time::Instant::now();
    let rendered = render_site(&handbook, &theme, changes.as_ref());
    timing("render", t);
    let mut files = match rendered {
        Ok(f) => f,
        Err(d) => {
            report.errors.extend(d);
            return Err(BuildError::Invalid(report));
        }
    };
    if let Some(changes) = &changes {
        files.push(OutFile {
            path: "feed.xml".into(),
            bytes: crate::feed::atom(&handbook, changes).into_bytes(),
        });
    }
    let t = std::time::Instant::now();
    let out_dir = opts
        .out_dir
        .as_deref()
        .unwrap_or(&handbook.config.build_dir);
    let links = check_links(&handbook, &files, out_dir);
    timing("link check", t);
    publish_warnings(&handbook, &mut report);
    let failed = handbook.config.link_check == LinkCheck::Error && !links.is_empty();
    if failed {
        report.errors.extend(links);
    } else {
        report.warnings.extend(links);
    }
    for v in [&mut report.errors, &mut report.warnings] {
        v.sort_by(|a, b| (&a.path, a.loc).cmp(&(&b.path, b.loc)));
    }
    if failed {
        return Err(BuildError::Invalid(report));
    }
    Ok(Site {
        files,
        assets: handbook.assets.clone(),
        report,
        css_path: theme.css_path.clone(),
        handbook,
        theme,
    })
}

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
    let site = site_with(&opts.root, opts.today, opts.site_url.as_deref(), &site_opts)?;
    let pages = site
        .files
        .iter()
        .filter(|f| f.path.ends_with(".html"))
        .count();
    let t = std::time::Instant::now();
    let written = write::write_site(&dest, &site.files, &site.assets);
    timing("write", t);
    written.map_err(|e| BuildError::Output(format!("cannot write {}: {e}", dest.display())))?;
    Ok(Built {
        dest,
        pages,
        report: site.report,
    })
}

/// The build dir as diagnostics show it: relative to the book root when it
/// is inside it.
fn shown_dir(root: &Path, dest: &Path) -> String {
    let d = dest.strip_prefix(root).unwrap_or(dest);
    d.to_string_lossy().replace('\\', "/")
}

/// The link check of the rendered site: diagnostics (errors or warnings,
/// as `[build] link-check` says) for every broken internal link.
fn check_links(hb: &Handbook, files: &[OutFile], out_dir: &str) -> Vec<Diagnostic> {
    let assets: Vec<String> = hb.assets.iter().map(|(_, out)| out.clone()).collect();
    let broken = crate::linkcheck::check(files, &assets, &hb.config.site_url);
    crate::linkcheck::diagnostics(hb, files, &broken, hb.config.link_check, out_dir)
}

/// A site-url that is only a path has no host: no sitemap and no canonical
/// links can be made. Said once, unless the site is at `/` (a local build).
fn publish_warnings(hb: &Handbook, report: &mut Report) {
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

#[derive(Serialize)]
struct JQuestion<'a> {
    text: &'a str,
    anchor: &'a str,
    answered: bool,
}

/// The resolved model for other tools. Ids are stable; URLs are relative to
/// the site root.
fn handbook_json(hb: &Handbook) -> String {
    let qs = |v: &'_ [resolve::Question]| -> Vec<serde_json::Value> {
        v.iter()
            .map(|q| {
                serde_json::to_value(JQuestion {
                    text: &q.text,
                    anchor: &q.id,
                    answered: q.answered,
                })
                .unwrap_or_default()
            })
            .collect()
    };
    let ids = |v: &[usize], f: &dyn Fn(usize) -> String| -> Vec<String> {
        v.iter().map(|&i| f(i)).collect()
    };
    let member_id = |i: usize| hb.members[i].id.clone();
    let role_id = |i: usize| hb.roles[i].id.clone();
    let norm_id = |i: usize| hb.norms[i].id.clone();
    let progress = hb.progress();
    let v = serde_json::json!({
        "version": 1,
        "title": hb.config.title,
        "description": hb.config.description,
        "language": hb.config.language,
        "site_url": hb.config.site_url,
        "progress": progress,
        "phases": (0..hb.phases.len()).map(|pi| {
            let p = &hb.phases[pi];
            serde_json::json!({
                "slug": p.slug,
                "title": p.title,
                "summary": p.summary,
                "url": hb.url(DocKey::Phase(pi)),
                "pages": hb.phase_pages[pi].iter().map(|&i| hb.url(DocKey::Page(i))).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
        "pages": (0..hb.pages.len()).map(|i| {
            let p = &hb.pages[i];
            serde_json::json!({
                "title": p.title,
                "url": hb.url(DocKey::Page(i)),
                "source": hb.source_path(DocKey::Page(i)),
                "phase": hb.phases[p.phase].slug,
                "owner": hb.page_owner[i].map(member_id),
                "status": p.status.map(|s| match s { Status::Draft => "draft", Status::Agreed => "agreed" }),
                "review_by": p.review_by.as_ref().map(|d| d.value),
                "stale": hb.is_stale(i),
                "questions": qs(&hb.page_questions[i]),
            })
        }).collect::<Vec<_>>(),
        "members": (0..hb.members.len()).map(|i| {
            let m = &hb.members[i];
            serde_json::json!({
                "id": m.id,
                "name": m.name,
                "url": hb.url(DocKey::Member(i)),
                "roles": ids(&hb.member_roles[i], &role_id),
                "participation": m.participation,
                "organization": m.organization,
                "expertise": m.expertise,
                "joined": m.joined,
                "contact": m.contact,
            })
        }).collect::<Vec<_>>(),
        "roles": (0..hb.roles.len()).map(|i| {
            let r = &hb.roles[i];
            serde_json::json!({
                "id": r.id,
                "title": r.title,
                "url": hb.url(DocKey::Role(i)),
                "summary": r.summary,
                "commitment": r.commitment,
                "responsibilities": r.responsibilities,
                "holders": ids(&hb.holders[i], &member_id),
                "vacant": hb.holders[i].is_empty(),
                "norms": ids(&hb.role_norms[i], &norm_id),
            })
        }).collect::<Vec<_>>(),
        "norms": (0..hb.norms.len()).map(|i| {
            let n = &hb.norms[i];
            let owner = hb.norm_owner[i].as_ref().map(|d| match d {
                Dest::Doc(DocKey::Member(m)) => serde_json::json!({"member": hb.members[*m].id}),
                Dest::Doc(DocKey::Role(r)) => serde_json::json!({"role": hb.roles[*r].id}),
                _ => serde_json::Value::Null,
            });
            serde_json::json!({
                "id": n.id,
                "title": n.title,
                "url": hb.url(DocKey::Norm(i)),
                "category": n.category,
                "agreed": n.agreed,
                "owner": owner,
            })
        }).collect::<Vec<_>>(),
        "meetings": hb.meetings.iter().zip(&hb.meeting_facilitator).map(|(m, f)| {
            let facilitator = f.as_ref().map(|d| match d {
                Dest::Doc(DocKey::Member(i)) => serde_json::json!({"member": hb.members[*i].id}),
                Dest::Doc(DocKey::Role(i)) => serde_json::json!({"role": hb.roles[*i].id}),
                _ => serde_json::Value::Null,
            });
            serde_json::json!({
                "id": m.id,
                "title": m.title,
                "url": format!("meetings/#{}", m.id),
                "ics": format!("meetings/{}.ics", m.id),
                "start": crate::meetings::iso_utc(m.start),
                "offset_minutes": m.offset,
                "duration_minutes": m.minutes,
                "rrule": m.rule.as_ref().map(|r| r.to_rrule()),
                "location": m.location,
                "link": m.link,
                "facilitator": facilitator,
                "agenda": m.agenda,
            })
        }).collect::<Vec<_>>(),
        "glossary": hb.glossary.terms.iter().zip(&hb.glossary_ask).map(|(t, ask)| {
            serde_json::json!({
                "term": t.term,
                "url": format!("glossary/#{}", t.id),
                "definition": t.definition,
                "aliases": t.aliases,
                "ask": ask.map(member_id),
            })
        }).collect::<Vec<_>>(),
        "topics": hb.topics.iter().map(|t| {
            serde_json::json!({
                "name": t.name,
                "url": format!("topics/#{}", t.id),
                "members": ids(&t.members, &member_id),
            })
        }).collect::<Vec<_>>(),
        "cases": (0..hb.cases.len()).map(|i| {
            serde_json::json!({
                "id": hb.cases[i].id,
                "title": hb.case_title(i),
                "url": hb.url(DocKey::Case(i)),
                "member": hb.case_member[i].map(member_id),
                "questions": qs(&hb.case_questions[i]),
            })
        }).collect::<Vec<_>>(),
    });
    escape_json(&(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"))
}

/// Makes JSON safe to paste into HTML or JavaScript as it is: `<`, `>`,
/// `&` and the line separators U+2028/U+2029 become `\u` escapes (they
/// can only occur inside strings, where the escape means the same).
fn escape_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}
