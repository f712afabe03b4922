//! `copbook serve` end to end: the real binary on a free loopback port,
//! spoken to with hand-written HTTP/1.1 over `TcpStream` (so nothing
//! normalises the request line), and Server-Sent Events read line by line
//! on a background thread. Each test serves its own copy of the good
//! fixture; edits are written to a file outside the book and renamed into
//! place, so the watcher never sees a half-written file.
//!
//! No assertion is about speed: every wait polls until its condition holds
//! and gives up (failing) after a generous deadline.

mod common;

use common::serve::{LOOPBACK, Serve};

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

/// How long any wait may take before the test gives up.
const DEADLINE: Duration = Duration::from_secs(10);

const PURPOSE: &str = "content/01-define/purpose.md";
const PURPOSE_URL: &str = "/define/purpose/";
const PURPOSE_TITLE: &str = "<title>Purpose · Test Stewards CoP</title>";
const HOME_TITLE: &str = "<title>Test Stewards CoP</title>";
const OLD_SENTENCE: &str = "We help data stewards share practice.";
const LIVE_TAG: &str = "<script src=\"/__copbook/live.js\"";
const HTML: &str = "text/html; charset=utf-8";

// ---------------------------------------------------------------------------
// The book and the server process

/// A copy of the good fixture at `<tmp>/book`; `<tmp>` also holds the
/// server's logs and the staging files of edits.
struct Book {
    tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Book {
    fn good() -> Book {
        let (tmp, root) = common::copy_fixture("good");
        Book { tmp, root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).expect("read source file")
    }

    /// Replaces `rel` atomically: written next to the book, then renamed
    /// into place (as many editors save).
    fn write(&self, rel: &str, text: &str) {
        static N: AtomicUsize = AtomicUsize::new(0);
        let staging = self
            .tmp
            .path()
            .join(format!("edit-{}.tmp", N.fetch_add(1, Ordering::SeqCst)));
        fs::write(&staging, text).expect("write staging file");
        let target = self.path(rel);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).expect("create folder");
        }
        fs::rename(&staging, &target).expect("rename into the book");
    }

    /// `rel` with `from` replaced by `to` (which must change it).
    fn edit(&self, rel: &str, from: &str, to: &str) {
        let old = self.read(rel);
        assert!(old.contains(from), "{rel} has no `{from}`");
        self.write(rel, &old.replacen(from, to, 1));
    }

    fn serve(&self) -> Server {
        Server::start(&self.root, self.tmp.path(), LOOPBACK)
    }
}

/// A running `copbook serve` (tests/common/serve.rs), with this file's
/// HTTP and event-stream helpers.
struct Server(Serve);

impl std::ops::Deref for Server {
    type Target = Serve;
    fn deref(&self) -> &Serve {
        &self.0
    }
}

impl Server {
    /// Serves `book` on `host` and waits until it watches for edits.
    fn start(book: &Path, logs: &Path, host: &'static str) -> Server {
        Server(Serve::start(book, logs, host))
    }

    /// Serves `book` and waits until it answers.
    fn launch(book: &Path, logs: &Path, host: &'static str) -> Server {
        Server(Serve::launch(book, logs, host))
    }

    fn child_alive(&mut self) -> bool {
        self.0.alive()
    }

    fn get(&self, path: &str) -> Response {
        request(self.port, "GET", path)
    }

    fn events(&self) -> Sse {
        Sse::connect(self.port)
    }
}

// ---------------------------------------------------------------------------
// HTTP/1.1 by hand

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn content_type(&self) -> &str {
        self.header("Content-Type").unwrap_or("")
    }
}

/// Sends `raw` as it is and reads the response until the server closes.
fn raw_request(port: u16, raw: &[u8]) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(DEADLINE)).expect("read timeout");
    s.set_write_timeout(Some(DEADLINE)).expect("write timeout");
    s.write_all(raw).expect("send request");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap_or_else(|e| {
        panic!(
            "reading the response to {:?}: {e} (after {} bytes)",
            String::from_utf8_lossy(raw),
            buf.len()
        )
    });
    parse_response(&buf).unwrap_or_else(|| {
        panic!(
            "no valid HTTP response to {:?}: {:?}",
            String::from_utf8_lossy(raw),
            String::from_utf8_lossy(&buf)
        )
    })
}

fn request(port: u16, method: &str, path: &str) -> Response {
    let body = if method == "POST" {
        "Content-Length: 0\r\n"
    } else {
        ""
    };
    raw_request(
        port,
        format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{body}\r\n"
        )
        .as_bytes(),
    )
}

fn parse_response(buf: &[u8]) -> Option<Response> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("Transfer-Encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..nl]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[nl + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

/// The stylesheet a page links to, as a path from the site root.
fn stylesheet_of(page_url: &str, html: &str) -> String {
    let needle = "rel=\"stylesheet\" href=\"";
    let start = html.find(needle).expect("page links a stylesheet") + needle.len();
    let end = html[start..].find('"').expect("end of href") + start;
    resolve_url(page_url, &html[start..end])
}

/// `href` resolved against the page at `page_url`.
fn resolve_url(page_url: &str, href: &str) -> String {
    if href.starts_with('/') {
        return href.to_owned();
    }
    let dir = &page_url[..=page_url.rfind('/').expect("absolute page url")];
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in href.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

// ---------------------------------------------------------------------------
// Server-Sent Events

#[derive(Clone, Debug)]
struct Ev {
    name: String,
    data: String,
}

/// One open `/__copbook/events` stream.
struct Sse {
    rx: Receiver<Ev>,
    stream: TcpStream,
    /// Every event received so far, for failure messages.
    seen: Vec<Ev>,
}

impl Sse {
    fn connect(port: u16) -> Sse {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect events");
        stream
            .write_all(
                format!(
                    "GET /__copbook/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
                )
                .as_bytes(),
            )
            .expect("send events request");
        let reader = stream.try_clone().expect("clone stream");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || read_events(reader, &tx));
        Sse {
            rx,
            stream,
            seen: Vec::new(),
        }
    }

    /// The next event, or None when the deadline passed or the stream ended.
    fn next_before(&mut self, until: Instant) -> Option<Ev> {
        let left = until.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(ev) => {
                self.seen.push(ev.clone());
                Some(ev)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// The first event the server sends on connecting.
    fn first(&mut self) -> Ev {
        self.next_before(Instant::now() + DEADLINE)
            .unwrap_or_else(|| panic!("no first event (seen: {:?})", self.seen))
    }

    /// Skips events until one satisfies `ok`.
    fn wait_for(&mut self, what: &str, ok: impl Fn(&Ev) -> bool) -> Ev {
        let until = Instant::now() + DEADLINE;
        loop {
            match self.next_before(until) {
                Some(ev) if ok(&ev) => return ev,
                Some(_) => {}
                None => panic!("gave up waiting for {what}; events seen: {:#?}", self.seen),
            }
        }
    }

    /// The first `reload`, `css`, `error` or `ok` event.
    fn wait_any(&mut self) -> Ev {
        self.wait_for("any event", |_| true)
    }
}

impl Drop for Sse {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// Parses the stream as a browser's EventSource would: an event is
/// dispatched at a blank line if it had at least one `data:` line.
fn read_events(stream: TcpStream, tx: &Sender<Ev>) {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    let mut read = |line: &mut String| {
        line.clear();
        matches!(r.read_line(line), Ok(n) if n > 0)
    };
    // Status line and headers.
    if !read(&mut line) {
        return;
    }
    if !line.starts_with("HTTP/1.1 200") {
        let _ = tx.send(Ev {
            name: "bad-status".into(),
            data: line.clone(),
        });
        return;
    }
    let mut content_type = String::new();
    loop {
        if !read(&mut line) {
            return;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-type") {
                content_type = v.trim().to_owned();
            }
        }
    }
    if !content_type.starts_with("text/event-stream") {
        let _ = tx.send(Ev {
            name: "bad-content-type".into(),
            data: content_type,
        });
        return;
    }
    let mut name = String::new();
    let mut data: Option<String> = None;
    while read(&mut line) {
        let l = line.strip_suffix('\n').unwrap_or(&line);
        let l = l.strip_suffix('\r').unwrap_or(l);
        if l.is_empty() {
            if let Some(d) = data.take() {
                let name = if name.is_empty() { "message" } else { &name };
                let ev = Ev {
                    name: name.to_owned(),
                    data: d,
                };
                if tx.send(ev).is_err() {
                    return;
                }
            }
            name.clear();
            continue;
        }
        if l.starts_with(':') {
            continue;
        }
        let (field, value) = l.split_once(':').unwrap_or((l, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => name = value.to_owned(),
            "data" => match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.to_owned()),
            },
            _ => {}
        }
    }
}

fn version_of(ev: &Ev) -> u64 {
    assert_eq!(ev.name, "reload", "not a reload: {ev:?}");
    // data: the version, then the changed files, one per line.
    ev.data
        .lines()
        .next()
        .unwrap_or("")
        .parse()
        .unwrap_or_else(|_| panic!("reload data is not a version: {ev:?}"))
}

/// Whether `text` has a line `<file>:LINE:COL: error: …`.
fn has_error_at(text: &str, file: &str) -> bool {
    text.lines().any(|l| {
        let Some(rest) = l.strip_prefix(file).and_then(|r| r.strip_prefix(':')) else {
            return false;
        };
        let mut it = rest.splitn(3, ':');
        let (Some(line), Some(col), Some(msg)) = (it.next(), it.next(), it.next()) else {
            return false;
        };
        let num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        num(line) && num(col) && msg.starts_with(" error: ")
    })
}

/// The purpose page with `title` misspelt, which check reports with a
/// "did you mean" hint.
fn break_purpose(book: &Book) {
    book.edit(PURPOSE, "title = \"Purpose\"", "titel = \"Purpose\"");
}

fn assert_purpose_error(text: &str) {
    assert!(
        has_error_at(text, PURPOSE),
        "no `{PURPOSE}:line:col: error:` in:\n{text}"
    );
    assert!(text.contains("did you mean `title`"), "no hint in:\n{text}");
}

// ---------------------------------------------------------------------------
// 1. Pages are served

#[test]
fn pages_stylesheet_head_and_folder_redirect() {
    let book = Book::good();
    let server = book.serve();

    for (url, title) in [("/", HOME_TITLE), (PURPOSE_URL, PURPOSE_TITLE)] {
        let r = server.get(url);
        assert_eq!(r.status, 200, "GET {url}: {r:?}");
        assert_eq!(r.content_type(), HTML, "GET {url}");
        assert_eq!(r.header("Cache-Control"), Some("no-store"), "GET {url}");
        let html = r.text();
        assert!(html.contains(title), "GET {url}: no {title} in:\n{html}");
        // The live script, once, just before </body>.
        assert_eq!(html.matches(LIVE_TAG).count(), 1, "GET {url}:\n{html}");
        let tag = html.find(LIVE_TAG).expect("live tag");
        let body_end = html.rfind("</body>").expect("</body>");
        assert!(tag < body_end, "script after </body> in {url}");
        assert!(
            !html[tag..body_end].contains("</div>"),
            "script not right before </body> in {url}"
        );
        assert!(
            html.contains("data-version=\"1\""),
            "GET {url}: the first build is version 1"
        );
    }

    // The stylesheet, found through the page's relative link.
    let page = server.get(PURPOSE_URL).text();
    let css_url = stylesheet_of(PURPOSE_URL, &page);
    assert!(css_url.starts_with("/assets/style-"), "{css_url}");
    let css = server.get(&css_url);
    assert_eq!(css.status, 200, "GET {css_url}");
    assert!(
        css.content_type().starts_with("text/css"),
        "GET {css_url}: {:?}",
        css.content_type()
    );
    assert_eq!(css.header("Cache-Control"), Some("no-store"));
    let builtin = fs::read(common::repo_root().join("themes/default/style.css")).expect("css");
    assert_eq!(css.body, builtin, "the stylesheet is served as it is");
    assert!(!css.text().contains("__copbook"));
    // Nor into other non-HTML files.
    let json = server.get("/handbook.json");
    assert_eq!(json.status, 200);
    assert_eq!(json.content_type(), "application/json");
    assert!(
        !json.text().contains("__copbook"),
        "script injected in JSON"
    );

    // The live script itself.
    let js = server.get("/__copbook/live.js");
    assert_eq!(js.status, 200);
    assert!(js.content_type().starts_with("text/javascript"));
    assert!(js.text().contains("EventSource"));

    // HEAD: the headers of GET, no body.
    let head = request(server.port, "HEAD", PURPOSE_URL);
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.content_type(), HTML);
    assert!(head.body.is_empty(), "HEAD sent a body: {}", head.text());

    // A folder without its slash: redirected to the slash form.
    for (url, to) in [
        ("/define/purpose", "/define/purpose/"),
        ("/define", "/define/"),
    ] {
        let r = server.get(url);
        assert_eq!(r.status, 301, "GET {url}: {r:?}");
        assert_eq!(r.header("Location"), Some(to), "GET {url}");
    }

    // An unknown page: the site's 404 page, with status 404.
    let r = server.get("/no/such/page/");
    assert_eq!(r.status, 404);
    assert_eq!(r.content_type(), HTML);
    assert!(r.text().contains("Page not found"), "{}", r.text());
}

// ---------------------------------------------------------------------------
// 2. An edit arrives as a reload event and as new content

#[test]
fn an_edit_sends_reload_and_serves_the_new_content() {
    let book = Book::good();
    let server = book.serve();
    let mut events = server.events();
    let first = events.first();
    let v0 = version_of(&first);
    assert!(server.get(PURPOSE_URL).text().contains(OLD_SENTENCE));

    let new_sentence = "We help data stewards swap recipes for tidy metadata.";
    book.edit(PURPOSE, OLD_SENTENCE, new_sentence);
    let ev = events.wait_for("a reload with a higher version", |e| {
        e.name == "reload"
            && e.data
                .lines()
                .next()
                .unwrap_or("")
                .parse::<u64>()
                .is_ok_and(|v| v > v0)
    });
    let v1 = version_of(&ev);

    let r = server.get(PURPOSE_URL);
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains(new_sentence), "new sentence missing:\n{html}");
    assert!(!html.contains(OLD_SENTENCE), "old sentence still served");
    assert!(
        html.contains(&format!("data-version=\"{v1}\"")),
        "the page carries the new version {v1}"
    );

    // A page that connects now learns the new version first.
    let mut later = server.events();
    assert_eq!(version_of(&later.first()), v1);
}

/// What `copbook build --site-url /` of the book's current sources writes.
fn fresh_build(book: &Book, label: &str) -> BTreeMap<String, Vec<u8>> {
    let fresh = tempfile::tempdir().expect("temp dir");
    let dest = fresh.path().join("site");
    let r = common::run(&[
        "build",
        common::arg(&book.root),
        "-d",
        common::arg(&dest),
        "--site-url",
        "/",
    ]);
    assert_eq!(r.code, 0, "{label}: build failed: {r:#?}");
    common::snapshot_tree(&dest)
        .into_iter()
        .filter(|(rel, _)| !rel.ends_with('/') && rel != ".copbook-build")
        .collect()
}

/// The files of `fresh` that the server serves otherwise (apart from the
/// live script), leaving out those `skip` names.
fn served_differences(
    server: &Server,
    fresh: &BTreeMap<String, Vec<u8>>,
    skip: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut differ = Vec::new();
    for (rel, bytes) in fresh {
        if skip(rel) {
            continue;
        }
        let resp = server.get(&format!("/{rel}"));
        let mut body = resp.text();
        if let Some(i) = body.find(LIVE_TAG) {
            let end = body[i..].find("</script>\n").expect("end of live tag") + i;
            body.replace_range(i..end + "</script>\n".len(), "");
        }
        if resp.status != 200 || body.as_bytes() != bytes.as_slice() {
            differ.push(format!("{rel} ({})", resp.status));
        }
    }
    differ
}

/// Checks that the server serves exactly what `copbook build --site-url /`
/// of the book's current sources writes (apart from the live script).
fn assert_serves_a_fresh_build(server: &Server, book: &Book, label: &str) {
    let differ = served_differences(server, &fresh_build(book, label), |_| false);
    assert!(
        differ.is_empty(),
        "{label}: served files differ from a fresh build: {differ:?}"
    );
}

/// The outputs made of the whole handbook, which serve makes again once
/// edits pause rather than on every save.
fn is_whole(rel: &str) -> bool {
    rel == "print/index.html"
        || rel == "handbook.json"
        || (rel.starts_with("search/") && rel.ends_with(".json"))
}

/// Checks that every page but the outputs made of the whole handbook is
/// already what a fresh build writes, then waits until those are too.
fn assert_serves_a_fresh_build_soon(server: &Server, book: &Book, label: &str) {
    let fresh = fresh_build(book, label);
    let differ = served_differences(server, &fresh, is_whole);
    assert!(
        differ.is_empty(),
        "{label}: at the reload, served pages differ from a fresh build: {differ:?}"
    );
    let until = Instant::now() + DEADLINE;
    loop {
        let differ = served_differences(server, &fresh, |_| false);
        if differ.is_empty() {
            return;
        }
        assert!(
            Instant::now() < until,
            "{label}: served files still differ from a fresh build: {differ:?}\n{}",
            server.log()
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// After each of a series of edits of different kinds, the pages served at
/// the reload are those of a fresh build, and so, once edits pause, are
/// the print page, the search index and handbook.json.
#[test]
fn after_edits_the_served_site_is_a_fresh_build() {
    let book = Book::good();
    let server = book.serve();
    assert_serves_a_fresh_build(&server, &book, "at start");
    let mut events = server.events();
    let mut v = version_of(&events.first());
    let mut reloaded = |label: &str| {
        let ev = events.wait_for("reload", |e| {
            e.name == "reload"
                && e.data
                    .lines()
                    .next()
                    .unwrap_or("")
                    .parse::<u64>()
                    .is_ok_and(|n| n > v)
        });
        v = version_of(&ev);
        assert_serves_a_fresh_build_soon(&server, &book, label);
    };
    let mut edit = |label: &str, rel: &str, from: &str, to: &str| {
        book.edit(rel, from, to);
        reloaded(label);
    };
    // An unanswered question gets its answer.
    edit(
        "answer",
        PURPOSE,
        "<!-- todo -->",
        "Whether we meet in person.",
    );
    // A link to another page.
    edit(
        "link",
        PURPOSE,
        "Members and their organisations.",
        "Members, see [[01-define/community]].",
    );
    // Front matter: the title, shown in the sidebar of every page.
    edit(
        "title",
        PURPOSE,
        "title = \"Purpose\"",
        "title = \"Our purpose\"",
    );
    // A member's name, shown on pages that mention them.
    edit("member", "content/members/luka.md", "Luka", "Luca");
    // A role taken by another member: role pages, the matrix, vacancies.
    edit(
        "role reassigned",
        "content/members/chen.md",
        "participation = ",
        "roles = [\"librarian\"]\nparticipation = ",
    );
    // A heading that asked a question no longer does.
    edit(
        "heading",
        "content/01-define/community.md",
        "## Who are our members?",
        "## Who we are",
    );
    // A new page, in the sidebar of every page of its phase.
    book.write(
        "content/02-plan/retrospective.md",
        "+++\ntitle = \"Retrospective\"\nquestions = [\"What went well?\"]\nowner = \"chen\"\n+++\n\n\
         ## What went well?\n\nThe clinics with [[luka]].\n",
    );
    reloaded("new page");
    // A deleted page.
    fs::remove_file(book.path("content/cases/amara.md")).expect("delete page");
    reloaded("deleted page");
}

/// A member's new name reaches every page that shows it: the role page,
/// the roles matrix, the pages that link to the member (backlinks) and
/// the progress page; and only a few of the site's pages are rendered.
/// The print page, the search index and handbook.json are made again
/// only once edits pause; until then a request for one waits for it, so
/// that it never shows the handbook as it was before pages already served.
#[test]
fn the_print_page_and_handbook_json_are_never_older_than_the_pages() {
    let book = Book::good();
    let server = book.serve();
    let mut events = server.events();
    let v0 = version_of(&events.first());
    book.edit(PURPOSE, "title = \"Purpose\"", "title = \"Our purpose\"");
    events.wait_for("a reload with a higher version", |e| {
        e.name == "reload" && version_of(e) > v0
    });
    assert!(server.get(PURPOSE_URL).text().contains("Our purpose"));
    // At once, without waiting for the refresh: the server does.
    let print = server.get("/print/").text();
    assert!(print.contains("Our purpose"), "old print page served");
    let json = server.get("/handbook.json").text();
    assert!(json.contains("\"Our purpose\""), "old handbook.json served");
}

#[test]
fn a_member_edit_rebuilds_the_pages_that_show_the_member() {
    let book = Book::good();
    let server = book.serve();
    let mut events = server.events();
    let v0 = version_of(&events.first());
    let pages = [
        "/roles/facilitator/",
        "/roles/",
        "/members/amara/",
        "/define/purpose/",
        "/progress/",
    ];
    for url in pages {
        assert!(server.get(url).text().contains("Luka Kovač"), "{url}");
    }
    book.edit("content/members/luka.md", "Luka Kovač", "Luca Kovač");
    events.wait_for("reload", |e| e.name == "reload" && version_of(e) > v0);
    for url in pages {
        let html = server.get(url).text();
        assert!(
            html.contains("Luca Kovač") && !html.contains("Luka Kovač"),
            "{url} does not show the new name:\n{html}"
        );
    }
    // "rebuilt N of M pages in X ms; K files changed"
    let log = server.log();
    let line = log
        .lines()
        .rfind(|l| l.starts_with("rebuilt ") && l.contains(" of "))
        .unwrap_or_else(|| panic!("no summary line:\n{log}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let (n, m): (usize, usize) = (words[1].parse().expect("N"), words[3].parse().expect("M"));
    assert!(n >= pages.len() && n < m / 2, "{line}");
}

/// Prose-only edits take serve's fast path: the edited page is rendered
/// again at once, and only it is named in the reload. The pages that
/// gather every body (the print page) follow when edits pause, named in a
/// second reload, after which the served site is a fresh build.
#[test]
fn after_a_prose_edit_the_served_site_is_a_fresh_build() {
    let book = Book::good();
    let server = book.serve();
    let mut events = server.events();
    let v0 = version_of(&events.first());
    book.edit(PURPOSE, OLD_SENTENCE, "We help stewards share.");
    let first = events.wait_for("reload", |e| e.name == "reload" && version_of(e) > v0);
    assert_eq!(
        first.data.lines().skip(1).collect::<Vec<_>>(),
        ["define/purpose/index.html"]
    );
    assert!(
        server
            .get(PURPOSE_URL)
            .text()
            .contains("We help stewards share.")
    );
    events.wait_for("the print page's refresh", |e| {
        e.name == "reload" && e.data.lines().skip(1).any(|l| l == "print/index.html")
    });
    assert_serves_a_fresh_build(&server, &book, "prose");
}

// ---------------------------------------------------------------------------
// 3. A broken edit keeps the old content and sends an error event

#[test]
fn a_broken_edit_keeps_the_last_good_site_and_sends_the_error() {
    let book = Book::good();
    let server = book.serve();
    let mut events = server.events();
    let v0 = version_of(&events.first());
    assert!(server.get(PURPOSE_URL).text().contains(OLD_SENTENCE));

    break_purpose(&book);
    let err = events.wait_for("an error event", |e| e.name == "error");
    assert_purpose_error(&err.data);

    // The last good site is still served.
    let r = server.get(PURPOSE_URL);
    assert_eq!(r.status, 200, "{r:?}");
    let html = r.text();
    assert!(html.contains(PURPOSE_TITLE), "{html}");
    assert!(html.contains(OLD_SENTENCE), "{html}");
    assert_eq!(server.get("/").status, 200);

    // A page opened now is told about the error at once.
    let mut later = server.events();
    let first = later.first();
    assert_eq!(first.name, "error", "{first:?}");
    assert_purpose_error(&first.data);

    // Fixed, with a new sentence: the error clears and the page updates.
    let fixed_sentence = "We help data stewards share practice, now fixed.";
    book.write(
        PURPOSE,
        &book
            .read(PURPOSE)
            .replace("titel = ", "title = ")
            .replace(OLD_SENTENCE, fixed_sentence),
    );
    let ev = events.wait_for("ok or reload", |e| e.name == "ok" || e.name == "reload");
    if ev.name == "reload" {
        assert!(version_of(&ev) > v0, "{ev:?}");
    }
    let html = server.get(PURPOSE_URL).text();
    assert!(html.contains(fixed_sentence), "{html}");
    let ev = later.wait_for("ok or reload", |e| e.name == "ok" || e.name == "reload");
    assert_ne!(ev.name, "error");
    let mut after = server.events();
    assert_eq!(after.first().name, "reload", "no error left");
}

/// Replaces `from` by `to` in ways-of-working.md under serve and expects
/// an error event naming `needle`, with the broken page not served.
fn a_broken_edit_is_an_error_event(from: &str, to: &str, needle: &str) {
    let book = Book::good();
    let server = book.serve();
    let mut events = server.events();
    version_of(&events.first());
    let page = "content/02-plan/ways-of-working.md";
    book.edit(page, from, to);
    let ev = events.wait_any();
    assert_eq!(ev.name, "error", "{ev:?}");
    assert!(has_error_at(&ev.data, page), "{}", ev.data);
    assert!(ev.data.contains(needle), "{}", ev.data);
    let html = server.get("/plan/ways-of-working/").text();
    assert!(!html.contains(needle), "the broken page was served");
}

#[test]
fn a_broken_link_added_to_prose_is_an_error() {
    // Only the prose changes, but the new link points at a missing anchor.
    a_broken_edit_is_an_error_event(
        "Monthly, as",
        "Monthly ([see](../01-define/purpose.md#nope)), as",
        "#nope",
    );
}

/// A prose-only edit takes serve's fast path (one page re-rendered); a
/// broken link in its raw HTML must still be caught there.
#[test]
fn a_broken_raw_html_link_in_a_prose_edit_is_an_error() {
    a_broken_edit_is_an_error_event(
        "Monthly, as",
        "Monthly (<a href=\"../no-such-page/\">see</a>), as",
        "no-such-page",
    );
}

#[test]
fn undoing_a_broken_edit_sends_ok() {
    let book = Book::good();
    let server = book.serve();
    let original = book.read(PURPOSE);
    let mut events = server.events();
    let v0 = version_of(&events.first());

    break_purpose(&book);
    events.wait_for("an error event", |e| e.name == "error");
    // Back to exactly what was served: nothing changed, so `ok`, not a
    // reload, and the version stays.
    book.write(PURPOSE, &original);
    let ev = events.wait_for("ok", |e| e.name != "error");
    assert_eq!(ev.name, "ok", "{ev:?}");
    let mut later = server.events();
    assert_eq!(version_of(&later.first()), v0);
}

// ---------------------------------------------------------------------------
// 4. A deleted page gives 404

#[test]
fn a_deleted_page_is_404_after_the_rebuild() {
    let book = Book::good();
    let server = book.serve();
    let url = "/cases/amara/";
    let r = server.get(url);
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Amara"), "{}", r.text());
    let mut events = server.events();
    let v0 = version_of(&events.first());

    fs::remove_file(book.path("content/cases/amara.md")).expect("delete page");
    events.wait_for("reload", |e| {
        e.name == "reload"
            && e.data
                .lines()
                .next()
                .unwrap_or("")
                .parse::<u64>()
                .is_ok_and(|v| v > v0)
    });

    let r = server.get(url);
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(r.content_type(), HTML);
    let html = r.text();
    assert!(
        html.contains("Page not found"),
        "not the site's 404:\n{html}"
    );
    assert!(html.contains(LIVE_TAG), "404 page reloads too");
    // Nor redirected without the slash.
    assert_eq!(server.get("/cases/amara").status, 404);
    // The rest of the site is still there.
    assert_eq!(server.get(PURPOSE_URL).status, 200);
}

// ---------------------------------------------------------------------------
// 5. Traversal attempts and other methods

#[test]
fn traversal_attempts_are_refused() {
    let book = Book::good();
    let server = book.serve();
    let secret = "example-org/test-stewards"; // from book.toml
    for path in [
        "/../book.toml",
        "/%2e%2e/book.toml",
        "/%2E%2E/book.toml",
        "/define/../../book.toml",
        "/define/%2e%2e/%2e%2e/book.toml",
        "/./book.toml",
        "/a%2fb",
        "/..%2fbook.toml",
        "/..%5cbook.toml",
        "/%5c..%5cbook.toml",
        "/%00",
        "/index.html%00.css",
        "/..\\book.toml",
        "/define\\purpose/",
        "/%zz",
        "../book.toml",
    ] {
        let raw = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            server.port
        );
        let r = raw_request(server.port, raw.as_bytes());
        assert!(
            (400..500).contains(&r.status),
            "GET {path}: status {} (want 4xx)\n{}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains(secret), "GET {path} leaked book.toml");
    }
    // The server still serves afterwards.
    assert_eq!(server.get("/").status, 200);
}

#[test]
fn other_methods_get_405_with_allow() {
    let book = Book::good();
    let server = book.serve();
    for method in ["POST", "PUT", "DELETE"] {
        let raw = format!(
            "{method} / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            server.port
        );
        let r = raw_request(server.port, raw.as_bytes());
        assert_eq!(r.status, 405, "{method} /: {r:?}");
        let allow = r
            .header("Allow")
            .unwrap_or_else(|| panic!("{method}: no Allow"));
        assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
    }
}

// ---------------------------------------------------------------------------
// 6. The build dir stays clean

#[test]
fn serving_and_editing_write_nothing_into_the_book() {
    let book = Book::good();
    let before = common::snapshot_tree(&book.root);
    {
        let server = book.serve();
        let mut events = server.events();
        let v0 = version_of(&events.first());
        for url in ["/", PURPOSE_URL, "/members/", "/progress/", "/404.html"] {
            server.get(url);
        }
        book.edit(PURPOSE, OLD_SENTENCE, "An edited sentence.");
        events.wait_for("reload", |e| {
            e.name == "reload"
                && e.data
                    .lines()
                    .next()
                    .unwrap_or("")
                    .parse::<u64>()
                    .is_ok_and(|v| v > v0)
        });
        break_purpose(&book);
        events.wait_for("error", |e| e.name == "error");
        for url in ["/", PURPOSE_URL] {
            server.get(url);
        }
    }
    let after = common::snapshot_tree(&book.root);

    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&after),
        names(&before),
        "files were created or removed in the book"
    );
    for (path, bytes) in &before {
        if path != PURPOSE {
            assert_eq!(&after[path], bytes, "{path} changed");
        }
    }
    let book_dirs: Vec<String> = fs::read_dir(&book.root)
        .expect("read book")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("book") && n != "book.toml")
        .collect();
    assert!(book_dirs.is_empty(), "build dirs written: {book_dirs:?}");
    assert!(!book.path("book").exists());
}

// ---------------------------------------------------------------------------
// 7. A CSS-only change

/// The built-in stylesheet with the link colour changed to `colour`.
fn restyled(colour: &str) -> String {
    let css = fs::read_to_string(common::repo_root().join("themes/default/style.css"))
        .expect("built-in css");
    let old = "--link: #0b57b0;";
    assert!(css.contains(old), "built-in css changed; update this test");
    css.replacen(old, &format!("--link: {colour};"), 1)
}

/// Waits for a `css` event (failing on a `reload` or `error` first) and
/// checks the new stylesheet is served and linked.
fn expect_css_event(server: &Server, events: &mut Sse, old_css: &str, colour: &str) -> String {
    let ev = events.wait_any();
    assert_eq!(
        ev.name, "css",
        "a stylesheet change must not reload: {ev:?}"
    );
    assert!(ev.data.starts_with("assets/style-"), "{ev:?}");
    assert!(ev.data.ends_with(".css"), "{ev:?}");
    assert_ne!(format!("/{}", ev.data), old_css, "same stylesheet path");
    let css = server.get(&format!("/{}", ev.data));
    assert_eq!(css.status, 200, "GET /{}", ev.data);
    assert!(css.content_type().starts_with("text/css"));
    assert!(css.text().contains(colour), "new colour not served");
    let linked = stylesheet_of(PURPOSE_URL, &server.get(PURPOSE_URL).text());
    assert_eq!(linked, format!("/{}", ev.data), "pages link the new sheet");
    // The old path is gone.
    assert_eq!(server.get(old_css).status, 404);
    linked
}

#[test]
fn a_stylesheet_change_sends_css_not_reload() {
    let book = Book::good();
    book.write("themes/default/style.css", &restyled("#0b57b0"));
    let server = book.serve();
    let mut events = server.events();
    version_of(&events.first());
    let old_css = stylesheet_of(PURPOSE_URL, &server.get(PURPOSE_URL).text());

    book.write("themes/default/style.css", &restyled("#7a1fa2"));
    let css = expect_css_event(&server, &mut events, &old_css, "#7a1fa2");

    book.write("themes/default/style.css", &restyled("#2255aa"));
    expect_css_event(&server, &mut events, &css, "#2255aa");
}

#[test]
fn a_theme_folder_created_after_start_is_watched() {
    let book = Book::good();
    assert!(!book.path("themes").exists());
    let server = book.serve();
    let mut events = server.events();
    version_of(&events.first());
    let old_css = stylesheet_of(PURPOSE_URL, &server.get(PURPOSE_URL).text());

    fs::create_dir_all(book.path("themes/default")).expect("create theme dir");
    book.write("themes/default/style.css", &restyled("#7a1fa2"));
    let css = expect_css_event(&server, &mut events, &old_css, "#7a1fa2");

    // A second edit inside the new folder is seen through the watch added
    // for it (the first may have been picked up by the rebuild that the
    // folder's creation triggered).
    book.write("themes/default/style.css", &restyled("#2255aa"));
    expect_css_event(&server, &mut events, &css, "#2255aa");
}

#[test]
fn a_theme_folder_removed_and_created_again_is_watched_again() {
    let book = Book::good();
    book.write("themes/default/style.css", &restyled("#7a1fa2"));
    let server = book.serve();
    let mut events = server.events();
    version_of(&events.first());
    let first_css = stylesheet_of(PURPOSE_URL, &server.get(PURPOSE_URL).text());

    // As `git checkout` of a branch without the theme, and back.
    fs::remove_dir_all(book.path("themes")).expect("remove themes");
    let builtin_css = expect_css_event(&server, &mut events, &first_css, "#0b57b0");
    fs::create_dir_all(book.path("themes/default")).expect("create theme dir");
    book.write("themes/default/style.css", &restyled("#2255aa"));
    let css = expect_css_event(&server, &mut events, &builtin_css, "#2255aa");

    // An edit inside the re-created folder.
    book.write("themes/default/style.css", &restyled("#aa5522"));
    expect_css_event(&server, &mut events, &css, "#aa5522");
}

// ---------------------------------------------------------------------------
// 8. The first build failing

#[test]
fn a_failing_first_build_serves_an_error_page_until_fixed() {
    let book = Book::good();
    let original = book.read(PURPOSE);
    break_purpose(&book);
    let mut server = book.serve();
    assert!(server.child_alive(), "serve must keep running");

    for url in ["/", PURPOSE_URL, "/anything"] {
        let r = server.get(url);
        assert_eq!(r.status, 500, "GET {url}: {r:?}");
        assert_eq!(r.content_type(), HTML);
        let html = r.text();
        assert!(html.contains("The handbook has errors"), "{html}");
        assert_purpose_error(&html);
        assert!(html.contains(LIVE_TAG), "the error page reloads itself");
    }
    let mut events = server.events();
    let first = events.first();
    assert_eq!(first.name, "error", "{first:?}");
    assert_purpose_error(&first.data);

    book.write(PURPOSE, &original);
    let ev = events.wait_for("reload", |e| e.name == "reload");
    assert!(version_of(&ev) > 1, "the error page has version 1: {ev:?}");
    let r = server.get("/");
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.text().contains(HOME_TITLE), "{}", r.text());
    let r = server.get(PURPOSE_URL);
    assert_eq!(r.status, 200);
    assert!(r.text().contains(OLD_SENTENCE));
}

// ---------------------------------------------------------------------------
// 9. Many simultaneous clients

#[test]
fn event_streams_do_not_starve_page_requests() {
    let book = Book::good();
    let server = book.serve();
    // The streams are opened one after another (each answered before the
    // next connects): connecting many at once can leave one unanswered,
    // see `simultaneous_connections_are_all_answered`.
    let mut streams = Vec::new();
    let mut v0 = 0;
    for _ in 0..20 {
        let mut s = server.events();
        v0 = version_of(&s.first());
        streams.push(s);
    }

    let urls = [
        "/",
        PURPOSE_URL,
        "/define/community/",
        "/plan/ways-of-working/",
        "/members/amara/",
        "/roles/",
        "/norms/meetings/",
        "/progress/",
    ];
    let port = server.port;
    let results: Vec<(String, u16, bool)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let url = urls[i % urls.len()];
                scope.spawn(move || {
                    let r = request(port, "GET", url);
                    (url.to_owned(), r.status, r.text().contains("</html>"))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("request thread"))
            .collect()
    });
    let failed: Vec<_> = results
        .iter()
        .filter(|(_, status, whole)| *status != 200 || !whole)
        .collect();
    assert!(failed.is_empty(), "failed requests: {failed:?}");

    // Every stream is still open and hears the next rebuild.
    book.edit(PURPOSE, OLD_SENTENCE, "Fifty readers at once.");
    for s in &mut streams {
        s.wait_for("reload", |e| {
            e.name == "reload"
                && e.data
                    .lines()
                    .next()
                    .unwrap_or("")
                    .parse::<u64>()
                    .is_ok_and(|v| v > v0)
        });
    }
}

#[test]
fn simultaneous_connections_are_all_answered() {
    let book = Book::good();
    // As a page reload does: the page, its assets and its event stream
    // connect at the same time, while other pages hold their streams open.
    // A fresh server each round: its pool has only a few idle threads.
    for round in 0..8 {
        let server = book.serve();
        let port = server.port;
        let mut streams: Vec<Sse> = (0..20).map(|_| server.events()).collect();
        let statuses: Vec<u16> = thread::scope(|scope| {
            let handles: Vec<_> = (0..10)
                .map(|_| scope.spawn(move || request(port, "GET", PURPOSE_URL).status))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("request thread"))
                .collect()
        });
        assert!(
            statuses.iter().all(|&s| s == 200),
            "round {round}: {statuses:?}"
        );
        for (i, s) in streams.iter_mut().enumerate() {
            let ev = s.next_before(Instant::now() + DEADLINE);
            assert!(
                ev.is_some(),
                "round {round}: event stream {i} of 20 was never answered"
            );
        }
    }
}

#[test]
fn serves_on_ipv6_loopback() {
    if TcpListener::bind(("::1", 0)).is_err() {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    }
    let book = Book::good();
    let server = Server::start(&book.root, book.tmp.path(), "::1");
    let mut s = TcpStream::connect(("::1", server.port)).expect("connect to [::1]");
    s.set_read_timeout(Some(DEADLINE)).expect("read timeout");
    let req = format!(
        "GET / HTTP/1.1\r\nHost: [::1]:{}\r\nConnection: close\r\n\r\n",
        server.port
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read");
    let r = parse_response(&buf).expect("an HTTP response");
    assert_eq!(r.status, 200);
    assert!(r.text().contains(HOME_TITLE));
}

#[test]
fn a_save_while_serve_starts_is_picked_up() {
    // The window is short; several starts make hitting it likely.
    for round in 0..10 {
        let book = Book::good();
        let server = Server::launch(&book.root, book.tmp.path(), LOOPBACK);
        let sentence = format!("Saved while starting, round {round}.");
        book.edit(PURPOSE, OLD_SENTENCE, &sentence);
        let until = Instant::now() + DEADLINE;
        while !server.get(PURPOSE_URL).text().contains(&sentence) {
            assert!(
                Instant::now() < until,
                "round {round}: the save made as serve started was never served\n{}",
                server.log()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}
