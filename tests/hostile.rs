//! Hostile and strange input: each handbook here is written at test time
//! (big inputs are generated, never committed), built or checked with the
//! real binary, and held to one exact outcome: the diagnostics a user sees
//! (`path:line:col: error: …`, exit 1, nothing written), or a site whose
//! bytes are asserted. No input may panic copbook, leak a file from outside
//! the book or write anything it was not asked to.

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A copy of the minimal fixture in a temporary folder, with helpers to
/// add and remove files.
struct Book {
    tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Book {
    fn minimal() -> Book {
        let (tmp, root) = copy_fixture("minimal");
        Book { tmp, root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Self {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
        self
    }

    /// `check` fails with exactly `diags`, and `build` with the same
    /// diagnostics writes nothing.
    fn fails_with(&self, diags: &str) {
        let r = run(&["check", arg(&self.root)]);
        assert_eq!(r.code, 1, "{r:#?}");
        // The diagnostics, then one summary line.
        let body = r.stdout.trim_end_matches('\n');
        let got = &r.stdout[..body.rfind('\n').map_or(0, |i| i + 1)];
        assert_eq!(got, diags, "check output:\n{}", r.stdout);
        let dest = self.tmp.path().join("site");
        let b = run(&["build", arg(&self.root), "-d", arg(&dest)]);
        assert_eq!(b.code, 1, "{b:#?}");
        assert!(b.stderr.starts_with(diags), "build stderr:\n{}", b.stderr);
        assert!(
            b.stderr.ends_with("; nothing was written\n"),
            "{}",
            b.stderr
        );
        assert!(!dest.exists(), "a failed build wrote {}", dest.display());
    }

    /// Builds into `<tmp>/site`, which must succeed.
    fn builds(&self, extra: &[&str]) -> PathBuf {
        let dest = self.tmp.path().join("site");
        let mut args = vec!["build", arg(&self.root), "-d", arg(&dest)];
        args.extend_from_slice(extra);
        let r = run(&args);
        assert_eq!(r.code, 0, "{r:#?}");
        dest
    }
}

// ---------------------------------------------------------------------------
// Front matter: syntax, types, keys

#[test]
fn malformed_toml_is_one_error_at_its_position() {
    let b = Book::minimal();
    b.write(
        "content/01-define/x.md",
        "+++\ntitle = \"P\norder = 1\n+++\nbody\n",
    );
    b.fails_with(
        "content/01-define/x.md:2:11: error: invalid TOML: invalid basic string, expected `\"`\n",
    );
}

#[test]
fn malformed_book_toml() {
    let b = Book::minimal();
    b.write("book.toml", "[book\ntitle = \"M\"\n");
    let r = run(&["check", arg(&b.root)]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(
        r.stdout.starts_with("book.toml:1:6: error: invalid TOML: "),
        "{}",
        r.stdout
    );
}

#[test]
fn wrong_types_and_unknown_keys_are_all_reported() {
    let b = Book::minimal();
    b.write(
        "content/01-define/x.md",
        "+++\ntitle = 5\norder = \"one\"\nquestions = \"q\"\nreview-by = \"2027-01-01\"\ntitel = \"x\"\n+++\nbody\n",
    );
    b.write(
        "book.toml",
        "[book]\ntitle = \"M\"\n[build]\nsanitize = \"yes\"\nsanitise = true\n",
    );
    b.fails_with(
        "book.toml:4:12: error: `sanitize` must be true or false, found string
book.toml:5:1: error: unknown key `sanitise` in [build]
  hint: did you mean `sanitize`?
content/01-define/x.md:2:9: error: `title` must be a string, found integer
content/01-define/x.md:3:9: error: `order` must be an integer, found string
content/01-define/x.md:4:13: error: `questions` must be an array of strings, found string
content/01-define/x.md:5:13: error: `review-by` must be a date like 2027-03-01, found string
  hint: write the date without quotes, like `2027-03-01`
content/01-define/x.md:6:1: error: unknown key `titel` in an answer page
  hint: did you mean `title`?
",
    );
}

#[test]
fn a_missing_closing_fence() {
    let b = Book::minimal();
    b.write("content/members/bo.md", "+++\nname = \"Bo\"\n\nBio.\n");
    b.fails_with(
        "content/members/bo.md:1:1: error: front matter opened with `+++` is never closed
  hint: add a closing `+++` line after the last front matter line
",
    );
}

/// Whether the file system tells `Ana.md` from `ana.md`.
fn case_sensitive(dir: &Path) -> bool {
    let probe = dir.join("CaseProbe");
    fs::write(&probe, "").unwrap();
    let sensitive = !dir.join("caseprobe").exists();
    fs::remove_file(probe).unwrap();
    sensitive
}

#[test]
fn ids_that_differ_only_in_case_are_one_url() {
    let b = Book::minimal();
    if !case_sensitive(&b.root) {
        eprintln!("case-insensitive file system: Ana.md and ana.md cannot both exist; skipped");
        return;
    }
    b.write("content/members/Ana.md", "+++\nname = \"Other Ana\"\n+++\n");
    b.fails_with(
        "content/members/ana.md:1:1: error: `content/members/Ana.md` and this file both make the URL /members/ana/
  hint: rename one of them
",
    );
}

#[test]
fn two_phases_with_the_same_slug() {
    let b = Book::minimal();
    b.write("content/02-define/more.md", "+++\ntitle = \"More\"\n+++\n");
    b.fails_with(
        "content/02-define:1:1: error: phase folders `01-define` and `02-define` both make the URL /define/
  hint: rename one of them
",
    );
}

#[test]
fn unknown_references_of_every_kind() {
    let b = Book::minimal();
    b.write(
        "content/01-define/refs.md",
        "+++
title = \"Refs\"
owner = \"nobody\"
members = [\"bob\"]
roles = [\"chair\"]
norms = [\"voting\"]
+++

[[zed]] [[member:zed]] [[role:zed]] [[norm:zed]] [[case:zed]] [[page:zed]]
[[01-define/nope]] [[01-define/purpose#nope]] [[nope/purpose]]
[a](../nope.md) [b](purpose.md#nope) ![c](nope.png) [d](#nope)
",
    )
    .write(
        "content/members/bo.md",
        "+++\nname = \"Bo\"\nroles = [\"chair\", \"r\"]\n+++\n",
    )
    .write(
        "content/roles/r.md",
        "+++\ntitle = \"R\"\nnorms = [\"voting\"]\n+++\n",
    )
    .write(
        "content/norms/n.md",
        "+++\ntitle = \"N\"\nowner = \"nobody\"\n+++\n",
    )
    .write("content/cases/c.md", "+++\nmember = \"nobody\"\n+++\n")
    .write(
        "book.toml",
        "[book]\ntitle = \"M\"\n[onboarding]\npath = [\"nope.md\", \"members/zed.md\", \"roles\", \"zzz\"]\n",
    );
    b.fails_with(
        "book.toml:4:9: error: onboarding step `nope.md` is not a page of the handbook
  hint: use a path under content/ such as `01-define/purpose.md`, or members, roles, norms, progress
book.toml:4:20: error: onboarding step `members/zed.md` is not a page of the handbook
  hint: did you mean `members/bo.md`?
book.toml:4:47: error: onboarding step `zzz` is not a page of the handbook
  hint: use a path under content/ such as `01-define/purpose.md`, or members, roles, norms, progress
content/01-define/refs.md:3:9: error: unknown member `nobody`
  hint: add content/members/nobody.md, or fix the id
content/01-define/refs.md:4:12: error: unknown member `bob`
  hint: did you mean `bo`?
content/01-define/refs.md:5:10: error: unknown role `chair`
  hint: add content/roles/chair.md, or fix the id
content/01-define/refs.md:6:10: error: unknown norm `voting`
  hint: add content/norms/voting.md, or fix the id
content/01-define/refs.md:9:1: error: unknown link target `zed`
content/01-define/refs.md:9:9: error: unknown member `zed`
content/01-define/refs.md:9:24: error: unknown role `zed`
content/01-define/refs.md:9:37: error: unknown norm `zed`
content/01-define/refs.md:9:50: error: unknown case `zed`
content/01-define/refs.md:9:63: error: no page `zed`
content/01-define/refs.md:10:1: error: phase `01-define` has no page `nope`
content/01-define/refs.md:10:20: error: `Purpose` has no heading with the anchor `#nope`
content/01-define/refs.md:10:47: error: no page `nope/purpose`
content/01-define/refs.md:11:1: error: link to `../nope.md`: no such file `content/nope.md`
  hint: did you mean `content/roles/r.md`?
content/01-define/refs.md:11:17: error: `Purpose` has no heading with the anchor `#nope`
content/01-define/refs.md:11:38: error: link to `nope.png`: no such file `content/01-define/nope.png`
  hint: did you mean `content/01-define/purpose.md`?
content/01-define/refs.md:11:53: error: `Refs` has no heading with the anchor `#nope`
content/cases/c.md:2:10: error: unknown member `nobody`
  hint: add content/members/nobody.md, or fix the id
content/members/bo.md:3:10: error: unknown role `chair`
  hint: add content/roles/chair.md, or fix the id
content/norms/n.md:3:9: error: unknown member or role `nobody`
content/roles/r.md:3:10: error: unknown norm `voting`
  hint: add content/norms/voting.md, or fix the id
",
    );
}

// ---------------------------------------------------------------------------
// Encodings and empty files

#[test]
fn bom_and_crlf_build_like_plain_lf() {
    let b = Book::minimal();
    b.write(
        "content/01-define/bom.md",
        b"\xef\xbb\xbf+++\r\ntitle = \"Bom\"\r\nquestions = [\"Is it read?\"]\r\n+++\r\n\r\n## Is it read?\r\n\r\nYes, \xc3\xa9t\xc3\xa9.\r\n",
    );
    let site = b.builds(&[]);
    let html = read_output(&site, "define/bom/index.html");
    assert!(html.contains("<title>Bom · Minimal CoP</title>"), "{html}");
    assert!(
        html.contains("<h2 id=\"is-it-read\">Is it read? <a class=\"anchor\" href=\"#is-it-read\""),
        "{html}"
    );
    assert!(html.contains("<p>Yes, été.</p>"), "{html}");
    assert!(!html.contains('\u{feff}'), "the BOM leaked into the page");
    assert!(
        !html.contains("Not answered yet"),
        "the CRLF answer was not seen"
    );
}

#[test]
fn a_bom_and_crlf_error_has_the_editor_position() {
    let b = Book::minimal();
    b.write(
        "content/01-define/bom.md",
        b"\xef\xbb\xbf+++\r\ntitle = \"Bom\"\r\nowner = \"zed\"\r\n+++\r\n",
    );
    b.fails_with(
        "content/01-define/bom.md:3:9: error: unknown member `zed`
  hint: add content/members/zed.md, or fix the id
",
    );
}

#[test]
fn non_utf8_bytes_are_an_error_at_the_first_bad_byte() {
    let b = Book::minimal();
    b.write(
        "content/01-define/bad.md",
        b"+++\ntitle = \"Bad\"\n+++\nabc\n\xff\xfe oops\n",
    )
    .write(
        "content/01-define/bad2.md",
        b"+++\ntitle = \"Ba\xe9d\"\n+++\n",
    );
    b.fails_with(
        "content/01-define/bad.md:5:1: error: file is not valid UTF-8
  hint: save the file as UTF-8
content/01-define/bad2.md:2:12: error: file is not valid UTF-8
  hint: save the file as UTF-8
",
    );
}

#[test]
fn empty_records_need_front_matter() {
    let b = Book::minimal();
    b.write("content/01-define/empty.md", "")
        .write("content/members/empty.md", "");
    b.fails_with(
        "content/01-define/empty.md:1:1: error: an answer page needs front matter
  hint: start the file with `+++`, then `title = \"…\"`, then `+++`
content/members/empty.md:1:1: error: a member needs front matter
  hint: start the file with `+++`, then `name = \"…\"`, then `+++`
",
    );
}

#[test]
fn empty_home_and_phase_files_and_front_matter_only_build() {
    let b = Book::minimal();
    b.write("content/index.md", "")
        .write("content/01-define/_phase.md", "")
        .write("content/01-define/only.md", "+++\ntitle = \"Only\"\n+++")
        .write("content/members/bo.md", "+++\nname = \"Bo\"\n+++\n");
    let site = b.builds(&[]);
    let only = read_output(&site, "define/only/index.html");
    assert!(only.contains("<title>Only · Minimal CoP</title>"));
    assert!(
        main_of(&only).contains("<h1>Only</h1>"),
        "{}",
        main_of(&only)
    );
    let home = read_output(&site, "index.html");
    assert!(home.contains("<title>Minimal CoP</title>"), "{home}");
    assert!(site.join("members/bo/index.html").exists());
}

// ---------------------------------------------------------------------------
// Size and depth

/// Paragraphs with a link, emphasis and code, up to `bytes`.
fn big_body(bytes: usize) -> String {
    let para = "Some words in a paragraph about [[ana]] and *emphasis* and `code`.\n\n";
    para.repeat(bytes / para.len())
}

#[test]
fn a_20_mb_page_builds() {
    let b = Book::minimal();
    let body = big_body(20_000_000);
    let paragraphs = body.matches("\n\n").count();
    b.write(
        "content/01-define/big.md",
        format!("+++\ntitle = \"Big\"\n+++\n\n## Section\n\n{body}"),
    );
    assert!(
        fs::metadata(b.path("content/01-define/big.md"))
            .unwrap()
            .len()
            > 19_900_000
    );
    let site = b.builds(&[]);
    let html = read_output(&site, "define/big/index.html");
    assert_eq!(
        html.matches("<p>Some words in a paragraph about <a href=\"../../members/ana/\">Ana Silva</a> and <em>emphasis</em> and <code>code</code>.</p>").count(),
        paragraphs
    );
    assert!(html.ends_with("</html>\n"));
}

#[test]
fn a_file_over_32_mib_is_refused() {
    let b = Book::minimal();
    let p = b.path("content/01-define/huge.md");
    // Sparse: the size is checked before anything is read.
    fs::File::create(&p)
        .unwrap()
        .set_len(33 * 1024 * 1024)
        .unwrap();
    b.fails_with(
        "content/01-define/huge.md:1:1: error: file is 33 MiB, over the 32 MiB limit
  hint: split it into several pages
",
    );
    // Exactly at the limit is still read (and then judged on its text).
    fs::remove_file(&p).unwrap();
    let mut text = "+++\ntitle = \"Limit\"\n+++\n".to_owned().into_bytes();
    text.resize(32 * 1024 * 1024, b'\n');
    b.write("content/01-define/limit.md", &text);
    let site = b.builds(&[]);
    assert!(site.join("define/limit/index.html").exists());
}

#[test]
fn nesting_10000_deep_lists_and_quotes() {
    let b = Book::minimal();
    let deep = format!(
        "+++\ntitle = \"Deep\"\n+++\n\n{}deep list\n\n{} deep quote\n",
        "- ".repeat(10_000),
        ">".repeat(10_000)
    );
    b.write("content/01-define/deep.md", deep);
    let site = b.builds(&[]);
    let html = read_output(&site, "define/deep/index.html");
    assert_eq!(html.matches("<blockquote>").count(), 10_000);
    assert_eq!(html.matches("</blockquote>").count(), 10_000);
    // 10,000 lists, plus the sidebar's.
    let sidebar = read_output(&site, "define/purpose/index.html")
        .matches("<ul")
        .count();
    assert!(
        html.matches("<ul>").count() >= 10_000 + sidebar - 5,
        "lists"
    );
    assert_eq!(
        html.matches("<ul").count() - html.matches("</ul>").count(),
        0,
        "unbalanced lists"
    );
    assert!(html.contains("deep list</li>"));
    assert!(html.contains("<p>deep quote</p>"));
}

#[test]
fn a_line_of_1_mb() {
    let b = Book::minimal();
    let line = "word ".repeat(200_000);
    b.write(
        "content/01-define/long.md",
        format!("+++\ntitle = \"Long\"\n+++\n\n{line}\n"),
    );
    let site = b.builds(&[]);
    let html = read_output(&site, "define/long/index.html");
    assert!(html.contains(&format!("<p>{}</p>", line.trim_end())));
}

// ---------------------------------------------------------------------------
// File names and links on disk

#[test]
fn file_names_with_spaces_unicode_hashes_and_dots() {
    let b = Book::minimal();
    for name in ["with space", "Été plan", "a#b", "#draft"] {
        b.write(
            &format!("content/01-define/{name}.md"),
            format!("+++\ntitle = \"T {name}\"\n+++\nBody.\n"),
        );
    }
    // Hidden files and editor leftovers are ignored, even when broken.
    b.write("content/01-define/.hidden.md", "+++\nbroken")
        .write("content/01-define/#purpose.md#", "+++\nbroken")
        .write("content/01-define/purpose.md~", "+++\nbroken")
        .write("content/.git-like/x.md", "+++\nbroken");
    b.write(
        "content/01-define/links.md",
        "+++\ntitle = \"Links\"\n+++\n[s](with%20space.md) [u](<Été plan.md>) [h](a%23b.md) [[01-define/with space]] [[define/ete-plan]] [[define/a-b]]\n",
    );
    let site = b.builds(&[]);
    let mut pages: Vec<String> = snapshot_tree(&site.join("define"))
        .into_keys()
        .filter(|k| k.ends_with("index.html"))
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "a-b/index.html",
            "draft/index.html",
            "ete-plan/index.html",
            "index.html",
            "links/index.html",
            "purpose/index.html",
            "with-space/index.html"
        ]
    );
    let html = read_output(&site, "define/links/index.html");
    assert!(
        html.contains("<p><a href=\"../../define/with-space/\">s</a> <a href=\"../../define/ete-plan/\">u</a> <a href=\"../../define/a-b/\">h</a> <a href=\"../../define/with-space/\">T with space</a> <a href=\"../../define/ete-plan/\">T Été plan</a> <a href=\"../../define/a-b/\">T a#b</a></p>"),
        "{}",
        main_of(&html)
    );
    assert!(!site.join(".hidden.md").exists());
    assert_no_broken_links(&site, "/");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_an_error() {
    let b = Book::minimal();
    std::os::unix::fs::symlink("..", b.path("content/01-define/loop")).unwrap();
    b.fails_with(
        "content/01-define/loop:1:1: error: symlink loop: this folder links back to one of its parents\n",
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_leaving_the_book_is_refused_and_not_copied() {
    let b = Book::minimal();
    let outside = b.tmp.path().join("secret.md");
    fs::write(&outside, "+++\ntitle = \"Secret\"\n+++\nTOP SECRET\n").unwrap();
    let secret_dir = b.tmp.path().join("secrets");
    fs::create_dir(&secret_dir).unwrap();
    fs::write(secret_dir.join("key.txt"), "TOP SECRET").unwrap();
    std::os::unix::fs::symlink(&outside, b.path("content/01-define/secret.md")).unwrap();
    std::os::unix::fs::symlink(&secret_dir, b.path("content/01-define/files")).unwrap();
    fs::create_dir_all(b.path("static")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", b.path("static/passwd")).unwrap();
    b.fails_with(
        "content/01-define/files:1:1: error: symlink points outside the book
  hint: copy the file into the book instead of linking to it
content/01-define/secret.md:1:1: error: symlink points outside the book
  hint: copy the file into the book instead of linking to it
static/passwd:1:1: error: symlink points outside the book
  hint: copy the file into the book instead of linking to it
",
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_inside_the_book_is_followed() {
    let b = Book::minimal();
    b.write(
        "shared/note.md",
        "+++\ntitle = \"Shared\"\n+++\nShared text.\n",
    );
    std::os::unix::fs::symlink(
        b.path("shared/note.md"),
        b.path("content/01-define/note.md"),
    )
    .unwrap();
    let site = b.builds(&[]);
    assert!(read_output(&site, "define/note/index.html").contains("<p>Shared text.</p>"));
}

// ---------------------------------------------------------------------------
// Escaping: a payload in every front-matter string

/// A script tag and attribute breakouts in both quote styles, numbered so
/// that each field's own escaped copy can be found.
fn payload(n: u32) -> String {
    format!("<script>alert({n})</script>\"onload=\"alert({n})'onload='alert({n})&amp;")
}

/// The payload as HTML text or a double-quoted attribute shows it.
fn payload_html(n: u32) -> String {
    format!(
        "&lt;script&gt;alert({n})&lt;/script&gt;&quot;onload=&quot;alert({n})&#39;onload=&#39;alert({n})&amp;amp;"
    )
}

/// The payload as a string in handbook.json.
fn payload_json(n: u32) -> String {
    format!(
        "\\u003cscript\\u003ealert({n})\\u003c/script\\u003e\\\"onload=\\\"alert({n})'onload='alert({n})\\u0026amp;"
    )
}

fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn payloads_in_every_front_matter_string_are_escaped_everywhere() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("git not found: the feed is not tested");
    }
    let b = Book::minimal();
    let p = |n| toml_str(&payload(n));
    // Fields 1..=22, each with its own number.
    b.write(
        "book.toml",
        format!(
            "[book]\ntitle = {}\ndescription = {}\n[onboarding]\npath = [\"index.md\", \"01-define/purpose.md\"]\n",
            p(1),
            p(2)
        ),
    )
    .write(
        "content/index.md",
        format!("+++\ntitle = {}\n+++\nHome.\n", p(3)),
    )
    .write(
        "content/01-define/_phase.md",
        format!("+++\ntitle = {}\nsummary = {}\n+++\nPhase.\n", p(4), p(5)),
    )
    .write(
        "content/01-define/purpose.md",
        format!(
            "+++\ntitle = {}\nquestions = [{}, {}]\nowner = \"ana\"\nstatus = \"draft\"\nmembers = [\"ana\"]\nroles = [\"coordinator\"]\nnorms = [\"decisions\"]\n+++\n\n## {}\n\nAnswered, by [[ana]] and [[role:coordinator]] under [[norm:decisions]].\n",
            p(6),
            p(7),
            p(8),
            // The first question is answered under a heading with its text.
            payload(7).replace('<', "&lt;").replace('>', "&gt;"),
        ),
    )
    .write(
        "content/members/ana.md",
        format!(
            "+++\nname = {}\nroles = [\"coordinator\"]\nparticipation = \"core\"\norganization = {}\nexpertise = [{}, {}]\ncontact = {}\n+++\nBio.\n",
            p(9),
            p(10),
            p(11),
            p(12),
            p(13)
        ),
    )
    .write(
        "content/roles/coordinator.md",
        format!(
            "+++\ntitle = {}\nsummary = {}\nresponsibilities = [{}, {}]\ncommitment = {}\nnorms = [\"decisions\"]\n+++\nRole.\n",
            p(14),
            p(15),
            p(16),
            p(17),
            p(18)
        ),
    )
    .write(
        "content/norms/decisions.md",
        format!(
            "+++\ntitle = {}\ncategory = {}\nowner = \"coordinator\"\n+++\nNorm.\n",
            p(19),
            p(20)
        ),
    )
    .write(
        "content/cases/ana.md",
        format!(
            "+++\nmember = \"ana\"\ntitle = {}\nquestions = [{}]\n+++\nCase.\n",
            p(21),
            p(22)
        ),
    );
    // A meeting: its strings reach the pages and the calendar files, where
    // a line break must not start a property of its own.
    b.write(
        "content/meetings/m.md",
        format!(
            "+++\ntitle = {}\nstart = 2026-12-01T09:00:00+01:00\nduration = \"1h\"\nlocation = \"Room\\r\\nATTENDEE:mailto:evil@example.org\"\nagenda = {}\nfacilitator = \"ana\"\n+++\nMeeting.\n",
            p(24),
            p(25)
        ),
    );
    let in_git = Command::new("git").arg("--version").output().is_ok();
    if in_git {
        git(&b.root, &["init", "-q"], "2026-05-04T10:00:00+00:00");
        git(&b.root, &["add", "."], "2026-05-04T10:00:00+00:00");
        // The commit subject reaches the feed too.
        git(
            &b.root,
            &["commit", "-q", "-m", &payload(23)],
            "2026-05-04T10:00:00+00:00",
        );
    }
    let site = b.builds(&["--site-url", "https://example.org/cop/"]);
    let files = snapshot_tree(&site);
    let mut names: Vec<&str> = files.keys().map(String::as_str).collect();
    names.retain(|n| {
        n.ends_with(".html") || n.ends_with(".json") || n.ends_with(".xml") || n.ends_with(".js")
    });
    assert!(names.contains(&"sitemap.xml"), "{names:?}");
    assert!(!in_git || names.contains(&"feed.xml"), "{names:?}");
    let mut all_text = String::new();
    for name in &names {
        let text = String::from_utf8(files[*name].clone()).unwrap();
        // handbook.json can be pasted into a <script> as it is (README):
        // no `<` or `>` at all. The search index is only ever parsed with
        // JSON.parse and shown with textContent: it must be valid JSON.
        // In HTML and XML, quotes matter too.
        let raws: &[&str] = if *name == "handbook.json" {
            &["<script>alert(", "<", ">"]
        } else if name.ends_with(".json") {
            serde_json::from_str::<serde_json::Value>(&text)
                .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
            &[]
        } else {
            &[
                "<script>alert(",
                "\"onload=\"",
                "'onload='",
                "onload=\"alert",
                "onload='alert",
            ]
        };
        for raw in raws {
            assert!(
                !text.contains(raw),
                "{name} has the raw payload `{raw}`:\n{}",
                around(&text, raw)
            );
        }
        all_text.push_str(&text);
    }
    // Each field shows, escaped, somewhere in the pages; and in the JSON.
    let html: String = names
        .iter()
        .filter(|n| n.ends_with(".html"))
        .map(|n| String::from_utf8(files[*n].clone()).unwrap())
        .collect();
    for name in files.keys().filter(|n| n.ends_with(".ics")) {
        let ics = String::from_utf8(files[name].clone())
            .unwrap()
            .replace("\r\n ", "");
        assert!(
            !ics.lines().any(|l| l.starts_with("ATTENDEE")),
            "{name}: a line break in a field started a property:\n{ics}"
        );
    }
    for n in (1..=22).chain([24, 25]) {
        assert!(
            html.contains(&payload_html(n)),
            "field {n} is not on any page, escaped"
        );
    }
    let json = String::from_utf8(files["handbook.json"].clone()).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["title"], payload(1));
    assert_eq!(parsed["members"][0]["expertise"][1], payload(12));
    for n in [
        1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
    ] {
        assert!(
            json.contains(&payload_json(n)),
            "field {n} is not in handbook.json, escaped"
        );
    }
    if in_git {
        let feed = String::from_utf8(files["feed.xml"].clone()).unwrap();
        assert!(
            feed.contains(&format!("<title>{}: changes</title>", xml(&payload(1)))),
            "{feed}"
        );
        assert!(feed.contains(&xml(&payload(23))), "{feed}");
        assert!(feed.contains(&xml(&payload(6))), "{feed}");
    }
    // A `javascript:` contact is shown, not linked.
    let member = String::from_utf8(files["members/ana/index.html"].clone()).unwrap();
    assert!(
        member.contains(&format!("<dt>Contact</dt><dd>{}</dd>", payload_html(13))),
        "{}",
        main_of(&member)
    );
}

/// Some text around the first `needle` in `text`, for failure messages.
fn around(text: &str, needle: &str) -> String {
    let i = text.find(needle).unwrap_or(0);
    let before: String = text[..i].chars().rev().take(200).collect();
    let after: String = text[i..].chars().take(200).collect();
    before.chars().rev().collect::<String>() + &after
}

/// XML text as copbook's feed writes it.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[test]
fn contact_links_only_with_a_safe_scheme() {
    let b = Book::minimal();
    let cases = [
        ("a", "ana@example.org", Some("mailto:ana@example.org")),
        (
            "b",
            "https://example.org/ana",
            Some("https://example.org/ana"),
        ),
        ("c", "mailto:c@example.org", Some("mailto:c@example.org")),
        ("d", "tel:+3212345678", Some("tel:+3212345678")),
        ("e", "javascript:alert(1)", None),
        ("f", " JavaScript:alert(1)", None),
        ("g", "data:text/html,<script>alert(1)</script>", None),
        ("h", "vbscript:msgbox", None),
        ("j", "Room 4, second floor", None),
    ];
    for (id, contact, _) in cases {
        b.write(
            &format!("content/members/{id}.md"),
            format!(
                "+++\nname = \"{id}\"\ncontact = {}\n+++\n",
                toml_str(contact)
            ),
        );
    }
    let site = b.builds(&[]);
    for (id, contact, href) in cases {
        let html = read_output(&site, &format!("members/{id}/index.html"));
        let shown = contact
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let want = match href {
            Some(h) => format!("<dt>Contact</dt><dd><a href=\"{h}\">{shown}</a></dd>"),
            None => format!("<dt>Contact</dt><dd>{shown}</dd>"),
        };
        assert!(
            html.contains(&want),
            "{id}: want {want}\n{}",
            main_of(&html)
        );
    }
}

#[test]
fn a_repository_url_must_be_http() {
    let b = Book::minimal();
    b.write(
        "book.toml",
        "[book]\ntitle = \"M\"\n[repository]\nurl = \"javascript:alert(1)//\"\n",
    );
    b.fails_with(
        "book.toml:4:7: error: [repository] `url` must be an http(s) address
  hint: like `https://github.com/org/handbook`
",
    );
}

#[test]
fn a_site_url_with_another_scheme_is_a_path() {
    let b = Book::minimal();
    let site = b.builds(&["--site-url", "javascript://%0aalert(1)"]);
    let html = read_output(&site, "404.html");
    assert!(!html.contains("href=\"javascript:"), "{html}");
    assert!(
        html.contains("href=\"/javascript://%0aalert(1)/members/\""),
        "{html}"
    );
}

// ---------------------------------------------------------------------------
// HTML in Markdown

const HTML_BODY: &str = "+++
title = \"Raw\"
+++

## Heading {#custom .klass}

<div class=\"note\" onclick=\"alert(1)\">Note <b>bold</b></div>

<script>alert(2)</script>
<style>body { display: none }</style>

<img src=\"https://example.org/x.png\" onerror=\"alert(3)\"> <a href=\"javascript:alert(4)\">js</a>
<iframe src=\"https://evil.example/\"></iframe>

- [x] done
- [ ] open

| a | b |
|:--|--:|
| 1 | 2 |

Text[^1] and [[ana]] and a [link](purpose.md#what-is-our-purpose).

[^1]: A footnote.
";

#[test]
fn raw_html_passes_by_default() {
    let b = Book::minimal();
    b.write("content/01-define/raw.md", HTML_BODY);
    let site = b.builds(&[]);
    let html = read_output(&site, "define/raw/index.html");
    for kept in [
        "<div class=\"note\" onclick=\"alert(1)\">Note <b>bold</b></div>",
        "<script>alert(2)</script>",
        "<img src=\"https://example.org/x.png\" onerror=\"alert(3)\">",
        "<a href=\"javascript:alert(4)\">js</a>",
        "<iframe src=\"https://evil.example/\"></iframe>",
    ] {
        assert!(html.contains(kept), "`{kept}` missing:\n{}", main_of(&html));
    }
}

#[test]
fn sanitize_removes_scripts_and_handlers_and_keeps_copbooks_markup() {
    let b = Book::minimal();
    b.write("content/01-define/raw.md", HTML_BODY)
        .write(
            "content/meetings/m.md",
            "+++\ntitle = \"M\"\nstart = 2026-12-01T09:00:00+01:00\nduration = \"1h\"\n+++\nMeeting notes.<script>alert(5)</script><img src=\"https://example.org/i.png\" onerror=\"alert(5)\">\n",
        )
        .write(
            "book.toml",
            "[book]\ntitle = \"Minimal CoP\"\n[build]\nsanitize = true\n",
        );
    let site = b.builds(&[]);
    let html = read_output(&site, "define/raw/index.html");
    let body = {
        let start = html.find("<div class=\"body\">").expect("body");
        let end = html[start..].find("\n</div>\n").unwrap() + start;
        &html[start..end]
    };
    assert_eq!(
        body,
        "<div class=\"body\">
<h2 id=\"custom\" class=\"klass\">Heading <a class=\"anchor\" href=\"#custom\" aria-label=\"Permalink to this section\">#</a></h2>
<div class=\"note\">Note <b>bold</b></div>


<p><img src=\"https://example.org/x.png\"> <a>js</a></p>

<ul>
<li><input disabled=\"\" type=\"checkbox\" checked=\"\">\ndone</li>
<li><input disabled=\"\" type=\"checkbox\">\nopen</li>
</ul>
<table><thead><tr><th style=\"text-align: left\">a</th><th style=\"text-align: right\">b</th></tr></thead><tbody>
<tr><td style=\"text-align: left\">1</td><td style=\"text-align: right\">2</td></tr>
</tbody></table>
<p>Text<sup class=\"footnote-reference\"><a href=\"#1\">1</a></sup> and <a href=\"../../members/ana/\">Ana Silva</a> and a <a href=\"../../define/purpose/#what-is-our-purpose\">link</a>.</p>
<div class=\"footnote-definition\" id=\"1\"><sup class=\"footnote-definition-label\">1</sup>
<p>A footnote.</p>",
    );
    // Meeting bodies are sanitized too.
    let meetings = read_output(&site, "meetings/index.html");
    assert!(
        meetings.contains("Meeting notes."),
        "{}",
        main_of(&meetings)
    );
    assert!(!meetings.contains("alert(5)"), "{}", main_of(&meetings));
    // The print page is sanitized too; the theme's own script stays.
    let print = read_output(&site, "print/index.html");
    assert!(!print.contains("alert("), "{}", main_of(&print));
    assert!(print.contains("<script src=\"../assets/"), "theme script");
    assert_no_broken_links(&site, "/");
}
