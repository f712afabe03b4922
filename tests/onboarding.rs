//! The onboarding path a newcomer gets as one link, and the print page.
mod common;
use common::*;

/// Resolves `href` (relative to the page at site path `from`) to a site path.
fn follow(from: &str, href: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').filter(|s| !s.is_empty()).collect();
    for seg in href.split('#').next().unwrap_or("").split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if !out.is_empty() {
        out.push('/');
    }
    out
}

fn file_of(path: &str) -> String {
    format!("{path}index.html")
}

/// The href of the first link whose text starts with `text`, inside `html`.
fn link_starting(html: &str, text: &str) -> Option<String> {
    links(html)
        .into_iter()
        .find(|(_, t)| decode_entities(&strip_tags(t)).trim().starts_with(text))
        .map(|(h, _)| h)
}

#[test]
fn a_newcomer_walks_the_whole_path_from_start_without_the_sidebar() {
    let site = build(&fixture("good"));
    let start = site.read("start/index.html");
    let main = main_of(&start);
    assert!(main.contains("Follow these 5 steps"), "{main}");
    let first = link_starting(main, "Begin with step 1").expect("a begin link");
    let mut here = follow("start/", &first);
    let mut visited = vec![here.clone()];
    // Follow only the "Next step" links in <main>, never the sidebar.
    for k in 1..=5 {
        let html = site.read(&file_of(&here));
        let main = main_of(&html);
        assert!(
            main.contains(&format!("step {k} of 5")),
            "{here} does not say step {k} of 5"
        );
        match link_starting(main, "Next step") {
            Some(next) => {
                here = follow(&here, &next);
                visited.push(here.clone());
            }
            None => {
                assert_eq!(k, 5, "the path stops early at {here}");
                assert!(main.contains("That was the last step of the path"));
            }
        }
    }
    assert_eq!(
        visited,
        [
            "",
            "define/purpose/",
            "roles/",
            "members/amara/",
            "progress/"
        ]
    );
}

#[test]
fn steps_link_back_and_home_invites_newcomers() {
    let site = build(&fixture("good"));
    let roles = site.read("roles/index.html");
    let main = main_of(&roles);
    assert!(main.contains("step 3 of 5"));
    assert!(
        main.contains("href=\"../define/purpose/\">← Purpose</a>"),
        "{main}"
    );
    let home = site.read("index.html");
    assert_eq!(
        link_starting(main_of(&home), "New here? Start here").as_deref(),
        Some("start/")
    );
    // Pages off the path carry no step bar.
    let norm = site.read("norms/decisions/index.html");
    assert!(!norm.contains("New member path"));
}

#[test]
fn print_page_holds_every_page_with_links_turned_into_anchors() {
    let site = build(&fixture("good"));
    let print = site.read("print/index.html");
    let main = main_of(&print);
    for id in [
        "define-purpose",
        "plan-ways-of-working",
        "members-amara",
        "roles-coordinator",
        "norms-decisions",
        "cases-amara",
    ] {
        assert!(main.contains(&format!("id=\"{id}\"")), "no section {id}");
    }
    // Every in-page link of the print page points at an id on the page.
    for (href, _) in links(main) {
        if let Some(anchor) = href.strip_prefix('#') {
            assert!(
                main.contains(&format!("id=\"{anchor}\"")),
                "print link {href} has no target"
            );
        }
    }
    // A wiki link between pages became an anchor, not a URL.
    assert!(
        !main.contains("href=\"../members/amara/\""),
        "a page link was not rewritten"
    );
}
