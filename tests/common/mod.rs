//! Helpers shared by the integration tests: run the built `copbook` binary,
//! read what it wrote, copy fixtures, and crawl a built site for broken
//! links. Every run fixes `COPBOOK_TODAY` so stale-page checks and the
//! progress page are reproducible.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod serve;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The date every test run pretends it is.
pub const TODAY: &str = "2026-11-22";

/// Runs `git` in `dir` as a fixed author at a fixed `date`, with no
/// system or user configuration, and fails the test if git fails.
pub fn git(dir: &Path, args: &[&str], date: &str) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.org")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.org")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The repository root (where Cargo.toml, content/ and book.toml are).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests").join("fixtures").join(name)
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `copbook ARGS` in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_copbook"))
        .args(args)
        .current_dir(cwd)
        .env("COPBOOK_TODAY", TODAY)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run copbook");
    Run {
        // A signal (e.g. an abort) has no code: report it as -1.
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `copbook ARGS` from the repository root.
pub fn run(args: &[&str]) -> Run {
    run_in(&repo_root(), args)
}

/// A path as a command-line argument.
pub fn arg(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// A successful build of `book` into a fresh temporary folder.
pub struct Site {
    /// Keeps the temporary folder alive.
    pub tmp: tempfile::TempDir,
    /// The build dir (`<tmp>/site`).
    pub dir: PathBuf,
    pub run: Run,
}

impl Site {
    /// The text of an output file, e.g. `define/purpose/index.html`.
    pub fn read(&self, rel: &str) -> String {
        read_output(&self.dir, rel)
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.dir.join(rel).exists()
    }
}

/// Builds `book` into `<tmp>/site` with extra `args`; panics unless the
/// build succeeds.
pub fn build_with(book: &Path, extra: &[&str]) -> Site {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("site");
    let mut args = vec!["build", arg(book), "-d", arg(&dir)];
    args.extend_from_slice(extra);
    let run = run(&args);
    assert_eq!(
        run.code,
        0,
        "build of {} failed\nstdout:\n{}\nstderr:\n{}",
        book.display(),
        run.stdout,
        run.stderr
    );
    Site { tmp, dir, run }
}

pub fn build(book: &Path) -> Site {
    build_with(book, &[])
}

/// Reads an output file as text, with a clear message when it is missing.
pub fn read_output(site: &Path, rel: &str) -> String {
    let p = site.join(rel);
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// Copies a folder tree (files and folders only).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Copies fixture `name` into a new temporary folder; returns the folder
/// and the copy's path (`<tmp>/book`).
pub fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let book = tmp.path().join("book");
    copy_dir(&fixture(name), &book);
    (tmp, book)
}

/// Every file under `dir` (relative path -> bytes), including dot files.
pub fn snapshot_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read dir") {
            let entry = entry.expect("dir entry");
            let p = entry.path();
            if entry.file_type().expect("file type").is_dir() {
                // Folders are recorded too, so an added empty folder shows.
                let rel = rel_string(base, &p) + "/";
                out.insert(rel, Vec::new());
                walk(base, &p, out);
            } else {
                out.insert(rel_string(base, &p), fs::read(&p).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn rel_string(base: &Path, p: &Path) -> String {
    p.strip_prefix(base)
        .expect("under base")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The `<main>` element of a page (without the shared sidebar and header).
pub fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("page has <main>");
    let end = html[start..].find("</main>").expect("page has </main>") + start;
    &html[start..end + "</main>".len()]
}

/// The part of `html` that follows the heading whose text is `title`, up to
/// the end of its section (or the next `<h2`).
pub fn section<'a>(html: &'a str, title: &str) -> &'a str {
    let needle = format!(">{title}</h2>");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no <h2> `{title}` in:\n{html}"))
        + needle.len();
    let rest = &html[start..];
    let end = [rest.find("</section>"), rest.find("<h2")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The value of the `<dd>` that follows `<dt>{term}</dt>`.
pub fn dd<'a>(html: &'a str, term: &str) -> &'a str {
    let needle = format!("<dt>{term}</dt><dd>");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no <dt>{term}</dt> in:\n{html}"))
        + needle.len();
    let end = html[start..].find("</dd>").expect("</dd>") + start;
    &html[start..end]
}

/// Every `<a href="…">text</a>` in `html`, as (href, text without tags).
pub fn links(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<a ") {
        rest = &rest[i..];
        let tag_end = rest.find('>').expect("end of <a> tag");
        let href = attr(&rest[..tag_end], "href").unwrap_or_default();
        let close = rest.find("</a>").expect("</a>");
        let text = strip_tags(&rest[tag_end + 1..close]);
        out.push((decode_entities(&href), decode_entities(&text)));
        rest = &rest[close..];
    }
    out
}

/// `links`, as `text -> href` pairs written `"text=href"`, which reads well
/// in assertion failures.
pub fn link_list(html: &str) -> Vec<String> {
    links(html)
        .into_iter()
        .map(|(h, t)| format!("{t}={h}"))
        .collect()
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_owned())
}

pub fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

pub fn decode_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every value of `href="…"` and `src="…"` in a page.
pub fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for name in ["href", "src"] {
        let needle = format!("{name}=\"");
        let mut from = 0;
        while let Some(i) = html[from..].find(&needle) {
            let start = from + i;
            let value_start = start + needle.len();
            from = value_start;
            // Only whole attribute names: `href=`, not `data-href=`.
            let before = html[..start].chars().next_back();
            if !before.is_some_and(char::is_whitespace) {
                continue;
            }
            let Some(len) = html[value_start..].find('"') else {
                continue;
            };
            out.push(decode_entities(&html[value_start..value_start + len]));
        }
    }
    out
}

/// The ids a page defines (`id="…"` and `name="…"` anchors).
pub fn ids_of(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for needle in [" id=\"", " name=\""] {
        let mut from = 0;
        while let Some(i) = html[from..].find(needle) {
            let start = from + i + needle.len();
            let Some(len) = html[start..].find('"') else {
                break;
            };
            out.push(decode_entities(&html[start..start + len]));
            from = start + len;
        }
    }
    out
}

/// Resolves `rel` against the folder `base` (both `/`-separated, relative
/// to the site root); `None` when it climbs above the root.
fn join_url(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// What a crawl found.
#[derive(Debug, Default)]
pub struct Crawl {
    /// Internal references checked.
    pub checked: usize,
    /// `page: reference (why)` for each broken one.
    pub broken: Vec<String>,
}

/// Checks every internal `href`/`src` of every HTML page of the site: the
/// file it points to exists and, for `#anchor`, the target page has that
/// id. Links are resolved relative to the page; root-relative links
/// (`/x/`) must start with `site_path` (the path part of `site-url`).
pub fn crawl(site: &Path, site_path: &str) -> Crawl {
    let pages: Vec<String> = snapshot_tree(site)
        .into_keys()
        .filter(|p| p.ends_with(".html"))
        .collect();
    let mut ids_cache: HashMap<String, Vec<String>> = HashMap::new();
    let mut ids = |file: &str| -> Vec<String> {
        ids_cache
            .entry(file.to_owned())
            .or_insert_with(|| ids_of(&fs::read_to_string(site.join(file)).unwrap_or_default()))
            .clone()
    };
    let mut result = Crawl::default();
    for page in &pages {
        let html = read_output(site, page);
        let dir = page.rsplit_once('/').map_or("", |(d, _)| d);
        for r in references(&html) {
            let lower = r.to_ascii_lowercase();
            if lower.contains("://")
                || r.starts_with("//")
                || ["mailto:", "tel:", "data:", "javascript:"]
                    .iter()
                    .any(|s| lower.starts_with(s))
            {
                continue;
            }
            result.checked += 1;
            let (path, anchor) = match r.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (r.as_str(), None),
            };
            let path = path.split('?').next().unwrap_or("");
            let path = percent_decode(path);
            let target = if path.is_empty() {
                Some(page.clone())
            } else if let Some(abs) = path.strip_prefix('/') {
                let base = site_path.trim_matches('/');
                let under = if base.is_empty() {
                    Some(abs)
                } else {
                    abs.strip_prefix(base)
                        .and_then(|s| s.strip_prefix('/').or(s.is_empty().then_some("")))
                };
                under.and_then(|u| join_url("", u))
            } else {
                join_url(dir, &path)
            };
            let Some(mut target) = target else {
                result.broken.push(format!("{page}: {r} (leaves the site)"));
                continue;
            };
            if target.is_empty() || path.ends_with('/') || site.join(&target).is_dir() {
                if !target.is_empty() && !target.ends_with('/') {
                    target.push('/');
                }
                target.push_str("index.html");
            }
            if !site.join(&target).is_file() {
                result
                    .broken
                    .push(format!("{page}: {r} (no file {target})"));
                continue;
            }
            if let Some(a) = anchor.filter(|a| !a.is_empty()) {
                let a = percent_decode(a);
                if target.ends_with(".html") && !ids(&target).contains(&a) {
                    result
                        .broken
                        .push(format!("{page}: {r} (no id `{a}` in {target})"));
                }
            }
        }
    }
    result
}

/// Crawls a site built at `/` and panics with the list of broken links.
pub fn assert_no_broken_links(site: &Path, site_path: &str) -> Crawl {
    let c = crawl(site, site_path);
    assert!(
        c.broken.is_empty(),
        "{} broken links in {}:\n{}",
        c.broken.len(),
        site.display(),
        c.broken.join("\n")
    );
    c
}

/// Splits a `check` report into its diagnostics and the summary line.
pub fn split_summary(out: &str) -> (&str, &str) {
    let trimmed = out.strip_suffix('\n').unwrap_or(out);
    match trimmed.rfind('\n') {
        Some(i) => (&out[..i + 1], &trimmed[i + 1..]),
        None => ("", trimmed),
    }
}

/// "1 error, 0 warnings" for a diagnostics text.
pub fn summary_of(diags: &str) -> String {
    let errors = diags.lines().filter(|l| l.contains(": error: ")).count();
    let warnings = diags.lines().filter(|l| l.contains(": warning: ")).count();
    format!(
        "{errors} error{}, {warnings} warning{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    )
}

/// Sets `[build] link-check = VALUE` in the book.toml of a fixture copy
/// (the fixtures have a `[repository]` table and no `[build]` one).
#[allow(dead_code)]
pub fn set_link_check(book: &Path, value: &str) {
    let toml = book.join("book.toml");
    let text = fs::read_to_string(&toml).expect("book.toml");
    assert!(
        !text.contains("[build]"),
        "the fixture has no [build] table"
    );
    fs::write(
        &toml,
        text.replace(
            "[repository]",
            &format!("[build]\nlink-check = \"{value}\"\n\n[repository]"),
        ),
    )
    .expect("book.toml written");
}

/// Makes the book's own theme: the built-in base.html with `extra` at the
/// start of `<body>`.
#[allow(dead_code)]
pub fn theme_with(book: &Path, extra: &str) {
    let base = fs::read_to_string(repo_root().join("themes/default/base.html")).expect("base.html");
    assert!(base.contains("<body>"));
    let dir = book.join("themes/default");
    fs::create_dir_all(&dir).expect("theme folder");
    fs::write(
        dir.join("base.html"),
        base.replacen("<body>", &format!("<body>\n{extra}"), 1),
    )
    .expect("base.html written");
}
