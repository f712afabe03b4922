//! `copbook serve`: build in memory, serve over HTTP on loopback, watch the
//! sources, rebuild, and push reloads (or errors) to open browsers with
//! Server-Sent Events. Nothing is written to disk: the publishable build
//! dir never sees the live-reload script.

use crate::incremental::{Files, Incremental, Rebuilt, Scan, Whole, same_bytes};
use crate::model::Date;
use notify::Watcher;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The live-reload client, served at `/__copbook/live.js`.
const LIVE_JS: &str = include_str!("../themes/live.js");
const EVENTS_PATH: &str = "/__copbook/events";
const LIVE_PATH: &str = "/__copbook/live.js";

/// mimalloc's `mi_option_purge_delay`: its place in `mi_option_e` of the
/// v3 mimalloc.h that libmimalloc-sys builds (the crate has no constant
/// for it). The binary's allocator test checks that it is the option
/// whose default is v3's 1,000 ms.
pub const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc, which serves `serve`'s allocations (see the binary's
/// src/main.rs), to keep the memory it frees rather than give it back to
/// the system a second later: every rebuild frees about as much as the
/// next one makes, and memory given back returns as page faults. A
/// member's rename at 10,000 pages, saved a few seconds after the last
/// edit, took 38–48 ms to rebuild against 21–30 ms without purging, for
/// a peak of 730 MB resident against 680 (docs/benchmarks.md). Without
/// mimalloc as the allocator, this changes nothing.
pub fn keep_freed_memory() {
    // SAFETY: sets one of mimalloc's options, which it reads each time it
    // decides whether to purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

/// Quiet time after a file event before rebuilding: long enough to fold an
/// editor's burst of events (write, rename, chmod) into one rebuild, short
/// enough not to be felt. A save in place ends it early, when the file it
/// wrote is closed (see [`gather`]).
const QUIET: Duration = Duration::from_millis(5);

/// How long edits must pause before the outputs made of the whole
/// handbook (the print page, the search index and handbook.json), left
/// behind by the rebuilds of an edit, are made again.
const REFRESH_AFTER: Duration = Duration::from_millis(300);

/// What is being served: the last good site, and the error of the latest
/// build if it failed.
struct State {
    files: Files,
    /// Diagnostics of the latest failed build, as text.
    error: Option<String>,
    version: u64,
    /// The outputs made of the whole handbook are one edit behind the
    /// pages (see [`crate::incremental::is_whole_output`]).
    behind: bool,
}

/// How long a request for a whole-handbook output that is behind waits
/// for it to be made again; past that, the one there is is served.
const BEHIND_WAIT: Duration = Duration::from_secs(10);

/// A message for open pages.
#[derive(Clone, Debug)]
enum Event {
    /// A new version; the output paths that changed (empty: any page may
    /// have changed).
    Reload(u64, Vec<String>),
    Css(String),
    Error(String),
    Ok,
}

impl Event {
    fn sse(&self) -> String {
        let (name, data) = match self {
            Event::Reload(v, paths) => {
                let mut data = v.to_string();
                for p in paths {
                    data.push('\n');
                    data.push_str(p);
                }
                ("reload", data)
            }
            Event::Css(path) => ("css", path.clone()),
            Event::Error(text) => ("error", text.clone()),
            Event::Ok => ("ok", String::new()),
        };
        let mut out = format!("event: {name}\n");
        for line in data.split('\n') {
            out.push_str("data: ");
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        out
    }
}

/// Shared between the HTTP workers, the SSE clients and the rebuild loop.
struct Shared {
    state: RwLock<Arc<State>>,
    clients: Mutex<Vec<Sender<Event>>>,
    /// A request waits for the whole-handbook outputs: make them now,
    /// without waiting for edits to pause.
    refresh_wanted: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn snapshot(&self) -> Arc<State> {
        self.state
            .read()
            .map(|s| Arc::clone(&s))
            .unwrap_or_else(|e| Arc::clone(&e.into_inner()))
    }

    fn broadcast(&self, ev: &Event) {
        if let Ok(mut clients) = self.clients.lock() {
            clients.retain(|c| c.send(ev.clone()).is_ok());
        }
    }

    fn set(&self, state: State) {
        match self.state.write() {
            Ok(mut s) => *s = Arc::new(state),
            Err(e) => *e.into_inner() = Arc::new(state),
        }
    }
}

pub struct ServeOptions {
    pub root: PathBuf,
    pub port: u16,
    pub bind: String,
    pub open: bool,
    pub today: Date,
}

/// Which files differ between two builds; `css` is set when the only
/// change is the stylesheet.
fn diff(old: &Files, new: &Files) -> (Vec<String>, Option<String>) {
    let css_of = |m: &Files| {
        m.keys()
            .find(|k| k.starts_with("assets/style-") && k.ends_with(".css"))
            .map(|k| k.to_string())
    };
    let (old_css, new_css) = (css_of(old), css_of(new));
    let css_changed = old_css != new_css;
    let mut changed = Vec::new();
    let mut only_css = true;
    for (path, bytes) in new {
        match old.get(path) {
            Some(prev) if same_bytes(prev, bytes) => {}
            Some(prev) if css_changed && path.ends_with(".html") => {
                changed.push(path.to_string());
                let (o, n) = (
                    old_css.as_deref().unwrap_or(""),
                    new_css.as_deref().unwrap_or(""),
                );
                let a = String::from_utf8_lossy(prev).replace(o, "");
                let b = String::from_utf8_lossy(bytes).replace(n, "");
                only_css &= a == b;
            }
            _ => {
                changed.push(path.to_string());
                if Some(&**path) != new_css.as_deref() {
                    only_css = false;
                }
            }
        }
    }
    for path in old.keys() {
        if !new.contains_key(path) {
            changed.push(path.to_string());
            if Some(&**path) != old_css.as_deref() {
                only_css = false;
            }
        }
    }
    let css = if css_changed && only_css {
        new_css
    } else {
        None
    };
    (changed, css)
}

pub fn serve(opts: ServeOptions) -> Result<(), String> {
    let root = opts
        .root
        .canonicalize()
        .map_err(|e| format!("cannot open {}: {e}", opts.root.display()))?;
    if !root.join("book.toml").is_file() {
        return Err(format!(
            "no book.toml in {}; run `copbook init` to start a handbook, or pass the handbook's folder",
            root.display()
        ));
    }
    let ip: std::net::IpAddr = opts.bind.trim_matches(['[', ']']).parse().map_err(|_| {
        format!(
            "`{}` is not an IP address to bind to; use 127.0.0.1 (the default) or ::1",
            opts.bind
        )
    })?;
    let addr = SocketAddr::new(ip, opts.port);
    let server = tiny_http::Server::http(addr).map_err(|e| {
        format!("cannot listen on http://{addr}: {e}; is another server using port {}? Try -p with another port", opts.port)
    })?;
    let server = Arc::new(server);
    let watching = start_watcher(&root)?;
    let started = Instant::now();
    let mut inc = Incremental::default();
    let built = inc.rebuild(
        &root,
        opts.today,
        &HashMap::new(),
        &HashSet::new(),
        Whole::Now,
        Scan::Walk,
    );
    let (files, error, warnings) = match built {
        Ok(b) => {
            let warnings = b.warnings.unwrap_or_default();
            eprint!("{warnings}");
            eprintln!(
                "built {} pages in {} ms",
                b.pages,
                started.elapsed().as_millis()
            );
            (b.files, None, warnings)
        }
        Err(text) => {
            eprint!("{text}");
            eprintln!("the handbook has errors; serving an error page until they are fixed");
            (HashMap::new(), Some(text), String::new())
        }
    };
    let shared = Arc::new(Shared {
        state: RwLock::new(Arc::new(State {
            files,
            error,
            version: 1,
            behind: false,
        })),
        clients: Mutex::new(Vec::new()),
        refresh_wanted: std::sync::atomic::AtomicBool::new(false),
    });
    let url = format!("http://{addr}/");
    eprintln!("serving {} at {url} (Ctrl-C to stop)", root.display());

    let workers = std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .clamp(4, 16);
    for _ in 0..workers {
        let server = Arc::clone(&server);
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            while let Ok(req) = server.recv() {
                handle(req, &shared);
            }
        });
    }
    if opts.open {
        open_browser(&url);
    }
    watch_loop(&root, opts.today, &shared, warnings, inc, watching)
}

fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(cmd).arg(url).spawn() {
        eprintln!("could not open a browser ({cmd}: {e}); open {url} yourself");
    }
}

/// Sources worth watching; everything else under the root (the build dir,
/// target/, .git) is ignored.
fn is_source(root: &Path, p: &Path) -> bool {
    let Ok(rel) = p.strip_prefix(root) else {
        return false;
    };
    let mut comps = rel.components();
    let first = comps
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ignored = name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with('#')
        || name == "4913";
    match first.as_str() {
        "book.toml" => true,
        "content" | "themes" | "static" => !ignored || rel.components().count() == 1,
        _ => false,
    }
}

const SOURCE_DIRS: [&str; 3] = ["content", "themes", "static"];

type EventRx = Receiver<notify::Result<notify::Event>>;

/// Starts watching the book root (book.toml, new source folders); the
/// source folders are added by `watch_loop`. Started before the first
/// build, so that a save during it is not missed.
fn start_watcher(root: &Path) -> Result<Watching, String> {
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    // Native events where the platform has them; polling otherwise.
    let native: Option<Box<dyn Watcher>> =
        notify::recommended_watcher(tx.clone())
            .ok()
            .and_then(|mut w| {
                w.watch(root, notify::RecursiveMode::NonRecursive).ok()?;
                Some(Box::new(w) as Box<dyn Watcher>)
            });
    let watcher = match native {
        Some(w) => w,
        None => {
            eprintln!("native file events are not available; polling for changes every 200 ms");
            let config = notify::Config::default().with_poll_interval(Duration::from_millis(200));
            let mut w: Box<dyn Watcher> = Box::new(
                notify::PollWatcher::new(tx, config)
                    .map_err(|e| format!("cannot watch files: {e}"))?,
            );
            w.watch(root, notify::RecursiveMode::NonRecursive)
                .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
            w
        }
    };
    let mut w = Watching {
        watcher,
        rx,
        dirs: Vec::new(),
    };
    w.watch_new_dirs(root, &HashSet::new());
    Ok(w)
}

/// The file watcher, its events, and which source folders it watches.
struct Watching {
    watcher: Box<dyn Watcher>,
    rx: EventRx,
    dirs: Vec<&'static str>,
}

impl Watching {
    /// Watches source folders created since the last call (a folder
    /// removed and created again needs a new watch too).
    /// `changed` holds the paths of the last events: a source folder named
    /// there was removed or created (maybe both, within one quiet window),
    /// so its old watch cannot be trusted and it is watched anew.
    fn watch_new_dirs(&mut self, root: &Path, changed: &HashSet<PathBuf>) {
        for d in SOURCE_DIRS {
            let p = root.join(d);
            if !p.is_dir() || changed.contains(&p) {
                if self.dirs.contains(&d) {
                    let _ = self.watcher.unwatch(&p);
                }
                self.dirs.retain(|x| *x != d);
            }
        }
        for d in SOURCE_DIRS {
            if !self.dirs.contains(&d) && root.join(d).is_dir() {
                match self
                    .watcher
                    .watch(&root.join(d), notify::RecursiveMode::Recursive)
                {
                    Ok(()) => self.dirs.push(d),
                    Err(e) => eprintln!("cannot watch {d}/: {e}"),
                }
            }
        }
    }
}

fn watch_loop(
    root: &Path,
    today: Date,
    shared: &Shared,
    mut last_warnings: String,
    mut inc: Incremental,
    mut w: Watching,
) -> Result<(), String> {
    // Rebuilds after an edit leave the print page, the search index
    // and handbook.json behind; they are made again once edits pause for a moment.
    let mut refresh_due = false;
    loop {
        // The first relevant event, then a short quiet window; events that
        // arrive while rebuilding wait in the channel for the next round.
        let mut changed = Changes::default();
        // A request waiting for them has them made at once (unless edits
        // are pending, which come first).
        let wanted = shared
            .refresh_wanted
            .load(std::sync::atomic::Ordering::SeqCst);
        let first = match (refresh_due, wanted) {
            (false, _) => None,
            (true, false) => Some(REFRESH_AFTER),
            (true, true) => Some(Duration::ZERO),
        };
        if !wait_relevant(&w.rx, root, first, &mut changed)? {
            shared
                .refresh_wanted
                .store(false, std::sync::atomic::Ordering::SeqCst);
            // The refresh walks and looks at every file: a safety net for
            // anything the watcher's events left out.
            changed.walk = true;
            changed.lost = true;
            refresh_due = rebuild(
                root,
                today,
                shared,
                &mut last_warnings,
                &mut inc,
                &changed,
                Whole::Now,
            );
            continue;
        }
        gather(&w.rx, root, QUIET, &mut changed)?;
        w.watch_new_dirs(root, &HashSet::new());
        refresh_due = rebuild(
            root,
            today,
            shared,
            &mut last_warnings,
            &mut inc,
            &changed,
            Whole::Later,
        );
    }
}

/// What the watcher reported since the last rebuild.
#[derive(Default)]
struct Changes {
    /// The source paths events named.
    paths: HashSet<PathBuf>,
    /// An event may have created, removed or renamed a source (or its
    /// kind is unknown): the rebuild walks the folders and looks at every
    /// file. Otherwise only the contents of `paths` changed, and nothing
    /// else is looked at.
    walk: bool,
    /// Events were lost or named no path: any file may have changed, so
    /// nothing short of a walk will do.
    lost: bool,
    /// A file the round saw written in place was closed after writing,
    /// and nothing in the round needs a walk: the save is complete.
    saved: bool,
}

impl Changes {
    fn scan(&self) -> Scan {
        if self.walk { Scan::Walk } else { Scan::Touched }
    }
}

/// Whether an event only changed the contents or metadata of a file that
/// was there before (an editor saving in place): no file or folder was
/// created, removed or renamed, and the watcher did not lose events.
fn is_modification(ev: &notify::Event) -> bool {
    use notify::event::{EventKind, ModifyKind};
    matches!(
        ev.kind,
        EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Metadata(_))
    ) && !ev.need_rescan()
}

/// Waits for an event about a source file. With `timeout`, returns
/// Ok(false) when none came in time.
fn wait_relevant(
    rx: &Receiver<notify::Result<notify::Event>>,
    root: &Path,
    timeout: Option<Duration>,
    changed: &mut Changes,
) -> Result<bool, String> {
    loop {
        let ev = match timeout {
            None => rx
                .recv()
                .map_err(|_| "the file watcher stopped".to_owned())?,
            Some(t) => match rx.recv_timeout(t) {
                Ok(ev) => ev,
                Err(RecvTimeoutError::Timeout) => return Ok(false),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err("the file watcher stopped".into());
                }
            },
        };
        match ev {
            Ok(ev) => {
                if let notify::EventKind::Access(access) = ev.kind {
                    if closes_a_save(access, &ev.paths, changed) {
                        changed.saved = true;
                        return Ok(true);
                    }
                    continue;
                }
                let before = changed.paths.len();
                let source = ev.paths.iter().any(|p| is_source(root, p));
                // An event that names no path (lost events) may be about
                // any file.
                if !is_modification(&ev) && (source || ev.paths.is_empty()) {
                    changed.walk = true;
                }
                changed.lost |= ev.paths.is_empty() || ev.need_rescan();
                // Folder events and removals force a full rebuild: they
                // are recorded as the folder or the removed path.
                (changed.paths).extend(ev.paths.iter().filter(|p| is_source(root, p)).cloned());
                if changed.paths.len() > before || source {
                    return Ok(true);
                }
            }
            Err(e) => {
                changed.walk = true;
                changed.lost = true;
                eprintln!("file watcher: {e}");
            }
        }
    }
}

/// Gathers the events that follow a round's first one, until none comes
/// for `quiet` or a save in place is complete: an editor that writes a
/// file in place closes it last (inotify's close-write), and waiting on
/// after that only delays the rebuild. A save through a temporary file
/// renamed over the source, or anything else that walks, waits `quiet`
/// out, as does the polling watcher, which reports no closes.
fn gather(
    rx: &Receiver<notify::Result<notify::Event>>,
    root: &Path,
    quiet: Duration,
    changed: &mut Changes,
) -> Result<(), String> {
    while !changed.saved && wait_relevant(rx, root, Some(quiet), changed)? {}
    Ok(())
}

/// Whether an access event closes, after writing, a file this round has
/// already seen written in place (and the round needs no walk).
fn closes_a_save(access: notify::event::AccessKind, paths: &[PathBuf], changed: &Changes) -> bool {
    use notify::event::{AccessKind, AccessMode};
    access == AccessKind::Close(AccessMode::Write)
        && !changed.walk
        && !changed.lost
        && paths.iter().any(|p| changed.paths.contains(p))
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Rebuilds and tells open pages; `last_warnings` keeps the terminal quiet
/// when the warnings have not changed since the previous build. `whole`
/// says whether the outputs made of the whole handbook are made now (the
/// refresh once edits pause) or left for later. Returns whether they are
/// behind, so that a refresh is due.
fn rebuild(
    root: &Path,
    today: Date,
    shared: &Shared,
    last_warnings: &mut String,
    inc: &mut Incremental,
    changes: &Changes,
    whole: Whole,
) -> bool {
    let started = Instant::now();
    let prev = shared.snapshot();
    let refresh = whole == Whole::Now;
    let changed = &changes.paths;
    // Saves (in place, or a temporary file renamed over the old one) that
    // change nothing resolved: patch the handbook and render the pages
    // that show what changed.
    let fast = (!refresh && !changes.lost && !changed.is_empty() && prev.error.is_none())
        .then(|| inc.edits_in_place(root, &prev.files, changed))
        .flatten();
    let result = match fast {
        Some(b) => Ok(b),
        None => inc.rebuild(root, today, &prev.files, changed, whole, changes.scan()),
    };
    match result {
        Ok(b) => {
            let Rebuilt {
                files,
                rendered,
                pages,
                warnings,
                whole_behind,
            } = b;
            let (changed, css) = diff(&prev.files, &files);
            let was_error = prev.error.is_some();
            let version = prev.version + u64::from(!changed.is_empty());
            shared.set(State {
                files,
                error: None,
                version,
                behind: whole_behind,
            });
            // The fast path leaves the warnings as they were.
            if let Some(w) = warnings.filter(|w| w != last_warnings) {
                eprint!("{w}");
                *last_warnings = w;
            }
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let what = if refresh {
                "refreshed the print page, search index and handbook.json".to_owned()
            } else {
                format!("rebuilt {} of {}", rendered.len(), plural(pages, "page"))
            };
            if changed.is_empty() {
                if !refresh {
                    eprintln!("{what} in {ms:.1} ms; no page changed");
                }
                if was_error {
                    shared.broadcast(&Event::Ok);
                }
            } else if let Some(css) = css {
                eprintln!("{what} in {ms:.1} ms; stylesheet updated");
                shared.broadcast(&Event::Css(css));
            } else {
                eprintln!(
                    "{what} in {ms:.1} ms; {} changed",
                    plural(changed.len(), "file")
                );
                // Name the pages when they are few, so that only those
                // reload; with many, every open page reloads.
                let paths = if changed.len() <= 500 {
                    changed
                } else {
                    Vec::new()
                };
                shared.broadcast(&Event::Reload(version, paths));
            }
            whole_behind
        }
        Err(text) => {
            eprint!("{text}");
            eprintln!("rebuild failed; still serving the last good site");
            shared.set(State {
                files: prev.files.clone(),
                error: Some(text.clone()),
                version: prev.version,
                // Nothing is made again until the handbook is fixed: the
                // last good site is served as it is, under the overlay.
                behind: false,
            });
            shared.broadcast(&Event::Error(text));
            false
        }
    }
}

/// The state once the whole-handbook outputs are made again (asked for
/// now), or `state` after [`BEHIND_WAIT`].
fn wait_caught_up(shared: &Shared, mut state: Arc<State>) -> Arc<State> {
    shared
        .refresh_wanted
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let until = Instant::now() + BEHIND_WAIT;
    while state.behind && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
        state = shared.snapshot();
    }
    state
}

fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map_or("", |(_, e)| e)
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ics" => "text/calendar; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Decodes and checks a request path. Anything that could leave the site
/// root, in any encoding, is refused (the site is in memory, but a preview
/// server should say no plainly).
pub fn clean_path(raw: &str) -> Result<String, u16> {
    let path = raw.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Err(400);
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                bytes.get(i + 1).and_then(|&c| hex(c)),
                bytes.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (Some(h), Some(l)) => {
                    let v = (h * 16 + l) as u8;
                    // An encoded slash or backslash would hide a segment.
                    if v == b'/' || v == b'\\' {
                        return Err(400);
                    }
                    out.push(v);
                    i += 3;
                    continue;
                }
                _ => return Err(400),
            }
        }
        out.push(b);
        i += 1;
    }
    let s = String::from_utf8(out).map_err(|_| 400u16)?;
    if s.contains('\0') || s.contains('\\') {
        return Err(400);
    }
    if s.split('/').any(|seg| seg == ".." || seg == ".") {
        return Err(403);
    }
    Ok(s)
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn respond(
    req: tiny_http::Request,
    status: u16,
    ctype: &str,
    body: Vec<u8>,
    extra: &[(&str, &str)],
) {
    let mut resp = tiny_http::Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", ctype))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("X-Content-Type-Options", "nosniff"));
    for (k, v) in extra {
        resp = resp.with_header(header(k, v));
    }
    let _ = req.respond(resp);
}

/// Adds the live-reload client to an HTML page.
fn inject(html: &[u8], version: u64) -> Vec<u8> {
    let tag = format!("<script src=\"{LIVE_PATH}\" data-version=\"{version}\"></script>\n");
    let text = String::from_utf8_lossy(html);
    match text.rfind("</body>") {
        Some(i) => {
            let mut s = String::with_capacity(text.len() + tag.len());
            s.push_str(&text[..i]);
            s.push_str(&tag);
            s.push_str(&text[i..]);
            s.into_bytes()
        }
        None => {
            let mut v = html.to_vec();
            v.extend_from_slice(tag.as_bytes());
            v
        }
    }
}

fn error_page(text: &str, version: u64) -> Vec<u8> {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Handbook has errors</title>\
<style>body{{font:1rem/1.5 system-ui,sans-serif;margin:2rem;color:#1c1f23}}pre{{background:#fff4d6;padding:1rem;white-space:pre-wrap}}</style></head>\
<body><h1>The handbook has errors</h1><p>Fix them and this page reloads by itself.</p><pre>{}</pre></body></html>\n",
        crate::markdown::escape_text(text)
    );
    inject(body.as_bytes(), version)
}

fn handle(req: tiny_http::Request, shared: &Shared) {
    let method = req.method().clone();
    if !matches!(method, tiny_http::Method::Get | tiny_http::Method::Head) {
        respond(
            req,
            405,
            "text/plain; charset=utf-8",
            b"405 method not allowed\n".to_vec(),
            &[("Allow", "GET, HEAD")],
        );
        return;
    }
    let path = match clean_path(req.url()) {
        Ok(p) => p,
        Err(code) => {
            respond(
                req,
                code,
                "text/plain; charset=utf-8",
                format!("{code} bad path\n").into_bytes(),
                &[],
            );
            return;
        }
    };
    if path == EVENTS_PATH {
        let (tx, rx) = mpsc::channel();
        let state = shared.snapshot();
        // New pages learn the current state at once.
        let first = match &state.error {
            Some(text) => Event::Error(text.clone()),
            None => Event::Reload(state.version, Vec::new()),
        };
        let _ = tx.send(first);
        if let Ok(mut c) = shared.clients.lock() {
            c.push(tx);
        }
        std::thread::spawn(move || stream_events(req, rx));
        return;
    }
    if path == LIVE_PATH {
        respond(
            req,
            200,
            "text/javascript; charset=utf-8",
            LIVE_JS.as_bytes().to_vec(),
            &[],
        );
        return;
    }
    let state = shared.snapshot();
    if state.files.is_empty() {
        let text = state
            .error
            .as_deref()
            .unwrap_or("the site is not built yet");
        respond(
            req,
            500,
            "text/html; charset=utf-8",
            error_page(text, state.version),
            &[],
        );
        return;
    }
    let key = path.trim_start_matches('/');
    let key = if key.is_empty() || key.ends_with('/') {
        format!("{key}index.html")
    } else {
        key.to_owned()
    };
    // Never an old print page (or search index) beside new pages: wait
    // for it to be made again.
    let state = if state.behind && crate::incremental::is_whole_output(&key) {
        wait_caught_up(shared, state)
    } else {
        state
    };
    if let Some(bytes) = state.files.get(key.as_str()) {
        let body = if key.ends_with(".html") {
            inject(bytes, state.version)
        } else {
            bytes.to_vec()
        };
        respond(req, 200, content_type(&key), body, &[]);
        return;
    }
    // A folder URL without its slash: redirect, as static hosts do.
    if state
        .files
        .contains_key(format!("{key}/index.html").as_str())
    {
        let location = format!("{path}/");
        respond(
            req,
            301,
            "text/plain; charset=utf-8",
            Vec::new(),
            &[("Location", &location)],
        );
        return;
    }
    let body = state
        .files
        .get("404.html")
        .map_or_else(|| b"404 not found\n".to_vec(), |b| inject(b, state.version));
    respond(req, 404, "text/html; charset=utf-8", body, &[]);
}

/// Holds one SSE connection on its own thread, so event streams never
/// occupy the workers that answer page requests.
fn stream_events(req: tiny_http::Request, rx: Receiver<Event>) {
    let mut w = req.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nretry: 500\n\n";
    if w.write_all(head.as_bytes())
        .and_then(|()| w.flush())
        .is_err()
    {
        return;
    }
    loop {
        let chunk = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(ev) => ev.sse(),
            Err(RecvTimeoutError::Timeout) => ": keep-alive\n\n".to_owned(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if w.write_all(chunk.as_bytes())
            .and_then(|()| w.flush())
            .is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{
        CreateKind, DataChange, EventKind, Flag, MetadataKind, ModifyKind, RemoveKind, RenameMode,
    };

    /// A watcher event of `kind`, about `path` when there is one.
    fn event(kind: EventKind, path: Option<&PathBuf>) -> notify::Result<notify::Event> {
        let ev = notify::Event::new(kind);
        Ok(match path {
            Some(p) => ev.add_path(p.clone()),
            None => ev,
        })
    }

    /// One round of `serve`'s watch loop over `events`, as the watcher
    /// would have sent them: what it gathered, and how many events it
    /// left for the next round. The sender stays open throughout, as a
    /// running watcher's does.
    fn round(root: &Path, events: Vec<notify::Result<notify::Event>>) -> (Changes, usize) {
        let (tx, rx) = mpsc::channel();
        for e in events {
            tx.send(e).expect("send");
        }
        let mut changes = Changes::default();
        gather(&rx, root, Duration::ZERO, &mut changes).expect("events");
        (changes, rx.try_iter().count())
    }

    /// Saves in place may skip the walk; anything that can add, remove or
    /// rename a file, or that lost events, may not.
    #[test]
    fn only_changes_to_existing_files_skip_the_walk() {
        let ev = |kind| notify::Event::new(kind);
        for kind in [
            EventKind::Modify(ModifyKind::Data(DataChange::Content)),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)),
        ] {
            assert!(is_modification(&ev(kind)), "{kind:?}");
        }
        for kind in [
            EventKind::Create(CreateKind::File),
            EventKind::Remove(RemoveKind::File),
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Modify(ModifyKind::Any),
            EventKind::Any,
            EventKind::Other,
        ] {
            assert!(!is_modification(&ev(kind)), "{kind:?}");
        }
        let lost = ev(EventKind::Modify(ModifyKind::Data(DataChange::Any))).set_flag(Flag::Rescan);
        assert!(!is_modification(&lost));
    }

    /// The events of one round decide its scan: all saves in place, no
    /// walk; one creation (or an event naming no path) among them, a walk.
    #[test]
    fn a_round_walks_when_any_event_may_add_or_remove_a_file() {
        let root = PathBuf::from("/book");
        let page = root.join("content/01-define/purpose.md");
        let saved = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        let round = |events| round(&root, events).0;
        let c = round(vec![event(saved, Some(&page)), event(saved, Some(&page))]);
        assert_eq!((c.scan(), c.paths.len()), (Scan::Touched, 1));
        let c = round(vec![
            event(saved, Some(&page)),
            event(EventKind::Create(CreateKind::File), Some(&page)),
        ]);
        assert_eq!(c.scan(), Scan::Walk);
        let c = round(vec![
            event(saved, Some(&page)),
            event(EventKind::Other, None),
        ]);
        assert_eq!(c.scan(), Scan::Walk);
        // Events about files that are not sources change nothing.
        let c = round(vec![
            event(saved, Some(&page)),
            event(
                EventKind::Create(CreateKind::File),
                Some(&root.join("book/index.html")),
            ),
        ]);
        assert_eq!(c.scan(), Scan::Touched);
    }

    /// A save in place ends the quiet window when the file is closed after
    /// writing: the events after it wait for the next round. A close that
    /// ends no save seen in the round, or one in a round that walks, does
    /// not end it.
    #[test]
    fn a_save_in_place_ends_the_quiet_window_when_its_file_is_closed() {
        use notify::event::{AccessKind, AccessMode};
        let root = PathBuf::from("/book");
        let page = root.join("content/01-define/purpose.md");
        let other = root.join("content/01-define/scope.md");
        let (page, other) = (Some(&page), Some(&other));
        let saved = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        let round = |events| round(&root, events);
        let (c, left) = round(vec![
            event(saved, page),
            event(closed, page),
            event(saved, other),
        ]);
        assert!(
            c.saved && c.paths.len() == 1 && left == 1,
            "ends at the close"
        );
        // Closing a file the round did not see written.
        let (c, left) = round(vec![
            event(saved, page),
            event(closed, other),
            event(saved, other),
        ]);
        assert!(!c.saved && c.paths.len() == 2 && left == 0);
        // A round that walks waits the window out.
        let (c, left) = round(vec![
            event(EventKind::Create(CreateKind::File), page),
            event(closed, page),
            event(saved, other),
        ]);
        assert!(!c.saved && c.scan() == Scan::Walk && left == 0);
    }

    #[test]
    fn refuses_traversal_in_any_encoding() {
        assert_eq!(
            clean_path("/define/purpose/"),
            Ok("/define/purpose/".into())
        );
        assert_eq!(clean_path("/a%20b.png?x=1"), Ok("/a b.png".into()));
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/a/%2E%2E/b",
            "/a%2fb",
            "/a%5cb",
            "/a\\b",
            "/a%00",
            "/%zz",
            "relative",
        ] {
            assert!(clean_path(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn css_only_change_is_detected() {
        let m = |pairs: &[(&str, &str)]| -> Files {
            pairs
                .iter()
                .map(|(k, v)| (Arc::from(*k), Arc::from(v.as_bytes())))
                .collect()
        };
        let old = m(&[
            ("index.html", "<link href=\"assets/style-1.css\">a"),
            ("assets/style-1.css", "x"),
        ]);
        let new = m(&[
            ("index.html", "<link href=\"assets/style-2.css\">a"),
            ("assets/style-2.css", "y"),
        ]);
        assert_eq!(diff(&old, &new).1.as_deref(), Some("assets/style-2.css"));
        let new2 = m(&[
            ("index.html", "<link href=\"assets/style-2.css\">b"),
            ("assets/style-2.css", "y"),
        ]);
        assert_eq!(diff(&old, &new2).1, None);
        assert!(diff(&old, &old).0.is_empty());
    }
}
