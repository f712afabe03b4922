//! Where each page holds its sidebar, as the renderer tells the link check
//! (`OutFile::shared`): the link check looks the sidebar's links up once
//! per variant, which is only right if every page of a variant holds the
//! same sidebar bytes there, but for the mark on its own link.

mod common;

use common::*;
use copbook::build;
use copbook::model::Date;
use copbook::render::{CURRENT_MARK, OutFile};
use std::collections::HashMap;
use std::fs;
use std::path::Path;

const DAY: Date = Date {
    year: 2026,
    month: 11,
    day: 22,
};

fn pages_of(root: &Path) -> Vec<OutFile> {
    let site = match build::site(root, DAY, Some("/")) {
        Ok(site) => site,
        Err(_) => panic!("the handbook builds"),
    };
    site.files
        .into_iter()
        .filter(|f| f.path.ends_with(".html"))
        .collect()
}

/// A handbook of one phase with `n` pages: its sidebar shows them in
/// windows of 40.
fn one_long_phase(n: usize) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    let write = |rel: &str, text: &str| {
        let p = tmp.path().join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("create folder");
        fs::write(p, text).expect("write");
    };
    write("book.toml", "[book]\ntitle = \"Long\"\n");
    write("content/index.md", "Welcome.\n");
    for i in 0..n {
        write(
            &format!("content/01-run/p{i:03}.md"),
            &format!("+++\ntitle = \"Page {i}\"\n+++\n\nText of page {i}.\n"),
        );
    }
    tmp
}

/// Checks every page's sidebar span; gives, per variant, the pages that
/// show it.
fn check_spans(pages: &[OutFile]) -> HashMap<(u64, usize), Vec<String>> {
    let mut unmarked: HashMap<(u64, usize), (String, Vec<String>)> = HashMap::new();
    for f in pages {
        let html = std::str::from_utf8(&f.bytes).expect("UTF-8");
        let Some(at) = f.shared else {
            assert_eq!(
                f.path, "404.html",
                "only the 404 page has no shared sidebar"
            );
            continue;
        };
        let nav = &html[at.start..at.end];
        assert!(
            html[..at.start].ends_with("<nav aria-label=\"Handbook\">\n")
                && nav.starts_with("<ul class=\"nav\">")
                && html[at.end..].starts_with("\n</nav>"),
            "{}: the span is the sidebar",
            f.path
        );
        let nav = match at.mark {
            Some(m) => {
                assert!(
                    nav[m..].starts_with(CURRENT_MARK) && nav[..m].ends_with('"'),
                    "{}: the mark is where it says, after an href",
                    f.path
                );
                format!("{}{}", &nav[..m], &nav[m + CURRENT_MARK.len()..])
            }
            None => {
                assert!(
                    !nav.contains(CURRENT_MARK),
                    "{}: an unreported mark",
                    f.path
                );
                nav.to_owned()
            }
        };
        let depth = f.path.matches('/').count();
        let entry = unmarked
            .entry((at.variant, depth))
            .or_insert_with(|| (nav.clone(), Vec::new()));
        assert_eq!(
            entry.0, nav,
            "{} holds another variant's sidebar ({:?})",
            f.path, entry.1
        );
        entry.1.push(f.path.clone());
    }
    unmarked.into_iter().map(|(k, (_, p))| (k, p)).collect()
}

#[test]
fn pages_of_one_variant_hold_the_same_sidebar_but_for_their_mark() {
    let (_tmp, book) = copy_fixture("good");
    let pages = pages_of(&book);
    let variants = check_spans(&pages);
    assert!(
        variants.values().any(|p| p.len() > 2),
        "pages share variants: {variants:?}"
    );
    // The pages of a phase share one; a member's page is in another.
    let of = |page: &str| {
        variants
            .iter()
            .find(|(_, p)| p.iter().any(|x| x == page))
            .map(|(k, _)| *k)
            .unwrap_or_else(|| panic!("{page} has a sidebar"))
    };
    assert_eq!(
        of("define/purpose/index.html"),
        of("define/community/index.html")
    );
    assert_ne!(
        of("define/purpose/index.html"),
        of("members/amara/index.html")
    );
    assert_ne!(
        of("define/purpose/index.html"),
        of("plan/ways-of-working/index.html")
    );
}

#[test]
fn each_window_of_a_long_phase_is_a_variant_of_its_own() {
    let tmp = one_long_phase(130);
    let pages = pages_of(tmp.path());
    let variants = check_spans(&pages);
    let windows: Vec<usize> = {
        let mut w: Vec<usize> = variants
            .values()
            .filter(|p| p.iter().all(|x| x.starts_with("run/p")))
            .map(Vec::len)
            .collect();
        w.sort();
        w
    };
    assert_eq!(windows, [10, 40, 40, 40], "130 pages in windows of 40");
}
