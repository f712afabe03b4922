//! The link check of a build: every internal `href` and `src` of every HTML
//! page of the output, template-made links included, must point to a file
//! the build produces and, with `#anchor`, to an `id` on that page.
//!
//! It reads the rendered files in memory (nothing on disk), in two linear
//! passes run in parallel: one scans each page for its links and ids, the
//! other looks each link up. A link to another site, or to a path of the
//! same host outside the site's own path, is not checked here
//! (`copbook check --external` checks links to other sites).

use crate::diag::{Diagnostic, Severity};
use crate::model::LinkCheck;
use crate::render::{CURRENT_MARK, OutFile, Shared};
use crate::resolve::{Dest, DocKey, Handbook};
use crate::source::Loc;
use crate::urls::{output_file, percent_decode, relative};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

/// A fast hasher for the site's paths (the link check looks up about a
/// hundred paths per page; SipHash's protection against crafted keys is
/// not needed for the build's own file names).
#[derive(Default)]
struct PathHasher(u64);

impl Hasher for PathHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.add(word);
        }
        // The last 1 to 7 bytes as one word (with their count), not one
        // round each: a path's tail costs one multiplication.
        let r = chunks.remainder();
        let n = r.len();
        let tail = match n {
            0 => return,
            1..=3 => u64::from(r[0]) | u64::from(r[n / 2]) << 8 | u64::from(r[n - 1]) << 16,
            _ => {
                u64::from(u32::from_le_bytes([r[0], r[1], r[2], r[3]]))
                    | u64::from(u32::from_le_bytes([r[n - 4], r[n - 3], r[n - 2], r[n - 1]])) << 32
            }
        };
        self.add(tail ^ (n as u64) << 61);
    }
    /// A `str` ends its hash with a 0xFF byte: one round, not a `write`.
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl PathHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<PathHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<PathHasher>>;

/// Why a link is broken.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Problem {
    /// No file of the site at the link's path (the path, from the root).
    NoFile(String),
    /// The page exists but has no element with this id.
    NoAnchor { file: String, anchor: String },
    /// The path climbs above the site's root.
    LeavesSite,
}

/// One broken link of the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The page it is on (output path, e.g. `define/purpose/index.html`).
    pub page: String,
    /// The attribute value as written in the HTML (entities decoded).
    pub href: String,
    /// Byte offset of the attribute value in the page.
    pub offset: usize,
    pub problem: Problem,
}

impl Problem {
    fn describe(&self) -> String {
        match self {
            Problem::NoFile(p) => format!("the site has no `{p}`"),
            Problem::NoAnchor { file, anchor } => {
                format!("`{file}` has no element with id `{anchor}`")
            }
            Problem::LeavesSite => "it climbs above the site's root".into(),
        }
    }
}

/// What one page holds: its links (value, offset) and its ids.
struct Scan<'a> {
    refs: Vec<(Cow<'a, str>, usize)>,
    /// Sorted, for binary search.
    ids: Vec<Cow<'a, str>>,
    /// `<base href>`, when the page sets one.
    base: Option<Cow<'a, str>>,
}

/// The site's own address: `https://org.github.io/repo/` or `/repo/`.
struct SiteUrl<'a> {
    /// `https://org.github.io/repo/` when site-url is a full URL.
    full: Option<&'a str>,
    /// `/repo/`: the path part.
    path: &'a str,
}

impl<'a> SiteUrl<'a> {
    fn new(site_url: &'a str) -> Self {
        match site_url.split_once("://") {
            Some((_, rest)) => {
                let path = rest.find('/').map_or("/", |i| &rest[i..]);
                SiteUrl {
                    full: Some(site_url),
                    path,
                }
            }
            None => SiteUrl {
                full: None,
                path: site_url,
            },
        }
    }
}

/// What one page of the output links to and which ids it has, kept after
/// the page itself is written and dropped: the values are packed into one
/// string per page, so that a 10,000-page site does not hold its HTML (or
/// a million small strings) until the check.
pub struct PageScan {
    /// The page's output path (`define/purpose/index.html`).
    page: String,
    text: String,
    /// (start, end) in `text` and the value's byte offset in the page.
    refs: Vec<(u32, u32, u32)>,
    /// (start, end) in `text`, sorted by the id.
    ids: Vec<(u32, u32)>,
    base: Option<String>,
}

/// The site's files known before rendering (every page and every other
/// file the build makes, search index aside), so that a page's links can
/// be settled while it is scanned: a scan keeps only the links it cannot
/// settle alone (an anchor on another page, a file not known yet, a broken
/// one), which at 10,000 pages is the difference between 60 MB of kept
/// hrefs and a few.
pub struct Known<'a> {
    paths: FastSet<&'a str>,
    site: SiteUrl<'a>,
    /// The sidebars scanned so far, by variant and folder depth.
    sidebars: Mutex<HashMap<(u64, usize), Arc<Sidebar>>>,
}

/// A sidebar variant's links and ids, scanned and looked up once for all
/// the pages that show it (see [`Shared`]).
struct Sidebar {
    /// `false` when the sidebar cannot be scanned apart from its page (it
    /// does not end between two tags, or it sets `<base>`).
    apart: bool,
    ids: Vec<String>,
    /// Links whose outcome may depend on the page (an anchor, a file not
    /// known yet, a broken one), with their offsets in the sidebar
    /// without [`CURRENT_MARK`]: each page looks them up again. The
    /// others are fine on every page of the variant.
    kept: Vec<(String, usize)>,
}

impl<'a> Known<'a> {
    pub fn new(paths: impl Iterator<Item = &'a str>, site_url: &'a str) -> Self {
        let mut set = FastSet::default();
        for p in paths {
            set.insert(p);
            // `x/index.html` is also the folder `x/` (and the root `""`).
            if let Some(dir) = p.strip_suffix("index.html") {
                if dir.is_empty() || dir.ends_with('/') {
                    set.insert(dir);
                }
            }
        }
        Known {
            paths: set,
            site: SiteUrl::new(site_url),
            sidebars: Mutex::default(),
        }
    }

    /// The sidebar of `page` at `at`, scanned by the first page of its
    /// variant (and folder depth: relative links are read from the page's
    /// folder) to show it.
    fn sidebar(&self, page: &str, html: &str, at: &Shared) -> Option<Arc<Sidebar>> {
        let key = (at.variant, page.matches('/').count());
        let lock = || self.sidebars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = lock().get(&key) {
            return Some(Arc::clone(s));
        }
        let (sc, clean) = scan_part(html.get(at.start..at.end)?);
        let sidebar = if clean && sc.base.is_none() {
            // Looked up as from a page that is none of the sidebar's
            // targets: a link to a page's own anchor is then kept, and
            // looked up again on that page, with its ids.
            let mark = at.mark.map(|m| m + CURRENT_MARK.len());
            let unmarked = |o: usize| match mark {
                Some(m) if o >= m => o - CURRENT_MARK.len(),
                _ => o,
            };
            Sidebar {
                apart: true,
                ids: sc.ids.iter().map(|id| id.clone().into_owned()).collect(),
                kept: self
                    .unsettled(page, &sc.refs, None)
                    .into_iter()
                    .map(|b| (b.href, unmarked(b.offset)))
                    .collect(),
            }
        } else {
            Sidebar {
                apart: false,
                ids: Vec::new(),
                kept: Vec::new(),
            }
        };
        Some(Arc::clone(lock().entry(key).or_insert(Arc::new(sidebar))))
    }

    /// [`scan`] of a page whose sidebar is at `at`: the sidebar's links
    /// come from its variant's [`Sidebar`], the rest is scanned. `None`
    /// when the page must be scanned whole (the parts do not meet between
    /// two tags, or the page sets `<base>`); the result is otherwise the
    /// whole page's scan, but for the sidebar's links that need no look-up.
    fn scan_around<'h>(&self, page: &str, html: &'h str, at: &Shared) -> Option<Scan<'h>> {
        let (mut before, clean) = scan(html.get(..at.start)?);
        if !clean || before.base.is_some() {
            return None;
        }
        let sidebar = self.sidebar(page, html, at)?;
        if !sidebar.apart {
            return None;
        }
        let (after, _) = scan(html.get(at.end..)?);
        if after.base.is_some() {
            return None;
        }
        let marked = |o: usize| match at.mark {
            Some(m) if o >= m => o + CURRENT_MARK.len(),
            _ => o,
        };
        before.refs.extend(
            (sidebar.kept.iter())
                .map(|(href, o)| (Cow::Owned(href.clone()), at.start + marked(*o))),
        );
        before
            .refs
            .extend(after.refs.into_iter().map(|(r, o)| (r, at.end + o)));
        before
            .ids
            .extend(sidebar.ids.iter().map(|id| Cow::Owned(id.clone())));
        before.ids.extend(after.ids);
        before.ids.sort_unstable();
        Some(before)
    }

    /// The links of `refs` on `page` (whose sorted ids are `ids`) that the
    /// page cannot settle on its own: the whole-site check's own loop and
    /// lookup, with what is known before rendering. A page's own anchors
    /// are known; another page's are not yet, so a link to one is kept.
    /// With `ids` `None`, links are looked up as from another page in the
    /// same folder: one to an anchor of `page` is kept too.
    ///
    /// A page with many links (the print page) is settled in parallel
    /// chunks.
    fn unsettled(
        &self,
        page: &str,
        refs: &[(Cow<'_, str>, usize)],
        ids: Option<&[Cow<'_, str>]>,
    ) -> Vec<Broken> {
        let own =
            |p: &str| ids.is_some() && (p == page || page.strip_suffix("index.html") == Some(p));
        let ids = ids.unwrap_or_default();
        // The name first: a stylesheet's path is not looked up twice.
        let is_page = |p: &str| {
            (p.is_empty() || p.ends_with('/') || p.ends_with(".html")) && self.paths.contains(p)
        };
        const CHUNK: usize = 4096;
        // The print page links to its own ids some 20,000 times (at 1,000
        // pages): a set of them rather than 15 string comparisons each.
        let id_set: Option<FastSet<&str>> =
            (refs.len() > CHUNK).then(|| ids.iter().map(|id| id.as_ref()).collect());
        let has_id = |a: &str| match &id_set {
            Some(set) => set.contains(a),
            None => ids.binary_search_by(|id| id.as_ref().cmp(a)).is_ok(),
        };
        let settle = |refs: &[(Cow<'_, str>, usize)]| {
            let refs = refs.iter().map(|(r, offset)| (r.as_ref(), *offset));
            page_links(page, None, refs, &self.site, |path, anchor| {
                lookup(
                    path,
                    anchor,
                    |p| self.paths.contains(p),
                    |p| is_page(p).then(|| own(p)),
                    |own, a| own && has_id(a),
                )
            })
        };
        if refs.len() <= CHUNK {
            return settle(refs);
        }
        refs.par_chunks(CHUNK).flat_map_iter(settle).collect()
    }
}

impl PageScan {
    /// Scans the HTML page at output path `page`, whose sidebar is at
    /// `sidebar`. With `known`, links it settles are not kept.
    pub fn new(
        page: &str,
        html: &str,
        known: Option<&Known<'_>>,
        sidebar: Option<&Shared>,
    ) -> PageScan {
        let around = known.zip(sidebar);
        let sc = (around.and_then(|(k, at)| k.scan_around(page, html, at)))
            .unwrap_or_else(|| scan(html).0);
        // A page with <base href> resolves its links from elsewhere: all
        // of them go to the whole-site check.
        let kept: Vec<(Cow<'_, str>, usize)> = match known.filter(|_| sc.base.is_none()) {
            Some(k) => k
                .unsettled(page, &sc.refs, Some(&sc.ids))
                .into_iter()
                .map(|b| (Cow::Owned(b.href), b.offset))
                .collect(),
            None => sc
                .refs
                .iter()
                .map(|(r, o)| (Cow::Borrowed(r.as_ref()), *o))
                .collect(),
        };
        let mut text = String::with_capacity(
            kept.iter().map(|(r, _)| r.len()).sum::<usize>()
                + sc.ids.iter().map(|i| i.len()).sum::<usize>(),
        );
        let mut push = |v: &str| {
            let start = text.len() as u32;
            text.push_str(v);
            (start, text.len() as u32)
        };
        let refs = kept
            .iter()
            .map(|(r, offset)| {
                let (a, b) = push(r);
                (a, b, *offset as u32)
            })
            .collect();
        // `scan` sorts the ids, so these ranges are in the ids' order.
        let ids = sc.ids.iter().map(|id| push(id)).collect();
        PageScan {
            page: page.to_owned(),
            text,
            refs,
            ids,
            base: sc.base.map(Cow::into_owned),
        }
    }

    /// The output path this scan is of.
    pub fn page(&self) -> &str {
        &self.page
    }

    fn refs(&self) -> impl Iterator<Item = (&str, usize)> {
        self.refs
            .iter()
            .map(|&(a, b, o)| (&self.text[a as usize..b as usize], o as usize))
    }

    fn has_id(&self, id: &str) -> bool {
        self.ids
            .binary_search_by(|&(a, b)| self.text[a as usize..b as usize].cmp(id))
            .is_ok()
    }
}

/// Checks every HTML page of `files`. `assets` are the files copied as
/// they are (their output paths count as files of the site).
pub fn check(files: &[OutFile], assets: &[String], site_url: &str) -> Vec<Broken> {
    let scans: Vec<PageScan> = files
        .par_iter()
        .filter(|f| f.path.ends_with(".html"))
        .filter_map(|f| {
            std::str::from_utf8(&f.bytes)
                .ok()
                .map(|html| PageScan::new(&f.path, html, None, None))
        })
        .collect();
    let paths = files
        .iter()
        .map(|f| f.path.as_str())
        .chain(assets.iter().map(String::as_str));
    check_scans(&scans, paths, site_url)
}

/// Checks the links of `scans` against the site's files (`paths`: every
/// output path, pages included).
pub fn check_scans<'a>(
    scans: &[PageScan],
    paths: impl Iterator<Item = &'a str>,
    site_url: &str,
) -> Vec<Broken> {
    let site = SiteUrl::new(site_url);
    let paths: FastSet<&str> = paths.collect();
    // Each page by its path, and each `x/index.html` also by its folder `x/`.
    let mut by_path: FastMap<&str, usize> = FastMap::default();
    for (n, sc) in scans.iter().enumerate() {
        let path = sc.page.as_str();
        by_path.insert(path, n);
        if let Some(dir) = path.strip_suffix("index.html") {
            if dir.is_empty() || dir.ends_with('/') {
                by_path.insert(dir, n);
            }
        }
    }
    let mut broken: Vec<Broken> = scans
        .par_iter()
        .flat_map_iter(|sc| {
            page_links(
                &sc.page,
                sc.base.as_deref(),
                sc.refs(),
                &site,
                |path, anchor| {
                    lookup(
                        path,
                        anchor,
                        |p| paths.contains(p),
                        |p| by_path.get(p).copied(),
                        |n, id| scans[n].has_id(id),
                    )
                },
            )
        })
        .collect();
    broken.sort_by(|a, b| (&a.page, a.offset).cmp(&(&b.page, b.offset)));
    broken
}

/// The broken links of one page: each internal link of `refs` (values and
/// their offsets on `page`, whose `<base href>` is `base`) looked up with
/// `lookup(path, anchor)`.
fn page_links<'h>(
    page: &str,
    base: Option<&str>,
    refs: impl Iterator<Item = (&'h str, usize)>,
    site: &SiteUrl<'_>,
    mut lookup: impl FnMut(&str, Option<&str>) -> Option<Problem>,
) -> Vec<Broken> {
    let dir = page.rsplit_once('/').map_or("", |(d, _)| d);
    let base_dir: Cow<'_, str> = match base.map(|b| target(Dir::new(dir), b, site)) {
        Some(Link::Internal { path, .. }) => {
            let p = path.into_owned();
            if p.is_empty() || p.ends_with('/') {
                Cow::Owned(p.trim_end_matches('/').to_owned())
            } else {
                Cow::Owned(p.rsplit_once('/').map_or("", |(d, _)| d).to_owned())
            }
        }
        _ => Cow::Borrowed(dir),
    };
    let base_dir = Dir::new(&base_dir);
    let mut out = Vec::new();
    for (href, offset) in refs {
        let link = if href.is_empty() || href.starts_with(['#', '?']) {
            // This very page.
            Link::Internal {
                path: Cow::Borrowed(page),
                anchor: href.split_once('#').map(|(_, a)| percent_decode(a)),
            }
        } else {
            target(base_dir, href, site)
        };
        let problem = match link {
            Link::Elsewhere => continue,
            Link::LeavesSite => Some(Problem::LeavesSite),
            Link::Internal { path, anchor } => lookup(&path, anchor.as_deref()),
        };
        if let Some(problem) = problem {
            out.push(Broken {
                page: page.to_owned(),
                href: href.to_string(),
                offset,
                problem,
            });
        }
    }
    out
}

/// The link check of a site that changes a few files at a time, as under
/// `serve`. It keeps each page's ids and broken links, and which files its
/// links looked up; an update checks again only the pages that changed and
/// the pages whose links look up a file that appeared, went away or
/// changed its ids; a changed page whose links are the ones it had, none
/// broken, keeps its entry without a lookup. The result is what [`check`]
/// gives for the same site.
#[derive(Default)]
pub struct LinkIndex {
    site_url: String,
    /// Every file of the site (with the build's hasher for paths, as are
    /// the next two: an edit's check looks each link up in them).
    files: FastSet<String>,
    /// Every HTML page of the site.
    pages: FastMap<String, PageEntry>,
    /// The paths links looked up, numbered, so that a page's entry holds
    /// numbers rather than a string per link.
    numbers: FastMap<String, u32>,
    /// Pages whose own links are not checked (see [`LinkIndex::update`]).
    unchecked: HashSet<String>,
}

#[derive(Default)]
struct PageEntry {
    /// Sorted, for binary search.
    ids: Vec<String>,
    broken: Vec<Broken>,
    /// The numbers of the files its links look up (present or not),
    /// sorted.
    looks_up: Vec<u32>,
    /// A hash of its links as last checked (see [`links_hash`]); `None`
    /// when they were not checked.
    links: Option<u64>,
}

/// A hash of a page's links, in order, and its `<base>`: the same hash
/// and the same files and ids to look them up in give the same answers.
/// SipHash, so that two pages' links agree by accident only once in 2^64.
fn links_hash(sc: &Scan<'_>) -> u64 {
    use std::hash::Hash;
    let mut h = std::hash::DefaultHasher::new();
    sc.base.as_deref().hash(&mut h);
    for (href, _) in &sc.refs {
        href.as_ref().hash(&mut h);
    }
    h.finish()
}

/// What [`LinkIndex::update`] made of one page's links.
enum Checked {
    /// The same links as when last checked, none of them broken, and
    /// nothing they look up moved: the entry stands.
    Same,
    Done {
        broken: Vec<Broken>,
        looked: Vec<Looked>,
        links: Option<u64>,
    },
}

/// A path a link looked up: its number, or the path when it had none yet.
enum Looked {
    Known(u32),
    New(String),
}

/// How many of one page's links [`LinkIndex::update`] checks as one part.
const LINKS_PER_PART: usize = 4096;

impl LinkIndex {
    /// Checks links `refs` of `page` against the index: the broken ones,
    /// and the files they looked up (by number when the index has one).
    fn check_refs(
        &self,
        page: &str,
        base: Option<&str>,
        refs: &[(Cow<'_, str>, usize)],
        site_url: &SiteUrl<'_>,
    ) -> (Vec<Broken>, Vec<Looked>) {
        let looked = std::cell::RefCell::new(Vec::new());
        let folder_file = std::cell::RefCell::new(String::new());
        let note = |file: &str| {
            looked.borrow_mut().push(match self.numbers.get(file) {
                Some(&n) => Looked::Known(n),
                None => Looked::New(file.to_owned()),
            });
        };
        let refs = refs.iter().map(|(r, o)| (r.as_ref(), *o));
        let broken = page_links(page, base, refs, site_url, |path, anchor| {
            lookup(
                path,
                anchor,
                |p| {
                    note(p);
                    self.files.contains(p)
                },
                |p| {
                    if p.is_empty() || p.ends_with('/') {
                        // One buffer for the page's folder links.
                        let mut file = folder_file.borrow_mut();
                        file.clear();
                        file.push_str(p);
                        file.push_str("index.html");
                        note(&file);
                        self.pages.get(file.as_str())
                    } else {
                        note(p);
                        self.pages.get(p)
                    }
                },
                |e: &PageEntry, id| e.ids.binary_search_by(|x| x.as_str().cmp(id)).is_ok(),
            )
        });
        (broken, looked.into_inner())
    }

    /// The pages whose links look up `file` (an output path such as
    /// `members/amara/index.html`), as last checked: the pages that show
    /// that document. Pages left unchecked are not known.
    pub fn pages_looking_up(&self, file: &str) -> Vec<&str> {
        let Some(&n) = self.numbers.get(file) else {
            return Vec::new();
        };
        (self.pages.iter())
            .filter(|(_, e)| e.looks_up.binary_search(&n).is_ok())
            .map(|(p, _)| p.as_str())
            .collect()
    }

    /// Brings the index up to date with `site` (every file of the site by
    /// output path) after the files named in `changed` were added, changed
    /// or removed, and returns every broken link of the site, sorted as
    /// [`check`] sorts them. A new `site_url` checks everything again.
    /// The links on the pages named in `unchecked` are not checked (their
    /// files and ids still count): `serve` names a page it has not made
    /// again yet, whose links were right for an earlier site.
    pub fn update<
        K: std::borrow::Borrow<str> + Eq + std::hash::Hash + Sync,
        B: AsRef<[u8]> + Sync,
    >(
        &mut self,
        site: &HashMap<K, B>,
        changed: &HashSet<String>,
        site_url: &str,
        unchecked: &HashSet<String>,
    ) -> Vec<Broken> {
        let everything: HashSet<String>;
        let changed = if site_url != self.site_url {
            *self = LinkIndex {
                site_url: site_url.to_owned(),
                ..LinkIndex::default()
            };
            everything = site.keys().map(|k| k.borrow().to_owned()).collect();
            &everything
        } else {
            changed
        };
        let as_page = |path: &String| -> Option<&str> {
            let bytes = site.get(path.as_str())?.as_ref();
            path.ends_with(".html")
                .then(|| std::str::from_utf8(bytes).ok())
                .flatten()
        };
        // The changed pages, scanned once for their ids and their links.
        let scanned: Vec<(&String, Scan<'_>)> = changed
            .par_iter()
            .filter_map(|p| as_page(p).map(|html| (p, scan(html).0)))
            .collect();
        // Files whose lookups may now give another answer.
        let mut moved: Vec<&String> = Vec::new();
        for p in changed {
            let present = site.contains_key(p.as_str());
            if present != self.files.contains(p) {
                moved.push(p);
                if present {
                    self.files.insert(p.clone());
                    let n = self.numbers.len() as u32;
                    self.numbers.entry(p.clone()).or_insert(n);
                } else {
                    self.files.remove(p);
                }
            }
            if self.pages.contains_key(p) && as_page(p).is_none() {
                self.pages.remove(p);
                moved.push(p);
            }
        }
        for (p, sc) in &scanned {
            let ids: Vec<String> = sc.ids.iter().map(|id| id.to_string()).collect();
            match self.pages.get_mut(*p) {
                Some(entry) if entry.ids == ids => {}
                Some(entry) => {
                    entry.ids = ids;
                    moved.push(p);
                }
                None => {
                    self.pages.insert(
                        (*p).clone(),
                        PageEntry {
                            ids,
                            ..PageEntry::default()
                        },
                    );
                    moved.push(p);
                }
            }
        }
        // Unchanged pages whose links look up a moved file, and pages that
        // are left unchecked or no longer are: checked again.
        let mut moved: Vec<u32> = moved
            .into_iter()
            .filter_map(|p| self.numbers.get(p).copied())
            .collect();
        moved.sort_unstable();
        let mut again: HashSet<&String> = self
            .unchecked
            .symmetric_difference(unchecked)
            .filter(|p| !changed.contains(*p))
            .collect();
        if !moved.is_empty() {
            again.extend(self.pages.iter().filter_map(|(p, e)| {
                let hit = e.looks_up.iter().any(|n| moved.binary_search(n).is_ok());
                (hit && !changed.contains(p)).then_some(p)
            }));
        }
        // Owned: the index's own tables are updated below.
        let again: Vec<String> = again.into_iter().cloned().collect();
        let rescanned: Vec<(&String, Scan<'_>)> = again
            .iter()
            .filter(|p| site.contains_key(p.as_str()) && !unchecked.contains(*p))
            .filter_map(|p| as_page(p).map(|html| (p, scan(html).0)))
            .collect();
        let cleared: Vec<&String> = unchecked
            .iter()
            .filter(|p| !self.unchecked.contains(*p) && !changed.contains(*p))
            .collect();
        let site_url = SiteUrl::new(&self.site_url);
        // A changed page whose links are those last checked needs no
        // lookup when none was broken and nothing it looked up moved: a
        // member's new name changes the bytes of the progress and roles
        // pages at 10,000 pages (50,000 links) and not one of their links.
        let stands = |page: &str, links: u64| {
            self.pages.get(page).is_some_and(|e| {
                e.links == Some(links)
                    && e.broken.is_empty()
                    && !self.unchecked.contains(page)
                    && !e.looks_up.iter().any(|n| moved.binary_search(n).is_ok())
            })
        };
        let results: Vec<(&String, Checked)> = scanned
            .par_iter()
            .chain(rescanned.par_iter())
            .map(|(page, sc)| {
                if unchecked.contains(*page) {
                    let (broken, looked, links) = (Vec::new(), Vec::new(), None);
                    return (
                        *page,
                        Checked::Done {
                            broken,
                            looked,
                            links,
                        },
                    );
                }
                let links = links_hash(sc);
                if stands(page, links) {
                    return (*page, Checked::Same);
                }
                // A long page's links (the progress page has 25,000 at
                // 10,000 pages) are checked in parts, side by side.
                let parts: Vec<(Vec<Broken>, Vec<Looked>)> = sc
                    .refs
                    .par_chunks(LINKS_PER_PART)
                    .map(|refs| self.check_refs(page, sc.base.as_deref(), refs, &site_url))
                    .collect();
                let (mut broken, mut looked) = (Vec::new(), Vec::new());
                for (b, l) in parts {
                    broken.extend(b);
                    looked.extend(l);
                }
                let links = Some(links);
                (
                    *page,
                    Checked::Done {
                        broken,
                        looked,
                        links,
                    },
                )
            })
            .collect();
        for (page, checked) in results {
            let Checked::Done {
                broken,
                looked,
                links,
            } = checked
            else {
                continue;
            };
            let mut looks_up: Vec<u32> = looked
                .into_iter()
                .map(|l| match l {
                    Looked::Known(n) => n,
                    Looked::New(path) => {
                        let n = self.numbers.len() as u32;
                        *self.numbers.entry(path).or_insert(n)
                    }
                })
                .collect();
            looks_up.sort_unstable();
            looks_up.dedup();
            let entry = self.pages.entry(page.clone()).or_default();
            entry.broken = broken;
            entry.looks_up = looks_up;
            entry.links = links;
        }
        for page in cleared {
            if let Some(e) = self.pages.get_mut(page) {
                e.broken.clear();
                e.looks_up.clear();
                e.links = None;
            }
        }
        self.unchecked.clone_from(unchecked);
        let mut all: Vec<Broken> = self
            .pages
            .values()
            .flat_map(|e| e.broken.iter().cloned())
            .collect();
        all.sort_by(|a, b| (&a.page, a.offset).cmp(&(&b.page, b.offset)));
        all
    }
}

/// Whether the site has what `path#anchor` asks for: `has_file(p)` says
/// whether the site has the file `p`, `page(p)` finds the HTML page at
/// `p` (also by its folder `x/` for `x/index.html`), and `has_id` whether
/// that page has an element with an id.
fn lookup<P: Copy>(
    path: &str,
    anchor: Option<&str>,
    has_file: impl Fn(&str) -> bool,
    page: impl Fn(&str) -> Option<P>,
    has_id: impl Fn(P, &str) -> bool,
) -> Option<Problem> {
    let folder = path.is_empty() || path.ends_with('/');
    let found_page = if folder {
        // `x/`: the page `x/index.html`.
        match page(path) {
            Some(n) => Some(n),
            None if has_file(&format!("{path}index.html")) => None,
            None => return Some(Problem::NoFile(format!("{path}index.html"))),
        }
    } else if has_file(path) {
        page(path)
    } else {
        // `x` where `x/index.html` exists: servers redirect to `x/`.
        match page(&format!("{path}/")) {
            Some(n) => Some(n),
            None => return Some(Problem::NoFile(path.to_owned())),
        }
    };
    let anchor = anchor.filter(|a| !a.is_empty() && !a.starts_with(":~:"))?;
    let found = has_id(found_page?, anchor);
    // `#top` scrolls to the top of any page (HTML's rule).
    if found || anchor.eq_ignore_ascii_case("top") {
        None
    } else {
        let file = if folder {
            format!("{path}index.html")
        } else {
            path.to_owned()
        };
        Some(Problem::NoAnchor {
            file,
            anchor: anchor.to_owned(),
        })
    }
}

enum Link<'a> {
    /// Another site, or a path of this host outside the site: not checked.
    Elsewhere,
    LeavesSite,
    /// A path from the site's root, percent-decoded, and the anchor.
    Internal {
        path: Cow<'a, str>,
        anchor: Option<Cow<'a, str>>,
    },
}

/// What a byte of a link means to [`target`]'s one pass over it.
const URL_HASH: u8 = 1;
const URL_QUERY: u8 = 2;
const URL_PCT: u8 = 3;
const URL_SLASH: u8 = 4;

/// Each byte's `URL_*` value (0 for the bytes [`target`] passes over).
const URL_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'#' as usize] = URL_HASH;
    t[b'?' as usize] = URL_QUERY;
    t[b'%' as usize] = URL_PCT;
    t[b'/' as usize] = URL_SLASH;
    t
};

/// Where `href`, written on a page in folder `dir`, leads.
///
/// It is called for every link of every page (110,000 at 1,000 pages), so
/// it reads `href` once, for what three memchr calls and a second pass in
/// [`join_known`] used to find: the end of the path (`?` or `#`), the anchor,
/// whether the path has a `%` to decode at all, and where its last `/.`
/// or `//` is (a `.`, `..` or empty segment that a join must resolve).
fn target<'a>(dir: Dir<'_>, href: &'a str, site: &SiteUrl<'_>) -> Link<'a> {
    let b = href.as_bytes();
    let mut path_end = b.len();
    let mut hash = None;
    let mut pct = false;
    let mut last_pair = None;
    for (k, &c) in b.iter().enumerate() {
        match URL_CLASS[c as usize] {
            0 => {}
            URL_HASH => {
                path_end = path_end.min(k);
                hash = Some(k);
                break;
            }
            // Past a `?`, only a `#` matters.
            _ if path_end < b.len() => {}
            URL_QUERY => path_end = k,
            URL_PCT => pct = true,
            _ => {
                if matches!(b.get(k + 1), Some(b'.' | b'/')) {
                    last_pair = Some(k);
                }
            }
        }
    }
    let rest = &href[..path_end];
    let anchor = hash.map(|h| percent_decode(&href[h + 1..]));
    let from_root = if let Some(full) = site.full.filter(|f| rest.starts_with(f)) {
        Some(&rest[full.len()..])
    } else if has_scheme(rest) || rest.starts_with("//") {
        return Link::Elsewhere;
    } else if let Some(abs) = rest.strip_prefix('/') {
        let base = site.path.trim_start_matches('/');
        match abs.strip_prefix(base) {
            Some(under) => Some(under),
            // `/repo` for a site at `/repo/`.
            None if format!("{abs}/") == base => Some(""),
            None => return Link::Elsewhere,
        }
    } else {
        None
    };
    let path = match from_root {
        Some(p) => {
            // `p` is the end of `rest`.
            let off = rest.len() - p.len();
            join_known(Dir::ROOT, p, last_pair.and_then(|k| k.checked_sub(off)))
        }
        None => join_known(dir, rest, last_pair),
    };
    match path {
        // No `%` in `rest`: nothing to decode in the path made of it.
        Some(path) if !pct => Link::Internal { path, anchor },
        Some(Cow::Borrowed(p)) => Link::Internal {
            path: percent_decode(p),
            anchor,
        },
        Some(Cow::Owned(p)) => Link::Internal {
            path: Cow::Owned(percent_decode(&p).into_owned()),
            anchor,
        },
        None => Link::LeavesSite,
    }
}

/// `scheme:` at the start (`https:`, `mailto:`, `data:`…).
fn has_scheme(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_alphabetic) {
        return false;
    }
    for &c in &b[1..] {
        match c {
            b':' => return true,
            c if c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.') => {}
            _ => return false,
        }
    }
    false
}

/// A page's folder (`define/purpose`, or empty at the root) and how many
/// folders deep it is.
#[derive(Clone, Copy)]
struct Dir<'a> {
    path: &'a str,
    depth: usize,
}

impl<'a> Dir<'a> {
    const ROOT: Dir<'static> = Dir { path: "", depth: 0 };

    fn new(path: &'a str) -> Self {
        let depth = path.split('/').filter(|s| !s.is_empty()).count();
        Dir { path, depth }
    }
}

/// [`join_known`], finding the last `/.` or `//` of `rel` itself (the
/// tests' way in).
#[cfg(test)]
fn join<'a>(dir: Dir<'_>, rel: &'a str) -> Option<Cow<'a, str>> {
    let last_pair = rel
        .as_bytes()
        .windows(2)
        .rposition(|w| w[0] == b'/' && (w[1] == b'.' || w[1] == b'/'));
    join_known(dir, rel, last_pair)
}

/// Resolves `rel` against folder `dir`; `None` when it climbs above the
/// root. A trailing `/` is kept (`a/` stays a folder). Borrows in the
/// common case, a link that climbs to the root and goes down from there.
/// `last_pair` is where the last `/.` or `//` of `rel` is (the index of
/// its `/`), which [`target`] finds on its one pass over the link.
fn join_known<'a>(dir: Dir<'_>, rel: &'a str, last_pair: Option<usize>) -> Option<Cow<'a, str>> {
    let b = rel.as_bytes();
    let mut at = 0;
    let mut up = 0;
    while b.len() >= at + 3 && &b[at..at + 3] == b"../" {
        at += 3;
        up += 1;
    }
    let rest = &b[at..];
    // No `.` or `..` segment and no empty one left below: no pair starts
    // in `rest` (the `/` of the last `../` is checked with `rest[0]`).
    let clean =
        rest.first().is_none_or(|&c| c != b'/' && c != b'.') && last_pair.is_none_or(|k| k < at);
    if up == dir.depth && clean {
        return Some(Cow::Borrowed(&rel[at..]));
    }
    join_slow(dir.path, rel).map(Cow::Owned)
}

fn join_slow(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    let folder = rel.is_empty()
        || rel.ends_with('/')
        || rel.ends_with("/.")
        || rel.ends_with("/..")
        || rel == "."
        || rel == "..";
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if folder && !out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// Decodes the character references of an attribute value.
fn decode_entities(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'&', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map_or(rest.len(), |e| e + 1);
        let name = &rest[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end..];
                if rest.starts_with(';') {
                    rest = &rest[1..];
                }
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// How large a page must be before it is scanned in parts, in parallel:
/// the print page of a 10,000-page handbook is 42 MB, and scanning it
/// alone took a tenth of the build.
const PART_BYTES: usize = 1 << 20;

/// Scans `html`; a large page in parts of about [`PART_BYTES`], in
/// parallel. A part starts at a tag that begins a line. When a part ends
/// inside a comment, a tag or a script, the cut was not between two tags
/// and the page is scanned again in one go, so the result is always the
/// same as [`scan_part`]'s of the whole page (its `clean` flag included).
fn scan(html: &str) -> (Scan<'_>, bool) {
    if html.len() < 2 * PART_BYTES {
        return scan_part(html);
    }
    let mut cuts = vec![0];
    while let Some(&last) = cuts.last() {
        let from = last + PART_BYTES;
        match html
            .get(from..)
            .and_then(|rest| memchr::memmem::find(rest.as_bytes(), b"\n<"))
        {
            Some(p) => cuts.push(from + p + 1),
            None => break,
        }
    }
    cuts.push(html.len());
    let parts: Vec<(Scan<'_>, bool)> = cuts
        .par_windows(2)
        .map(|w| {
            let (mut sc, clean) = scan_part(&html[w[0]..w[1]]);
            for r in &mut sc.refs {
                r.1 += w[0];
            }
            (sc, clean)
        })
        .collect();
    if parts[..parts.len() - 1].iter().any(|(_, clean)| !clean) {
        return scan_part(html);
    }
    let clean = parts.last().is_some_and(|(_, clean)| *clean);
    let mut whole = Scan {
        refs: Vec::with_capacity(parts.iter().map(|(p, _)| p.refs.len()).sum()),
        ids: Vec::with_capacity(parts.iter().map(|(p, _)| p.ids.len()).sum()),
        base: None,
    };
    for (part, _) in parts {
        whole.refs.extend(part.refs);
        whole.ids.extend(part.ids);
        // As in one pass, the last `<base>` counts.
        whole.base = part.base.or(whole.base);
    }
    whole.ids.par_sort_unstable();
    (whole, clean)
}

/// Bits of [`CLASS`]: what a byte means to the scanner.
const WS: u8 = 1;
const SLASH: u8 = 2;
const GT: u8 = 4;
const EQ: u8 = 8;
const LT: u8 = 16;

/// Each byte's [`WS`], [`SLASH`], [`GT`], [`EQ`] and [`LT`] bits, so that
/// the loops over a tag's names test one table entry a byte. `WS` is
/// exactly `u8::is_ascii_whitespace` (space, tab, LF, FF, CR).
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = WS;
    t[b'\t' as usize] = WS;
    t[b'\n' as usize] = WS;
    t[0x0C] = WS;
    t[b'\r' as usize] = WS;
    t[b'/' as usize] = SLASH;
    t[b'>' as usize] = GT;
    t[b'=' as usize] = EQ;
    t[b'<' as usize] = LT;
    t
};

/// Whether byte `c` has one of the bits of `mask`.
fn is(c: u8, mask: u8) -> bool {
    CLASS[c as usize] & mask != 0
}

/// The attributes the link check reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Attr {
    Href,
    Src,
    Id,
    Name,
    Other,
}

impl Attr {
    fn of(name: &[u8]) -> Attr {
        match name.len() {
            2 if name.eq_ignore_ascii_case(b"id") => Attr::Id,
            3 if name.eq_ignore_ascii_case(b"src") => Attr::Src,
            4 if name.eq_ignore_ascii_case(b"href") => Attr::Href,
            4 if name.eq_ignore_ascii_case(b"name") => Attr::Name,
            _ => Attr::Other,
        }
    }
}

/// Scans `html` in one pass: the values of `href` and `src`, the `id`s
/// (and `<a name>`), skipping comments, scripts and styles; also says
/// whether it ended between tags (not inside a comment, a tag or a script
/// or style element), which [`scan`] needs to join parts.
///
/// A tag is read as before (a name ends at whitespace, `/`, `=` or `>`; a
/// value is quoted or runs to whitespace or `>`). What makes it cheap is where it does not look:
/// most of a page is tags with few attributes, and the text between two
/// tags is mostly empty or a newline (at 1,000 pages, 424,000 of 600,000
/// gaps), so the next `<` is looked for at the next two bytes before a
/// memchr call; an end tag is stepped over to its `>`; a quoted value is
/// jumped over with one memchr call that also says whether it has a `&`
/// to decode. `reference_scan` in the tests reads byte by byte and must
/// agree.
fn scan_part(html: &str) -> (Scan<'_>, bool) {
    let b = html.as_bytes();
    let n = b.len();
    let mut refs = Vec::with_capacity(n / 128);
    let mut ids = Vec::with_capacity(64);
    let mut base = None;
    let mut clean = true;
    // Always at most `n`.
    let mut i = 0;
    loop {
        let start = if b.get(i) == Some(&b'<') {
            i
        } else if b.get(i + 1) == Some(&b'<') {
            i + 1
        } else {
            match memchr::memchr(b'<', &b[i..]) {
                Some(p) => i + p,
                None => break,
            }
        };
        let name_start = start + 1;
        match b.get(name_start) {
            Some(c) if c.is_ascii_alphabetic() => {}
            Some(b'!') if b[name_start..].starts_with(b"!--") => {
                let end = memchr::memmem::find(&b[start + 4..], b"-->");
                clean &= end.is_some();
                i = end.map_or(n, |e| start + 4 + e + 3);
                continue;
            }
            Some(b'/') => {
                // `</x>`: not read, but stepped over when no `<` is in it.
                let mut k = name_start + 1;
                while k < n && !is(b[k], WS | GT | SLASH | LT) {
                    k += 1;
                }
                i = if b.get(k) == Some(&b'>') {
                    k + 1
                } else {
                    name_start
                };
                continue;
            }
            // `<!DOCTYPE>`, or a stray `<` in text.
            _ => {
                i = name_start;
                continue;
            }
        }
        let mut j = name_start + 1;
        while j < n && !is(b[j], WS | GT | SLASH) {
            j += 1;
        }
        let name = &b[name_start..j];
        // Attributes, up to the end of the tag.
        loop {
            while j < n && is(b[j], WS | SLASH) {
                j += 1;
            }
            if j >= n {
                clean = false;
                break;
            }
            if b[j] == b'>' {
                j += 1;
                break;
            }
            let an_start = j;
            while j < n && !is(b[j], WS | EQ | GT | SLASH) {
                j += 1;
            }
            let an_end = j;
            while j < n && is(b[j], WS) {
                j += 1;
            }
            if j >= n || b[j] != b'=' {
                continue;
            }
            let attr = Attr::of(&b[an_start..an_end]);
            j += 1;
            while j < n && is(b[j], WS) {
                j += 1;
            }
            let (v_start, v_end, amp) = match b.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    let from = j + 1;
                    let (e, amp) = if attr == Attr::Other {
                        (memchr::memchr(q, &b[from..]), false)
                    } else {
                        match memchr::memchr2(q, b'&', &b[from..]) {
                            Some(p) if b[from + p] == b'&' => {
                                let at = from + p + 1;
                                (memchr::memchr(q, &b[at..]).map(|e| at - from + e), true)
                            }
                            e => (e, false),
                        }
                    };
                    clean &= e.is_some();
                    let e = e.map_or(n, |e| from + e);
                    j = (e + 1).min(n);
                    (from, e, amp)
                }
                _ => {
                    let s = j;
                    while j < n && !is(b[j], WS | GT) {
                        j += 1;
                    }
                    (s, j, true)
                }
            };
            match attr {
                Attr::Other => {}
                Attr::Href | Attr::Src => {
                    let v = decode_if(html[v_start..v_end].trim(), amp);
                    if attr == Attr::Href && name.eq_ignore_ascii_case(b"base") {
                        base = Some(v);
                    } else {
                        refs.push((v, v_start));
                    }
                }
                Attr::Id => ids.push(decode_if(&html[v_start..v_end], amp)),
                Attr::Name => {
                    if name.eq_ignore_ascii_case(b"a") {
                        ids.push(decode_if(&html[v_start..v_end], amp));
                    }
                }
            }
        }
        i = j;
        // Raw text elements: their content is not markup.
        let raw_end: &[u8] = match name.len() {
            6 if name.eq_ignore_ascii_case(b"script") => b"</script",
            5 if name.eq_ignore_ascii_case(b"style") => b"</style",
            _ => continue,
        };
        let found = find_ignore_case(b, i, raw_end);
        clean &= found.is_some();
        i = found.unwrap_or(n);
    }
    ids.sort_unstable();
    (Scan { refs, ids, base }, clean)
}

/// `v` with its character references decoded; `amp` is false only when
/// the scanner saw that `v` has no `&`, and then there is nothing to do.
fn decode_if(v: &str, amp: bool) -> Cow<'_, str> {
    if amp {
        decode_entities(v)
    } else {
        Cow::Borrowed(v)
    }
}

/// The first `needle` (which starts with `<`) in `hay` from `from` on,
/// ASCII case ignored.
fn find_ignore_case(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let mut at = from;
    while let Some(p) = memchr::memchr(b'<', hay.get(at..)?) {
        let s = at + p;
        if hay
            .get(s..s + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        {
            return Some(s);
        }
        at = s + 1;
    }
    None
}

/// Turns broken links into diagnostics. A link written in a page's
/// Markdown is reported at its `path:line:col` in that file; a link made
/// by a template is reported once, on the first page that has it, with
/// the number of other pages, at its line in the output file
/// (`<build-dir>/<page>`); `page_text` gives that page again (the build
/// does not keep its pages after writing them).
pub fn diagnostics(
    hb: &Handbook,
    page_text: &dyn Fn(&str) -> Option<Vec<u8>>,
    broken: &[Broken],
    mode: LinkCheck,
    build_dir: &str,
) -> Vec<Diagnostic> {
    let severity = match mode {
        LinkCheck::Error => Severity::Error,
        LinkCheck::Warn => Severity::Warning,
    };
    let mut docs: HashMap<String, (DocKey, String)> = HashMap::new();
    for key in hb.documents() {
        let url = hb.url(key).to_string();
        docs.insert(output_file(&url), (key, url));
    }
    let mut out = Vec::new();
    let mut push = |path: String, loc: Loc, message: String, hint: Option<String>| {
        let mut d = Diagnostic::error(path, loc, message).with_hint(hint);
        d.severity = severity;
        out.push(d);
    };
    // Links not in the page's own Markdown, grouped by what is missing:
    // (first, how many more).
    let mut grouped: BTreeMap<(&str, Option<&Problem>), (&Broken, usize)> = BTreeMap::new();
    for b in broken {
        let doc = docs.get(&b.page);
        if let Some((loc, path)) = doc.and_then(|(k, url)| markdown_source(hb, *k, url, &b.href)) {
            let message = format!(
                "broken link `{}` on page `{}`: {}",
                b.href,
                page_url(&b.page),
                b.problem.describe()
            );
            push(path, loc, message, None);
            continue;
        }
        // A link to an anchor of the page itself, or out of the site, is
        // the same link on every page; others, the same missing target.
        let key = match &b.problem {
            Problem::NoAnchor { .. } if b.href.starts_with('#') => (b.href.as_str(), None),
            Problem::LeavesSite => (b.href.as_str(), None),
            p => ("", Some(p)),
        };
        grouped
            .entry(key)
            .and_modify(|(_, n)| *n += 1)
            .or_insert((b, 0));
    }
    // Pages made of other pages' bodies (print, start) copy their links:
    // look for the link's text in every body, for the first few groups.
    let mut searches = 0;
    for (b, others) in grouped.into_values() {
        let also = match others {
            0 => String::new(),
            1 => " and on 1 other page".into(),
            n => format!(" and on {n} other pages"),
        };
        let message = format!(
            "broken link `{}` on page `{}`{also}: {}",
            b.href,
            page_url(&b.page),
            b.problem.describe()
        );
        let copied = if searches < 50 && !b.href.starts_with('#') {
            searches += 1;
            find_in_bodies(hb, &b.href)
        } else {
            None
        };
        if let Some((loc, path)) = copied {
            let hint = (!b.href.starts_with('/')).then(|| {
                "this page shows the body of another page, and a relative link written in raw HTML keeps the folder of its own page: write it as a Markdown link, which copbook rewrites for every page that shows it".to_owned()
            });
            push(path, loc, message, hint);
            continue;
        }
        let loc = page_text(&b.page).map_or(Loc::START, |bytes| loc_in(&bytes, b.offset));
        let source = docs
            .get(&b.page)
            .and_then(|(k, _)| hb.source_path(*k))
            .map(|s| format!(" (its Markdown, {s}, does not have it)"))
            .unwrap_or_default();
        let hint = format!(
            "the link comes from a template{source}: check the theme's templates (themes/{}/)",
            hb.config.theme
        );
        push(
            format!("{}/{}", build_dir.trim_end_matches('/'), b.page),
            loc,
            message,
            Some(hint),
        );
    }
    out
}

/// The first document whose Markdown has `href` written in it.
fn find_in_bodies(hb: &Handbook, href: &str) -> Option<(Loc, String)> {
    let escaped = crate::markdown::escape_attr(href);
    hb.documents().into_iter().find_map(|k| {
        let doc = hb.doc(k)?;
        let body = hb.body(doc);
        let at = body.find(href).or_else(|| body.find(&*escaped))?;
        let src = &hb.sources[doc.file];
        Some((src.loc(doc.body_start + at), src.path.clone()))
    })
}

/// A page as readers see its address: `define/purpose/index.html` ->
/// `/define/purpose/` (from the site's root).
fn page_url(page: &str) -> String {
    format!("/{}", page.strip_suffix("index.html").unwrap_or(page))
}

fn loc_in(bytes: &[u8], offset: usize) -> Loc {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Loc {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(col).unwrap_or(u32::MAX),
    }
}

/// Where in the Markdown of document `key` (at site URL `url`) the link
/// rendered as `href` is written: a link copbook rewrote (matched by what
/// it renders to), or the text of the link itself (raw HTML, a
/// root-relative link).
fn markdown_source(hb: &Handbook, key: DocKey, url: &str, href: &str) -> Option<(Loc, String)> {
    let doc = hb.doc(key)?;
    let src = &hb.sources[doc.file];
    let wanted = percent_decode(href);
    for link in &doc.analysis.links {
        let Ok(t) = hb.resolve_link(key, &link.target, link.wiki) else {
            continue;
        };
        let mut rendered = if t.dest == Dest::Doc(key) && t.anchor.is_some() {
            String::new()
        } else {
            relative(url, hb.dest_url(&t.dest))
        };
        if let Some(a) = &t.anchor {
            rendered.push('#');
            rendered.push_str(a);
        }
        if rendered == *wanted || link.target == href {
            return Some((src.loc(doc.body_start + link.offset), src.path.clone()));
        }
    }
    let body = hb.body(doc);
    let at = body
        .find(href)
        .or_else(|| body.find(&*crate::markdown::escape_attr(href)))?;
    Some((src.loc(doc.body_start + at), src.path.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, html: &str) -> OutFile {
        OutFile::new(path, html.as_bytes().to_vec())
    }

    /// The broken links of `files`; every test also holds the scans that
    /// settle links early (as the build does) to the same findings.
    fn problems(files: &[OutFile], site_url: &str) -> Vec<(String, String)> {
        let assets = ["img/a.png".to_owned()];
        let all = check(files, &assets, site_url);
        let paths = || {
            files
                .iter()
                .map(|f| f.path.as_str())
                .chain(assets.iter().map(String::as_str))
        };
        // Without sidebars, then with each page's first `<nav>…</nav>`
        // as its sidebar, scanned once per variant.
        for with_sidebars in [false, true] {
            let known = Known::new(paths(), site_url);
            let scans: Vec<PageScan> = files
                .iter()
                .filter(|f| f.path.ends_with(".html"))
                .map(|f| {
                    let html = std::str::from_utf8(&f.bytes).unwrap();
                    let sidebar = with_sidebars.then(|| sidebar_of(html)).flatten();
                    PageScan::new(&f.path, html, Some(&known), sidebar.as_ref())
                })
                .collect();
            let early = check_scans(&scans, paths(), site_url);
            assert_eq!(
                all, early,
                "settling links while scanning changes nothing (sidebars: {with_sidebars})"
            );
        }
        all.into_iter().map(|b| (b.page, b.href)).collect()
    }

    /// The first `<nav>…</nav>` of `html` as a [`Shared`] sidebar: its
    /// variant is its text without [`CURRENT_MARK`], which marks the page's
    /// own link.
    fn sidebar_of(html: &str) -> Option<Shared> {
        use std::hash::{Hash, Hasher};
        let start = html.find("<nav")?;
        let end = start + html[start..].find("</nav>")? + "</nav>".len();
        let text = &html[start..end];
        let mark = text.find(CURRENT_MARK);
        let mut h = std::hash::DefaultHasher::new();
        text.replacen(CURRENT_MARK, "", 1).hash(&mut h);
        Some(Shared {
            start,
            end,
            variant: h.finish(),
            mark,
        })
    }

    /// Pages that share a sidebar, each with its own link marked, as the
    /// renderer makes them: looked up once per variant, the sidebar's
    /// links give what scanning every page whole gives, offsets included,
    /// also for a broken link, an anchor of the page itself or of another
    /// page, and a sidebar that does not end between two tags.
    #[test]
    fn a_sidebar_shared_by_pages_is_checked_as_on_each_page() {
        let nav = |current: &str, extra: &str| {
            let links = [
                "../a/",
                "../b/",
                "../b/#part",
                "../gone/",
                "../a/#top",
                "../../up/",
            ]
            .iter()
            .map(|l| {
                let href = format!("href=\"{l}\"");
                let mark = if *l == current { CURRENT_MARK } else { "" };
                format!("<li><a {href}{mark}>{l}</a></li>\n")
            })
            .collect::<String>();
            format!("<nav aria-label=\"Handbook\"><ul>\n{links}</ul>{extra}</nav>")
        };
        let page = |current: &str, extra: &str, body: &str| {
            format!(
                "<!DOCTYPE html>\n<header><a href=\"../\">Home</a></header>\n{}\n<main>{body}</main>\n",
                nav(current, extra)
            )
        };
        let files = [
            file("index.html", "<a href=\"a/\">a</a>"),
            file(
                "a/index.html",
                &page("../a/", "", "<h2 id=\"x\">X</h2><a href=\"#y\">y</a>"),
            ),
            file(
                "b/index.html",
                &page(
                    "../b/",
                    "",
                    "<h2 id=\"part\">P</h2><a href=\"../a/#x\">x</a>",
                ),
            ),
            file("c/index.html", &page("", "<a href=\"../nope/\">n</a>", "")),
            // A sidebar that ends inside a comment: scanned in place.
            file(
                "d/index.html",
                &page("../a/", "<!-- open", "--> <a href=\"../gone/\">g</a>"),
            ),
        ];
        let found = problems(&files, "/");
        let broken = |page: &str, href: &str| found.contains(&(page.to_owned(), href.to_owned()));
        for p in ["a/index.html", "b/index.html", "c/index.html"] {
            assert!(
                broken(p, "../gone/"),
                "{p}: the sidebar's broken link, in {found:?}"
            );
            assert!(broken(p, "../../up/"), "{p}: climbs above the root");
        }
        assert!(broken("a/index.html", "#y"));
        assert!(broken("c/index.html", "../nope/"));
        for p in ["a/index.html", "b/index.html", "c/index.html"] {
            assert!(!broken(p, "../b/#part"), "{p}: b has #part");
        }
        assert!(
            broken("d/index.html", "../gone/"),
            "after the comment: {found:?}"
        );
        assert_eq!(found.iter().filter(|(p, _)| p == "d/index.html").count(), 3);
        // a and b share one variant, scanned apart once; d's is scanned
        // in place.
        let known = Known::new(files.iter().map(|f| f.path.as_str()), "/");
        for f in &files[1..] {
            let html = std::str::from_utf8(&f.bytes).unwrap();
            PageScan::new(&f.path, html, Some(&known), sidebar_of(html).as_ref());
        }
        let sidebars = known.sidebars.lock().unwrap();
        let mut apart: Vec<bool> = sidebars.values().map(|s| s.apart).collect();
        apart.sort();
        assert_eq!(apart, [false, true, true]);
    }

    #[test]
    fn finds_missing_files_anchors_and_escapes() {
        let files = [
            file(
                "index.html",
                "<!DOCTYPE html><a href=\"a/\">a</a> <a href='a/#x'>x</a> <a href=a/#nope>n</a>\n\
                 <img src=\"img/a.png\" alt=\"\"> <img src=\"img/b.png\" alt=\"\">\n\
                 <a href=\"../up/\">up</a> <a href=\"https://e.org/\">e</a> <a href=\"mailto:x@e.org\">m</a>\n\
                 <!-- <a href=\"commented/\">c</a> --><script>var s = '<a href=\"in-script/\">';</script>\n\
                 <a href=\"#top\">top</a> <a href=\"#here\">here</a> <h2 id=\"here\">H</h2>\n\
                 <a href=\"a\">folder without slash</a> <a href=\"/cop/a/\">root-relative</a>\n\
                 <a href=\"/elsewhere/\">other path on the host</a> <a href=\"a/?q=1#x\">query</a>\n\
                 <a href=\"a/#caf%C3%A9\">pct</a> <a href=\"x&amp;y.html\">amp</a> <a href=\"/cop/missing/\">m</a>",
            ),
            file(
                "a/index.html",
                "<h2 id=\"x\">X</h2><a name=\"café\"></a><link rel=\"stylesheet\" href=\"../style.css\">",
            ),
            file("style.css", "body{}"),
        ];
        assert_eq!(
            problems(&files, "/cop/"),
            [
                ("index.html".into(), "a/#nope".into()),
                ("index.html".into(), "img/b.png".into()),
                ("index.html".into(), "../up/".into()),
                ("index.html".into(), "x&y.html".into()),
                ("index.html".into(), "/cop/missing/".into()),
            ]
        );
    }

    #[test]
    fn a_full_site_url_makes_absolute_links_internal() {
        let files = [
            file(
                "404.html",
                "<a href=\"https://o.github.io/r/members/\">m</a><a href=\"https://o.github.io/r/\">home</a>\
                 <a href=\"https://o.github.io/other/\">not ours</a><a href=\"/r/members/\">m</a>",
            ),
            file("index.html", ""),
        ];
        assert_eq!(
            problems(&files, "https://o.github.io/r/"),
            [
                ("404.html".into(), "https://o.github.io/r/members/".into()),
                ("404.html".into(), "/r/members/".into()),
            ]
        );
    }

    #[test]
    fn base_href_changes_where_links_lead() {
        let files = [
            file(
                "a/b/index.html",
                "<base href=\"../../\"><a href=\"c/\">c</a>",
            ),
            file("c/index.html", ""),
        ];
        assert!(problems(&files, "/").is_empty());
    }

    /// After each change of a small site, the index gives what a full
    /// check gives: links into a page that loses an id or goes away are
    /// checked again although their own page did not change.
    #[test]
    fn the_link_index_agrees_with_a_full_check_after_each_change() {
        let mut site: HashMap<String, Vec<u8>> = HashMap::new();
        let set = |site: &mut HashMap<String, Vec<u8>>, path: &str, html: Option<&str>| {
            match html {
                Some(h) => site.insert(path.to_owned(), h.as_bytes().to_vec()),
                None => site.remove(path),
            };
            HashSet::from([path.to_owned()])
        };
        let full = |site: &HashMap<String, Vec<u8>>| {
            let files: Vec<OutFile> = site
                .iter()
                .map(|(p, b)| OutFile::new(p.clone(), b.clone()))
                .collect();
            check(&files, &[], "/")
        };
        set(
            &mut site,
            "index.html",
            Some("<a href=\"a/#x\">a</a> <a href=\"b\">b</a> <a href=\"img.png\">i</a>"),
        );
        set(
            &mut site,
            "a/index.html",
            Some("<h2 id=\"x\">X</h2><a href=\"../#top\">up</a>"),
        );
        set(&mut site, "b/index.html", Some("<a href=\"../a/\">a</a>"));
        let mut index = LinkIndex::default();
        let none = HashSet::new();
        let all: HashSet<String> = site.keys().cloned().collect();
        assert_eq!(index.update(&site, &all, "/", &none), full(&site));
        let steps: [(&str, Option<&str>); 8] = [
            // The anchor goes: index.html's link breaks.
            ("a/index.html", Some("<h2 id=\"y\">Y</h2>")),
            ("img.png", Some("png")),
            // A page goes and comes back.
            ("b/index.html", None),
            ("b/index.html", Some("<a href=\"../c/\">c</a>")),
            ("a/index.html", Some("<h2 id=\"x\">X</h2>")),
            ("c/index.html", Some("")),
            ("img.png", None),
            (
                "index.html",
                Some("<a href=\"a/#x\">a</a> <a href=\"c/#z\">c</a>"),
            ),
        ];
        for (path, html) in steps {
            let changed = set(&mut site, path, html);
            assert_eq!(
                index.update(&site, &changed, "/", &none),
                full(&site),
                "after {path} = {html:?}"
            );
        }
        // A page whose text changes and whose links do not: its broken
        // link moves with the text; once none is broken, a file they look
        // up that goes in the same update breaks them again.
        let same_links = "<a href=\"a/#x\">a</a> <a href=\"c/#z\">c</a>";
        let steps: [&[(&str, Option<&str>)]; 4] = [
            &[("index.html", Some(&format!("<p>text</p>{same_links}")))],
            &[("c/index.html", Some("<h2 id=\"z\">Z</h2>"))],
            &[("index.html", Some(&format!("<p>more</p>{same_links}")))],
            &[
                ("index.html", Some(&format!("<p>again</p>{same_links}"))),
                ("c/index.html", None),
            ],
        ];
        for step in steps {
            let mut changed = HashSet::new();
            for (path, html) in step {
                changed.extend(set(&mut site, path, *html));
            }
            assert_eq!(
                index.update(&site, &changed, "/", &none),
                full(&site),
                "after {step:?}"
            );
        }
        assert_eq!(full(&site).len(), 2, "index.html's and b's links to c/");
        let changed = set(&mut site, "c/index.html", Some(""));
        assert_eq!(index.update(&site, &changed, "/", &none), full(&site));
        // A page left unchecked keeps its ids but not its broken links,
        // until it is checked again.
        let unchecked = HashSet::from(["index.html".to_owned()]);
        assert!(index.update(&site, &none, "/", &unchecked).is_empty());
        assert_eq!(index.update(&site, &none, "/", &none), full(&site));
        assert!(!full(&site).is_empty());
    }

    /// A page with more links than one part holds has them checked in
    /// parts, side by side: the broken ones, wherever they fall, come out
    /// as a full check gives them, and every part's lookups are kept, so a
    /// target losing an id has the page checked again.
    #[test]
    fn a_page_with_many_links_is_checked_in_parts_with_the_same_findings() {
        let mut html = String::new();
        let n = 3 * LINKS_PER_PART + 7;
        for i in 0..n {
            let href = match i {
                5 => "../nowhere/".to_owned(),
                i if i == LINKS_PER_PART + 3 => "../a/#missing".to_owned(),
                i if i == n - 2 => "../b/#x".to_owned(),
                i if i % 3 == 0 => "../a/#x".to_owned(),
                i => format!("../p{}/", i % 50),
            };
            html.push_str(&format!("<a href=\"{href}\">{i}</a>\n"));
        }
        let mut site: HashMap<String, Vec<u8>> = HashMap::new();
        site.insert("big/index.html".into(), html.into_bytes());
        site.insert("a/index.html".into(), b"<h2 id=\"x\">X</h2>".to_vec());
        site.insert("b/index.html".into(), b"<h2 id=\"x\">X</h2>".to_vec());
        for i in 0..50 {
            site.insert(format!("p{i}/index.html"), Vec::new());
        }
        let full = |site: &HashMap<String, Vec<u8>>| {
            let files: Vec<OutFile> = (site.iter())
                .map(|(p, b)| OutFile::new(p.clone(), b.clone()))
                .collect();
            check(&files, &[], "/")
        };
        let mut index = LinkIndex::default();
        let (none, all) = (HashSet::new(), site.keys().cloned().collect());
        let found = index.update(&site, &all, "/", &none);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found, full(&site));
        // `b/` loses the id only the last part links to.
        site.insert("b/index.html".into(), b"<h2 id=\"y\">Y</h2>".to_vec());
        let found = index.update(
            &site,
            &HashSet::from(["b/index.html".to_owned()]),
            "/",
            &none,
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found, full(&site));
    }

    /// A page over a few MB (the print page) is scanned in parts; the
    /// findings are those of one pass, also where a comment, a script or
    /// an attribute spans a cut, and the broken link past them is found at
    /// its offset.
    #[test]
    fn large_pages_are_scanned_in_parts_with_the_same_findings() {
        let filler = "<p>text <a href=\"../a/\">a</a> <span id=\"s\">s</span></p>\n".repeat(40_000);
        // Each opens before a cut and closes after it, with a link-like
        // text past the cut that is not a link.
        let spans = [
            ("<!-- a comment across the cut", "-->"),
            ("<script>var s = 1;", "</script>"),
            ("<a title=\"a value", "\">x</a>"),
        ];
        for (open, close) in spans {
            let html = format!(
                "{filler}{open}\n{}<a href='trap/'>t</a>{close}\n<a href=\"missing/\">m</a>{filler}<h2 id=\"end\">E</h2>",
                "<i>inside</i>\n".repeat(200_000)
            );
            assert!(html.len() > 4 * PART_BYTES);
            let (parts, parts_clean) = scan(&html);
            let (whole, whole_clean) = scan_part(&html);
            assert!(parts.refs == whole.refs && parts.ids == whole.ids);
            assert_eq!(parts_clean, whole_clean);
            let files = [file("print/index.html", &html), file("a/index.html", "")];
            let found = problems(&files, "/");
            assert_eq!(found.len(), 1, "one broken link, not {}", found.len());
            assert_eq!(found[0], ("print/index.html".into(), "missing/".into()));
        }
        // Cut only between tags: each part is scanned on its own.
        let html = filler.repeat(3);
        let ((parts, parts_clean), (whole, whole_clean)) = (scan(&html), scan_part(&html));
        assert!(parts.refs == whole.refs && parts.ids == whole.ids);
        assert_eq!(parts_clean, whole_clean);
    }

    /// The scanner as it was before it jumped between `<`, `=` and `>`:
    /// byte by byte through each tag, the oracle `scan_part` must agree with.
    fn reference_scan(html: &str) -> (Scan<'_>, bool) {
        let b = html.as_bytes();
        let mut refs = Vec::with_capacity(html.len() / 128);
        let mut ids = Vec::with_capacity(64);
        let mut base = None;
        let mut clean = true;
        let mut i = 0;
        while let Some(p) = memchr::memchr(b'<', &b[i..]) {
            let start = i + p;
            let rest = &b[start + 1..];
            if rest.starts_with(b"!--") {
                let end = memchr::memmem::find(&b[start + 4..], b"-->");
                clean &= end.is_some();
                i = end.map_or(b.len(), |e| start + 4 + e + 3);
                continue;
            }
            if !rest.first().is_some_and(u8::is_ascii_alphabetic) {
                // `</x>`, `<!DOCTYPE>`, or a stray `<` in text.
                i = start + 1;
                continue;
            }
            let name_len = rest
                .iter()
                .position(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/')
                .unwrap_or(rest.len());
            let name = &html[start + 1..start + 1 + name_len];
            let mut j = start + 1 + name_len;
            // Attributes, up to the end of the tag.
            loop {
                while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                    j += 1;
                }
                if j >= b.len() || b[j] == b'>' {
                    clean &= j < b.len();
                    j += 1;
                    break;
                }
                let an_start = j;
                while j < b.len()
                    && !(b[j].is_ascii_whitespace() || matches!(b[j], b'=' | b'>' | b'/'))
                {
                    j += 1;
                }
                let attr = &html[an_start..j];
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j >= b.len() || b[j] != b'=' {
                    continue;
                }
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                let (v_start, v_end) = match b.get(j) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let e = memchr::memchr(q, &b[j + 1..]);
                        clean &= e.is_some();
                        let e = e.map_or(b.len(), |e| j + 1 + e);
                        let r = (j + 1, e);
                        j = (e + 1).min(b.len());
                        r
                    }
                    _ => {
                        let s = j;
                        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                            j += 1;
                        }
                        (s, j)
                    }
                };
                let value = &html[v_start..v_end];
                if attr.eq_ignore_ascii_case("href") || attr.eq_ignore_ascii_case("src") {
                    let v = decode_entities(value.trim());
                    if name.eq_ignore_ascii_case("base") && attr.eq_ignore_ascii_case("href") {
                        base = Some(v);
                    } else {
                        refs.push((v, v_start));
                    }
                } else if attr.eq_ignore_ascii_case("id")
                    || (attr.eq_ignore_ascii_case("name") && name.eq_ignore_ascii_case("a"))
                {
                    ids.push(decode_entities(value));
                }
            }
            i = j.min(b.len());
            // Raw text elements: their content is not markup.
            let raw_end = if name.len() == 6 && name.eq_ignore_ascii_case("script") {
                Some("</script")
            } else if name.len() == 5 && name.eq_ignore_ascii_case("style") {
                Some("</style")
            } else {
                None
            };
            if let Some(end) = raw_end {
                let found = reference_find_ignore_case(html, i, end);
                clean &= found.is_some();
                i = found.unwrap_or(b.len());
            }
        }
        ids.sort_unstable();
        (Scan { refs, ids, base }, clean)
    }

    fn reference_find_ignore_case(hay: &str, from: usize, needle: &str) -> Option<usize> {
        let h = &hay.as_bytes()[from..];
        let n = needle.as_bytes();
        h.windows(n.len())
            .position(|w| w.eq_ignore_ascii_case(n))
            .map(|p| from + p)
    }

    /// A small xorshift generator: the differential test below is the same
    /// on every run, and needs no crate.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Random pages made of the pieces a tag scanner can trip on (quotes,
    /// `=` and `>` in values and names, `/`, comments, raw text, entities,
    /// case, every whitespace byte and a few that are not): the jumping
    /// scanner finds what the byte-by-byte one finds, and ends clean or
    /// not as it does.
    #[test]
    fn the_scanner_agrees_with_a_byte_by_byte_reading() {
        const PIECES: &[&str] = &[
            "<",
            ">",
            "=",
            "\"",
            "'",
            " ",
            "\n",
            "\t",
            "\r",
            "\x0C",
            "\x0B",
            "/",
            "a",
            "x",
            "<a",
            "<A",
            "<a ",
            "<base ",
            "<BASE",
            "<script",
            "<SCRIPT>",
            "</script>",
            "</ScRiPt",
            "<style>",
            "</style",
            "<!--",
            "-->",
            "--",
            "<!",
            "<!DOCTYPE html>",
            "</a>",
            "<p>",
            "<img ",
            "<h2 ",
            "href",
            "HREF",
            "src",
            "Src",
            "id",
            "ID",
            "name",
            "nam",
            "ids",
            "href=",
            " href=\"",
            "id='",
            "=\"",
            "='",
            " = ",
            "&amp;",
            "&#x2F;",
            "&#39;",
            "&lt",
            "&",
            "#",
            "#x",
            "../a/",
            "?q",
            "é",
            "\u{a0}",
            "<é",
            "1",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..20_000 {
            let len = 1 + rng.below(40);
            let html: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            let (got, got_clean) = scan_part(&html);
            let (want, want_clean) = reference_scan(&html);
            assert!(
                got.refs == want.refs
                    && got.ids == want.ids
                    && got.base == want.base
                    && got_clean == want_clean,
                "round {round}: {html:?}\n got {:?} {:?} {:?} {got_clean}\nwant {:?} {:?} {:?} {want_clean}",
                got.refs,
                got.ids,
                got.base,
                want.refs,
                want.ids,
                want.base,
            );
        }
    }

    /// The handbook's own kinds of markup, where most tags have no
    /// attribute or a quoted one, agree too.
    #[test]
    fn the_scanner_agrees_on_ordinary_pages() {
        let html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
             <link rel=\"stylesheet\" href=\"../../assets/style.css\"><script src=\"s.js\" defer></script>\n\
             <style>a[href=\"x\"] { color: red }</style></head><body>\n\
             <a class=\"skip\" href=\"#main\">Skip</a><input type=search id=q name=q autocomplete=off>\n\
             <ul><li><a href=\"../../phase1/\">Phase 1</a></li><li><a href='../a/#b'>b</a></li></ul>\n\
             <p>1 < 2 and 3 > 2, a = b</p><a name=\"caf&eacute;\"></a><a href=\"x&amp;y\" title=\"a>b\">t</a>\n\
             <base href=\"/r/\"><img src = \" pic.png \" alt=\"\"/><br/><hr />\n\
             <!-- <a href=\"no/\"> --><details id=\"menu\" open><summary>M</summary></details>";
        let (got, got_clean) = scan_part(html);
        let (want, want_clean) = reference_scan(html);
        assert_eq!(got.refs, want.refs);
        assert_eq!(got.ids, want.ids);
        assert_eq!(got.base, want.base);
        assert_eq!(got_clean, want_clean);
        assert_eq!(got.refs.len(), 7);
        assert_eq!(got.ids, ["caf&eacute;", "menu", "q"]);
    }

    /// `target` as it was before its one pass (memchr for `#` and `?`,
    /// `percent_decode` called whatever the path), and joining paths
    /// segment by segment, without `join`'s shortcut.
    fn reference_target(
        dir: Dir<'_>,
        href: &str,
        site: &SiteUrl<'_>,
    ) -> Option<(String, Option<String>)> {
        let (rest, anchor) = match href.find('#') {
            Some(i) => (
                &href[..i],
                Some(percent_decode(&href[i + 1..]).into_owned()),
            ),
            None => (href, None),
        };
        let rest = rest.find('?').map_or(rest, |i| &rest[..i]);
        let from_root = if let Some(full) = site.full.filter(|f| rest.starts_with(f)) {
            Some(&rest[full.len()..])
        } else if has_scheme(rest) || rest.starts_with("//") {
            return Some(("elsewhere".into(), None));
        } else if let Some(abs) = rest.strip_prefix('/') {
            let base = site.path.trim_start_matches('/');
            match abs.strip_prefix(base) {
                Some(under) => Some(under),
                None if format!("{abs}/") == base => Some(""),
                None => return Some(("elsewhere".into(), None)),
            }
        } else {
            None
        };
        let path = match from_root {
            Some(p) => join_slow("", p),
            None => join_slow(dir.path, rest),
        }?;
        Some((percent_decode(&path).into_owned(), anchor))
    }

    /// Random links made of the pieces `target` reads specially resolve
    /// as the reference resolves them, from pages at several depths and
    /// with a site at the root, under a path and at a full URL.
    #[test]
    fn target_agrees_with_a_plain_reading() {
        const PIECES: &[&str] = &[
            "../",
            "./",
            "/",
            "//",
            ".",
            "..",
            "#",
            "?",
            "%41",
            "%",
            "%C3%A9",
            "a",
            "b.html",
            "https:",
            "https://o.github.io/r/",
            "/cop/",
            "/r",
            "cop",
            "x/",
            "index.html",
        ];
        let sites = ["/", "/cop/", "https://o.github.io/r/"];
        let dirs = ["", "a", "a/b", "cop/x/y"];
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        for round in 0..20_000 {
            let len = rng.below(8);
            let href: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            let site = SiteUrl::new(sites[rng.below(sites.len())]);
            let dir = Dir::new(dirs[rng.below(dirs.len())]);
            let got = match target(dir, &href, &site) {
                Link::Elsewhere => Some(("elsewhere".into(), None)),
                Link::LeavesSite => None,
                Link::Internal { path, anchor } => {
                    Some((path.into_owned(), anchor.map(Cow::into_owned)))
                }
            };
            let want = reference_target(dir, &href, &site);
            assert_eq!(
                got, want,
                "round {round}: {href:?} from {:?} at {:?}",
                dir.path, site.path
            );
        }
    }

    #[test]
    fn helpers() {
        let j = |dir, rel| join(Dir::new(dir), rel);
        assert_eq!(j("a/b", "../c/").as_deref(), Some("a/c/"));
        assert_eq!(j("a/b", "../../c/").as_deref(), Some("c/"));
        assert!(matches!(j("a/b", "../../c/"), Some(Cow::Borrowed(_))));
        assert_eq!(j("a/b", "../../c/../d").as_deref(), Some("d"));
        assert_eq!(j("a/b", "../../c//d").as_deref(), Some("c/d"));
        assert_eq!(j("a/b", "c.png").as_deref(), Some("a/b/c.png"));
        assert_eq!(j("a", "..").as_deref(), Some(""));
        assert_eq!(j("a", "../").as_deref(), Some(""));
        assert_eq!(j("", "").as_deref(), Some(""));
        assert_eq!(j("", "..").as_deref(), None);
        assert_eq!(
            decode_entities("a&amp;b&#39;c&#x2F;&unknown;"),
            "a&b'c/&unknown;"
        );
        assert!(has_scheme("mailto:x") && has_scheme("HTTPS://x") && !has_scheme("a/b:c"));
        assert_eq!(percent_decode("caf%C3%A9%"), "café%");
        assert_eq!(loc_in(b"ab\ncd", 4), Loc { line: 2, col: 2 });
    }
}
