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
