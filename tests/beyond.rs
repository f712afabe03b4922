//! Beyond the guides: review cycles, "who knows what", the glossary,
//! meetings and closure, asserted on the files a build writes.

mod common;

use common::*;
use std::fs;
use std::path::Path;

/// Replaces `from` with `to` in a file of a copied fixture.
fn edit(book: &Path, rel: &str, from: &str, to: &str) {
    let p = book.join(rel);
    let text = fs::read_to_string(&p).expect("read fixture file");
    assert!(text.contains(from), "{rel} has no `{from}`");
    fs::write(&p, text.replacen(from, to, 1)).expect("write fixture file");
}

/// The good fixture with `purpose` due in 18 days and `ways-of-working`
/// (2026-10-01) stale, and `community` due much later.
fn review_book() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, book) = copy_fixture("good");
    edit(
        &book,
        "content/01-define/purpose.md",
        "review-by = 2027-03-01",
        "review-by = 2026-12-10",
    );
    edit(
        &book,
        "content/01-define/community.md",
        "owner = \"luka\"",
        "owner = \"luka\"\nreview-by = 2027-05-01",
    );
    (tmp, book)
}

#[test]
fn progress_lists_pages_due_soon_and_stale_with_owners() {
    let (_tmp, book) = review_book();
    let site = build(&book);
    let html = site.read("progress/index.html");
    let soon = section(&html, "Review soon");
    let soon_links = links(soon);
    assert_eq!(
        soon_links,
        vec![
            ("../define/purpose/".to_owned(), "Purpose".to_owned()),
            ("../members/amara/".to_owned(), "Amara Okafor".to_owned()),
        ],
        "{soon}"
    );
    assert!(soon.contains("review by 2026-12-10"), "{soon}");
    let stale = section(&html, "Pages due for review");
    assert!(stale.contains("Ways of working"), "{stale}");
    assert!(!stale.contains("Purpose"), "{stale}");
    // Far-off dates are in neither list.
    assert!(!soon.contains("Community") && !stale.contains("Community"));
}

#[test]
fn review_prints_pages_by_due_date_with_owner() {
    let (_tmp, book) = review_book();
    let r = run(&["review", arg(&book)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("DUE"), "{}", r.stdout);
    assert!(
        lines[1].starts_with("2026-10-01  stale  52 ago")
            && lines[1].contains("Ways of working (content/02-plan/ways-of-working.md)"),
        "{}",
        r.stdout
    );
    assert!(
        lines[2].starts_with("2026-12-10  soon   in 18")
            && lines[2].contains("Amara Okafor")
            && lines[2].contains("Purpose"),
        "{}",
        r.stdout
    );
    assert!(lines[3].starts_with("2027-05-01  later"), "{}", r.stdout);
    assert!(
        lines[4].starts_with("1 stale, 1 due within 30 days, 1 later"),
        "{}",
        r.stdout
    );
}

#[test]
fn review_fails_on_a_broken_handbook() {
    let (_tmp, book) = copy_fixture("good");
    edit(
        &book,
        "content/01-define/purpose.md",
        "owner = \"amara\"",
        "owner = \"nobody\"",
    );
    let r = run(&["review", arg(&book)]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("unknown member `nobody`"), "{}", r.stderr);
}

#[test]
fn strict_check_fails_on_each_stale_page_with_one_annotation_each() {
    let (_tmp, book) = review_book();
    edit(
        &book,
        "content/01-define/community.md",
        "review-by = 2027-05-01",
        "review-by = 2026-01-01",
    );
    let r = run(&["check", "--format", "github", arg(&book)]);
    assert_eq!(r.code, 0, "stale pages are warnings without --strict");
    let stale: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("page is stale"))
        .collect();
    assert_eq!(stale.len(), 2, "{}", r.stdout);
    assert!(
        stale
            .iter()
            .all(|l| l.starts_with("::warning file=content/"))
    );
    assert!(stale[0].contains("community.md"), "{stale:?}");
    assert!(stale[1].contains("ways-of-working.md"), "{stale:?}");
    let r = run(&["check", "--strict", "--format", "github", arg(&book)]);
    assert_eq!(r.code, 1);
    let stale = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error") && l.contains("page is stale"))
        .count();
    assert_eq!(stale, 2, "{}", r.stdout);
    // A page due soon is not stale: no annotation for it.
    assert!(!r.stdout.contains("purpose.md,line=11"), "{}", r.stdout);
}

/// The good fixture where Luka also knows "Data Governance" (another
/// spelling of Amara's topic) and GIS.
fn topics_book() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, book) = copy_fixture("good");
    edit(
        &book,
        "content/members/luka.md",
        "name = \"Luka Kovač\"",
        "name = \"Luka Kovač\"\nexpertise = [\"GIS\", \"Data  Governance\"]",
    );
    (tmp, book)
}

#[test]
fn topics_page_lists_members_by_topic_folding_case() {
    let (_tmp, book) = topics_book();
    let site = build(&book);
    let html = site.read("topics/index.html");
    let main = main_of(&html);
    assert!(main.contains("<h1>Who knows what</h1>"), "{main}");
    // One topic for both spellings, first spelling (Amara comes first).
    assert_eq!(
        main.matches("<dt id=\"data-governance\">").count(),
        1,
        "{main}"
    );
    assert!(!main.contains("Data  Governance") && !main.contains("Data Governance"));
    let dl = &main[main.find("<dl class=\"topics\">").unwrap()..];
    let terms: Vec<&str> = dl
        .split("<dt id=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(terms, ["data-governance", "gis", "glossaries"]);
    let gov = &dl[dl.find("data-governance").unwrap()..dl.find("<dt id=\"gis\"").unwrap()];
    assert_eq!(
        link_list(gov),
        [
            "Amara Okafor=../members/amara/",
            "amara@example.org=mailto:amara@example.org",
            "Luka Kovač=../members/luka/",
        ]
    );
    // The sidebar links it from every page.
    assert!(
        site.read("define/purpose/index.html")
            .contains("<a href=\"../../topics/\">Who knows what</a>")
    );
}

#[test]
fn member_pages_link_to_their_topics() {
    let (_tmp, book) = topics_book();
    let site = build(&book);
    let html = site.read("members/luka/index.html");
    assert_eq!(
        link_list(dd(main_of(&html), "Expertise")),
        [
            "GIS=../../topics/#gis",
            "data governance=../../topics/#data-governance",
        ]
    );
}

#[test]
fn answer_pages_say_whom_to_ask_with_the_contact() {
    let site = build(&fixture("good"));
    let main = main_of(&site.read("define/purpose/index.html")).to_owned();
    assert!(
        main.contains(
            "<dt>Who to ask</dt><dd>Ask <a href=\"../../members/amara/\">Amara Okafor</a></dd>\n<dd class=\"contact\"><a href=\"mailto:amara@example.org\">amara@example.org</a></dd>"
        ),
        "{main}"
    );
    // Luka has no contact: no contact line.
    let main = main_of(&site.read("define/community/index.html")).to_owned();
    assert!(
        main.contains("Ask <a href=\"../../members/luka/\">"),
        "{main}"
    );
    assert!(!main.contains("class=\"contact\""), "{main}");
}

#[test]
fn no_topics_page_without_expertise() {
    let site = build(&fixture("minimal"));
    assert!(!site.exists("topics/index.html"));
    assert!(!site.read("index.html").contains("topics/"));
}

const GLOSSARY: &str = r#"# The words we use.
[[term]]
term = "data steward"
definition = "Someone who looks after a data set & its \"users\""
aliases = ["data stewards"]
ask = "amara"

[[term]]
term = "Practice"
definition = "What we do, and how"

[[term]]
term = "CoP"
definition = "Community of Practice"
"#;

fn glossary_book() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, book) = copy_fixture("good");
    fs::write(book.join("content/glossary.toml"), GLOSSARY).unwrap();
    edit(
        &book,
        "content/01-define/purpose.md",
        "We help data stewards share practice.",
        "We help data stewards share practice. A data steward's practice is `practice` in code.\n\n```\ndata stewards\n```\n\n### Our practice and [practice](https://example.org/practice)",
    );
    (tmp, book)
}

#[test]
fn glossary_page_lists_terms_with_anchors_aliases_and_whom_to_ask() {
    let (_tmp, book) = glossary_book();
    let site = build(&book);
    assert!(
        !site.exists("glossary.toml"),
        "the glossary is not an attachment"
    );
    let main = main_of(&site.read("glossary/index.html")).to_owned();
    let ids: Vec<&str> = main
        .split("<dt id=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(ids, ["cop", "data-steward", "practice"], "{main}");
    assert!(main.contains("<dt id=\"data-steward\"><dfn>data steward</dfn></dt>\n<dd>Someone who looks after a data set &amp; its &quot;users&quot; <span class=\"muted\">Also: data stewards.</span> Ask <a href=\"../members/amara/\">Amara Okafor</a>.</dd>"), "{main}");
    assert!(
        site.read("index.html")
            .contains("<a href=\"glossary/\">Glossary</a>")
    );
}

#[test]
fn first_use_of_each_term_in_prose_links_to_the_glossary_with_a_tooltip() {
    let (_tmp, book) = glossary_book();
    let site = build(&book);
    let html = site.read("define/purpose/index.html");
    let body = &html[html.find("<div class=\"body\">").unwrap()..];
    assert_eq!(
        body.matches("<a class=\"term\"").count(),
        2,
        "one link per term per page:\n{body}"
    );
    assert!(body.contains("We help <a class=\"term\" href=\"../../glossary/#data-steward\"><dfn title=\"Someone who looks after a data set &amp; its &quot;users&quot;\">data stewards</dfn></a> share <a class=\"term\" href=\"../../glossary/#practice\"><dfn title=\"What we do, and how\">practice</dfn></a>. A data steward"), "{body}");
    // Not in code, code blocks, headings or links.
    assert!(body.contains("<code>practice</code>"), "{body}");
    assert!(
        body.contains("<pre><code>data stewards\n</code></pre>"),
        "{body}"
    );
    assert!(
        body.contains(">Our practice and <a href=\"https://example.org/practice\">practice</a>"),
        "{body}"
    );
    // Every page starts afresh; "CoP" only as written (acronym).
    let home = site.read("index.html");
    assert!(!home.contains("class=\"term\"") || home.contains("#cop"));
}

#[test]
fn glossary_links_can_be_turned_off() {
    let (_tmp, book) = glossary_book();
    let toml = fs::read_to_string(book.join("book.toml")).unwrap();
    fs::write(
        book.join("book.toml"),
        toml.replacen(
            "[repository]",
            "[build]\nglossary-links = false\n\n[repository]",
            1,
        ),
    )
    .unwrap();
    let site = build(&book);
    assert!(
        !site
            .read("define/purpose/index.html")
            .contains("class=\"term\"")
    );
    assert!(site.exists("glossary/index.html"));
}

#[test]
fn glossary_errors_are_at_their_line() {
    let (_tmp, book) = glossary_book();
    let bad = format!(
        "{GLOSSARY}\n[[term]]\nterm = \"Data Steward\"\ndefinition = \"again\"\nask = \"amarra\"\n\n[[term]]\nterm = \"x\"\ndefinitoin = \"y\"\n"
    );
    fs::write(book.join("content/glossary.toml"), bad).unwrap();
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1);
    for want in [
        "content/glossary.toml:17:8: error: `Data Steward` is already in the glossary (as `data steward`, line 3)",
        "content/glossary.toml:19:7: error: unknown member `amarra`\n  hint: did you mean `amara`?",
        "content/glossary.toml:23:1: error: unknown key `definitoin` in a glossary term\n  hint: did you mean `definition`?",
    ] {
        assert!(r.stdout.contains(want), "want {want}\n{}", r.stdout);
    }
}
