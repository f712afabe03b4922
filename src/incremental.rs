//! Incremental rebuilds for `copbook serve`: the same site a full build
//! makes, made by re-reading only the files that changed and rendering
//! only the pages whose inputs changed.
//!
//! Between rebuilds [`Incremental`] keeps the parsed files of `content/`
//! (by path, size and modification time), the theme, the copied files,
//! the link check's index, and the last good build: its handbook, and a
//! fingerprint of every page ([`Renderer::fingerprints`]). A rebuild loads
//! (re-parsing what changed), resolves the whole handbook again (cheap
//! next to rendering), fingerprints every page and renders those whose
//! fingerprint changed; every other page keeps its bytes. So a member's
//! new name re-renders the member's page and every page that shows the
//! name (role pages, the roles matrix, pages that link to the member, the
//! progress page, navigation), and nothing else.
//!
//! A change to book.toml or to the theme renders every page. The outputs
//! made of the whole handbook, the print page, the search index and
//! `handbook.json`, are made at once on the first build and when
//! [`Whole::Now`] asks; with [`Whole::Later`] they keep their bytes and
//! the result says they are behind (`serve` refreshes them once edits
//! pause). None of them is a page an edit navigates to, and on a large
//! handbook they cost more than the rest of a rebuild.

use crate::build;
use crate::diag::Diagnostic;
use crate::linkcheck::{self, LinkIndex};
use crate::load::{self, LoadCache, NotABook, Stamp};
use crate::model::{Date, LinkCheck};
use crate::render::{NavCache, PRINT_FILE, Renderer};
use crate::resolve::{EditKind, Handbook};
use crate::theme::Theme;
use crate::urls::output_file;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The resolved model for other tools: made with the search index.
const JSON_FILE: &str = "handbook.json";

/// A site in memory: output path -> bytes. Unchanged files share their
/// bytes with the previous site.
pub type Files = HashMap<Arc<str>, Arc<[u8]>>;

/// Whether two files have the same bytes; the files an incremental
/// rebuild keeps share them, so this rarely compares bytes.
pub fn same_bytes(a: &Arc<[u8]>, b: &Arc<[u8]>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// When the outputs made of the whole handbook (the print page, the
/// search index and handbook.json) are made again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whole {
    /// In this rebuild.
    Now,
    /// Not in this rebuild: they keep their bytes.
    Later,
}

/// What a rebuild may assume about the files it was not told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scan {
    /// Nothing: walk `content/` and `static/` and look at every file's
    /// size and modification time (a file was created, removed or
    /// renamed, or the watcher said nothing about the kind of change).
    Walk,
    /// Only the contents of the touched files changed: the files and
    /// folders are those of the last load, and no other file is looked at
    /// (see [`load::load_modified`]). A touched path the last walk did not
    /// find as a file makes this a [`Scan::Walk`].
    Touched,
}

/// A successful rebuild.
pub struct Rebuilt {
    pub files: Files,
    /// The pages made again with new bytes, by output path (the others
    /// kept theirs).
    pub rendered: Vec<String>,
    /// HTML pages in the site.
    pub pages: usize,
    /// The build's warnings, as text (`None`: as in the build before).
    pub warnings: Option<String>,
    /// The print page, the search index and handbook.json are older than
    /// the other files: a rebuild with [`Whole::Now`] brings them up to
    /// date.
    pub whole_behind: bool,
}

/// What serve keeps between rebuilds (see the module documentation).
#[derive(Default)]
pub struct Incremental {
    cache: LoadCache,
    /// The theme, with the name it was loaded under; loaded again when a
    /// file under `themes/` or book.toml changes.
    theme: Option<(String, Arc<Theme>)>,
    /// How many times a theme was loaded: part of every page's key.
    theme_generation: u64,
    /// Copied files (`static/`, images beside pages), by source path.
    assets: HashMap<PathBuf, (Stamp, Arc<[u8]>)>,
    /// Sidebars made under the last good build's theme and book.toml.
    navs: NavCache,
    /// The link check's index, and the site it last checked.
    links: LinkIndex,
    linked: Files,
    last: Option<Last>,
    /// A source changed since the last good build (a failed rebuild in
    /// between read it, so the load cache no longer says so).
    unsettled: bool,
}

/// The last good build.
struct Last {
    handbook: Handbook,
    theme: Arc<Theme>,
    /// book.toml and the theme: when this changes, every page renders.
    global: u64,
    /// Output path -> fingerprint, for every page but the print page.
    fingerprints: HashMap<String, u64>,
    /// The search index's files, as last made.
    search: Vec<String>,
    whole_behind: bool,
}

/// Prints how long a stage took when `COPBOOK_TIMINGS` is set.
fn timing(stage: &str, since: Instant) {
    build::timing(&format!("incremental {stage}"), since);
}

fn errors_text(diags: &[Diagnostic]) -> String {
    crate::diag::Report {
        errors: diags.to_vec(),
        warnings: Vec::new(),
    }
    .errors_text()
}

/// Whether the output `path` is made of the whole handbook and so, after
/// an edit, made again only once edits pause: the print page, the search
/// index, handbook.json, and (after a prose-only edit) the closure page,
/// which shows bodies too.
pub fn is_whole_output(path: &str) -> bool {
    path == PRINT_FILE
        || path == JSON_FILE
        || path == crate::urls::output_file(crate::resolve::IndexPage::Closure.url())
        || path.starts_with("search/")
}

/// Makes the search index and handbook.json into `files`; gives the
/// search index's paths. (The print page is rendered with the pages.)
fn whole_outputs(hb: &Handbook, files: &mut Files) -> Vec<String> {
    let (index, json) = rayon::join(
        || crate::search::build_index(hb),
        || build::handbook_json(hb),
    );
    files.insert(JSON_FILE.into(), json.into_bytes().into());
    let paths = index.iter().map(|f| f.path.clone()).collect();
    for f in index {
        files.insert(f.path.into(), f.bytes.into());
    }
    paths
}

impl Incremental {
    /// Rebuilds the site at `root`. `served` is the site being served (the
    /// last good one, which gives unchanged pages their bytes); `touched`
    /// the paths the file watcher reported since the last rebuild, which
    /// are read again whatever their stamps say; `scan` whether files
    /// other than `touched` need looking at. On failure, the errors as
    /// text, as `copbook build` prints them.
    pub fn rebuild(
        &mut self,
        root: &Path,
        today: Date,
        served: &Files,
        touched: &HashSet<PathBuf>,
        whole: Whole,
        scan: Scan,
    ) -> Result<Rebuilt, String> {
        // The last good build stays the reference until another succeeds.
        let last = self.last.take();
        let changes = (touched, scan);
        match self.try_rebuild(root, today, served, changes, whole, last.as_ref()) {
            Ok((rebuilt, good)) => {
                self.last = Some(good);
                self.unsettled = false;
                // Freeing a large handbook takes a while: not on the way
                // to the browser. (Without a thread, it is freed here.)
                let _ = std::thread::Builder::new().spawn(move || drop(last));
                Ok(rebuilt)
            }
            Err(e) => {
                self.last = last;
                Err(e)
            }
        }
    }

    fn try_rebuild(
        &mut self,
        root: &Path,
        today: Date,
        served: &Files,
        (touched, scan): (&HashSet<PathBuf>, Scan),
        whole: Whole,
        last: Option<&Last>,
    ) -> Result<(Rebuilt, Last), String> {
        let (handbook, theme, mut report) = self.load_and_check(root, today, touched, scan)?;
        let global = self.global_key(&handbook);
        // Another book.toml or theme: nothing of the last build is reused.
        let last = last.filter(|l| l.global == global);
        if last.is_none() {
            self.navs.clear();
        }
        let whole_now = whole == Whole::Now || last.is_none();

        let t = Instant::now();
        let fingerprints: HashMap<String, u64> =
            Renderer::fingerprints(&handbook, &theme, |_| true)
                .map_err(|d| errors_text(&[d]))?
                .into_iter()
                .collect();
        timing("fingerprints", t);
        let t = Instant::now();
        let stale = |path: &str| -> bool {
            if !served.contains_key(path) {
                return true;
            }
            if path == PRINT_FILE {
                return whole_now;
            }
            last.and_then(|l| l.fingerprints.get(path))
                .is_none_or(|old| fingerprints.get(path) != Some(old))
        };
        let renderer = Renderer::new(&handbook, &theme)
            .map_err(|d| errors_text(&[d]))?
            .with_nav_cache(&self.navs);
        let pages = match renderer.render_each(stale, |f| f) {
            Ok(p) => p,
            Err(d) => {
                report.errors.extend(d);
                report
                    .errors
                    .sort_by(|a, b| (&a.path, a.loc).cmp(&(&b.path, b.loc)));
                return Err(report.errors_text());
            }
        };
        drop(renderer);
        timing("render", t);

        let t = Instant::now();
        let rendered: Vec<String> = pages.iter().map(|f| f.path.clone()).collect();
        let mut files: Files = HashMap::with_capacity(served.len());
        for f in pages {
            files.insert(f.path.into(), f.bytes.into());
        }
        // Every other page keeps its bytes.
        for path in fingerprints.keys().map(String::as_str).chain([PRINT_FILE]) {
            if !files.contains_key(path) {
                if let Some(bytes) = served.get(path) {
                    files.insert(path.into(), Arc::clone(bytes));
                }
            }
        }
        let search = if whole_now {
            whole_outputs(&handbook, &mut files)
        } else {
            let kept = last.map(|l| l.search.clone()).unwrap_or_default();
            for p in kept.iter().map(String::as_str).chain([JSON_FILE]) {
                if let Some(bytes) = served.get(p) {
                    files.insert(p.into(), Arc::clone(bytes));
                }
            }
            kept
        };
        for f in build::extra_files(&handbook, &theme, None) {
            files.insert(f.path.into(), f.bytes.into());
        }
        for (src, out) in &handbook.assets {
            files.insert(out.as_str().into(), self.asset(src, scan)?);
        }
        timing("other files", t);

        // Anything that changed leaves the whole-handbook outputs behind.
        let changed = !rendered.is_empty() || self.unsettled;
        let whole_behind = !whole_now && (changed || last.is_some_and(|l| l.whole_behind));
        let t = Instant::now();
        let links = self.check_links(&handbook, &files, whole_behind);
        timing("link check", t);
        build::publish_warnings(&handbook, &mut report);
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
            return Err(report.errors_text());
        }

        let rebuilt = Rebuilt {
            pages: files.keys().filter(|p| p.ends_with(".html")).count(),
            files,
            rendered,
            warnings: Some(report.to_text()),
            whole_behind,
        };
        let good = Last {
            handbook,
            theme,
            global,
            fingerprints,
            search,
            whole_behind,
        };
        Ok((rebuilt, good))
    }

    /// Loads (re-reading what `touched` names or, unless `scan` says only
    /// those changed, what changed on disk) and resolves; the theme is
    /// loaded again only when a file under `themes/` or book.toml was
    /// touched. The handbook is set at `/`, as serve serves it. On errors,
    /// their text.
    fn load_and_check(
        &mut self,
        root: &Path,
        today: Date,
        touched: &HashSet<PathBuf>,
        scan: Scan,
    ) -> Result<(Handbook, Arc<Theme>, crate::diag::Report), String> {
        let t = Instant::now();
        self.cache.forget(touched.iter().map(PathBuf::as_path));
        self.assets
            .retain(|p, _| !touched.iter().any(|t| p.starts_with(t)));
        let themes = root.join("themes");
        let book_toml = root.join("book.toml");
        if touched
            .iter()
            .any(|p| p.starts_with(&themes) || *p == book_toml || themes.starts_with(p))
        {
            self.theme = None;
        }
        let loaded = match scan {
            Scan::Walk => load::load_cached(root, &mut self.cache),
            Scan::Touched => load::load_modified(root, &mut self.cache, touched),
        }
        .map_err(|NotABook(m)| format!("error: {m}\n"))?;
        self.unsettled |= self.cache.changed() > 0;
        timing("load", t);

        let t = Instant::now();
        let (cached_theme, generation) = (&mut self.theme, &mut self.theme_generation);
        let checked = build::check_loaded(loaded, today, false, |cfg| match cached_theme {
            Some((name, theme)) if *name == cfg.theme => Ok(Arc::clone(theme)),
            _ => {
                *cached_theme = None;
                let theme = Arc::new(Theme::load(root, &cfg.theme, cfg.theme_loc)?);
                *generation += 1;
                *cached_theme = Some((cfg.theme.clone(), Arc::clone(&theme)));
                Ok(theme)
            }
        });
        timing("resolve", t);
        let build::Checked {
            mut handbook,
            theme,
            report,
            ..
        } = checked;
        handbook.config.site_url = crate::urls::normalize_site_url("/");
        match theme {
            Some(t) if !report.has_errors() => Ok((handbook, t, report)),
            _ => Err(report.errors_text()),
        }
    }

    /// What every page depends on besides its own context: book.toml (its
    /// text) and the theme (how many times one was loaded).
    fn global_key(&self, hb: &Handbook) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        hb.sources
            .iter()
            .find(|s| s.path == "book.toml")
            .map(|s| &s.text)
            .hash(&mut h);
        self.theme_generation.hash(&mut h);
        h.finish()
    }

    /// The fast path for saves in place that change nothing resolve
    /// worked out (see [`Handbook::edit_kind`]): the touched files are
    /// parsed again and patched into the kept handbook, and only the
    /// pages that may show them are rendered; those whose bytes changed
    /// are served and their links checked.
    ///
    /// The pages that may show a document are its own page and, after an
    /// edit of its fields (a title, a name, a status), every page whose
    /// links look up its page: the built-in templates show a record's
    /// fields only beside a link to it, so the link index knows them (the
    /// pages that list, name or link to it, its sidebar windows, its
    /// backlinks), and the fast path's tests hold every field of every
    /// kind of record to a fresh build. With a theme's own templates,
    /// which may show a field anywhere, every page may. A prose edit
    /// shows on its own page only (and on the print and closure pages,
    /// which wait for the refresh).
    ///
    /// `touched` may name files that are gone and that the last walk did
    /// not find (an editor's temporary file, renamed over the one it
    /// saves); they are passed over. Any other created or removed path
    /// does not qualify.
    ///
    /// `None`: the edit does not qualify, or the site has broken links;
    /// rebuild instead. Whatever this found out stays right for that
    /// rebuild: fingerprints change only once the pages are served.
    pub fn edits_in_place(
        &mut self,
        root: &Path,
        served: &Files,
        touched: &HashSet<PathBuf>,
    ) -> Option<Rebuilt> {
        let last = self.last.as_mut()?;
        let t = Instant::now();
        let mut edits = Vec::new();
        for path in touched {
            // An editor's temporary file, renamed over the saved one or
            // removed: no file of the handbook, then or now.
            if !path.exists() && !self.cache.walk_found(path) {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .ok()?
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let key = last.handbook.doc_at(&rel)?;
            let (src, record) = self.cache.reparse(path)?;
            let kind = last.handbook.edit_kind(key, &record, &src)?;
            edits.push((key, src, record, kind));
        }
        if edits.is_empty() {
            return None;
        }
        let fields = edits.iter().any(|e| e.3 == EditKind::Fields);
        let hb = &mut last.handbook;
        let own: Vec<String> = edits.iter().map(|e| output_file(hb.url(e.0))).collect();
        for (key, src, record, _) in edits {
            hb.apply_edit(key, record, src);
        }
        last.whole_behind = true;
        timing("in place: read", t);

        let t = Instant::now();
        let mut candidates: HashSet<String> = own.iter().cloned().collect();
        // A theme's own templates may show a field anywhere: every page
        // may show it, and fingerprints tell which do.
        let everywhere = fields && !last.theme.templates_are_builtin();
        let mut fingerprints = Vec::new();
        if everywhere {
            fingerprints = Renderer::fingerprints(hb, &last.theme, |p| p != PRINT_FILE).ok()?;
            candidates = (fingerprints.iter())
                .filter(|(p, f)| last.fingerprints.get(p) != Some(f))
                .map(|(p, _)| p.clone())
                .collect();
        } else if fields {
            for page in &own {
                let showing = self.links.pages_looking_up(page);
                candidates.extend(showing.into_iter().map(str::to_owned));
            }
            // Links on the 404 page are absolute, and every page links home.
            candidates.extend(["index.html".to_owned(), "404.html".to_owned()]);
        }
        candidates.remove(PRINT_FILE);
        timing("in place: which pages", t);

        // Most pages that may show an edit do show it: they are made
        // rather than fingerprinted (which costs about as much), and kept
        // where their bytes changed.
        let t = Instant::now();
        let renderer = Renderer::new(hb, &last.theme)
            .ok()?
            .with_nav_cache(&self.navs);
        let pages = renderer
            .render_each(|p| candidates.contains(p), |f| f)
            .ok()?;
        drop(renderer);
        timing("in place: render", t);

        let t = Instant::now();
        let mut files = served.clone();
        let mut rendered = Vec::new();
        for f in pages {
            if served.get(f.path.as_str()).is_some_and(|b| **b == *f.bytes) {
                continue;
            }
            rendered.push(f.path.clone());
            files.insert(f.path.into(), f.bytes.into());
        }
        let mut changed = rendered.clone();
        // Calendars name facilitators; the theme's files stay as they are.
        if fields {
            for f in build::extra_files(hb, &last.theme, None) {
                if files.get(f.path.as_str()).is_none_or(|b| **b != *f.bytes) {
                    changed.push(f.path.clone());
                    files.insert(f.path.into(), f.bytes.into());
                }
            }
        }
        timing("in place: copy the site", t);

        let t = Instant::now();
        // Raw HTML in the new prose may hold a broken link.
        let mut last = self.last.take()?;
        let links = self.check_links_of(&last.handbook, &files, &changed, true);
        timing("in place: link check", t);
        if links.is_empty() {
            // A page made with new bytes but no fingerprint has none: the
            // next rebuild makes it again rather than trust the old one.
            for p in &rendered {
                last.fingerprints.remove(p);
            }
            last.fingerprints.extend(fingerprints);
        }
        self.last = Some(last);
        if !links.is_empty() {
            return None;
        }
        let pages = files.keys().filter(|p| p.ends_with(".html")).count();
        Some(Rebuilt {
            files,
            rendered,
            pages,
            warnings: None,
            whole_behind: true,
        })
    }

    /// The bytes of a copied file, read again only when its stamp changed
    /// (or, with [`Scan::Touched`], only when it was touched: touched
    /// files are no longer kept).
    fn asset(&mut self, src: &Path, scan: Scan) -> Result<Arc<[u8]>, String> {
        if let (Scan::Touched, Some((_, bytes))) = (scan, self.assets.get(src)) {
            return Ok(Arc::clone(bytes));
        }
        let stamp = Stamp::of(src);
        if let (Some(s), Some((was, bytes))) = (stamp, self.assets.get(src)) {
            if s == *was {
                return Ok(Arc::clone(bytes));
            }
        }
        let bytes: Arc<[u8]> = std::fs::read(src)
            .map_err(|e| format!("{}: error: cannot read: {e}\n", src.display()))?
            .into();
        if let Some(s) = stamp {
            self.assets.insert(src.to_owned(), (s, Arc::clone(&bytes)));
        }
        Ok(bytes)
    }

    /// The link check's diagnostics for `files`, checking again only what
    /// changed since the site it last checked. While the print page is
    /// `behind`, its links, right for an earlier site, are not checked.
    fn check_links(&mut self, hb: &Handbook, files: &Files, behind: bool) -> Vec<Diagnostic> {
        let mut changed: HashSet<String> = files
            .iter()
            .filter(|(p, b)| !self.linked.get(*p).is_some_and(|old| same_bytes(old, b)))
            .map(|(p, _)| p.to_string())
            .collect();
        changed.extend(
            self.linked
                .keys()
                .filter(|p| !files.contains_key(*p))
                .map(|p| p.to_string()),
        );
        // The checked site becomes `files` by its changes alone: a copy
        // of 20,000 paths costs more than the check of one edit.
        for p in &changed {
            match files.get_key_value(p.as_str()) {
                Some((k, b)) => self.linked.insert(Arc::clone(k), Arc::clone(b)),
                None => self.linked.remove(p.as_str()),
            };
        }
        self.check_changed(hb, files, &changed, behind)
    }

    /// [`Self::check_links`] when the caller knows which files changed
    /// (all of them present in `files`): the fast path's one page, without
    /// comparing (and copying) the whole site's 20,000 entries.
    fn check_links_of(
        &mut self,
        hb: &Handbook,
        files: &Files,
        changed: &[String],
        behind: bool,
    ) -> Vec<Diagnostic> {
        let changed: HashSet<String> = changed
            .iter()
            .filter(|p| {
                let (old, new) = (self.linked.get(p.as_str()), files.get(p.as_str()));
                !matches!((old, new), (Some(o), Some(n)) if same_bytes(o, n))
            })
            .cloned()
            .collect();
        for p in &changed {
            if let Some((k, b)) = files.get_key_value(p.as_str()) {
                self.linked.insert(Arc::clone(k), Arc::clone(b));
            }
        }
        self.check_changed(hb, files, &changed, behind)
    }

    fn check_changed(
        &mut self,
        hb: &Handbook,
        files: &Files,
        changed: &HashSet<String>,
        behind: bool,
    ) -> Vec<Diagnostic> {
        let unchecked: HashSet<String> = if behind {
            HashSet::from([PRINT_FILE.to_owned()])
        } else {
            HashSet::new()
        };
        let broken = self
            .links
            .update(files, changed, &hb.config.site_url, &unchecked);
        if broken.is_empty() {
            return Vec::new();
        }
        linkcheck::diagnostics(
            hb,
            &|page: &str| files.get(page).map(|b| b.to_vec()),
            &broken,
            hb.config.link_check,
            &hb.config.build_dir,
        )
    }
}
