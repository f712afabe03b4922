//! `copbook check`: warnings versus `--strict`, and the json and github
//! output formats, on the good fixture (which has two unanswered
//! questions, one stale page and one vacant role).

mod common;

use common::*;
use serde_json::{Value, json};
use std::fs;

const STALE: &str = "content/02-plan/ways-of-working.md:9:13: warning: page is stale: its review date 2026-10-01 has passed
  hint: review the page, then move `review-by` forward
";
const VACANT: &str =
    "content/roles/librarian.md:2:9: warning: role `librarian` is vacant: no member holds it
  hint: add \"librarian\" to the `roles` of the member who takes it on
";

#[test]
fn check_passes_with_warnings_for_stale_pages_and_vacant_roles() {
    let r = run(&["check", arg(&fixture("good"))]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(
        r.stdout,
        format!("{STALE}{VACANT}0 errors, 2 warnings; 5 of 7 questions answered\n")
    );
    assert_eq!(r.stderr, "");
}

#[test]
fn check_writes_nothing() {
    let (_tmp, book) = copy_fixture("good");
    let before = snapshot_tree(book.parent().unwrap());
    let r = run_in(&book, &["check"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(snapshot_tree(book.parent().unwrap()), before);
}

#[test]
fn strict_fails_on_unanswered_questions_stale_pages_and_vacant_roles() {
    let r = run(&["check", "--strict", arg(&fixture("good"))]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert_eq!(
        r.stdout,
        "content/01-define/community.md:6:3: error: unanswered question: How do people join?
  hint: add a heading with the question's text and the answer under it
content/01-define/purpose.md:7:3: error: unanswered question: What is still undecided?
  hint: write the answer under its heading
content/02-plan/ways-of-working.md:9:13: error: page is stale: its review date 2026-10-01 has passed
  hint: review the page, then move `review-by` forward
content/roles/librarian.md:2:9: error: role `librarian` is vacant: no member holds it
  hint: add \"librarian\" to the `roles` of the member who takes it on
4 errors, 0 warnings; 5 of 7 questions answered
"
    );
}

#[test]
fn the_date_decides_what_is_stale() {
    // Before the review date the page is not stale.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_copbook"))
        .args(["check", arg(&fixture("good"))])
        .env("COPBOOK_TODAY", "2026-09-30")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{VACANT}0 errors, 1 warning; 5 of 7 questions answered\n")
    );
}

#[test]
fn json_format_is_one_object_with_errors_warnings_and_progress() {
    let r = run(&["check", "--format", "json", arg(&fixture("good"))]);
    assert_eq!(r.code, 0, "{r:#?}");
    let v: Value = serde_json::from_str(&r.stdout).expect("stdout is one JSON value");
    assert_eq!(
        v,
        json!({
            "errors": [],
            "warnings": [
                {
                    "path": "content/02-plan/ways-of-working.md",
                    "line": 9,
                    "column": 13,
                    "severity": "warning",
                    "message": "page is stale: its review date 2026-10-01 has passed; review the page, then move `review-by` forward"
                },
                {
                    "path": "content/roles/librarian.md",
                    "line": 2,
                    "column": 9,
                    "severity": "warning",
                    "message": "role `librarian` is vacant: no member holds it; add \"librarian\" to the `roles` of the member who takes it on"
                }
            ],
            "progress": {"questions": 7, "answered": 5}
        })
    );
}

#[test]
fn json_format_strict_and_with_errors() {
    let r = run(&[
        "check",
        "--strict",
        "--format",
        "json",
        arg(&fixture("good")),
    ]);
    assert_eq!(r.code, 1, "{r:#?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 4);
    assert!(errors.iter().all(|e| e["severity"] == "error"));
    assert_eq!(v["warnings"], json!([]));
    assert_eq!(errors[0]["path"], "content/01-define/community.md");
    assert_eq!(errors[0]["line"], 6);
    assert_eq!(errors[0]["column"], 3);

    let r = run(&[
        "check",
        "--format",
        "json",
        arg(&fixture("broken/several-errors")),
    ]);
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let paths: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "book.toml",
            "content/01-define/purpose.md",
            "content/01-define/purpose.md",
            "content/members/ana.md",
            "content/norms/decisions.md",
            "content/roles/coordinator.md",
        ]
    );
    assert_eq!(
        v["errors"][0],
        json!({
            "path": "book.toml",
            "line": 5,
            "column": 1,
            "severity": "error",
            "message": "unknown key `build-dri` in [build]; did you mean `build-dir`?"
        })
    );
    assert_eq!(v["progress"], json!({"questions": 1, "answered": 1}));
}

#[test]
fn github_format_prints_workflow_annotations() {
    let r = run(&["check", "--format", "github", arg(&fixture("good"))]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(
        r.stdout,
        "::warning file=content/02-plan/ways-of-working.md,line=9,col=13::page is stale: its review date 2026-10-01 has passed; review the page, then move `review-by` forward
::warning file=content/roles/librarian.md,line=2,col=9::role `librarian` is vacant: no member holds it; add \"librarian\" to the `roles` of the member who takes it on
"
    );

    let r = run(&[
        "check",
        "--format",
        "github",
        arg(&fixture("broken/unknown-member")),
    ]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert_eq!(
        r.stdout,
        "::error file=content/01-define/purpose.md,line=5,col=9::unknown member `anna`; did you mean `ana`?\n"
    );

    let r = run(&[
        "check",
        "--strict",
        "--format",
        "github",
        arg(&fixture("good")),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with(
        "::error file=content/01-define/community.md,line=6,col=3::unanswered question: How do people join?; "
    ));
    assert_eq!(r.stdout.lines().count(), 4);
    assert!(r.stdout.lines().all(|l| l.starts_with("::error file=")));
}

#[test]
fn a_missing_theme_fails_the_build() {
    let (_tmp, book) = copy_fixture("minimal");
    let toml = book.join("book.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(
        &toml,
        text.replace("[onboarding]", "[build]\ntheme = \"nope\"\n\n[onboarding]"),
    )
    .unwrap();
    let dest = book.parent().unwrap().join("site");
    let r = run(&["build", arg(&book), "-d", arg(&dest)]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(
        r.stderr
            .contains("error: theme `nope` not found: no folder themes/nope/"),
        "{}",
        r.stderr
    );
    assert!(!dest.exists());
}

#[test]
fn check_reports_a_missing_theme_like_build() {
    let (_tmp, book) = copy_fixture("minimal");
    let toml = book.join("book.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(
        &toml,
        text.replace("[onboarding]", "[build]\ntheme = \"nope\"\n\n[onboarding]"),
    )
    .unwrap();
    let expected = "book.toml:5:9: error: theme `nope` not found: no folder themes/nope/
  hint: create the folder, or remove `theme` from [build] to use the default theme
";
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert_eq!(split_summary(&r.stdout).0, expected);
    let dest = book.parent().unwrap().join("site");
    let r = run(&["build", arg(&book), "-d", arg(&dest)]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with(expected), "{}", r.stderr);
}

#[test]
fn order_out_of_range_says_so() {
    let (_tmp, book) = copy_fixture("minimal");
    let p = book.join("content/01-define/purpose.md");
    let text = fs::read_to_string(&p).unwrap();
    fs::write(
        &p,
        text.replace("order = 1", "order = 99999999999999999999"),
    )
    .unwrap();
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1);
    let (diags, _) = split_summary(&r.stdout);
    assert!(
        diags.starts_with("content/01-define/purpose.md:3:9: error: "),
        "{diags}"
    );
    assert!(!diags.contains("found integer"), "{diags}");
}

// ------------------------------------------------- the rendered site's links
//
// `check` renders the site in memory, as `build` does, and reports what
// the link check and the templates find, with `build`'s messages.

/// A raw-HTML link to a page the site does not have, in luka.md's body.
const TEAMS: &str = "\nHis <a href=\"../../teams/\">team</a>.\n";

/// What `build` reports for [`TEAMS`]: on luka's page, and on the print
/// page, which shows every body.
const TEAMS_ERRORS: &str = "content/members/luka.md:11:14: error: broken link `../../teams/` on page `/members/luka/`: the site has no `teams/index.html`
content/members/luka.md:11:14: error: broken link `../../teams/` on page `/print/`: it climbs above the site's root
  hint: this page shows the body of another page, and a relative link written in raw HTML keeps the folder of its own page: write it as a Markdown link, which copbook rewrites for every page that shows it
";

/// Appends `text` to the body of `rel` in `book`.
fn append(book: &std::path::Path, rel: &str, text: &str) {
    let p = book.join(rel);
    let mut md = fs::read_to_string(&p).unwrap();
    md.push_str(text);
    fs::write(&p, md).unwrap();
}

/// `build BOOK` into its configured build dir; asserts it fails, and
/// returns what it printed before "build failed: …".
fn failed_build(book: &std::path::Path) -> String {
    let r = run(&["build", arg(book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    let (diags, last) = split_summary(&r.stderr);
    assert!(last.starts_with("build failed: "), "{}", r.stderr);
    diags.to_owned()
}

fn error_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains(": error: ")).collect()
}

#[test]
fn check_fails_on_a_broken_link_in_raw_html_as_build_does() {
    let (tmp, book) = copy_fixture("good");
    append(&book, "content/members/luka.md", TEAMS);
    let before = snapshot_tree(tmp.path());

    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    let (diags, summary) = split_summary(&r.stdout);
    assert_eq!(diags, format!("{TEAMS_ERRORS}{STALE}{VACANT}"));
    assert_eq!(summary, "2 errors, 2 warnings; 5 of 7 questions answered");
    // Word for word what `build` says (it writes nothing either: it fails).
    assert_eq!(diags, failed_build(&book));

    let r = run(&["check", "--format", "json", arg(&book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    let v: Value = serde_json::from_str(&r.stdout).expect("stdout is one JSON value");
    assert_eq!(
        v["errors"],
        json!([
            {
                "path": "content/members/luka.md",
                "line": 11,
                "column": 14,
                "severity": "error",
                "message": "broken link `../../teams/` on page `/members/luka/`: the site has no `teams/index.html`"
            },
            {
                "path": "content/members/luka.md",
                "line": 11,
                "column": 14,
                "severity": "error",
                "message": "broken link `../../teams/` on page `/print/`: it climbs above the site's root; this page shows the body of another page, and a relative link written in raw HTML keeps the folder of its own page: write it as a Markdown link, which copbook rewrites for every page that shows it"
            }
        ])
    );
    assert_eq!(v["warnings"].as_array().unwrap().len(), 2);

    let r = run(&["check", "--format", "github", arg(&book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(
        r.stdout.starts_with(
            "::error file=content/members/luka.md,line=11,col=14::broken link `../../teams/` on page `/members/luka/`: the site has no `teams/index.html`\n\
             ::error file=content/members/luka.md,line=11,col=14::broken link `../../teams/` on page `/print/`: it climbs above the site's root; this page shows the body"
        ),
        "{}",
        r.stdout
    );

    // No build dir, no staging folder: nothing at all was written.
    assert_eq!(snapshot_tree(tmp.path()), before);
}

#[test]
fn check_reports_a_missing_anchor_on_another_page() {
    // The good fixture passes (the existing tests pin its output) …
    let r = run(&["check", arg(&fixture("good"))]);
    assert_eq!(r.code, 0, "{r:#?}");
    // … and one link to an anchor another page lacks is enough to fail it.
    let (_tmp, book) = copy_fixture("good");
    append(
        &book,
        "content/members/luka.md",
        "\nSee <a href=\"../amara/#no-such-heading\">Amara's notes</a>.\n",
    );
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    let errors = error_lines(&r.stdout);
    assert!(!errors.is_empty(), "{}", r.stdout);
    assert!(
        errors
            .iter()
            .all(|l| l.starts_with("content/members/luka.md:11:")
                && l.contains("broken link `../amara/#no-such-heading`")),
        "{}",
        r.stdout
    );
    assert_eq!(split_summary(&r.stdout).0, failed_build(&book));
}

#[test]
fn check_reports_links_a_theme_makes_at_the_build_dirs_page() {
    let (tmp, book) = copy_fixture("good");
    theme_with(
        &book,
        "<a href=\"{{ base.root }}handbook/\">Old handbook</a> <a href=\"#content\">Skip</a>",
    );
    let before = snapshot_tree(tmp.path());
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    let (diags, _) = split_summary(&r.stdout);
    let errors = error_lines(diags);
    assert_eq!(errors.len(), 2, "{diags}");
    // At its line in the page `build` would have written into book/.
    assert!(
        errors[0].starts_with(
            "book/404.html:14:10: error: broken link `/handbook/` on page `/404.html` and on "
        ),
        "{diags}"
    );
    assert!(
        errors[1].starts_with(
            "book/404.html:14:48: error: broken link `#content` on page `/404.html` and on "
        ),
        "{diags}"
    );
    assert!(diags.contains(
        "  hint: the link comes from a template: check the theme's templates (themes/default/)"
    ));
    assert_eq!(snapshot_tree(tmp.path()), before, "check wrote something");
    assert_eq!(diags, failed_build(&book));
}

#[test]
fn check_reports_a_templates_rendering_errors_as_build_does() {
    let (_tmp, book) = copy_fixture("good");
    // It parses: only rendering finds that the field does not exist.
    theme_with(&book, "{{ base.no_such_field.x }}");
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    let (diags, _) = split_summary(&r.stdout);
    let errors = error_lines(diags);
    assert!(!errors.is_empty(), "{diags}");
    assert!(
        errors
            .iter()
            .all(|l| l.contains(": error: template error: ") && l.contains("no_such_field")),
        "{diags}"
    );
    // The same errors as `build`'s (pages render in parallel: the order
    // of the template errors is not part of the contract).
    let built = failed_build(&book);
    let sorted = |t: &str| {
        let mut v: Vec<String> = t.lines().map(str::to_owned).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(diags), sorted(&built));
}

#[test]
fn with_link_check_warn_check_passes_with_a_warning() {
    let (tmp, book) = copy_fixture("good");
    append(&book, "content/members/luka.md", TEAMS);
    set_link_check(&book, "warn");
    let before = snapshot_tree(tmp.path());
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 0, "{r:#?}");
    let (diags, summary) = split_summary(&r.stdout);
    // Warnings are in file order, as `build` prints them.
    assert_eq!(
        diags,
        format!(
            "{STALE}{}{VACANT}",
            TEAMS_ERRORS.replace(": error: ", ": warning: ")
        )
    );
    assert_eq!(summary, "0 errors, 4 warnings; 5 of 7 questions answered");

    let r = run(&["check", "--format", "json", arg(&book)]);
    assert_eq!(r.code, 0, "{r:#?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["errors"], json!([]));
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 4);
    assert_eq!(warnings[1]["path"], "content/members/luka.md");
    assert_eq!(warnings[1]["line"], 11);
    assert_eq!(warnings[1]["severity"], "warning");

    // --strict fails on every warning, these too.
    let r = run(&["check", "--strict", arg(&book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(
        r.stdout
            .contains(&TEAMS_ERRORS.lines().next().unwrap().to_string()),
        "{}",
        r.stdout
    );

    assert_eq!(snapshot_tree(tmp.path()), before, "check wrote something");
}

#[test]
fn with_errors_before_rendering_check_stops_where_build_does() {
    let (_tmp, book) = copy_fixture("good");
    append(&book, "content/members/luka.md", TEAMS);
    let p = book.join("content/members/luka.md");
    let md = fs::read_to_string(&p).unwrap();
    fs::write(&p, md.replace("[[amara]]", "[[amra]]")).unwrap();
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    let (diags, _) = split_summary(&r.stdout);
    // Only the unknown link target: the site is not rendered, its links
    // not checked.
    assert_eq!(
        error_lines(diags),
        ["content/members/luka.md:9:33: error: unknown link target `amra`"]
    );
    assert_eq!(diags, failed_build(&book));
    // Once that is fixed, the rendered site's broken link shows.
    fs::write(&p, md).unwrap();
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1, "{r:#?}");
    assert!(r.stdout.starts_with(TEAMS_ERRORS), "{}", r.stdout);
}
