//! Load: read `book.toml` and walk `content/`, splitting front matter and
//! parsing every file into a typed record. Files are read and parsed in
//! parallel; problems are collected as diagnostics, never thrown.

use crate::diag::Diagnostic;
use crate::fields::Fields;
use crate::frontmatter;
use crate::markdown;
use crate::model::*;
use crate::source::{Loc, Source};
use crate::urls::{normalize_site_url, slugify, split_order_prefix};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;
use toml::de::DeTable;

/// Files larger than this are refused with an error rather than rendered:
/// a bound on what a hostile or mistaken handbook can make copbook do.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Folders of `content/` that hold records rather than a phase.
pub const RECORD_DIRS: &[&str] = &["members", "roles", "norms", "cases", "meetings"];

/// Everything read from disk, before resolution.
#[derive(Debug)]
pub struct Loaded {
    pub root: PathBuf,
    /// Shared, so that a cached file is not copied into every load.
    pub sources: Vec<Arc<Source>>,
    pub config: BookConfig,
    pub home: Option<Home>,
    pub phases: Vec<Phase>,
    pub pages: Vec<Page>,
    pub members: Vec<Member>,
    pub roles: Vec<Role>,
    pub norms: Vec<Norm>,
    pub cases: Vec<Case>,
    pub meetings: Vec<crate::meetings::Meeting>,
    /// `content/glossary.toml` (empty when there is none).
    pub glossary: crate::glossary::Glossary,
    /// Non-Markdown files to copy: (source file, output path).
    pub assets: Vec<(PathBuf, String)>,
    pub diags: Vec<Diagnostic>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Home,
    PhaseMeta,
    Page,
    Member,
    Role,
    Norm,
    Case,
    Meeting,
}

/// A file found by the walk, with what it is and its folder under content/.
/// Everything but `path` follows from the path, so a parse cached by path
/// stays valid as long as the file does.
struct Found {
    kind: Kind,
    path: PathBuf,
    rel: String,
    dir: String,
    stem: String,
}

#[derive(Clone)]
enum Parsed {
    Home(Home),
    Phase(Option<String>, Option<i64>, Option<String>, Doc),
    Page(Box<Page>),
    Member(Box<Member>),
    Role(Box<Role>),
    Norm(Box<Norm>),
    Case(Box<Case>),
    Meeting(Box<crate::meetings::Meeting>),
}

/// `book.toml` is missing or unreadable: not a handbook at all.
#[derive(Debug)]
pub struct NotABook(pub String);

fn rel_path(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    r.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || (name.starts_with('#') && name.ends_with('#'))
}

/// Reads a file as UTF-8 text, with a size bound. The size is asked of
/// the open file, not of its path: one lookup of the path per file (at
/// 10,000 pages a stat each was 10,000 system calls) and a bound that
/// holds for the file that is read, even one growing meanwhile.
pub fn read_text(path: &Path, rel: &str) -> Result<String, Diagnostic> {
    use std::io::Read;
    let cannot =
        |e: std::io::Error| Diagnostic::error(rel, Loc::START, format!("cannot read file: {e}"));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    let too_big = |len: u64| {
        Diagnostic::error(
            rel,
            Loc::START,
            format!(
                "file is {} MiB, over the {} MiB limit",
                len >> 20,
                MAX_FILE_BYTES >> 20
            ),
        )
        .with_hint(Some("split it into several pages".into()))
    };
    if len > MAX_FILE_BYTES {
        return Err(too_big(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let prefix = String::from_utf8_lossy(&bytes[..good]).into_owned();
        let loc = Source::new(rel.to_owned(), prefix).loc(good);
        Diagnostic::error(rel, loc, "file is not valid UTF-8")
            .with_hint(Some("save the file as UTF-8".into()))
    })
}

/// `[build] build-dir` as written in book.toml ("book" when absent or
/// unreadable), read before anything else so a bad destination is refused
/// before any work is done.
pub fn configured_build_dir(root: &Path) -> String {
    let text = std::fs::read_to_string(root.join("book.toml")).unwrap_or_default();
    let src = Source::new("book.toml".into(), text);
    let mut diags = Vec::new();
    parse_config(&src, &mut diags).map_or_else(|| "book".to_owned(), |c| c.build_dir)
}

/// Reads and parses the whole handbook.
pub fn load(root: &Path) -> Result<Loaded, NotABook> {
    load_with(root, None)
}

/// [`load`], re-reading only the files of `content/` whose size or
/// modification time changed since the last load with this cache (or that
/// were [`LoadCache::forget`]-ten). The result, diagnostics included, is
/// what [`load`] would give.
pub fn load_cached(root: &Path, cache: &mut LoadCache) -> Result<Loaded, NotABook> {
    load_with(root, Some((cache, None)))
}

/// [`load_cached`] when the caller knows that nothing changed on disk
/// since the last load with this cache but the contents of the files
/// `modified` names (a file watcher reported only modifications: no file
/// or folder created, removed or renamed). Then the folders are not
/// walked again and no other file is looked at: the last walk's files
/// are parsed, from the cache but for `modified` (and files
/// [`LoadCache::forget`]-ten), which are read again. At 10,000 pages the
/// walk and the stat of every file are most of a load. When `modified`
/// names a path the last walk did not find as a file (or there was no
/// walk yet), this is [`load_cached`].
pub fn load_modified(
    root: &Path,
    cache: &mut LoadCache,
    modified: &HashSet<PathBuf>,
) -> Result<Loaded, NotABook> {
    load_with(root, Some((cache, Some(modified))))
}

/// Walk → parse each file (from the cache when it has it) → assemble.
/// With `modified`, the cache's last walk stands in for a walk when it
/// can (see [`load_modified`]).
fn load_with(
    root: &Path,
    cache: Option<(&mut LoadCache, Option<&HashSet<PathBuf>>)>,
) -> Result<Loaded, NotABook> {
    let book_toml = root.join("book.toml");
    if !book_toml.is_file() {
        return Err(NotABook(format!(
            "no book.toml in {}; run `copbook init` to start a handbook, or pass the handbook's folder",
            root.display()
        )));
    }
    let mut diags = Vec::new();
    let mut sources = Vec::new();
    let config = match read_text(&book_toml, "book.toml") {
        Ok(text) => {
            let src = Source::new("book.toml".into(), text);
            let config = parse_config(&src, &mut diags);
            sources.push(Arc::new(src));
            config
        }
        Err(d) => {
            diags.push(d);
            None
        }
    };
    let config = config.unwrap_or_else(|| BookConfig {
        title: String::new(),
        description: None,
        language: "en".into(),
        template: None,
        build_dir: "book".into(),
        site_url: "/".into(),
        site_url_loc: Loc::START,
        theme: "default".into(),
        theme_loc: Loc::START,
        cname: None,
        link_check: LinkCheck::Error,
        glossary_links: true,
        closed: false,
        sanitize: false,
        repository: None,
        onboarding: Vec::new(),
    });

    let t = std::time::Instant::now();
    let (walked, parsed): (Arc<Walked>, Vec<ParsedFile>) = match cache {
        None => {
            let walked = Walked::of(root);
            crate::build::timing("load: walk", t);
            let parsed = walked.found.par_iter().map(parse_found).collect();
            (Arc::new(walked), parsed)
        }
        Some((cache, modified)) => {
            let kept = modified.and_then(|m| cache.walk_still_holds(root, m));
            let trust = kept.is_some();
            let walked = kept.unwrap_or_else(|| Arc::new(Walked::of(root)));
            crate::build::timing(
                if trust {
                    "load: walk kept"
                } else {
                    "load: walk"
                },
                t,
            );
            let t = std::time::Instant::now();
            let parsed = cache.parse_all(&walked.found, trust);
            cache.walked = Some(Arc::clone(&walked));
            crate::build::timing("load: parse", t);
            (walked, parsed)
        }
    };
    let t = std::time::Instant::now();
    diags.extend(walked.diags.iter().cloned());
    let mut assets = walked.assets.clone();
    let found = &walked.found;
    let glossary = load_glossary(root, &mut assets, &mut sources, &mut diags);

    let mut loaded = Loaded {
        root: root.to_owned(),
        sources,
        config,
        home: None,
        phases: Vec::new(),
        pages: Vec::new(),
        members: Vec::new(),
        roles: Vec::new(),
        norms: Vec::new(),
        cases: Vec::new(),
        meetings: Vec::new(),
        glossary,
        assets,
        diags,
    };

    // Phases: every folder that holds a page or a `_phase.md`.
    let mut phase_index: HashMap<String, usize> = HashMap::new();
    let mut pending_pages = Vec::new();
    for (
        f,
        ParsedFile {
            src, parsed, diags, ..
        },
    ) in found.iter().zip(parsed)
    {
        let file = loaded.sources.len();
        loaded.sources.push(src);
        loaded.diags.extend(diags);
        let Some(parsed) = parsed else { continue };
        let mut phase_of = |dir: &str, loaded: &mut Loaded| -> usize {
            *phase_index.entry(dir.to_owned()).or_insert_with(|| {
                loaded.phases.push(phase_of_dir(dir));
                loaded.phases.len() - 1
            })
        };
        match parsed {
            Parsed::Home(mut h) => {
                h.doc.file = file;
                loaded.home = Some(h);
            }
            Parsed::Phase(title, order, summary, mut doc) => {
                doc.file = file;
                let i = phase_of(&f.dir, &mut loaded);
                set_phase_meta(&mut loaded.phases[i], title, order, summary, doc);
            }
            Parsed::Page(mut p) => {
                p.doc.file = file;
                p.phase = phase_of(&f.dir, &mut loaded);
                pending_pages.push(*p);
            }
            Parsed::Member(mut m) => {
                m.doc.file = file;
                loaded.members.push(*m);
            }
            Parsed::Role(mut r) => {
                r.doc.file = file;
                loaded.roles.push(*r);
            }
            Parsed::Norm(mut n) => {
                n.doc.file = file;
                loaded.norms.push(*n);
            }
            Parsed::Case(mut c) => {
                c.doc.file = file;
                loaded.cases.push(*c);
            }
            Parsed::Meeting(mut m) => {
                m.doc.file = file;
                loaded.meetings.push(*m);
            }
        }
    }
    loaded.pages = pending_pages;
    check_duplicate_slugs(&mut loaded);
    crate::build::timing("load: assemble", t);
    Ok(loaded)
}

/// `content/glossary.toml` is a record file, not an attachment: taken out
/// of the files to copy and parsed.
fn load_glossary(
    root: &Path,
    assets: &mut Vec<(PathBuf, String)>,
    sources: &mut Vec<Arc<Source>>,
    diags: &mut Vec<Diagnostic>,
) -> crate::glossary::Glossary {
    let path = root.join(crate::glossary::PATH);
    let Some(pos) = assets.iter().position(|(p, _)| *p == path) else {
        return crate::glossary::Glossary::default();
    };
    assets.remove(pos);
    match read_text(&path, crate::glossary::PATH) {
        Ok(text) => {
            let src = Source::new(crate::glossary::PATH.into(), text);
            let g = crate::glossary::parse(&src, diags);
            sources.push(Arc::new(src));
            g
        }
        Err(d) => {
            diags.push(d);
            crate::glossary::Glossary::default()
        }
    }
}

/// One file of `content/` read and parsed on its own, with its
/// diagnostics: the unit that `load` assembles, and that a [`LoadCache`]
/// keeps between loads.
#[derive(Clone)]
struct ParsedFile {
    src: Arc<Source>,
    parsed: Option<Parsed>,
    diags: Vec<Diagnostic>,
    /// The file could be read (an unreadable one is not cached).
    readable: bool,
}

fn parse_found(f: &Found) -> ParsedFile {
    match read_text(&f.path, &f.rel) {
        Ok(text) => {
            let src = Source::new(f.rel.clone(), text);
            let mut diags = Vec::new();
            let parsed = parse_file(f, &src, &mut diags, false);
            ParsedFile {
                src: Arc::new(src),
                parsed,
                diags,
                readable: true,
            }
        }
        Err(e) => {
            // Unreadable: keep a placeholder record so that references
            // to it do not turn one mistake into many.
            let src = Source::new(f.rel.clone(), String::new());
            let mut diags = vec![e];
            let parsed = parse_file(f, &src, &mut diags, true);
            ParsedFile {
                src: Arc::new(src),
                parsed,
                diags,
                readable: false,
            }
        }
    }
}

/// What identifies a version of a file without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    pub(crate) fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// What a walk of `content/` and `static/` found: the Markdown files to
/// parse, the files to copy, and the walk's own diagnostics (symlinks
/// leaving the book, misplaced pages). It depends only on which files and
/// folders exist, so [`load_modified`] reuses it while none is created,
/// removed or renamed.
struct Walked {
    found: Vec<Found>,
    assets: Vec<(PathBuf, String)>,
    diags: Vec<Diagnostic>,
    /// Every file the walk found (Markdown or not): a modified path
    /// outside this set may be new, so the folders are walked again.
    files: HashSet<PathBuf>,
}

impl Walked {
    fn of(root: &Path) -> Walked {
        let mut diags = Vec::new();
        let (found, assets) = walk(root, &mut diags);
        let files = (found.iter().map(|f| f.path.clone()))
            .chain(assets.iter().map(|(p, _)| p.clone()))
            .collect();
        Walked {
            found,
            assets,
            diags,
            files,
        }
    }
}

/// A parsed file and the stamp its file had when it was read (`None`
/// once forgotten: read it again).
type CacheEntry = (Option<Stamp>, Arc<ParsedFile>);

/// The parsed files of `content/` from earlier loads, by path, each with
/// the size and modification time it had when it was read. `serve` keeps
/// one between rebuilds: a file whose stamp is unchanged is not read
/// again. A file system whose clock is too coarse to see two quick saves
/// of the same size is covered by [`LoadCache::forget`], which `serve`
/// calls with every path the watcher reports.
#[derive(Default)]
pub struct LoadCache {
    files: HashMap<PathBuf, CacheEntry>,
    /// The last walk, for [`load_modified`].
    walked: Option<Arc<Walked>>,
    /// How many files the last load read (new, changed or forgotten), how
    /// many of them had a new text (or were new), and how many it dropped
    /// (deleted since the load before).
    read: usize,
    changed: usize,
    dropped: usize,
}

impl LoadCache {
    /// Forgets what is cached at or under each of `paths`, so that the
    /// next load reads those files whatever their stamps say.
    pub fn forget<'p>(&mut self, paths: impl IntoIterator<Item = &'p Path>) {
        for p in paths {
            for (cached, (stamp, _)) in self.files.iter_mut() {
                if cached.starts_with(p) {
                    *stamp = None;
                }
            }
        }
    }

    /// Files read by the last load (new, changed or unreadable ones).
    pub fn read(&self) -> usize {
        self.read
    }

    /// Files dropped by the last load because they are gone.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Files of the last load that are new, gone, or read again with a
    /// new text: a file saved again unchanged does not count.
    pub fn changed(&self) -> usize {
        self.changed + self.dropped
    }

    /// The last walk, when it still describes the disk after changes to
    /// the contents of `modified` alone: every modified path under
    /// `content/` or `static/` is a file that walk found, and still a
    /// file. (book.toml and themes are not part of a walk.) The files
    /// named are forgotten, so that they are read again.
    fn walk_still_holds(
        &mut self,
        root: &Path,
        modified: &HashSet<PathBuf>,
    ) -> Option<Arc<Walked>> {
        let walked = self.walked.as_ref()?;
        let (content, stat) = (root.join("content"), root.join("static"));
        let holds = modified
            .iter()
            .filter(|p| p.starts_with(&content) || p.starts_with(&stat))
            // A file removed since (its event was taken for a change)
            // is not read as an error but walked away.
            .all(|p| walked.files.contains(p) && p.is_file());
        if !holds {
            return None;
        }
        let walked = Arc::clone(walked);
        self.forget(modified.iter().map(PathBuf::as_path));
        Some(walked)
    }

    /// Every found file parsed, from the cache when its stamp still holds;
    /// the cache then holds exactly the found files. With `trust`, a
    /// cached file that is not forgotten is taken as it is, without
    /// looking at its stamp (see [`load_modified`]).
    fn parse_all(&mut self, found: &[Found], trust: bool) -> Vec<ParsedFile> {
        let results: Vec<(ParsedFile, Outcome)> = found
            .par_iter()
            .map(|f| {
                if let (true, Some((Some(_), file))) = (trust, self.files.get(&f.path)) {
                    return (ParsedFile::clone(file), Outcome::Kept);
                }
                // Stamped before reading: a save during the read leaves a
                // stamp that differs next time, so the file is read again.
                let stamp = Stamp::of(&f.path);
                if let (Some(stamp), Some((Some(was), file))) = (stamp, self.files.get(&f.path)) {
                    if stamp == *was {
                        return (ParsedFile::clone(file), Outcome::Kept);
                    }
                }
                let file = parse_found(f);
                // A file that could not be read is read again next time.
                let keep = stamp
                    .filter(|_| file.readable)
                    .map(|s| (Some(s), Arc::new(file.clone())));
                (file, Outcome::Read(keep))
            })
            .collect();
        let (mut read, mut changed) = (0, 0);
        let mut parsed = Vec::with_capacity(found.len());
        // Trusted, the walk is the last one, whose files the cache holds:
        // only the files read change it (10,000 paths hashed and moved
        // into a new map cost more than the rest of such a load).
        let mut files = if trust {
            std::mem::take(&mut self.files)
        } else {
            HashMap::with_capacity(found.len())
        };
        for (f, (file, outcome)) in found.iter().zip(results) {
            match outcome {
                Outcome::Kept if trust => {}
                Outcome::Kept => {
                    if let Some(entry) = self.files.remove(&f.path) {
                        files.insert(f.path.clone(), entry);
                    }
                }
                Outcome::Read(entry) => {
                    read += 1;
                    let old = if trust {
                        files.remove(&f.path)
                    } else {
                        self.files.remove(&f.path)
                    };
                    let same = match (&old, &entry) {
                        (Some((_, o)), Some((_, n))) => o.src.text == n.src.text,
                        _ => false,
                    };
                    changed += usize::from(!same);
                    // Not kept (unreadable, or no stamp): read each time.
                    if let Some(entry) = entry {
                        files.insert(f.path.clone(), entry);
                    }
                }
            }
            parsed.push(file);
        }
        self.dropped = if trust { 0 } else { self.files.len() };
        self.read = read;
        self.changed = changed;
        self.files = files;
        parsed
    }
}

/// One document's record, parsed again on its own (see
/// [`LoadCache::reparse`]); `doc.file` (and a page's `phase`) are for the
/// caller to set.
#[derive(Clone, Debug)]
pub enum Record {
    Home(Home),
    Phase(Phase),
    Page(Box<Page>),
    Member(Box<Member>),
    Role(Box<Role>),
    Norm(Box<Norm>),
    Case(Box<Case>),
}

impl Record {
    /// The record's Markdown file (every record but a phase without a
    /// `_phase.md` has one, and a reparsed phase always has it).
    pub fn doc(&self) -> Option<&Doc> {
        match self {
            Record::Home(h) => Some(&h.doc),
            Record::Phase(p) => p.doc.as_ref(),
            Record::Page(p) => Some(&p.doc),
            Record::Member(m) => Some(&m.doc),
            Record::Role(r) => Some(&r.doc),
            Record::Norm(n) => Some(&n.doc),
            Record::Case(c) => Some(&c.doc),
        }
    }

    pub fn doc_mut(&mut self) -> Option<&mut Doc> {
        match self {
            Record::Home(h) => Some(&mut h.doc),
            Record::Phase(p) => p.doc.as_mut(),
            Record::Page(p) => Some(&mut p.doc),
            Record::Member(m) => Some(&mut m.doc),
            Record::Role(r) => Some(&mut r.doc),
            Record::Norm(n) => Some(&mut n.doc),
            Record::Case(c) => Some(&mut c.doc),
        }
    }
}

impl LoadCache {
    /// Whether the last walk found a file at `path`.
    pub fn walk_found(&self, path: &Path) -> bool {
        self.walked.as_ref().is_some_and(|w| w.files.contains(path))
    }

    /// Reads and parses again the file at `path`, one the last walk found
    /// (`serve`'s fast path, after a save in place), and keeps the new
    /// parse in the cache, so that the next load agrees with a handbook
    /// patched with it. `None` when the last walk did not find it as a
    /// document (a meeting, a copied file, book.toml), or when the file
    /// cannot be read or has any diagnostic: a full rebuild reports those.
    pub fn reparse(&mut self, path: &Path) -> Option<(Arc<Source>, Record)> {
        let found = self
            .walked
            .as_ref()?
            .found
            .iter()
            .find(|f| f.path == path)?;
        let stamp = Stamp::of(path);
        let file = parse_found(found);
        if !file.readable || !file.diags.is_empty() {
            self.forget([path]);
            return None;
        }
        let record = match file.parsed.clone()? {
            Parsed::Home(h) => Record::Home(h),
            Parsed::Phase(title, order, summary, doc) => {
                let mut p = phase_of_dir(&found.dir);
                set_phase_meta(&mut p, title, order, summary, doc);
                Record::Phase(p)
            }
            Parsed::Page(p) => Record::Page(p),
            Parsed::Member(m) => Record::Member(m),
            Parsed::Role(r) => Record::Role(r),
            Parsed::Norm(n) => Record::Norm(n),
            Parsed::Case(c) => Record::Case(c),
            Parsed::Meeting(_) => return None,
        };
        let src = Arc::clone(&file.src);
        self.files.insert(path.to_owned(), (stamp, Arc::new(file)));
        Some((src, record))
    }
}

/// Whether [`LoadCache::parse_all`] took a file from the cache or read
/// it (and what of it to cache: nothing when it could not be read).
enum Outcome {
    Kept,
    Read(Option<CacheEntry>),
}

/// A phase folder's phase as its name alone gives it (order from the
/// `NN-` prefix, title from the rest), before any `_phase.md`.
fn phase_of_dir(dir: &str) -> Phase {
    let (order, rest) = split_order_prefix(dir);
    Phase {
        dir: dir.to_owned(),
        slug: slugify(rest),
        title: title_from_dir(rest),
        order: order.unwrap_or(i64::MAX),
        summary: None,
        doc: None,
    }
}

/// What a `_phase.md` sets of its phase.
fn set_phase_meta(
    p: &mut Phase,
    title: Option<String>,
    order: Option<i64>,
    summary: Option<String>,
    doc: Doc,
) {
    if let Some(t) = title {
        p.title = t;
    }
    if let Some(o) = order {
        p.order = o;
    }
    p.summary = summary;
    p.doc = Some(doc);
}

fn title_from_dir(name: &str) -> String {
    let spaced = name.replace(['-', '_'], " ");
    let mut c = spaced.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Walks `content/` (following symlinks that stay inside the book) and
/// `static/`, classifying what it finds.
fn walk(root: &Path, diags: &mut Vec<Diagnostic>) -> (Vec<Found>, Vec<(PathBuf, String)>) {
    let mut found = Vec::new();
    let mut assets = Vec::new();
    let canon_root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let content = root.join("content");
    if !content.is_dir() {
        diags.push(
            Diagnostic::error("content", Loc::START, "the handbook has no content/ folder")
                .with_hint(Some(
                    "create content/index.md, or run `copbook init`".into(),
                )),
        );
    }
    for (base, is_content) in [(content, true), (root.join("static"), false)] {
        if !base.is_dir() {
            continue;
        }
        let walker = walkdir::WalkDir::new(&base)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_ignored_name(&e.file_name().to_string_lossy()));
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let rel = e
                        .path()
                        .map(|p| rel_path(root, p))
                        .unwrap_or_else(|| "content".into());
                    let msg = if e.loop_ancestor().is_some() {
                        "symlink loop: this folder links back to one of its parents".to_owned()
                    } else {
                        format!(
                            "cannot read: {}",
                            e.io_error()
                                .map_or_else(|| e.to_string(), |io| io.to_string())
                        )
                    };
                    diags.push(Diagnostic::error(rel, Loc::START, msg));
                    continue;
                }
            };
            let rel = rel_path(root, entry.path());
            if entry.path_is_symlink() {
                let inside = entry
                    .path()
                    .canonicalize()
                    .map(|c| c.starts_with(&canon_root))
                    .unwrap_or(false);
                if !inside {
                    diags.push(
                        Diagnostic::error(&rel, Loc::START, "symlink points outside the book")
                            .with_hint(Some(
                                "copy the file into the book instead of linking to it".into(),
                            )),
                    );
                    continue;
                }
            }
            if !entry.file_type().is_file() {
                continue;
            }
            let under = entry.path().strip_prefix(&base).unwrap_or(entry.path());
            let parts: Vec<String> = under
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if !is_content {
                assets.push((entry.path().to_owned(), parts.join("/")));
                continue;
            }
            let name = parts.last().cloned().unwrap_or_default();
            let is_md = name.to_ascii_lowercase().ends_with(".md");
            if !is_md {
                // Images and attachments beside the pages: copied to the
                // matching output folder.
                let out: Vec<String> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        if i + 1 == parts.len() {
                            p.clone()
                        } else {
                            slugify(split_order_prefix(p).1)
                        }
                    })
                    .collect();
                assets.push((entry.path().to_owned(), out.join("/")));
                continue;
            }
            let stem = name[..name.len() - 3].to_owned();
            let (kind, dir) = match parts.len() {
                1 if stem == "index" => (Kind::Home, String::new()),
                1 => {
                    diags.push(
                        Diagnostic::error(&rel, Loc::START, "pages must be inside a phase folder")
                            .with_hint(Some(format!(
                                "move it to a phase folder such as content/01-define/{name}"
                            ))),
                    );
                    continue;
                }
                2 => {
                    let dir = parts[0].clone();
                    let kind = match dir.as_str() {
                        "members" => Kind::Member,
                        "roles" => Kind::Role,
                        "norms" => Kind::Norm,
                        "cases" => Kind::Case,
                        "meetings" => Kind::Meeting,
                        _ if stem == "_phase" => Kind::PhaseMeta,
                        _ => Kind::Page,
                    };
                    (kind, dir)
                }
                _ => {
                    diags.push(
                        Diagnostic::error(
                            &rel,
                            Loc::START,
                            "folders inside a phase folder are not supported",
                        )
                        .with_hint(Some(
                            "keep answer pages directly in their phase folder".into(),
                        )),
                    );
                    continue;
                }
            };
            found.push(Found {
                kind,
                path: entry.path().to_owned(),
                rel,
                dir,
                stem,
            });
        }
    }
    (found, assets)
}

fn parse_config(src: &Source, diags: &mut Vec<Diagnostic>) -> Option<BookConfig> {
    let mut f = Fields::new(src, 0);
    let table = f.parse(&src.text);
    let config = table.map(|t| {
        f.known_keys(
            &t,
            "book.toml",
            &["book", "build", "repository", "onboarding"],
        );
        let empty = DeTable::new();
        let book = f.table(&t, "book").unwrap_or(&empty);
        f.known_keys(
            book,
            "[book]",
            &["title", "description", "language", "template", "status"],
        );
        let title = f.required_string(book, "title", "[book]", Loc::START);
        let build = f.table(&t, "build").unwrap_or(&empty);
        f.known_keys(
            build,
            "[build]",
            &[
                "build-dir",
                "site-url",
                "theme",
                "cname",
                "link-check",
                "glossary-links",
                "sanitize",
            ],
        );
        let theme = f.string(build, "theme");
        let site_url = f.string(build, "site-url");
        let link_check = match f.one_of(build, "link-check", LINK_CHECK) {
            Some(s) if s.value == "warn" => LinkCheck::Warn,
            _ => LinkCheck::Error,
        };
        let repo = f.table(&t, "repository");
        let repository = repo.and_then(|r| {
            f.known_keys(r, "[repository]", &["url", "branch"]);
            let url = f.required_string(r, "url", "[repository]", Loc::START)?;
            let lower = url.value.to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                f.diags.push(
                    Diagnostic::error(
                        "book.toml",
                        url.loc,
                        "[repository] `url` must be an http(s) address",
                    )
                    .with_hint(Some("like `https://github.com/org/handbook`".into())),
                );
                return None;
            }
            let branch = f
                .string(r, "branch")
                .map_or_else(|| "main".to_owned(), |s| s.value);
            Some(Repository {
                url: url.value.trim_end_matches('/').to_owned(),
                branch,
            })
        });
        let onboarding = f.table(&t, "onboarding").map(|o| {
            f.known_keys(o, "[onboarding]", &["path"]);
            f.string_list(o, "path")
        });
        BookConfig {
            title: title.map(|s| s.value).unwrap_or_default(),
            description: f.string(book, "description").map(|s| s.value),
            language: f
                .string(book, "language")
                .map_or_else(|| "en".into(), |s| s.value),
            template: f.string(book, "template").map(|s| s.value),
            build_dir: f
                .string(build, "build-dir")
                .map_or_else(|| "book".into(), |s| s.value),
            site_url: normalize_site_url(site_url.as_ref().map_or("/", |s| s.value.as_str())),
            site_url_loc: site_url.as_ref().map_or(Loc::START, |s| s.loc),
            theme: theme
                .as_ref()
                .map_or_else(|| "default".into(), |s| s.value.clone()),
            theme_loc: theme.as_ref().map_or(Loc::START, |s| s.loc),
            cname: f.string(build, "cname").map(|s| s.value),
            link_check,
            glossary_links: f.bool(build, "glossary-links").is_none_or(|b| b.value),
            closed: f
                .one_of(book, "status", &["open", "closed"])
                .is_some_and(|s| s.value == "closed"),
            sanitize: f.bool(build, "sanitize").is_some_and(|b| b.value),
            repository,
            onboarding: onboarding.unwrap_or_default(),
        }
    });
    diags.extend(f.diags);
    config
}

const PAGE_KEYS: &[&str] = &[
    "title",
    "order",
    "questions",
    "owner",
    "status",
    "review-by",
    "members",
    "roles",
    "norms",
    "meetings",
];
const PHASE_KEYS: &[&str] = &["title", "order", "summary"];
const MEMBER_KEYS: &[&str] = &[
    "name",
    "roles",
    "participation",
    "organization",
    "expertise",
    "joined",
    "contact",
];
const ROLE_KEYS: &[&str] = &[
    "title",
    "summary",
    "responsibilities",
    "commitment",
    "norms",
];
const NORM_KEYS: &[&str] = &["title", "category", "agreed", "owner"];
const CASE_KEYS: &[&str] = &["member", "title", "questions"];
const HOME_KEYS: &[&str] = &["title"];

fn what(kind: Kind) -> &'static str {
    match kind {
        Kind::Home => "the home page",
        Kind::PhaseMeta => "a phase (_phase.md)",
        Kind::Page => "an answer page",
        Kind::Member => "a member",
        Kind::Role => "a role",
        Kind::Norm => "a norm",
        Kind::Case => "a case for participation",
        Kind::Meeting => "a meeting",
    }
}

/// Parses one file. A file whose front matter cannot be read still yields a
/// record (with what could be read, marked broken), so that the one real
/// error is reported and references to the file do not cascade into more.
fn parse_file(
    f: &Found,
    src: &Source,
    diags: &mut Vec<Diagnostic>,
    unreadable: bool,
) -> Option<Parsed> {
    let mut broken = unreadable;
    let split = match frontmatter::split(src) {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            broken = true;
            frontmatter::Split {
                front: None,
                body: src.text.len()..src.text.len(),
            }
        }
    };
    let body = &src.text[split.body.clone()];
    let kind_name = what(f.kind);
    let mut fields = Fields::new(src, split.front.as_ref().map_or(0, |r| r.start));
    let empty = DeTable::new();
    let parsed_table;
    let table: &DeTable<'_> = match &split.front {
        Some(r) => match fields.parse(&src.text[r.clone()]) {
            Some(t) => {
                parsed_table = t;
                &parsed_table
            }
            None => {
                broken = true;
                &empty
            }
        },
        None if broken || matches!(f.kind, Kind::Home | Kind::PhaseMeta) => &empty,
        None => {
            diags.push(
                Diagnostic::error(
                    &f.rel,
                    Loc::START,
                    format!("{kind_name} needs front matter"),
                )
                .with_hint(Some(format!(
                    "start the file with `+++`, then `{} = \"…\"`, then `+++`",
                    match f.kind {
                        Kind::Member => "name",
                        Kind::Case => "member",
                        _ => "title",
                    }
                ))),
            );
            broken = true;
            &empty
        }
    };
    // Once the front matter is known to be broken, missing fields are
    // a consequence, not news.
    fields.quiet_missing = broken;
    let doc = Doc {
        file: 0,
        body_start: split.body.start,
        analysis: Arc::new(markdown::analyze(body)),
        broken,
    };
    let start = Loc::START;
    let parsed = match f.kind {
        Kind::Home => {
            fields.known_keys(table, kind_name, HOME_KEYS);
            Parsed::Home(Home {
                title: fields.string(table, "title").map(|s| s.value),
                doc,
            })
        }
        Kind::PhaseMeta => {
            fields.known_keys(table, kind_name, PHASE_KEYS);
            Parsed::Phase(
                fields.string(table, "title").map(|s| s.value),
                fields.int(table, "order").map(|s| s.value),
                fields.string(table, "summary").map(|s| s.value),
                doc,
            )
        }
        Kind::Page => {
            fields.known_keys(table, kind_name, PAGE_KEYS);
            let title = fields.required_string(table, "title", kind_name, start);
            let questions = fields.string_list(table, "questions");
            let answers = crate::resolve::questions_of(&questions, &doc).into();
            let status = fields
                .one_of(table, "status", STATUSES)
                .map(|s| match s.value.as_str() {
                    "agreed" => Status::Agreed,
                    _ => Status::Draft,
                });
            Parsed::Page(Box::new(Page {
                phase: 0,
                slug: slugify(&f.stem),
                stem: f.stem.clone(),
                loc: title.as_ref().map_or(start, |t| t.loc),
                title: title.map_or_else(|| f.stem.clone(), |s| s.value),
                order: fields.int(table, "order").map(|s| s.value),
                questions,
                owner: fields.string(table, "owner"),
                status,
                review_by: fields.date(table, "review-by"),
                members: fields.string_list(table, "members"),
                roles: fields.string_list(table, "roles"),
                norms: fields.string_list(table, "norms"),
                meetings: fields.string_list(table, "meetings"),
                doc,
                answers,
            }))
        }
        Kind::Meeting => Parsed::Meeting(Box::new(crate::meetings::parse(
            slugify(&f.stem),
            &f.rel,
            &mut fields,
            table,
            doc,
            start,
        ))),
        Kind::Member => {
            fields.known_keys(table, kind_name, MEMBER_KEYS);
            let name = fields.required_string(table, "name", kind_name, start);
            Parsed::Member(Box::new(Member {
                id: slugify(&f.stem),
                name: name.map_or_else(|| f.stem.clone(), |s| s.value),
                roles: fields.string_list(table, "roles"),
                participation: fields
                    .one_of(table, "participation", PARTICIPATION)
                    .and_then(|s| Participation::parse(&s.value)),
                organization: fields.string(table, "organization").map(|s| s.value),
                expertise: fields
                    .string_list(table, "expertise")
                    .into_iter()
                    .map(|s| s.value)
                    .collect(),
                joined: fields.date(table, "joined").map(|s| s.value),
                contact: fields.string(table, "contact").map(|s| s.value),
                doc,
            }))
        }
        Kind::Role => {
            fields.known_keys(table, kind_name, ROLE_KEYS);
            let title = fields.required_string(table, "title", kind_name, start);
            Parsed::Role(Box::new(Role {
                id: slugify(&f.stem),
                loc: title.as_ref().map_or(start, |t| t.loc),
                title: title.map(|s| s.value).unwrap_or_default(),
                summary: fields.string(table, "summary").map(|s| s.value),
                responsibilities: fields
                    .string_list(table, "responsibilities")
                    .into_iter()
                    .map(|s| s.value)
                    .collect(),
                commitment: fields.string(table, "commitment").map(|s| s.value),
                norms: fields.string_list(table, "norms"),
                doc,
            }))
        }
        Kind::Norm => {
            fields.known_keys(table, kind_name, NORM_KEYS);
            let title = fields.required_string(table, "title", kind_name, start);
            Parsed::Norm(Box::new(Norm {
                id: slugify(&f.stem),
                title: title.map(|s| s.value).unwrap_or_default(),
                category: fields.string(table, "category").map(|s| s.value),
                agreed: fields.date(table, "agreed").map(|s| s.value),
                owner: fields.string(table, "owner"),
                doc,
            }))
        }
        Kind::Case => {
            fields.known_keys(table, kind_name, CASE_KEYS);
            let member = fields
                .required_string(table, "member", kind_name, start)
                .or_else(|| broken.then(|| crate::source::Spanned::new(String::new(), start)));
            let parsed = member.map(|member| {
                Parsed::Case(Box::new(Case {
                    id: slugify(&f.stem),
                    member,
                    title: fields.string(table, "title").map(|s| s.value),
                    questions: fields.string_list(table, "questions"),
                    doc,
                }))
            });
            diags.append(&mut fields.diags);
            return parsed;
        }
    };
    diags.append(&mut fields.diags);
    Some(parsed)
}

/// Parses one file's text as `load` would if it were at `rel` (relative
/// to the book root: `book.toml`, `content/index.md`,
/// `content/01-define/_phase.md`, `content/01-define/x.md`,
/// `content/members/x.md`, …), without touching the disk, and returns its
/// diagnostics. For the fuzz targets and tests: any text must give
/// diagnostics, never a panic.
#[doc(hidden)]
pub fn parse_text(rel: &str, text: String) -> Vec<Diagnostic> {
    let src = Source::new(rel.to_owned(), text);
    let mut diags = Vec::new();
    if rel == "book.toml" {
        parse_config(&src, &mut diags);
        return diags;
    }
    let parts: Vec<&str> = rel.trim_start_matches("content/").split('/').collect();
    let name = parts.last().copied().unwrap_or_default();
    let stem = name.strip_suffix(".md").unwrap_or(name).to_owned();
    let (kind, dir) = match parts.as_slice() {
        [_] => (Kind::Home, String::new()),
        [dir, _] => (
            match *dir {
                "members" => Kind::Member,
                "roles" => Kind::Role,
                "norms" => Kind::Norm,
                "cases" => Kind::Case,
                _ if stem == "_phase" => Kind::PhaseMeta,
                _ => Kind::Page,
            },
            (*dir).to_owned(),
        ),
        _ => return diags,
    };
    let found = Found {
        kind,
        path: PathBuf::from(rel),
        rel: rel.to_owned(),
        dir,
        stem,
    };
    parse_file(&found, &src, &mut diags, false);
    diags
}

/// Two files whose names make the same URL in one folder (`Ana.md` and
/// `ana.md`), or two phase folders with the same slug, are an error.
fn check_duplicate_slugs(l: &mut Loaded) {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut dup = |key: (String, String),
                   file: usize,
                   l_sources: &[Arc<Source>],
                   diags: &mut Vec<Diagnostic>| {
        if let Some(&first) = seen.get(&key) {
            let url = if key.0.is_empty() {
                key.1.clone()
            } else {
                format!("{}/{}", key.0, key.1)
            };
            diags.push(
                Diagnostic::error(
                    l_sources[file].path.clone(),
                    Loc::START,
                    format!(
                        "`{}` and this file both make the URL /{url}/",
                        l_sources[first].path
                    ),
                )
                .with_hint(Some("rename one of them".into())),
            );
        } else {
            seen.insert(key, file);
        }
    };
    let mut diags = Vec::new();
    for m in &l.members {
        dup(
            ("members".into(), m.id.clone()),
            m.doc.file,
            &l.sources,
            &mut diags,
        );
    }
    for r in &l.roles {
        dup(
            ("roles".into(), r.id.clone()),
            r.doc.file,
            &l.sources,
            &mut diags,
        );
    }
    for n in &l.norms {
        dup(
            ("norms".into(), n.id.clone()),
            n.doc.file,
            &l.sources,
            &mut diags,
        );
    }
    for c in &l.cases {
        dup(
            ("cases".into(), c.id.clone()),
            c.doc.file,
            &l.sources,
            &mut diags,
        );
    }
    for m in &l.meetings {
        dup(
            ("meetings".into(), m.id.clone()),
            m.doc.file,
            &l.sources,
            &mut diags,
        );
    }
    for p in &l.pages {
        dup(
            (l.phases[p.phase].slug.clone(), p.slug.clone()),
            p.doc.file,
            &l.sources,
            &mut diags,
        );
    }
    let mut phase_slugs: HashMap<&str, &str> = HashMap::new();
    for p in &l.phases {
        let reserved = RECORD_DIRS.contains(&p.slug.as_str())
            || [
                "progress", "start", "print", "search", "topics", "glossary", "closure",
            ]
            .contains(&p.slug.as_str());
        let path = format!("content/{}", p.dir);
        if reserved {
            diags.push(
                Diagnostic::error(
                    &path,
                    Loc::START,
                    format!(
                        "phase folder `{}` would take the reserved URL /{}/",
                        p.dir, p.slug
                    ),
                )
                .with_hint(Some("rename the folder".into())),
            );
        } else if p.slug.is_empty() {
            diags.push(Diagnostic::error(
                &path,
                Loc::START,
                "phase folder name has no letters or digits for a URL",
            ));
        } else if let Some(first) = phase_slugs.insert(&p.slug, &p.dir) {
            diags.push(
                Diagnostic::error(
                    &path,
                    Loc::START,
                    format!(
                        "phase folders `{first}` and `{}` both make the URL /{}/",
                        p.dir, p.slug
                    ),
                )
                .with_hint(Some("rename one of them".into())),
            );
        }
    }
    for p in &l.pages {
        if p.slug.is_empty() {
            diags.push(Diagnostic::error(
                l.sources[p.doc.file].path.clone(),
                Loc::START,
                "file name has no letters or digits for a URL",
            ));
        }
    }
    l.diags.extend(diags);
}
