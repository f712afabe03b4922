//! Page metadata a reader sees: who to ask, status, staleness, edit link,
//! and "last updated" from git.
mod common;
use common::*;

#[test]
fn pages_show_when_git_last_changed_them() {
    let (_tmp, book) = copy_fixture("good");
    let date = "2026-05-04T10:00:00+00:00";
    git(&book, &["init", "-q"], date);
    git(&book, &["add", "-A"], date);
    git(&book, &["commit", "-q", "-m", "Handbook"], date);
    let site = build(&book);
    let page = site.read("define/purpose/index.html");
    assert!(
        page.contains("Last updated <time datetime=\"2026-05-04\">2026-05-04</time>"),
        "{page}"
    );
    // Generated pages have no source file and so no date.
    assert!(!site.read("roles/index.html").contains("Last updated"));
}

#[test]
fn without_git_there_is_no_last_updated() {
    let (_tmp, book) = copy_fixture("good");
    let site = build(&book);
    assert!(
        !site
            .read("define/purpose/index.html")
            .contains("Last updated")
    );
}

#[test]
fn answer_pages_show_owner_status_and_edit_link() {
    let site = build(&fixture("good"));
    let page = site.read("define/purpose/index.html");
    let meta = main_of(&page);
    assert!(meta.contains("<dt>Who to ask</dt>"), "{meta}");
    // The status badge carries its word, not only a colour.
    assert!(
        meta.contains("<span class=\"badge badge-agreed\">agreed</span>")
            || meta.contains("badge-draft\">draft</span>")
    );
    assert!(page.contains("/edit/main/content/01-define/purpose.md\">Edit this page</a>"));
}
