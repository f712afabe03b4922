//! Render: the resolved handbook through tera templates into output files
//! held in memory. Pages render in parallel; the sidebar is rendered once
//! per folder depth and shared, so navigation is never rebuilt per page.
//!
//! Every Markdown body is shown twice, on its document's page and on the
//! print page, and parsing it is the larger part of writing it. When both
//! are made in one go, each body is compiled once while the print page
//! makes its section and filled for both pages there
//! ([`Renderer::render_each`]), then dropped: never all held at once.

use crate::Map;
use crate::diag::Diagnostic;
use crate::markdown::{self, Compiled, Heading, RenderHooks, ResolvedLink};
use crate::model::{Date, Participation, Status};
use crate::resolve::{Dest, DocKey, Handbook, IndexPage, Question};
use crate::slots::Slots;
use crate::theme::Theme;
use crate::urls::{output_file, relative, root_prefix};
use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, OnceLock};
use tera::Context;

/// One file of the output site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    pub path: String,
    pub bytes: Vec<u8>,
    /// Where the page holds its sidebar, when it was spliced in.
    pub shared: Option<Shared>,
}

impl OutFile {
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> OutFile {
        OutFile {
            path: path.into(),
            bytes: bytes.into(),
            shared: None,
        }
    }
}

/// What [`mark_current`] inserts into the sidebar.
pub const CURRENT_MARK: &str = " aria-current=\"page\"";

/// The sidebar's place in a page. Every page that shows the same variant
/// of the sidebar holds the same bytes there, but for [`CURRENT_MARK`]
/// after the page's own link: the link check looks up its links once per
/// variant instead of once per page (at 10,000 pages, 40 of a page's 70
/// links are the sidebar's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shared {
    /// The sidebar's bytes in the page, mark included.
    pub start: usize,
    pub end: usize,
    /// The same number, the same sidebar.
    pub variant: u64,
    /// Where the mark was inserted, as an offset in the sidebar without it.
    pub mark: Option<usize>,
}

/// A link as templates see it: `href` relative to the page being rendered.
#[derive(Serialize, Clone)]
struct Link<'a> {
    href: String,
    title: Cow<'a, str>,
}

#[derive(Serialize)]
struct SiteCtx<'a> {
    title: &'a str,
    description: Option<&'a str>,
    language: &'a str,
    css: &'a str,
}

/// What every page's layout needs.
#[derive(Serialize)]
struct Base<'a> {
    title: &'a str,
    root: String,
    home: String,
    url: &'a str,
    nav: String,
    /// The sidebar's variant and [`CURRENT_MARK`]'s offset in it, when
    /// `nav` is a shared slot (see [`Shared`]).
    #[serde(skip)]
    nav_variant: Option<(u64, Option<usize>)>,
    crumbs: Vec<Link<'a>>,
    prev: Option<Link<'a>>,
    next: Option<Link<'a>>,
    canonical: String,
    edit: Option<String>,
    source: Option<&'a str>,
    /// Where this page is on the onboarding path, when it is on it.
    step: Option<Step<'a>>,
    /// Date of the last commit that changed the page's file (YYYY-MM-DD).
    updated: Option<&'a str>,
    /// `[book] status = "closed"`: the closure page, for the banner.
    closed: Option<String>,
}

/// "Step k of n" with the neighbours along the onboarding path.
#[derive(Serialize)]
struct Step<'a> {
    k: usize,
    n: usize,
    prev: Option<Link<'a>>,
    next: Option<Link<'a>>,
    start: String,
}

#[derive(Serialize)]
struct QuestionCtx<'a> {
    text: &'a str,
    id: &'a str,
    answered: bool,
    in_body: bool,
}

#[derive(Serialize, Default)]
struct Count {
    questions: usize,
    answered: usize,
    percent: usize,
}

impl Count {
    fn of<'a>(qs: impl Iterator<Item = &'a Question>) -> Count {
        let (mut q, mut a) = (0, 0);
        for x in qs {
            q += 1;
            a += usize::from(x.answered);
        }
        Count {
            questions: q,
            answered: a,
            percent: (a * 100).checked_div(q).unwrap_or(100),
        }
    }
}

fn participation_label(p: Option<Participation>) -> &'static str {
    match p {
        Some(Participation::Core) => "core",
        Some(Participation::Active) => "active",
        Some(Participation::Occasional) => "occasional",
        Some(Participation::Peripheral) => "peripheral",
        Some(Participation::Sponsor) => "sponsor",
        None => "",
    }
}

/// The things one page links to, relative to its own URL.
struct Linker<'a> {
    hb: &'a Handbook,
    from: &'a str,
}

impl<'a> Linker<'a> {
    fn href(&self, to: &str) -> String {
        relative(self.from, to)
    }
    fn doc(&self, k: DocKey) -> Link<'a> {
        Link {
            href: self.href(self.hb.url(k)),
            title: Cow::Borrowed(self.hb.title(k)),
        }
    }
    /// [`Self::doc`] at `#anchor`.
    fn doc_at(&self, k: DocKey, anchor: &str) -> Link<'a> {
        Link {
            href: crate::urls::relative_at(self.from, self.hb.url(k), anchor),
            title: Cow::Borrowed(self.hb.title(k)),
        }
    }
    fn dest(&self, d: &Dest) -> Link<'a> {
        Link {
            href: self.href(self.hb.dest_url(d)),
            title: Cow::Owned(self.hb.dest_title(d)),
        }
    }
    fn docs(&self, ks: impl IntoIterator<Item = DocKey>) -> Vec<Link<'a>> {
        ks.into_iter().map(|k| self.doc(k)).collect()
    }
    fn referrers(&self, k: DocKey) -> Vec<Link<'a>> {
        self.hb
            .referrers
            .get(&k)
            .map(|v| self.docs(v.iter().copied()))
            .unwrap_or_default()
    }
    fn member(&self, m: Option<usize>) -> Option<Link<'a>> {
        m.map(|m| self.doc(DocKey::Member(m)))
    }
}

/// Markdown hooks for one document: links resolved relative to the page,
/// unanswered questions marked with the person to ask.
struct Hooks<'a> {
    hb: &'a Handbook,
    key: DocKey,
    from: &'a str,
    /// Ids of the questions asked by a heading of the body and not yet
    /// answered (a set: a page may have thousands of headings).
    unanswered: crate::Set<&'a str>,
    owner: Option<Link<'a>>,
    /// `glossary/` relative to the page, when terms are auto-linked.
    glossary: Option<String>,
    /// Glossary terms already linked on this page (first use only).
    seen_terms: std::cell::RefCell<Vec<bool>>,
    /// Prefix of heading ids, when several bodies share a page.
    id_prefix: String,
}

impl RenderHooks for Hooks<'_> {
    fn id_prefix(&self) -> &str {
        &self.id_prefix
    }

    fn text(&self, text: &str) -> Option<String> {
        let href = self.glossary.as_deref()?;
        self.hb
            .glossary
            .link_text(text, href, &mut self.seen_terms.borrow_mut())
    }

    fn link(&self, index: usize, target: &str, wiki: bool) -> Option<ResolvedLink> {
        let t = self.hb.body_link(self.key, index, target, wiki)?;
        let same_page = t.dest == Dest::Doc(self.key) && t.anchor.is_some();
        let mut href = if same_page {
            String::new()
        } else {
            relative(self.from, self.hb.dest_url(&t.dest))
        };
        if let Some(a) = &t.anchor {
            href.push('#');
            if same_page {
                href.push_str(&self.id_prefix);
            }
            href.push_str(a);
        }
        Some(ResolvedLink {
            href,
            title: self.hb.dest_title(&t.dest),
        })
    }

    fn after_heading(&self, _index: usize, h: &Heading) -> Option<String> {
        self.unanswered
            .contains(h.id.as_str())
            .then(|| unanswered_note(self.owner.as_ref()))
    }
}

fn unanswered_note(owner: Option<&Link<'_>>) -> String {
    let ask = match owner {
        Some(o) => format!(
            " Ask <a href=\"{}\">{}</a>.",
            markdown::escape_attr(&o.href),
            markdown::escape_text(&o.title)
        ),
        None => String::new(),
    };
    format!("<p class=\"unanswered\"><strong>Not answered yet.</strong>{ask}</p>\n")
}

/// Documents' own pages made beside the print page: what
/// [`Renderer::render_each`]'s `each` gave for each, or its template error.
type DocPages<T> = Vec<(DocKey, Result<T, Diagnostic>)>;

/// The print page's output file: the one page [`Renderer::fingerprints`]
/// leaves out.
pub const PRINT_FILE: &str = "print/index.html";

/// What to render: each document, the index pages and the 404 page.
#[derive(Clone, Copy, Debug)]
enum Job {
    Doc(DocKey),
    Index(IndexPage),
    NotFound,
}

/// What a renderer makes of a page: its HTML, or a fingerprint of
/// everything its HTML is made from (see [`Renderer::fingerprints`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Html,
    Fingerprint,
}

/// A sidebar variant, made on first use: a page renders only the variants
/// it shows, so rendering one page does not render sixty sidebars.
type NavCell = OnceLock<Result<String, Diagnostic>>;

/// Sidebar variants an earlier renderer made under the same theme, with
/// the fingerprint of what each shows. `serve` keeps one between its fast
/// rebuilds, which otherwise render again every variant the pages they
/// make show (a member edit at 10,000 pages: about twenty, a tenth of its
/// work); a variant whose fingerprint changed is rendered again.
#[derive(Default)]
pub struct NavCache {
    navs: Mutex<Map<NavKey, (u64, String)>>,
}

impl NavCache {
    /// Forgets every variant (another theme or book.toml may come next).
    pub fn clear(&mut self) {
        if let Ok(navs) = self.navs.get_mut() {
            navs.clear();
        }
    }
}

pub struct Renderer<'a> {
    hb: &'a Handbook,
    theme: &'a Theme,
    /// Sidebar HTML per folder depth and expanded phase window.
    navs: Map<NavKey, NavCell>,
    /// The sidebar of the 404 page, with absolute links.
    nav_404: NavCell,
    prev_next: Map<DocKey, (Option<DocKey>, Option<DocKey>)>,
    /// The last commit of each source file, when the book is in git.
    changes: Option<&'a std::collections::HashMap<String, crate::feed::Change>>,
    mode: Mode,
    /// What the glossary links of bodies depend on, hashed once.
    glossary_hash: OnceLock<u64>,
    /// Sidebars from earlier renderers, reused where unchanged.
    nav_cache: Option<&'a NavCache>,
}

impl<'a> Renderer<'a> {
    pub fn new(hb: &'a Handbook, theme: &'a Theme) -> Result<Self, Diagnostic> {
        // Every sidebar variant any page needs, each rendered on first use.
        let mut keys: Vec<NavKey> = (0..3).map(|depth| NavKey { depth, open: None }).collect();
        for pi in 0..hb.phases.len() {
            keys.push(NavKey {
                depth: 1,
                open: Some((pi, 0)),
            });
            let chunks = hb.phase_pages[pi].len().div_ceil(NAV_CHUNK);
            keys.extend((0..chunks).map(|c| NavKey {
                depth: 2,
                open: Some((pi, c)),
            }));
        }
        let navs = keys.into_iter().map(|k| (k, NavCell::new())).collect();
        let mut prev_next = Map::default();
        let mut chain = |seq: Vec<DocKey>| {
            for (i, k) in seq.iter().enumerate() {
                let prev = i.checked_sub(1).map(|j| seq[j]);
                prev_next.insert(*k, (prev, seq.get(i + 1).copied()));
            }
        };
        chain(hb.reading_order());
        chain((0..hb.members.len()).map(DocKey::Member).collect());
        chain((0..hb.roles.len()).map(DocKey::Role).collect());
        chain((0..hb.norms.len()).map(DocKey::Norm).collect());
        chain((0..hb.cases.len()).map(DocKey::Case).collect());
        Ok(Renderer {
            hb,
            theme,
            navs,
            nav_404: NavCell::new(),
            prev_next,
            changes: None,
            mode: Mode::Html,
            glossary_hash: OnceLock::new(),
            nav_cache: None,
        })
    }

    /// Takes sidebars from `cache` where what they show is unchanged, and
    /// leaves there those it renders.
    pub fn with_nav_cache(mut self, cache: &'a NavCache) -> Self {
        self.nav_cache = Some(cache);
        self
    }

    /// The sidebar variant `key` (empty for a variant no page has).
    fn nav(&self, key: NavKey) -> Result<String, Diagnostic> {
        let Some(cell) = self.navs.get(&key) else {
            return Ok(String::new());
        };
        cell.get_or_init(|| {
            let from = "x/".repeat(key.depth);
            match (self.mode, self.nav_cache) {
                (Mode::Html, None) => render_nav(self.hb, self.theme, &from, key.open),
                (Mode::Html, Some(cache)) => {
                    let ctx = nav_ctx(self.hb, &from, key.open);
                    let seen = crate::fingerprint::of("nav", &ctx);
                    let kept = (cache.navs.lock().ok()).and_then(|navs| {
                        navs.get(&key)
                            .filter(|(f, _)| *f == seen)
                            .map(|(_, h)| h.clone())
                    });
                    if let Some(html) = kept {
                        return Ok(html);
                    }
                    let html = render_nav_ctx(self.theme, &ctx)?;
                    if let Ok(mut navs) = cache.navs.lock() {
                        navs.insert(key, (seen, html.clone()));
                    }
                    Ok(html)
                }
                (Mode::Fingerprint, _) => {
                    Ok(fingerprint_of("nav", &nav_ctx(self.hb, &from, key.open)))
                }
            }
        })
        .clone()
    }

    /// The 404 page's sidebar, its links starting with `__ROOT__`.
    fn nav_404(&self) -> Result<String, Diagnostic> {
        self.nav_404
            .get_or_init(|| match self.mode {
                // The home page's sidebar, seen from the site's root.
                Mode::Html => Ok((self.nav(NavKey {
                    depth: 0,
                    open: None,
                })?)
                .replace("href=\"./\"", "href=\"__ROOT__\"")
                .replace("href=\"", "href=\"__ROOT__")
                .replace("__ROOT____ROOT__", "__ROOT__")),
                Mode::Fingerprint => Ok(fingerprint_of("nav404", &nav_ctx(self.hb, "", None))),
            })
            .clone()
    }

    /// Every sidebar variant, rendered in parallel; the first error. A
    /// whole build makes them first, so that a broken nav.html is one
    /// error, not one per variant.
    pub fn render_navs(&self) -> Result<(), Diagnostic> {
        let keys: Vec<NavKey> = self.navs.keys().copied().collect();
        keys.into_par_iter()
            .map(|k| self.nav(k).map(drop))
            .collect::<Result<(), _>>()?;
        self.nav_404().map(drop)
    }

    fn jobs(&self) -> Vec<Job> {
        let hb = self.hb;
        let mut jobs: Vec<Job> = hb.documents().into_iter().map(Job::Doc).collect();
        jobs.extend(hb.index_pages().into_iter().map(Job::Index));
        jobs.push(Job::NotFound);
        jobs
    }

    /// Shows "last updated" from these git changes on every page.
    pub fn with_changes(
        mut self,
        changes: Option<&'a std::collections::HashMap<String, crate::feed::Change>>,
    ) -> Self {
        self.changes = changes;
        self
    }

    /// Renders the page of one document.
    pub fn render_doc(&self, key: DocKey) -> Result<OutFile, Diagnostic> {
        self.render_job(Job::Doc(key))
    }

    /// The fingerprint of every page but the print page, by output path.
    /// A fingerprint hashes the page's template name and its whole template
    /// context, in which each Markdown body stands as a hash of what its
    /// HTML is made from and the sidebar as a hash of its own context.
    /// Under one theme and one book.toml, a page whose fingerprint is
    /// unchanged renders to the same bytes, so `serve` renders again only
    /// the pages whose fingerprint changed. The print page is left out: it
    /// holds every body, so any edit changes it (see [`PRINT_FILE`]).
    ///
    /// Only the pages whose output path `wanted` accepts are fingerprinted.
    pub fn fingerprints(
        hb: &Handbook,
        theme: &Theme,
        wanted: impl Fn(&str) -> bool + Sync,
    ) -> Result<Vec<(String, u64)>, Diagnostic> {
        let mut r = Renderer::new(hb, theme)?;
        r.mode = Mode::Fingerprint;
        r.jobs()
            .into_par_iter()
            .filter(|j| !matches!(j, Job::Index(IndexPage::Print)))
            .filter(|&j| r.is_wanted(j, &wanted))
            .map(|j| {
                // Fingerprints stand in for the fragments: no slots.
                let inline = Slots::new(false);
                r.with_context(j, &inline, None, |url, template, base, data, site| {
                    let fingerprint = crate::fingerprint::of(template, &(base, data, site));
                    (output_file(url), fingerprint)
                })
            })
            .collect()
    }

    /// Renders the pages whose output path `wanted` accepts, in parallel,
    /// and hands each to `each` as soon as it is made (so that it can be
    /// written and dropped); gives what `each` returned, in the order of
    /// [`Self::output_paths`]. Errors are template errors.
    ///
    /// With the print page, the documents' own pages are made while it
    /// makes their bodies: each body is parsed once for both, and dropped.
    pub fn render_each<T: Send>(
        &self,
        wanted: impl Fn(&str) -> bool,
        each: impl Fn(OutFile) -> T + Sync + Send,
    ) -> Result<Vec<T>, Vec<Diagnostic>> {
        let jobs: Vec<Job> = self
            .jobs()
            .into_iter()
            .filter(|&j| self.is_wanted(j, &wanted))
            .collect();
        let mut results: Vec<Option<Result<T, Diagnostic>>> =
            std::iter::repeat_with(|| None).take(jobs.len()).collect();
        let print = jobs
            .iter()
            .position(|j| matches!(j, Job::Index(IndexPage::Print)));
        if let Some(p) = print {
            let docs: Map<DocKey, usize> = (jobs.iter().enumerate())
                .filter_map(|(i, j)| match j {
                    Job::Doc(k) => Some((*k, i)),
                    _ => None,
                })
                .collect();
            if let Some((page, made)) = self.print_with_pages(&|k| docs.contains_key(&k), &each) {
                results[p] = Some(Ok(each(page)));
                for (k, r) in made {
                    results[docs[&k]] = Some(r);
                }
            }
        }
        // Every page the print page did not make; the index pages first,
        // and each page a job of its own to steal. The index pages are the
        // long jobs (progress and roles list the whole handbook): started
        // first, the other thread takes the many short ones beside them.
        // At the end of the list, in rayon's halves, a fast rebuild after
        // a member's rename at 10,000 pages made the progress page on one
        // thread while the other sat idle (15 ms against 10).
        let (index, docs): (Vec<usize>, Vec<usize>) = (0..jobs.len())
            .filter(|&i| results[i].is_none())
            .partition(|&i| !matches!(jobs[i], Job::Doc(_)));
        let rest: Vec<(usize, Result<T, Diagnostic>)> = index
            .into_iter()
            .chain(docs)
            .collect::<Vec<_>>()
            .into_par_iter()
            .with_max_len(1)
            .map(|i| (i, self.render_job(jobs[i]).map(&each)))
            .collect();
        for (i, r) in rest {
            results[i] = Some(r);
        }
        let mut done = Vec::with_capacity(results.len());
        let mut errors: Vec<Diagnostic> = Vec::new();
        for r in results.into_iter().flatten() {
            match r {
                Ok(t) => done.push(t),
                // A broken sidebar fails every page that shows it: once.
                Err(e) if errors.contains(&e) => {}
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(done)
        } else {
            Err(errors)
        }
    }

    /// The output path of every page, before rendering any.
    pub fn output_paths(&self) -> Vec<String> {
        self.jobs()
            .into_iter()
            .map(|j| output_file(&self.url_of(j)))
            .collect()
    }

    /// The output paths of the documents' own pages: those
    /// [`Self::render_each`] makes together with the print page.
    pub fn document_paths(&self) -> crate::Set<String> {
        (self.hb.documents().into_iter())
            .map(|k| output_file(&self.url_of(Job::Doc(k))))
            .collect()
    }

    /// Renders the page at output path `path` again, if there is one.
    pub fn render_path(&self, path: &str) -> Option<OutFile> {
        let job = (self.jobs().into_iter()).find(|&j| self.is_wanted(j, &|p: &str| p == path))?;
        self.render_job(job).ok()
    }

    /// Whether `wanted` accepts the output path of `job`, without making
    /// the path for the many documents' pages (`url/index.html`).
    fn is_wanted(&self, job: Job, wanted: &impl Fn(&str) -> bool) -> bool {
        let Job::Doc(k) = job else {
            return wanted(&output_file(&self.url_of(job)));
        };
        let url = self.hb.url(k);
        if !(url.is_empty() || url.ends_with('/')) {
            return wanted(url);
        }
        // One buffer for the path, on the stack while it is short.
        let mut buf = [0u8; 256];
        let len = url.len() + "index.html".len();
        if len > buf.len() {
            return wanted(&output_file(url));
        }
        buf[..url.len()].copy_from_slice(url.as_bytes());
        buf[url.len()..len].copy_from_slice(b"index.html");
        std::str::from_utf8(&buf[..len]).is_ok_and(wanted)
    }

    fn url_of(&self, job: Job) -> String {
        match job {
            Job::Doc(k) => self.hb.url(k).to_owned(),
            Job::Index(i) => i.url().to_owned(),
            Job::NotFound => "404.html".to_owned(),
        }
    }

    fn render_job(&self, job: Job) -> Result<OutFile, Diagnostic> {
        self.render_job_compiled(job, None)
    }

    /// [`Self::render_job`], with the body of the page's own document
    /// already compiled (`None`: compiled here).
    fn render_job_compiled(
        &self,
        job: Job,
        own: Option<&Compiled<'_>>,
    ) -> Result<OutFile, Diagnostic> {
        // Fragments as markers first; a theme that does not output each of
        // them as it is gets the page rendered with the fragments in place.
        let splice = self.theme.templates_are_builtin();
        let nothing = |_: DocKey, _: Option<&Compiled<'_>>| ();
        match self.render_job_with(job, Slots::new(splice), own, &nothing)? {
            Some((f, _)) => Ok(f),
            None => Ok(self
                .render_job_with(job, Slots::new(false), own, &nothing)?
                .expect("with slots off there is nothing to splice")
                .0),
        }
    }

    /// The print page, and the page of each document `page` accepts, made
    /// from the body the print page compiles for its section and handed to
    /// `each` at once (with the document). `None` when the print page's
    /// bodies are not made while splicing (slots off, a marker lost, a
    /// template error): nothing was made, and the pages are made one by
    /// one as usual.
    fn print_with_pages<T: Send>(
        &self,
        page: &(dyn Fn(DocKey) -> bool + Sync),
        each: &(dyn Fn(OutFile) -> T + Sync),
    ) -> Option<(OutFile, DocPages<T>)> {
        if !self.theme.templates_are_builtin() {
            return None;
        }
        let side = |key: DocKey, body: Option<&Compiled<'_>>| {
            page(key).then(|| (key, self.render_job_compiled(Job::Doc(key), body).map(each)))
        };
        let job = Job::Index(IndexPage::Print);
        let (file, made) = self
            .render_job_with(job, Slots::new(true), None, &side)
            .ok()??;
        Some((file, made.into_iter().flatten().collect()))
    }

    /// The page of `job`; `None` when the template lost a slot's marker.
    /// `own`: the body of the page's document, compiled; `side` is called
    /// with each body the print page compiles for a section, and what it
    /// gives is returned in page order.
    fn render_job_with<S: Send>(
        &self,
        job: Job,
        slots: Slots<DocKey>,
        own: Option<&Compiled<'_>>,
        side: &(dyn Fn(DocKey, Option<&Compiled<'_>>) -> S + Sync),
    ) -> Result<Option<(OutFile, Vec<S>)>, Diagnostic> {
        let (url, html, nav_variant) =
            self.with_context(job, &slots, own, |url, template, base, data, site| {
                let mut ctx = Context::new();
                ctx.insert("base", base);
                ctx.insert("page", data);
                ctx.insert("site", site);
                self.theme
                    .render(template, &ctx)
                    .map(|html| (url.to_owned(), html, base.nav_variant))
            })??;
        let mut html = html;
        let mut made = Vec::new();
        let mut shared = None;
        if slots.is_on() {
            let spliced = slots.splice(&html, |key| {
                let body = self.compile_body(key);
                let print = self.print_body(key, &url, body.as_ref());
                (print, side(key, body.as_ref()))
            });
            let Some(spliced) = spliced else {
                return Ok(None);
            };
            (html, made) = (spliced.html, spliced.side);
            shared = spliced
                .shared
                .zip(nav_variant)
                .map(|(at, (variant, mark))| Shared {
                    start: at.start,
                    end: at.end,
                    variant,
                    mark,
                });
        }
        Ok(Some((
            OutFile {
                path: output_file(&url),
                bytes: html.into_bytes(),
                shared,
            },
            made,
        )))
    }

    /// Builds the template context of `job` and hands it to `f` with the
    /// page's URL and template.
    fn with_context<R>(
        &self,
        job: Job,
        slots: &Slots<DocKey>,
        own: Option<&Compiled<'_>>,
        f: impl FnOnce(&str, &str, &Base<'_>, &PageData<'_>, &SiteCtx<'_>) -> R,
    ) -> Result<R, Diagnostic> {
        let hb = self.hb;
        let url = self.url_of(job);
        // The 404 page is served at any depth, so its links are absolute.
        let (root, nav, variant) = if let Job::NotFound = job {
            let root = hb.config.site_url.clone();
            let nav = self.nav_404()?.replace("__ROOT__", &root);
            (root.clone(), nav, None)
        } else {
            let depth = url.matches('/').count().min(2);
            let open = match job {
                Job::Doc(DocKey::Phase(pi)) => Some((pi, 0)),
                Job::Doc(DocKey::Page(i)) => {
                    let pi = hb.pages[i].phase;
                    // Pages are sorted by phase, so the position in the
                    // phase is the distance from its first page.
                    let pos = i - hb.phase_pages[pi].first().copied().unwrap_or(i);
                    Some((pi, pos / NAV_CHUNK))
                }
                _ => None,
            };
            let key = NavKey { depth, open };
            (root_prefix(&url), self.nav(key)?, Some(key.variant()))
        };
        let home = if root.is_empty() {
            "./".to_owned()
        } else {
            root.clone()
        };
        let link = Linker { hb, from: &url };
        let link = if let Job::NotFound = job {
            Linker { hb, from: "" }
        } else {
            link
        };
        let abs = |href: String| -> String {
            if let Job::NotFound = job {
                let h = href.trim_start_matches("./");
                format!("{root}{h}")
            } else {
                href
            }
        };
        let (title, template, data) = self.page_data(job, &link, &url, slots, own);
        let crumbs = self
            .crumbs(job, &link)
            .into_iter()
            .map(|l| Link {
                href: abs(l.href),
                title: l.title,
            })
            .collect();
        let title: &str = &title;
        let (prev, next) = match job {
            Job::Doc(k) => self.prev_next.get(&k).copied().unwrap_or((None, None)),
            _ => (None, None),
        };
        let source = match job {
            Job::Doc(k) => hb.source_path(k),
            _ => None,
        };
        let edit = match (&hb.config.repository, source) {
            (Some(r), Some(src)) => Some(format!("{}/edit/{}/{}", r.url, r.branch, src)),
            _ => None,
        };
        let current = format!("href=\"{}\"", link.href(&url));
        let (nav, mark) = if matches!(job, Job::NotFound) {
            (nav, None)
        } else {
            mark_current(&nav, &current)
        };
        let base = Base {
            title,
            root: root.clone(),
            home,
            url: &url,
            nav: match variant {
                Some(_) => slots.shared(nav),
                None => slots.html(nav),
            },
            nav_variant: variant.map(|v| (v, mark)),
            crumbs,
            prev: prev.map(|k| link.doc(k)),
            next: next.map(|k| link.doc(k)),
            canonical: format!(
                "{}{}",
                hb.config.site_url,
                if let Job::NotFound = job { "" } else { &url }
            ),
            edit,
            source,
            step: self.step(job, &link),
            closed: hb
                .config
                .closed
                .then(|| abs(link.href(IndexPage::Closure.url()))),
            updated: source
                .and_then(|src| self.changes?.get(src))
                .and_then(|c| c.date.get(..10)),
        };
        Ok(f(&url, template, &base, &data, &self.site_ctx()))
    }

    fn site_ctx(&self) -> SiteCtx<'_> {
        SiteCtx {
            title: &self.hb.config.title,
            description: self.hb.config.description.as_deref(),
            language: &self.hb.config.language,
            css: &self.theme.css_path,
        }
    }

    fn step(&self, job: Job, link: &Linker<'a>) -> Option<Step<'a>> {
        let here = match job {
            Job::Doc(k) => Dest::Doc(k),
            Job::Index(i) => Dest::Index(i),
            Job::NotFound => return None,
        };
        let path = &self.hb.onboarding;
        let k = path.iter().position(|d| *d == here)?;
        Some(Step {
            k: k + 1,
            n: path.len(),
            prev: k.checked_sub(1).map(|j| link.dest(&path[j])),
            next: path.get(k + 1).map(|d| link.dest(d)),
            start: link.href(IndexPage::Start.url()),
        })
    }

    fn crumbs(&self, job: Job, link: &Linker<'a>) -> Vec<Link<'a>> {
        let hb = self.hb;
        let home = Link {
            href: link.href(""),
            title: Cow::Borrowed("Home"),
        };
        let index = |i: IndexPage| link.dest(&Dest::Index(i));
        match job {
            Job::Doc(DocKey::Home) | Job::NotFound => vec![],
            Job::Doc(DocKey::Phase(_)) | Job::Index(_) => vec![home],
            Job::Doc(DocKey::Page(i)) => vec![home, link.doc(DocKey::Phase(hb.pages[i].phase))],
            Job::Doc(DocKey::Member(_)) => vec![home, index(IndexPage::Members)],
            Job::Doc(DocKey::Role(_)) => vec![home, index(IndexPage::Roles)],
            Job::Doc(DocKey::Norm(_)) => vec![home, index(IndexPage::Norms)],
            Job::Doc(DocKey::Case(_)) => vec![home, index(IndexPage::Cases)],
        }
    }

    /// The body of `key` on the page at `from`; `compiled`, when given, is
    /// that body compiled.
    fn body_html(
        &self,
        slots: &Slots<DocKey>,
        key: DocKey,
        from: &str,
        questions: &[Question],
        owner: Option<Link<'a>>,
        compiled: Option<&Compiled<'_>>,
    ) -> String {
        slots.html(self.body_html_with(key, from, questions, owner, String::new(), compiled))
    }

    /// [`Self::body_html`] with heading ids prefixed, for a page that
    /// shows several bodies.
    fn body_html_with(
        &self,
        key: DocKey,
        from: &str,
        questions: &[Question],
        owner: Option<Link<'a>>,
        id_prefix: String,
        compiled: Option<&Compiled<'_>>,
    ) -> String {
        let Some(doc) = self.hb.doc(key) else {
            return String::new();
        };
        let hb = self.hb;
        let glossary = (hb.config.glossary_links && !hb.glossary.is_empty())
            .then(|| relative(from, IndexPage::Glossary.url()));
        // A fingerprint hashes the questions itself and marks no terms:
        // the sets that rendering reads are left empty.
        let html = self.mode == Mode::Html;
        let hooks = Hooks {
            hb,
            key,
            from,
            unanswered: (questions.iter())
                .filter(|q| html && q.in_body && !q.answered)
                .map(|q| q.id.as_str())
                .collect(),
            owner,
            seen_terms: std::cell::RefCell::new(vec![
                false;
                hb.glossary.terms.len() * usize::from(html)
            ]),
            glossary,
            id_prefix,
        };
        if !html {
            return self.body_fingerprint(doc, &hooks, questions);
        }
        let mut out = String::new();
        match compiled {
            Some(body) => body.fill(&hooks, &mut out),
            None => markdown::render(self.hb.body(doc), &doc.analysis, &hooks, &mut out),
        }
        if self.hb.config.sanitize {
            out = markdown::sanitize(&out);
        }
        out
    }

    /// Stands in for a body's HTML in a page's fingerprint: a hash of
    /// everything `markdown::render` reads through `hooks` — the Markdown
    /// (by `Analysis::body_hash`; its headings and links come from it),
    /// what each link resolves to from this page, the questions still
    /// open with the person to ask, the glossary and the id prefix.
    fn body_fingerprint(
        &self,
        doc: &crate::model::Doc,
        hooks: &Hooks<'_>,
        qs: &[Question],
    ) -> String {
        let mut h = std::hash::DefaultHasher::new();
        // The body's text, hashed when it was analysed.
        doc.analysis.body_hash.hash(&mut h);
        hooks.from.hash(&mut h);
        hooks.id_prefix.hash(&mut h);
        // What `Hooks::link` makes of each link follows from these, which
        // are hashed instead of building its strings.
        for (i, link) in doc.analysis.links.iter().enumerate() {
            match self.hb.body_link(hooks.key, i, &link.target, link.wiki) {
                Some(t) => {
                    let same_page = t.dest == Dest::Doc(hooks.key) && t.anchor.is_some();
                    let title = match &t.dest {
                        Dest::Doc(k) => Cow::Borrowed(self.hb.title(*k)),
                        d => Cow::Owned(self.hb.dest_title(d)),
                    };
                    (1u8, same_page, self.hb.dest_url(&t.dest), &t.anchor, title).hash(&mut h);
                }
                None => 0u8.hash(&mut h),
            }
        }
        for q in qs.iter().filter(|q| q.in_body && !q.answered) {
            q.id.hash(&mut h);
        }
        if let Some(o) = &hooks.owner {
            (&o.href, &o.title).hash(&mut h);
        }
        if let Some(g) = &hooks.glossary {
            g.hash(&mut h);
            self.glossary_hash
                .get_or_init(|| {
                    let mut g = std::hash::DefaultHasher::new();
                    format!("{:?}", self.hb.glossary.terms).hash(&mut g);
                    g.finish()
                })
                .hash(&mut h);
        }
        self.hb.config.sanitize.hash(&mut h);
        format!("body:{:016x}", h.finish())
    }

    /// A phase's link, summary and counts, with its pages.
    fn phase_summary(&self, pi: usize, link: &Linker<'a>) -> PhaseSummary<'a> {
        self.phase_summary_with(pi, link, true)
    }

    /// [`Self::phase_summary`] as the home and progress pages list it.
    /// Their built-in templates show no phase's pages, so with those the
    /// list is left empty: at 10,000 pages, making it and handing it to
    /// tera was a large part of the cost of the progress page, and the
    /// home page no longer changes (and renders again) with a page's
    /// title. A theme's own template may show the pages, and gets them.
    fn phase_overview(&self, pi: usize, link: &Linker<'a>) -> PhaseSummary<'a> {
        self.phase_summary_with(pi, link, !self.theme.templates_are_builtin())
    }

    fn phase_summary_with(&self, pi: usize, link: &Linker<'a>, pages: bool) -> PhaseSummary<'a> {
        let hb = self.hb;
        let listed: &[usize] = if pages { &hb.phase_pages[pi] } else { &[] };
        PhaseSummary {
            link: link.doc(DocKey::Phase(pi)),
            summary: hb.phases[pi].summary.as_deref(),
            count: Count::of(
                hb.phase_pages[pi]
                    .iter()
                    .flat_map(|&i| hb.page_questions[i].iter()),
            ),
            pages: listed
                .iter()
                .map(|&i| PageSummary {
                    link: link.doc(DocKey::Page(i)),
                    count: Count::of(hb.page_questions[i].iter()),
                    status: hb.pages[i].status.map(status_label),
                    stale: hb.is_stale(i),
                })
                .collect(),
            body: String::new(),
        }
    }

    /// Every document on one page, in reading order, with links between
    /// them turned into anchors on the page.
    fn print_sections(&self, url: &str, slots: &Slots<DocKey>) -> Vec<PrintSection<'a>> {
        let hb = self.hb;
        let mut sections: Vec<(DocKey, PrintSection<'a>)> = hb
            .documents()
            .into_iter()
            .map(|key| {
                let id = print_anchor(hb.url(key));
                let qs: &[Question] = match key {
                    DocKey::Page(i) => &hb.page_questions[i],
                    DocKey::Case(i) => &hb.case_questions[i],
                    _ => &[],
                };
                let open = qs
                    .iter()
                    .filter(|q| !q.answered)
                    .map(|q| OpenQuestion {
                        text: &q.text,
                        // Questions without a heading get their anchor here.
                        id: (!q.in_body).then(|| format!("{id}--{}", q.id)),
                    })
                    .collect();
                let level = match key {
                    DocKey::Home | DocKey::Phase(_) => 2,
                    _ => 3,
                };
                let section = PrintSection {
                    id,
                    title: hb.title(key),
                    level,
                    // HTML is rarely over twice its Markdown.
                    body: slots
                        .later(key, hb.doc(key).map_or(0, |d| 2 * hb.body(d).len()))
                        .unwrap_or_default(),
                    open,
                };
                (key, section)
            })
            .collect();
        if !slots.is_on() {
            // Every body again, in one job: in parallel, or this page would
            // be the last to finish by far.
            sections.par_iter_mut().for_each(|(key, s)| {
                s.body = self.print_body(*key, url, self.compile_body(*key).as_ref());
            });
        }
        sections.into_iter().map(|(_, s)| s).collect()
    }

    /// The body of a document, compiled (`None` when it has none).
    fn compile_body(&self, key: DocKey) -> Option<Compiled<'a>> {
        let doc = self.hb.doc(key)?;
        Some(markdown::compile(self.hb.body(doc), &doc.analysis))
    }

    /// A document's body as the print page shows it: links between
    /// documents become anchors on the page, ids get the section's prefix.
    fn print_body(&self, key: DocKey, url: &str, compiled: Option<&Compiled<'_>>) -> String {
        let hb = self.hb;
        let prefix = format!("{}--", print_anchor(hb.url(key)));
        let hooks = PrintHooks {
            hb,
            key,
            from: url,
            prefix: &prefix,
        };
        let mut body = String::new();
        if let Some(compiled) = compiled {
            compiled.fill(&hooks, &mut body);
            if hb.config.sanitize {
                body = markdown::sanitize(&body);
            }
        }
        body
    }

    /// The meetings whose facilitator is `who` (a member or a role).
    fn facilitates(&self, who: DocKey, link: &Linker<'a>) -> Vec<Link<'a>> {
        let hb = self.hb;
        let page = link.href(IndexPage::Meetings.url());
        hb.meetings
            .iter()
            .zip(&hb.meeting_facilitator)
            .filter(|(_, f)| *f == &Some(Dest::Doc(who)))
            .map(|(m, _)| Link {
                href: format!("{page}#{}", m.id),
                title: Cow::Borrowed(m.title.as_str()),
            })
            .collect()
    }

    /// Links to the topics of member `mi` on /topics/.
    fn member_topics(&self, mi: usize, link: &Linker<'a>) -> Vec<Link<'a>> {
        let topics = link.href(IndexPage::Topics.url());
        self.hb.member_topics[mi]
            .iter()
            .map(|&t| {
                let t = &self.hb.topics[t];
                Link {
                    href: format!("{topics}#{}", t.id),
                    title: Cow::Borrowed(t.name.as_str()),
                }
            })
            .collect()
    }

    fn member_row(&self, mi: usize, link: &Linker<'a>) -> MemberRow<'a> {
        let m = &self.hb.members[mi];
        MemberRow {
            link: link.doc(DocKey::Member(mi)),
            organization: m.organization.as_deref(),
            participation: participation_label(m.participation),
            roles: self.hb.member_roles[mi]
                .iter()
                .map(|&r| link.doc(DocKey::Role(r)))
                .collect(),
        }
    }

    /// With the built-in templates, `items` as the HTML `make` writes for
    /// them (see [`Html`]), in a slot, and `items` left empty; `None`
    /// otherwise, the items staying for a theme's own template to loop
    /// over (and for a fingerprint to hash).
    fn made_here<T>(
        &self,
        slots: &Slots<DocKey>,
        items: &mut Vec<T>,
        make: impl FnOnce(&[T]) -> String,
    ) -> Option<String> {
        let here = self.mode == Mode::Html && self.theme.templates_are_builtin();
        (here && !items.is_empty()).then(|| slots.html(make(&std::mem::take(items))))
    }

    fn page_data(
        &self,
        job: Job,
        link: &Linker<'a>,
        url: &str,
        slots: &Slots<DocKey>,
        own: Option<&Compiled<'_>>,
    ) -> (Cow<'a, str>, &'static str, PageData<'a>) {
        let hb = self.hb;
        // A document's page shows its own body, which may come compiled.
        let body_of = |key: DocKey, questions: &[Question], owner: Option<Link<'a>>| {
            let own = own.filter(|_| matches!(job, Job::Doc(k) if k == key));
            self.body_html(slots, key, url, questions, owner, own)
        };
        match job {
            Job::Doc(DocKey::Home) => {
                let data = PageData::Home(HomeData {
                    body: body_of(DocKey::Home, &[], None),
                    phases: (0..hb.phases.len())
                        .map(|pi| self.phase_overview(pi, link))
                        .collect(),
                    count: Count::of(hb.page_questions.iter().flat_map(|q| q.iter())),
                    members: hb.members.len(),
                    roles: hb.roles.len(),
                    norms: hb.norms.len(),
                    start: (!hb.onboarding.is_empty())
                        .then(|| link.dest(&Dest::Index(IndexPage::Start))),
                });
                (Cow::Borrowed(hb.home_title()), "index.html", data)
            }
            Job::Doc(k @ DocKey::Phase(pi)) => {
                let mut data = self.phase_summary(pi, link);
                data.body = body_of(k, &[], None);
                (
                    Cow::Borrowed(&hb.phases[pi].title),
                    "phase.html",
                    PageData::Phase(data),
                )
            }
            Job::Doc(k @ DocKey::Page(i)) => {
                let p = &hb.pages[i];
                let qs = &hb.page_questions[i];
                let owner = link.member(hb.page_owner[i]);
                let refs = |ids: &[crate::source::Spanned<String>],
                            find: &dyn Fn(&str) -> Option<DocKey>|
                 -> Vec<Link<'a>> {
                    ids.iter()
                        .filter_map(|s| find(&s.value))
                        .map(|k| link.doc(k))
                        .collect()
                };
                let data = AnswerData {
                    body: body_of(k, qs, owner.clone()),
                    questions: questions_ctx(qs),
                    open: questions_ctx(qs)
                        .into_iter()
                        .filter(|q| !q.in_body)
                        .collect(),
                    count: Count::of(qs.iter()),
                    unanswered_note: unanswered_note(owner.as_ref()),
                    owner,
                    owner_contact: hb.page_owner[i]
                        .and_then(|m| hb.members[m].contact.as_deref())
                        .and_then(|c| {
                            Some(Link {
                                href: contact_href(c)?,
                                title: Cow::Borrowed(c),
                            })
                        }),
                    status: p.status.map(status_label),
                    review_by: p.review_by.as_ref().map(|d| d.value.to_string()),
                    stale: hb.is_stale(i),
                    phase: link.doc(DocKey::Phase(p.phase)),
                    members: refs(&p.members, &|id| hb.member_index(id).map(DocKey::Member)),
                    roles: refs(&p.roles, &|id| hb.role_index(id).map(DocKey::Role)),
                    norms: refs(&p.norms, &|id| hb.norm_index(id).map(DocKey::Norm)),
                    meetings: hb.page_meetings[i]
                        .iter()
                        .map(|&m| Link {
                            href: format!(
                                "{}#{}",
                                link.href(IndexPage::Meetings.url()),
                                hb.meetings[m].id
                            ),
                            title: Cow::Borrowed(hb.meetings[m].title.as_str()),
                        })
                        .collect(),
                    referrers: link.referrers(k),
                };
                (
                    Cow::Borrowed(&p.title),
                    "page.html",
                    PageData::Answer(Box::new(data)),
                )
            }
            Job::Doc(k @ DocKey::Member(i)) => {
                let m = &hb.members[i];
                let data = MemberData {
                    body: body_of(k, &[], None),
                    name: &m.name,
                    participation: participation_label(m.participation),
                    organization: m.organization.as_deref(),
                    expertise: self.member_topics(i, link),
                    joined: m.joined.map(|d| d.to_string()),
                    contact: m.contact.as_deref(),
                    contact_href: m.contact.as_deref().and_then(contact_href),
                    roles: hb.member_roles[i]
                        .iter()
                        .map(|&r| link.doc(DocKey::Role(r)))
                        .collect(),
                    owns: link.docs(hb.owned_pages(i).map(DocKey::Page)),
                    facilitates: self.facilitates(k, link),
                    terms: {
                        let page = link.href(IndexPage::Glossary.url());
                        hb.glossary
                            .terms
                            .iter()
                            .zip(&hb.glossary_ask)
                            .filter(|(_, a)| **a == Some(i))
                            .map(|(t, _)| Link {
                                href: format!("{page}#{}", t.id),
                                title: Cow::Borrowed(t.term.as_str()),
                            })
                            .collect()
                    },
                    cases: link.docs(
                        (0..hb.cases.len())
                            .filter(|&c| hb.case_member[c] == Some(i))
                            .map(DocKey::Case),
                    ),
                    referrers: link.referrers(k),
                };
                (
                    Cow::Borrowed(&m.name),
                    "member.html",
                    PageData::Member(data),
                )
            }
            Job::Doc(k @ DocKey::Role(i)) => {
                let r = &hb.roles[i];
                let data = RoleData {
                    body: body_of(k, &[], None),
                    title: &r.title,
                    summary: r.summary.as_deref(),
                    commitment: r.commitment.as_deref(),
                    responsibilities: &r.responsibilities,
                    holders: hb.holders[i]
                        .iter()
                        .map(|&m| link.doc(DocKey::Member(m)))
                        .collect(),
                    vacant: hb.holders[i].is_empty(),
                    facilitates: self.facilitates(k, link),
                    norms: hb.role_norms[i]
                        .iter()
                        .map(|&n| link.doc(DocKey::Norm(n)))
                        .collect(),
                    referrers: link.referrers(k),
                };
                (Cow::Borrowed(&r.title), "role.html", PageData::Role(data))
            }
            Job::Doc(k @ DocKey::Norm(i)) => {
                let n = &hb.norms[i];
                let data = NormData {
                    body: body_of(k, &[], None),
                    title: &n.title,
                    category: n.category.as_deref(),
                    agreed: n.agreed.map(|d| d.to_string()),
                    owner: hb.norm_owner[i].as_ref().map(|d| link.dest(d)),
                    referrers: link.referrers(k),
                };
                (Cow::Borrowed(&n.title), "norm.html", PageData::Norm(data))
            }
            Job::Doc(k @ DocKey::Case(i)) => {
                let qs = &hb.case_questions[i];
                let member = link.member(hb.case_member[i]);
                let data = CaseData {
                    body: body_of(k, qs, member.clone()),
                    title: hb.case_title(i),
                    organization: hb.case_member[i]
                        .and_then(|m| hb.members[m].organization.as_deref()),
                    questions: questions_ctx(qs),
                    open: questions_ctx(qs)
                        .into_iter()
                        .filter(|q| !q.in_body)
                        .collect(),
                    count: Count::of(qs.iter()),
                    unanswered_note: unanswered_note(member.as_ref()),
                    member,
                };
                (
                    Cow::Borrowed(hb.case_title(i)),
                    "case.html",
                    PageData::Case(data),
                )
            }
            Job::Index(IndexPage::Members) => {
                let groups = ["core", "active", "occasional", "peripheral", "sponsor", ""]
                    .into_iter()
                    .map(|level| MemberGroup {
                        level,
                        members: (0..hb.members.len())
                            .filter(|&m| participation_label(hb.members[m].participation) == level)
                            .map(|m| self.member_row(m, link))
                            .collect(),
                    })
                    .filter(|g| !g.members.is_empty())
                    .collect();
                let data = PageData::Members(MembersData {
                    groups,
                    total: hb.members.len(),
                });
                (Cow::Borrowed("Members"), "members.html", data)
            }
            Job::Index(IndexPage::Roles) => {
                let roles = (0..hb.roles.len())
                    .map(|r| RoleRow {
                        link: link.doc(DocKey::Role(r)),
                        summary: hb.roles[r].summary.as_deref(),
                        commitment: hb.roles[r].commitment.as_deref(),
                        holders: hb.holders[r]
                            .iter()
                            .map(|&m| link.doc(DocKey::Member(m)))
                            .collect(),
                        vacant: hb.holders[r].is_empty(),
                    })
                    .collect();
                let mut matrix: Vec<MatrixRow<'_>> = (0..hb.members.len())
                    .map(|m| MatrixRow {
                        member: link.doc(DocKey::Member(m)),
                        cells: (0..hb.roles.len())
                            .map(|r| hb.member_roles[m].contains(&r))
                            .collect(),
                    })
                    .collect();
                let matrix_html = self.made_here(slots, &mut matrix, matrix_rows);
                (
                    Cow::Borrowed("Roles"),
                    "roles.html",
                    PageData::Roles(RolesData {
                        roles,
                        matrix,
                        matrix_html,
                    }),
                )
            }
            Job::Index(IndexPage::Norms) => {
                let norms = (0..hb.norms.len())
                    .map(|n| NormRow {
                        link: link.doc(DocKey::Norm(n)),
                        category: hb.norms[n].category.as_deref(),
                        agreed: hb.norms[n].agreed.map(|d| d.to_string()),
                        owner: hb.norm_owner[n].as_ref().map(|d| link.dest(d)),
                    })
                    .collect();
                (
                    Cow::Borrowed("Norms"),
                    "norms.html",
                    PageData::Norms(NormsData { norms }),
                )
            }
            Job::Index(IndexPage::Cases) => {
                let cases = (0..hb.cases.len())
                    .map(|c| CaseRow {
                        link: link.doc(DocKey::Case(c)),
                        member: link.member(hb.case_member[c]),
                        count: Count::of(hb.case_questions[c].iter()),
                    })
                    .collect();
                (
                    Cow::Borrowed("Cases for participation"),
                    "cases.html",
                    PageData::Cases(CasesData { cases }),
                )
            }
            Job::Index(IndexPage::Progress) => {
                let page_link = |i: usize| link.doc(DocKey::Page(i));
                let mut unanswered = Vec::new();
                for (i, qs) in hb.page_questions.iter().enumerate() {
                    for q in qs.iter().filter(|q| !q.answered) {
                        let l = link.doc_at(DocKey::Page(i), &q.id);
                        unanswered.push(Unanswered {
                            question: &q.text,
                            link: l,
                            owner: link.member(hb.page_owner[i]),
                        });
                    }
                }
                let listed = |i: usize| Listed {
                    link: page_link(i),
                    review_by: hb.pages[i].review_by.as_ref().map(|d| d.value),
                    owner: link.member(hb.page_owner[i]),
                };
                let listed_when = |due| -> Vec<Listed<'_>> {
                    (crate::review::listed(hb, due).into_iter())
                        .map(listed)
                        .collect()
                };
                let mut stale = listed_when(crate::review::Due::Stale);
                let mut soon = listed_when(crate::review::Due::Soon);
                let mut drafts: Vec<Listed<'_>> = (0..hb.pages.len())
                    .filter(|&i| hb.pages[i].status == Some(Status::Draft))
                    .map(listed)
                    .collect();
                let unanswered_html = self.made_here(slots, &mut unanswered, unanswered_list);
                let stale_html = self.made_here(slots, &mut stale, |l| {
                    listed_list(l, Some("review was due"))
                });
                let soon_html =
                    self.made_here(slots, &mut soon, |l| listed_list(l, Some("review by")));
                let drafts_html = self.made_here(slots, &mut drafts, |l| listed_list(l, None));
                let data = ProgressData {
                    unanswered_html,
                    stale_html,
                    soon_html,
                    drafts_html,
                    count: Count::of(hb.page_questions.iter().flat_map(|q| q.iter())),
                    phases: (0..hb.phases.len())
                        .map(|pi| self.phase_overview(pi, link))
                        .collect(),
                    unanswered,
                    stale,
                    soon,
                    drafts,
                    vacant: (0..hb.roles.len())
                        .filter(|&r| hb.holders[r].is_empty())
                        .map(|r| link.doc(DocKey::Role(r)))
                        .collect(),
                    today: hb.today.to_string(),
                };
                (
                    Cow::Borrowed("Progress"),
                    "progress.html",
                    PageData::Progress(Box::new(data)),
                )
            }
            Job::Index(IndexPage::Topics) => {
                let topics = hb
                    .topics
                    .iter()
                    .map(|t| TopicRow {
                        name: &t.name,
                        id: &t.id,
                        members: t
                            .members
                            .iter()
                            .map(|&m| TopicMember {
                                link: link.doc(DocKey::Member(m)),
                                contact: hb.members[m].contact.as_deref().and_then(|c| {
                                    Some(Link {
                                        href: contact_href(c)?,
                                        title: Cow::Borrowed(c),
                                    })
                                }),
                            })
                            .collect(),
                    })
                    .collect();
                (
                    Cow::Borrowed(IndexPage::Topics.title()),
                    "topics.html",
                    PageData::Topics(TopicsData { topics }),
                )
            }
            Job::Index(IndexPage::Closure) => {
                let phase = hb.closure_phase();
                let sections = phase
                    .map(|pi| {
                        hb.phase_pages[pi]
                            .iter()
                            .map(|&i| {
                                let id = hb.pages[i].slug.clone();
                                let owner = link.member(hb.page_owner[i]);
                                ClosureSection {
                                    link: link.doc(DocKey::Page(i)),
                                    body: self.body_html_with(
                                        DocKey::Page(i),
                                        url,
                                        &hb.page_questions[i],
                                        owner.clone(),
                                        format!("{id}--"),
                                        None,
                                    ),
                                    id,
                                    owner,
                                    status: hb.pages[i].status.map(status_label),
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let data = ClosureData {
                    phase: phase.map(|pi| link.doc(DocKey::Phase(pi))),
                    intro: phase
                        .map(|pi| {
                            let prefix = "intro--".into();
                            self.body_html_with(DocKey::Phase(pi), url, &[], None, prefix, None)
                        })
                        .unwrap_or_default(),
                    sections,
                    norms: (0..hb.norms.len())
                        .filter(|&n| {
                            hb.norms[n]
                                .category
                                .as_deref()
                                .is_some_and(|c| c.eq_ignore_ascii_case("closure"))
                        })
                        .map(|n| link.doc(DocKey::Norm(n)))
                        .collect(),
                };
                (
                    Cow::Borrowed(IndexPage::Closure.title()),
                    "closure.html",
                    PageData::Closure(data),
                )
            }
            Job::Index(IndexPage::Meetings) => {
                let from = hb.today.days() * 86_400;
                let meetings = hb
                    .meetings
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let glossary = (hb.config.glossary_links && !hb.glossary.is_empty())
                            .then(|| relative(url, IndexPage::Glossary.url()));
                        let hooks = Hooks {
                            hb,
                            key: DocKey::Home,
                            from: url,
                            unanswered: Default::default(),
                            owner: None,
                            seen_terms: std::cell::RefCell::new(vec![
                                false;
                                hb.glossary.terms.len()
                            ]),
                            glossary,
                            id_prefix: String::new(),
                        };
                        let mut body = String::new();
                        markdown::render(hb.body(&m.doc), &m.doc.analysis, &hooks, &mut body);
                        if hb.config.sanitize {
                            body = markdown::sanitize(&body);
                        }
                        let (h, mi) = (m.minutes / 60, m.minutes % 60);
                        MeetingRow {
                            id: &m.id,
                            title: &m.title,
                            recurrence: m.recurrence_text(),
                            first: crate::meetings::local_text(m.start, m.offset, m.minutes),
                            duration: match (h, mi) {
                                (0, mi) => format!("{mi} min"),
                                (h, 0) => format!("{h} h"),
                                (h, mi) => format!("{h} h {mi} min"),
                            },
                            location: m.location.as_deref(),
                            link: m.link.as_deref(),
                            facilitator: hb.meeting_facilitator[i].as_ref().map(|d| link.dest(d)),
                            agenda: &m.agenda,
                            body,
                            next: m
                                .next(from, crate::meetings::NEXT)
                                .into_iter()
                                .map(|t| Occurrence {
                                    utc: crate::meetings::iso_utc(t),
                                    text: crate::meetings::local_text(t, m.offset, m.minutes),
                                })
                                .collect(),
                            ics: format!("{}.ics", m.id),
                            planned_in: (0..hb.pages.len())
                                .filter(|&p| hb.page_meetings[p].contains(&i))
                                .map(|p| link.doc(DocKey::Page(p)))
                                .collect(),
                        }
                    })
                    .collect();
                (
                    Cow::Borrowed(IndexPage::Meetings.title()),
                    "meetings.html",
                    PageData::Meetings(MeetingsData {
                        meetings,
                        calendar: link.href("calendar.ics"),
                        today: hb.today.to_string(),
                    }),
                )
            }
            Job::Index(IndexPage::Glossary) => {
                let terms = hb
                    .glossary
                    .terms
                    .iter()
                    .zip(&hb.glossary_ask)
                    .map(|(t, ask)| GlossaryRow {
                        term: &t.term,
                        id: &t.id,
                        definition: &t.definition,
                        aliases: &t.aliases,
                        ask: link.member(*ask),
                    })
                    .collect();
                (
                    Cow::Borrowed(IndexPage::Glossary.title()),
                    "glossary.html",
                    PageData::Glossary(GlossaryData { terms }),
                )
            }
            Job::Index(IndexPage::Start) => {
                let steps = hb.onboarding.iter().map(|d| link.dest(d)).collect();
                (
                    Cow::Borrowed("Start here"),
                    "start.html",
                    PageData::Start(StartData { steps }),
                )
            }
            Job::Index(IndexPage::Print) => (
                Cow::Borrowed("The whole handbook"),
                "print.html",
                PageData::Print(PrintData {
                    sections: self.print_sections(url, slots),
                }),
            ),
            Job::Index(IndexPage::Search) => {
                (Cow::Borrowed("Search"), "search.html", PageData::Empty {})
            }
            Job::NotFound => (
                Cow::Borrowed("Page not found"),
                "404.html",
                PageData::Empty {},
            ),
        }
    }
}

fn questions_ctx(qs: &[Question]) -> Vec<QuestionCtx<'_>> {
    qs.iter()
        .map(|q| QuestionCtx {
            text: &q.text,
            id: &q.id,
            answered: q.answered,
            in_body: q.in_body,
        })
        .collect()
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Draft => "draft",
        Status::Agreed => "agreed",
    }
}

/// The anchor of a document on the print page: its URL as one word.
fn print_anchor(url: &str) -> String {
    let t = url.trim_matches('/').replace('/', "-");
    if t.is_empty() { "home".to_owned() } else { t }
}

/// Markdown hooks for the print page: links to documents of the handbook
/// become anchors on the same page.
struct PrintHooks<'a> {
    hb: &'a Handbook,
    key: DocKey,
    from: &'a str,
    prefix: &'a str,
}

impl RenderHooks for PrintHooks<'_> {
    fn link(&self, index: usize, target: &str, wiki: bool) -> Option<ResolvedLink> {
        let t = self.hb.body_link(self.key, index, target, wiki)?;
        let href = match (&t.dest, &t.anchor) {
            (Dest::Doc(k), Some(a)) => format!("#{}--{a}", print_anchor(self.hb.url(*k))),
            (Dest::Doc(k), None) => format!("#{}", print_anchor(self.hb.url(*k))),
            (d, _) => relative(self.from, self.hb.dest_url(d)),
        };
        Some(ResolvedLink {
            href,
            title: self.hb.dest_title(&t.dest),
        })
    }

    fn after_heading(&self, _index: usize, _h: &Heading) -> Option<String> {
        None
    }

    fn id_prefix(&self) -> &str {
        self.prefix
    }
}

#[derive(Serialize)]
struct TopicMember<'a> {
    link: Link<'a>,
    contact: Option<Link<'a>>,
}

#[derive(Serialize)]
struct TopicRow<'a> {
    name: &'a str,
    id: &'a str,
    members: Vec<TopicMember<'a>>,
}

#[derive(Serialize)]
struct TopicsData<'a> {
    topics: Vec<TopicRow<'a>>,
}

#[derive(Serialize)]
struct ClosureSection<'a> {
    link: Link<'a>,
    /// Prefix of the page's heading ids on /closure/.
    id: String,
    owner: Option<Link<'a>>,
    status: Option<&'static str>,
    body: String,
}

#[derive(Serialize)]
struct ClosureData<'a> {
    /// The closure phase, when the handbook has one.
    phase: Option<Link<'a>>,
    intro: String,
    sections: Vec<ClosureSection<'a>>,
    /// Norms of category "closure".
    norms: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct Occurrence {
    /// `2026-12-03T13:00:00Z`
    utc: String,
    /// In the offset the meeting was written with.
    text: String,
}

#[derive(Serialize)]
struct MeetingRow<'a> {
    id: &'a str,
    title: &'a str,
    recurrence: Option<String>,
    first: String,
    duration: String,
    location: Option<&'a str>,
    link: Option<&'a str>,
    facilitator: Option<Link<'a>>,
    agenda: &'a [String],
    body: String,
    next: Vec<Occurrence>,
    /// This meeting's own calendar file, relative to /meetings/.
    ics: String,
    /// Answer pages that list it in `meetings`.
    planned_in: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct MeetingsData<'a> {
    meetings: Vec<MeetingRow<'a>>,
    calendar: String,
    today: String,
}

#[derive(Serialize)]
struct GlossaryRow<'a> {
    term: &'a str,
    id: &'a str,
    definition: &'a str,
    aliases: &'a [String],
    ask: Option<Link<'a>>,
}

#[derive(Serialize)]
struct GlossaryData<'a> {
    terms: Vec<GlossaryRow<'a>>,
}

#[derive(Serialize)]
struct StartData<'a> {
    steps: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct PrintSection<'a> {
    id: String,
    title: &'a str,
    level: u8,
    body: String,
    open: Vec<OpenQuestion<'a>>,
}

#[derive(Serialize)]
struct OpenQuestion<'a> {
    text: &'a str,
    id: Option<String>,
}

#[derive(Serialize)]
struct PrintData<'a> {
    sections: Vec<PrintSection<'a>>,
}

/// The `page` object of each template, typed and borrowed from the
/// handbook rather than copied into a generic map.
#[derive(Serialize)]
#[serde(untagged)]
enum PageData<'a> {
    Home(HomeData<'a>),
    Phase(PhaseSummary<'a>),
    Answer(Box<AnswerData<'a>>),
    Member(MemberData<'a>),
    Role(RoleData<'a>),
    Norm(NormData<'a>),
    Case(CaseData<'a>),
    Members(MembersData<'a>),
    Roles(RolesData<'a>),
    Norms(NormsData<'a>),
    Cases(CasesData<'a>),
    Progress(Box<ProgressData<'a>>),
    Start(StartData<'a>),
    Print(PrintData<'a>),
    Topics(TopicsData<'a>),
    Glossary(GlossaryData<'a>),
    Meetings(MeetingsData<'a>),
    Closure(ClosureData<'a>),
    Empty {},
}

#[derive(Serialize)]
struct PageSummary<'a> {
    link: Link<'a>,
    count: Count,
    status: Option<&'static str>,
    stale: bool,
}

#[derive(Serialize)]
struct PhaseSummary<'a> {
    link: Link<'a>,
    summary: Option<&'a str>,
    count: Count,
    pages: Vec<PageSummary<'a>>,
    /// The phase's intro, on the phase's own page.
    body: String,
}

#[derive(Serialize)]
struct HomeData<'a> {
    body: String,
    phases: Vec<PhaseSummary<'a>>,
    count: Count,
    members: usize,
    roles: usize,
    norms: usize,
    start: Option<Link<'a>>,
}

#[derive(Serialize)]
struct AnswerData<'a> {
    body: String,
    questions: Vec<QuestionCtx<'a>>,
    open: Vec<QuestionCtx<'a>>,
    count: Count,
    owner: Option<Link<'a>>,
    /// The owner's `contact` (a mailto link for an address).
    owner_contact: Option<Link<'a>>,
    unanswered_note: String,
    status: Option<&'static str>,
    review_by: Option<String>,
    stale: bool,
    phase: Link<'a>,
    members: Vec<Link<'a>>,
    roles: Vec<Link<'a>>,
    norms: Vec<Link<'a>>,
    /// Its `meetings`, on /meetings/.
    meetings: Vec<Link<'a>>,
    referrers: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct MemberData<'a> {
    body: String,
    name: &'a str,
    participation: &'static str,
    organization: Option<&'a str>,
    /// The member's expertise, each linked to its topic on /topics/.
    expertise: Vec<Link<'a>>,
    joined: Option<String>,
    contact: Option<&'a str>,
    contact_href: Option<String>,
    roles: Vec<Link<'a>>,
    owns: Vec<Link<'a>>,
    /// Meetings the member facilitates, on /meetings/.
    facilitates: Vec<Link<'a>>,
    /// Glossary terms that name the member as the one to ask.
    terms: Vec<Link<'a>>,
    cases: Vec<Link<'a>>,
    referrers: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct RoleData<'a> {
    body: String,
    title: &'a str,
    summary: Option<&'a str>,
    commitment: Option<&'a str>,
    responsibilities: &'a [String],
    holders: Vec<Link<'a>>,
    vacant: bool,
    /// Meetings the role facilitates, on /meetings/.
    facilitates: Vec<Link<'a>>,
    norms: Vec<Link<'a>>,
    referrers: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct NormData<'a> {
    body: String,
    title: &'a str,
    category: Option<&'a str>,
    agreed: Option<String>,
    owner: Option<Link<'a>>,
    referrers: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct CaseData<'a> {
    body: String,
    title: &'a str,
    member: Option<Link<'a>>,
    organization: Option<&'a str>,
    questions: Vec<QuestionCtx<'a>>,
    open: Vec<QuestionCtx<'a>>,
    count: Count,
    unanswered_note: String,
}

#[derive(Serialize)]
struct MemberRow<'a> {
    link: Link<'a>,
    organization: Option<&'a str>,
    participation: &'static str,
    roles: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct MemberGroup<'a> {
    level: &'static str,
    members: Vec<MemberRow<'a>>,
}

#[derive(Serialize)]
struct MembersData<'a> {
    groups: Vec<MemberGroup<'a>>,
    total: usize,
}

#[derive(Serialize)]
struct RoleRow<'a> {
    link: Link<'a>,
    summary: Option<&'a str>,
    commitment: Option<&'a str>,
    holders: Vec<Link<'a>>,
    vacant: bool,
}

#[derive(Serialize)]
struct MatrixRow<'a> {
    member: Link<'a>,
    cells: Vec<bool>,
}

#[derive(Serialize)]
struct RolesData<'a> {
    roles: Vec<RoleRow<'a>>,
    matrix: Vec<MatrixRow<'a>>,
    /// With the built-in templates, `matrix` as the rows the template
    /// shows (and `matrix` empty); `None` otherwise.
    matrix_html: Option<String>,
}

#[derive(Serialize)]
struct NormRow<'a> {
    link: Link<'a>,
    category: Option<&'a str>,
    agreed: Option<String>,
    owner: Option<Link<'a>>,
}

#[derive(Serialize)]
struct NormsData<'a> {
    norms: Vec<NormRow<'a>>,
}

#[derive(Serialize)]
struct CaseRow<'a> {
    link: Link<'a>,
    member: Option<Link<'a>>,
    count: Count,
}

#[derive(Serialize)]
struct CasesData<'a> {
    cases: Vec<CaseRow<'a>>,
}

/// HTML written without tera, for the built-in templates' longest lists:
/// at 10,000 pages the progress page lists 15,000 items, and handing them
/// to tera as values and looping over them there made it the slowest page
/// of a rebuild by far. Text is escaped as tera escapes it, so the
/// bytes are those the template would give; a test renders the lists both
/// ways (`tests/output.rs`).
struct Html(String);

impl Html {
    /// A `<ul>` of about `items` items.
    fn list(items: usize) -> Html {
        let mut out = Html(String::with_capacity(items * 160 + 16));
        out.raw("<ul>\n");
        out
    }
    fn raw(&mut self, s: &str) {
        self.0.push_str(s);
    }
    fn text(&mut self, s: &str) {
        crate::markdown::escape_into(&mut self.0, s);
    }
    /// `<a href="…">…</a>`
    fn link(&mut self, href: &str, title: &str) {
        self.raw("<a href=\"");
        self.text(href);
        self.raw("\">");
        self.text(title);
        self.raw("</a>");
    }
    fn end_list(mut self) -> String {
        self.raw("</ul>\n");
        self.0
    }
}

/// The roles template's matrix rows, one per member (see [`Html`]): at
/// 10,000 pages, 500 members by 100 roles.
fn matrix_rows(rows: &[MatrixRow<'_>]) -> String {
    let cells = rows.first().map_or(0, |r| r.cells.len());
    let mut out = Html(String::with_capacity(rows.len() * (80 + cells * 40)));
    for row in rows {
        out.raw("<tr><th scope=\"row\">");
        out.link(&row.member.href, &row.member.title);
        out.raw("</th>");
        for &held in &row.cells {
            out.raw(if held {
                "<td><span class=\"yes\">✓<span class=\"sr\"> holds</span></span></td>"
            } else {
                "<td><span class=\"sr\">does not hold</span></td>"
            });
        }
        out.raw("</tr>\n");
    }
    out.0
}

/// The progress template's list of unanswered questions (see [`Html`]).
fn unanswered_list(items: &[Unanswered<'_>]) -> String {
    let mut out = Html::list(items.len());
    for u in items {
        out.raw("<li>");
        out.link(&u.link.href, u.question);
        out.raw(" <span class=\"muted\">on ");
        out.text(&u.link.title);
        out.raw("</span>");
        if let Some(o) = &u.owner {
            out.raw(" · ask ");
            out.link(&o.href, &o.title);
        }
        out.raw("</li>\n");
    }
    out.end_list()
}

/// The progress template's lists of pages (stale, due soon, drafts; see
/// [`Html`]): each page with `note` and its review date when there is a
/// note, then its owner.
fn listed_list(items: &[Listed<'_>], note: Option<&str>) -> String {
    let mut out = Html::list(items.len());
    for l in items {
        out.raw("<li>");
        out.link(&l.link.href, &l.link.title);
        if let Some(note) = note {
            out.raw(" · ");
            out.raw(note);
            out.raw(" ");
            if let Some(d) = l.review_by {
                d.push_to(&mut out.0);
            }
        }
        if let Some(o) = &l.owner {
            out.raw(" · ");
            out.link(&o.href, &o.title);
        }
        out.raw("</li>\n");
    }
    out.end_list()
}

#[derive(Serialize)]
struct Unanswered<'a> {
    question: &'a str,
    link: Link<'a>,
    owner: Option<Link<'a>>,
}

#[derive(Serialize)]
struct Listed<'a> {
    link: Link<'a>,
    review_by: Option<Date>,
    owner: Option<Link<'a>>,
}

#[derive(Serialize)]
struct ProgressData<'a> {
    count: Count,
    phases: Vec<PhaseSummary<'a>>,
    unanswered: Vec<Unanswered<'a>>,
    /// With the built-in templates, `unanswered`, `stale`, `soon` and
    /// `drafts` as the lists the template shows (and those left empty);
    /// `None` otherwise.
    unanswered_html: Option<String>,
    stale_html: Option<String>,
    soon_html: Option<String>,
    drafts_html: Option<String>,
    stale: Vec<Listed<'a>>,
    /// Due for review within 30 days.
    soon: Vec<Listed<'a>>,
    drafts: Vec<Listed<'a>>,
    vacant: Vec<Link<'a>>,
    today: String,
}

/// The link of a member's `contact`: an address becomes `mailto:`; a URL
/// is linked only with a scheme that cannot run script (`javascript:`,
/// `data:` and the like are shown as text, not linked), and anything else
/// is text.
fn contact_href(c: &str) -> Option<String> {
    let c = c.trim();
    if c.contains('@') && !c.contains(':') {
        return Some(format!("mailto:{c}"));
    }
    let scheme = c.split_once(':')?.0.to_ascii_lowercase();
    [
        "mailto", "http", "https", "tel", "sms", "xmpp", "matrix", "irc", "ircs",
    ]
    .contains(&scheme.as_str())
    .then(|| c.to_owned())
}

/// How many pages of a phase the sidebar lists at once. Listing every page
/// on every page would make the site O(n²) in size; the phase's own page
/// lists them all.
const NAV_CHUNK: usize = 40;

/// One variant of the sidebar: the folder depth its links are relative to,
/// and which phase (and which window of its pages) is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct NavKey {
    depth: usize,
    open: Option<(usize, usize)>,
}

impl NavKey {
    /// The variant's number for [`Shared`]: SipHash of the key, so that
    /// two of a build's few hundred variants agree only once in 2^64.
    fn variant(self) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        self.hash(&mut h);
        h.finish()
    }
}

#[derive(Serialize)]
struct NavPhase<'a> {
    href: String,
    title: String,
    pages: Vec<Link<'a>>,
    before: usize,
    after: usize,
}

/// What `nav.html` is given.
#[derive(Serialize)]
struct NavCtx<'a> {
    home: String,
    phases: Vec<NavPhase<'a>>,
    extra: Vec<Link<'a>>,
}

/// The sidebar as seen from a page at `from` (only its depth matters), with
/// phase `open.0` expanded at window `open.1`.
fn render_nav(
    hb: &Handbook,
    theme: &Theme,
    from: &str,
    open: Option<(usize, usize)>,
) -> Result<String, Diagnostic> {
    render_nav_ctx(theme, &nav_ctx(hb, from, open))
}

fn render_nav_ctx(theme: &Theme, nav: &NavCtx<'_>) -> Result<String, Diagnostic> {
    let mut ctx = Context::new();
    ctx.insert("home", &nav.home);
    ctx.insert("phases", &nav.phases);
    ctx.insert("extra", &nav.extra);
    theme.render("nav.html", &ctx)
}

fn nav_ctx<'a>(hb: &'a Handbook, from: &'a str, open: Option<(usize, usize)>) -> NavCtx<'a> {
    let link = Linker { hb, from };
    let phases: Vec<NavPhase> = (0..hb.phases.len())
        .map(|pi| {
            let all = &hb.phase_pages[pi];
            let (pages, before, after) = match open {
                Some((p, chunk)) if p == pi => {
                    let start = (chunk * NAV_CHUNK).min(all.len());
                    let end = (start + NAV_CHUNK).min(all.len());
                    (
                        link.docs(all[start..end].iter().map(|&i| DocKey::Page(i))),
                        start,
                        all.len() - end,
                    )
                }
                _ => (Vec::new(), 0, 0),
            };
            NavPhase {
                href: link.href(hb.url(DocKey::Phase(pi))),
                title: hb.phases[pi].title.clone(),
                pages,
                before,
                after,
            }
        })
        .collect();
    let extra: Vec<Link<'_>> = hb
        .index_pages()
        .into_iter()
        .map(|i| link.dest(&Dest::Index(i)))
        .collect();
    NavCtx {
        home: link.href(""),
        phases,
        extra,
    }
}

/// A stand-in for rendered HTML in a fingerprint: `what` and the hash of
/// the value it would be rendered from.
fn fingerprint_of(what: &str, value: &impl Serialize) -> String {
    format!("{what}:{:016x}", crate::fingerprint::of(what, value))
}

/// `nav` with [`CURRENT_MARK`] after the first `current` (the page's own
/// `href="…"`), as `replacen` would make it, and where it went; memmem
/// finds it several times faster than `str`'s search, and every page
/// searches its sidebar once.
fn mark_current(nav: &str, current: &str) -> (String, Option<usize>) {
    match memchr::memmem::find(nav.as_bytes(), current.as_bytes()) {
        Some(i) => {
            let at = i + current.len();
            let (before, after) = nav.split_at(at);
            let mut s = String::with_capacity(nav.len() + CURRENT_MARK.len());
            s.push_str(before);
            s.push_str(CURRENT_MARK);
            s.push_str(after);
            (s, Some(at))
        }
        None => (nav.to_owned(), None),
    }
}
