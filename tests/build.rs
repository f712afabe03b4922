//! `copbook build` on a valid handbook: the pages a reader sees, the links
//! between them, the resolved model in handbook.json, and a crawl of every
//! internal link.

mod common;

use common::*;
use serde_json::Value;
use std::fs;

/// The good fixture, built from a copy outside the repository: inside it,
/// pages would show "last updated" dates from this repository's history.
fn good() -> Site {
    let (_tmp, book) = copy_fixture("good");
    build(&book)
}

#[test]
fn builds_the_good_fixture() {
    let site = good();
    assert!(
        site.run.stderr.contains("built 25 pages into "),
        "stderr: {}",
        site.run.stderr
    );
    for f in [
        "index.html",
        "404.html",
        "define/index.html",
        "define/purpose/index.html",
        "define/community/index.html",
        "plan/index.html",
        "plan/ways-of-working/index.html",
        "members/index.html",
        "members/amara/index.html",
        "members/luka/index.html",
        "members/chen/index.html",
        "roles/index.html",
        "roles/coordinator/index.html",
        "roles/facilitator/index.html",
        "roles/librarian/index.html",
        "norms/index.html",
        "norms/decisions/index.html",
        "norms/meetings/index.html",
        "cases/index.html",
        "cases/amara/index.html",
        "progress/index.html",
        "start/index.html",
        "print/index.html",
        "topics/index.html",
        "handbook.json",
        ".nojekyll",
    ] {
        assert!(site.exists(f), "missing {f}");
    }
    // No CNAME unless [build] cname is set; no sitemap without a full
    // site-url (its URLs must be absolute).
    assert!(!site.exists("CNAME"));
    assert!(!site.exists("sitemap.xml"));
}

#[test]
fn warnings_do_not_fail_the_build() {
    let site = good();
    assert_eq!(
        site.run.stderr.lines().take(4).collect::<Vec<_>>(),
        [
            "content/02-plan/ways-of-working.md:9:13: warning: page is stale: its review date 2026-10-01 has passed",
            "  hint: review the page, then move `review-by` forward",
            "content/roles/librarian.md:2:9: warning: role `librarian` is vacant: no member holds it",
            "  hint: add \"librarian\" to the `roles` of the member who takes it on",
        ]
    );
    assert!(
        site.run
            .stderr
            .trim_end()
            .ends_with("(0 errors, 2 warnings)")
    );
}

#[test]
fn urls_drop_the_order_prefix() {
    let site = good();
    assert!(site.exists("define/purpose/index.html"));
    assert!(site.exists("plan/ways-of-working/index.html"));
    for prefixed in ["01-define", "02-plan"] {
        assert!(
            !site.exists(prefixed),
            "{prefixed}/ should not be in the site"
        );
    }
    let site = build_with(&fixture("good"), &["--site-url", "https://o.github.io/cop"]);
    let sitemap = site.read("sitemap.xml");
    assert!(
        sitemap.contains("<loc>https://o.github.io/cop/define/purpose/</loc>"),
        "{sitemap}"
    );
    assert!(!sitemap.contains("01-define"), "{sitemap}");
}

#[test]
fn file_names_become_slugs() {
    let (_tmp, book) = copy_fixture("minimal");
    fs::write(
        book.join("content/01-define/Été plan.md"),
        "+++\ntitle = \"Summer plan\"\n+++\n\nSee [[01-define/purpose]].\n",
    )
    .unwrap();
    let site = build(&book);
    assert!(site.exists("define/ete-plan/index.html"));
    let html = site.read("define/ete-plan/index.html");
    assert!(html.contains("<h1>Summer plan</h1>"));
}

#[test]
fn cname_is_written_when_set() {
    let (_tmp, book) = copy_fixture("minimal");
    let toml = book.join("book.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(
        &toml,
        text.replace(
            "[onboarding]",
            "[build]\ncname = \"cop.example.org\"\n\n[onboarding]",
        ),
    )
    .unwrap();
    let site = build(&book);
    assert_eq!(site.read("CNAME"), "cop.example.org\n");
}

#[test]
fn member_page_lists_roles_held_and_pages_that_mention_them() {
    let site = good();
    let luka = site.read("members/luka/index.html");
    let main = main_of(&luka);
    assert!(main.contains("<h1>Luka Kovač</h1>"), "{main}");
    assert_eq!(
        link_list(dd(main, "Roles")),
        ["Facilitator=../../roles/facilitator/"]
    );
    assert_eq!(
        link_list(section(main, "Mentioned on")),
        [
            "Purpose=../../define/purpose/",
            "Our community=../../define/community/"
        ]
    );
    assert_eq!(
        link_list(section(main, "Ask Luka Kovač about")),
        [
            "Our community=../../define/community/",
            "Ways of working=../../plan/ways-of-working/"
        ]
    );

    let amara = site.read("members/amara/index.html");
    let main = main_of(&amara);
    assert_eq!(
        link_list(dd(main, "Roles")),
        ["Coordinator=../../roles/coordinator/"]
    );
    assert_eq!(
        link_list(section(main, "Mentioned on")),
        [
            "Test Stewards handbook=../../",
            "Purpose=../../define/purpose/",
            "Luka Kovač=../../members/luka/",
            "How we decide=../../norms/decisions/",
            "Amara's case for participation=../../cases/amara/",
        ]
    );
    assert_eq!(
        link_list(section(main, "Case for participation")),
        ["Amara's case for participation=../../cases/amara/"]
    );
    assert_eq!(
        link_list(dd(main, "Contact")),
        ["amara@example.org=mailto:amara@example.org"]
    );

    // A member with no roles has no Roles entry.
    let chen = site.read("members/chen/index.html");
    assert!(!main_of(&chen).contains("<dt>Roles</dt>"));
}

#[test]
fn role_page_lists_holders_and_referring_pages_and_norms() {
    let site = good();
    let fac = site.read("roles/facilitator/index.html");
    let main = main_of(&fac);
    assert_eq!(
        link_list(dd(main, "Held by")),
        ["Luka Kovač=../../members/luka/"]
    );
    assert_eq!(
        link_list(section(main, "Referred to by")),
        [
            "Purpose=../../define/purpose/",
            "Ways of working=../../plan/ways-of-working/",
            "Meetings=../../norms/meetings/",
        ]
    );

    let coord = site.read("roles/coordinator/index.html");
    let main = main_of(&coord);
    assert_eq!(
        link_list(dd(main, "Held by")),
        ["Amara Okafor=../../members/amara/"]
    );
    assert_eq!(
        link_list(dd(main, "Norms")),
        ["How we decide=../../norms/decisions/"]
    );
    assert_eq!(
        link_list(section(main, "Referred to by")),
        [
            "Purpose=../../define/purpose/",
            "Amara's case for participation=../../cases/amara/",
        ]
    );
    assert!(main.contains("<li>Set the agenda</li>"));
}

#[test]
fn vacant_role_is_marked() {
    let site = good();
    let lib = site.read("roles/librarian/index.html");
    let main = main_of(&lib);
    assert!(dd(main, "Held by").contains("vacant"), "{main}");
    assert!(links(dd(main, "Held by")).is_empty());
    // It is still linked from the page that needs it.
    assert_eq!(
        link_list(section(main, "Referred to by")),
        ["Ways of working=../../plan/ways-of-working/"]
    );

    let roles = site.read("roles/index.html");
    let main = main_of(&roles);
    let card = &main[main.find(">Librarian</a>").unwrap()..];
    let card = &card[..card.find("</li>").unwrap()];
    assert!(card.contains("vacant"), "{card}");
    assert!(card.contains("Held by: nobody yet"), "{card}");
    for held in [">Coordinator</a>", ">Facilitator</a>"] {
        let card = &main[main.find(held).unwrap()..];
        let card = &card[..card.find("</li>").unwrap()];
        assert!(!card.contains("vacant"), "{card}");
    }

    let progress = site.read("progress/index.html");
    assert_eq!(
        link_list(section(main_of(&progress), "Vacant roles")),
        ["Librarian=../roles/librarian/"]
    );
}

/// The role × member matrix as (member, [holds role?]) rows, plus the
/// column headers.
fn matrix(html: &str) -> (Vec<String>, Vec<(String, Vec<bool>)>) {
    let table = &html[html.find("<table class=\"matrix\">").expect("matrix table")..];
    let table = &table[..table.find("</table>").unwrap()];
    let head = &table[..table.find("</thead>").unwrap()];
    let cols: Vec<String> = links(head).into_iter().map(|(_, t)| t).collect();
    let body = &table[table.find("<tbody>").unwrap()..];
    let rows = body
        .split("<tr>")
        .skip(1)
        .map(|row| {
            let member = links(row)[0].1.clone();
            let cells = row
                .split("<td>")
                .skip(1)
                .map(|c| c.contains("class=\"yes\""))
                .collect();
            (member, cells)
        })
        .collect();
    (cols, rows)
}

#[test]
fn roles_index_has_the_role_member_matrix() {
    let site = good();
    let (cols, rows) = matrix(&site.read("roles/index.html"));
    assert_eq!(cols, ["Coordinator", "Facilitator", "Librarian"]);
    assert_eq!(
        rows,
        [
            ("Amara Okafor".to_owned(), vec![true, false, false]),
            ("Chen Wei".to_owned(), vec![false, false, false]),
            ("Luka Kovač".to_owned(), vec![false, true, false]),
        ]
    );
}

#[test]
fn norm_page_lists_where_it_applies_and_its_owner() {
    let site = good();
    let dec = site.read("norms/decisions/index.html");
    let main = main_of(&dec);
    assert_eq!(
        link_list(dd(main, "Owner")),
        ["Amara Okafor=../../members/amara/"]
    );
    assert_eq!(
        link_list(section(main, "Where this norm applies")),
        [
            "Purpose=../../define/purpose/",
            "Ways of working=../../plan/ways-of-working/",
            "Coordinator=../../roles/coordinator/",
        ]
    );

    let meet = site.read("norms/meetings/index.html");
    let main = main_of(&meet);
    // Owned by a role, not a member.
    assert_eq!(
        link_list(dd(main, "Owner")),
        ["Facilitator=../../roles/facilitator/"]
    );
    assert_eq!(
        link_list(section(main, "Where this norm applies")),
        ["Ways of working=../../plan/ways-of-working/"]
    );
}

#[test]
fn answer_page_lists_related_records_and_backlinks() {
    let site = good();
    let html = site.read("define/purpose/index.html");
    let main = main_of(&html);
    assert_eq!(
        link_list(dd(main, "Who to ask")),
        [
            "Amara Okafor=../../members/amara/",
            "amara@example.org=mailto:amara@example.org"
        ]
    );
    assert_eq!(
        link_list(section(main, "Related")),
        [
            "Amara Okafor=../../members/amara/",
            "Coordinator=../../roles/coordinator/",
            "How we decide=../../norms/decisions/",
        ]
    );
    assert_eq!(
        link_list(section(main, "Linked from")),
        [
            "Test Stewards handbook=../../",
            "Our community=../../define/community/",
            "Ways of working=../../plan/ways-of-working/",
        ]
    );
}

#[test]
fn completeness_counts_on_page_phase_home_and_progress() {
    let site = good();
    let purpose = site.read("define/purpose/index.html");
    assert_eq!(dd(&purpose, "Answered"), "2 of 3 questions");
    let community = site.read("define/community/index.html");
    assert_eq!(dd(&community, "Answered"), "1 of 2 questions");
    let ways = site.read("plan/ways-of-working/index.html");
    assert_eq!(dd(&ways, "Answered"), "2 of 2 questions");

    let phase = site.read("define/index.html");
    let main = main_of(&phase);
    let purpose_card = &main[main.find(">Purpose</a>").unwrap()..];
    assert!(purpose_card.contains("2 of 3 questions answered"), "{main}");
    let community_card = &main[main.find(">Our community</a>").unwrap()..];
    assert!(
        community_card.contains("1 of 2 questions answered"),
        "{main}"
    );

    let home = site.read("index.html");
    let main = main_of(&home);
    let define = &main[main.find(">Define</a>").unwrap()..];
    assert!(define[..define.find("</li>").unwrap()].contains("3 of 5 questions answered"));
    let plan = &main[main.find(">Plan</a>").unwrap()..];
    assert!(plan[..plan.find("</li>").unwrap()].contains("2 of 2 questions answered"));
    assert!(main.contains("5 of 7 questions answered"), "{main}");

    let progress = site.read("progress/index.html");
    let main = main_of(&progress);
    assert!(
        main.contains("5 of 7 questions answered (71%), as of 2026-11-22."),
        "{main}"
    );
    let by_phase = section(main, "By phase");
    let rows: Vec<String> = by_phase
        .split("<tr>")
        .skip(2)
        .map(|r| strip_tags(&r.replace("</th>", " | ").replace("</td>", " | ")))
        .collect();
    assert_eq!(rows, ["Define | 3 of 5 |  |", "Plan | 2 of 2 |  |"]);
}

#[test]
fn unanswered_questions_are_marked_with_the_owner_to_ask() {
    let site = good();
    // A question with a heading but only a comment under it.
    let purpose = site.read("define/purpose/index.html");
    let main = main_of(&purpose);
    let heading = main
        .find("<h2 id=\"what-is-still-undecided\">")
        .expect("question heading keeps its GitHub id");
    let after = &main[heading..];
    let after = &after[after.find("</h2>").unwrap()..];
    let note = &after[..after.find("</p>").unwrap()];
    assert!(note.contains("Not answered yet."), "{note}");
    assert_eq!(
        link_list(note),
        ["Amara Okafor=../../members/amara/"],
        "the owner to ask"
    );
    // Answered questions get no note.
    let answered = &main[main.find("<h2 id=\"who-benefits\">").unwrap()..];
    let answered = &answered[..answered
        .find("<h2 id=\"what-is-still-undecided\">")
        .unwrap()];
    assert!(!answered.contains("Not answered yet."));
    // The question list marks only the open one.
    let list = &main[main.find("Questions on this page").unwrap()..];
    let list = &list[..list.find("</ol>").unwrap()];
    assert_eq!(list.matches("not answered").count(), 1);
    assert!(list.contains(
        "What is still undecided?</a> <span class=\"badge badge-open\">not answered</span>"
    ));

    // A question with no heading at all is still shown, with its anchor.
    let community = site.read("define/community/index.html");
    let main = main_of(&community);
    let open = section(main, "Open questions");
    assert!(open.contains("id=\"how-do-people-join\""), "{open}");
    assert!(open.contains("How do people join?"), "{open}");
    assert!(open.contains("Not answered yet."), "{open}");
    assert!(
        link_list(open).contains(&"Luka Kovač=../../members/luka/".to_owned()),
        "{open}"
    );

    // The progress page lists both, linking to the question's anchor.
    let progress = site.read("progress/index.html");
    let list = section(main_of(&progress), "Unanswered questions");
    assert_eq!(
        link_list(list),
        [
            "What is still undecided?=../define/purpose/#what-is-still-undecided",
            "Amara Okafor=../members/amara/",
            "How do people join?=../define/community/#how-do-people-join",
            "Luka Kovač=../members/luka/",
        ]
    );
    assert_eq!(
        link_list(section(main_of(&progress), "Pages due for review")),
        [
            "Ways of working=../plan/ways-of-working/",
            "Luka Kovač=../members/luka/"
        ]
    );
}

#[test]
fn stale_page_shows_a_banner() {
    let site = good();
    let ways = site.read("plan/ways-of-working/index.html");
    assert!(
        ways.contains("this page was due for review on 2026-10-01"),
        "{ways}"
    );
    let purpose = site.read("define/purpose/index.html");
    assert!(!purpose.contains("due for review"));
}

#[test]
fn wiki_links_are_rewritten_to_relative_urls() {
    let site = good();
    let purpose = site.read("define/purpose/index.html");
    let body = links(main_of(&purpose));
    for (text, href) in [
        // [[norm:decisions|how we decide]]: kind prefix and label
        ("how we decide", "../../norms/decisions/"),
        // [[luka]]: the member's name becomes the text
        ("Luka Kovač", "../../members/luka/"),
        // [[role:facilitator]]
        ("Facilitator", "../../roles/facilitator/"),
    ] {
        assert!(
            body.contains(&(href.to_owned(), text.to_owned())),
            "no <a href=\"{href}\">{text}</a> in {body:?}"
        );
    }
    let community = site.read("define/community/index.html");
    // [[01-define/purpose#what-is-our-purpose]]: page path with an anchor
    assert!(
        links(main_of(&community)).contains(&(
            "../../define/purpose/#what-is-our-purpose".to_owned(),
            "Purpose".to_owned()
        )),
        "{community}"
    );
    let ways = site.read("plan/ways-of-working/index.html");
    let body = links(main_of(&ways));
    assert!(body.contains(&("../../norms/meetings/".into(), "Meetings".into())));
    assert!(body.contains(&("../../roles/librarian/".into(), "Librarian".into())));
    assert!(body.contains(&("../../norms/decisions/".into(), "decision log".into())));
    // A link to a question that has no heading goes to its "open question".
    assert!(body.contains(&(
        "../../define/community/#how-do-people-join".into(),
        "an open question".into()
    )));

    // From the home page (one level up) and from a record page.
    let home = site.read("index.html");
    let body = links(main_of(&home));
    assert!(body.contains(&("define/purpose/".into(), "our purpose".into())));
    assert!(body.contains(&("members/amara/".into(), "Amara Okafor".into())));
    let case = site.read("cases/amara/index.html");
    assert!(
        links(main_of(&case)).contains(&("../../roles/coordinator/".into(), "Coordinator".into()))
    );
}

#[test]
fn relative_md_links_are_rewritten_to_page_urls() {
    let site = good();
    let purpose = site.read("define/purpose/index.html");
    // [coordinator](../roles/coordinator.md)
    assert!(
        links(main_of(&purpose))
            .contains(&("../../roles/coordinator/".into(), "coordinator".into()))
    );
    let ways = site.read("plan/ways-of-working/index.html");
    // [purpose](../01-define/purpose.md#who-benefits)
    assert!(links(main_of(&ways)).contains(&(
        "../../define/purpose/#who-benefits".into(),
        "purpose".into()
    )));
    let home = site.read("index.html");
    // [how we work](02-plan/ways-of-working.md) from content/index.md
    assert!(
        links(main_of(&home)).contains(&("plan/ways-of-working/".into(), "how we work".into()))
    );
}

#[test]
fn no_source_syntax_leaks_into_the_site() {
    let site = good();
    for (path, bytes) in snapshot_tree(&site.dir) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        for r in references(&html) {
            if r.contains("://") {
                continue; // edit links point at the Markdown source on GitHub
            }
            assert!(
                !r.split(['#', '?']).next().unwrap().ends_with(".md"),
                "{path}: link to a .md file: {r}"
            );
        }
        assert!(!html.contains("[["), "{path}: unrendered wiki link");
        assert!(!html.contains("+++"), "{path}: front matter in the page");
    }
}

#[test]
fn headings_have_github_anchors_with_permalinks() {
    let site = good();
    let purpose = site.read("define/purpose/index.html");
    for id in [
        "what-is-our-purpose",
        "who-benefits",
        "what-is-still-undecided",
    ] {
        assert!(purpose.contains(&format!("id=\"{id}\"")), "no id {id}");
        assert!(
            purpose.contains(&format!("<a class=\"anchor\" href=\"#{id}\"")),
            "no permalink to {id}"
        );
    }
}

#[test]
fn edit_links_point_at_the_repository() {
    let site = good();
    let purpose = site.read("define/purpose/index.html");
    assert!(purpose.contains(
        "href=\"https://github.com/example-org/test-stewards/edit/main/content/01-define/purpose.md\""
    ));
    // Generated pages have no source file to edit.
    assert!(!site.read("progress/index.html").contains("/edit/"));
}

#[test]
fn handbook_json_has_the_resolved_model() {
    let site = good();
    let v: Value = serde_json::from_str(&site.read("handbook.json")).expect("valid JSON");
    assert_eq!(v["title"], "Test Stewards CoP");
    assert_eq!(v["progress"]["questions"], 7);
    assert_eq!(v["progress"]["answered"], 5);

    let phases: Vec<(&str, &str)> = v["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["slug"].as_str().unwrap(), p["url"].as_str().unwrap()))
        .collect();
    assert_eq!(phases, [("define", "define/"), ("plan", "plan/")]);

    let pages = v["pages"].as_array().unwrap();
    let summary: Vec<(&str, &str, &str)> = pages
        .iter()
        .map(|p| {
            (
                p["title"].as_str().unwrap(),
                p["url"].as_str().unwrap(),
                p["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Purpose", "define/purpose/", "content/01-define/purpose.md"),
            (
                "Our community",
                "define/community/",
                "content/01-define/community.md"
            ),
            (
                "Ways of working",
                "plan/ways-of-working/",
                "content/02-plan/ways-of-working.md"
            ),
        ]
    );
    let questions = |i: usize| -> Vec<(String, String, bool)> {
        pages[i]["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                (
                    q["text"].as_str().unwrap().to_owned(),
                    q["anchor"].as_str().unwrap().to_owned(),
                    q["answered"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        questions(0),
        [
            (
                "What is our purpose?".into(),
                "what-is-our-purpose".into(),
                true
            ),
            ("Who benefits?".into(), "who-benefits".into(), true),
            (
                "What is still undecided?".into(),
                "what-is-still-undecided".into(),
                false
            ),
        ]
    );
    assert_eq!(
        questions(1),
        [
            (
                "Who are our members?".into(),
                "who-are-our-members".into(),
                true
            ),
            (
                "How do people join?".into(),
                "how-do-people-join".into(),
                false
            ),
        ]
    );
    assert_eq!(pages[0]["owner"], "amara");
    assert_eq!(pages[0]["status"], "agreed");
    assert_eq!(pages[0]["stale"], false);
    assert_eq!(pages[2]["status"], "draft");
    assert_eq!(pages[2]["review_by"], "2026-10-01");
    assert_eq!(pages[2]["stale"], true);

    let members: Vec<(&str, &str, &str)> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap(),
                m["name"].as_str().unwrap(),
                m["url"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            ("amara", "Amara Okafor", "members/amara/"),
            ("chen", "Chen Wei", "members/chen/"),
            ("luka", "Luka Kovač", "members/luka/"),
        ]
    );
    assert_eq!(v["members"][2]["roles"], serde_json::json!(["facilitator"]));
    assert_eq!(v["members"][0]["joined"], "2025-01-15");

    let roles: Vec<(&str, &str, Value, bool)> = v["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["url"].as_str().unwrap(),
                r["holders"].clone(),
                r["vacant"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            (
                "coordinator",
                "roles/coordinator/",
                serde_json::json!(["amara"]),
                false
            ),
            (
                "facilitator",
                "roles/facilitator/",
                serde_json::json!(["luka"]),
                false
            ),
            ("librarian", "roles/librarian/", serde_json::json!([]), true),
        ]
    );
    assert_eq!(v["roles"][0]["norms"], serde_json::json!(["decisions"]));

    let norms = v["norms"].as_array().unwrap();
    assert_eq!(norms.len(), 2);
    assert_eq!(norms[0]["id"], "decisions");
    assert_eq!(norms[0]["url"], "norms/decisions/");
    assert_eq!(norms[0]["owner"], serde_json::json!({"member": "amara"}));
    assert_eq!(norms[0]["agreed"], "2025-10-07");
    assert_eq!(norms[1]["id"], "meetings");
    assert_eq!(
        norms[1]["owner"],
        serde_json::json!({"role": "facilitator"})
    );

    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["id"], "amara");
    assert_eq!(cases[0]["member"], "amara");
    assert_eq!(cases[0]["url"], "cases/amara/");
    assert_eq!(cases[0]["questions"][0]["answered"], true);

    // Every URL in the model is a page of the site.
    let mut urls = Vec::new();
    for key in ["phases", "pages", "members", "roles", "norms", "cases"] {
        for item in v[key].as_array().unwrap() {
            urls.push(item["url"].as_str().unwrap().to_owned());
        }
    }
    for u in urls {
        assert!(
            site.exists(&format!("{u}index.html")),
            "{u} is not in the site"
        );
    }
}

#[test]
fn crawler_finds_broken_links() {
    // The crawler itself must not pass everything.
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path();
    fs::create_dir_all(site.join("a")).unwrap();
    fs::write(
        site.join("index.html"),
        "<a href=\"a/\">ok</a> <a href=\"a/#here\">ok</a> <a href=\"b/\">missing</a>\n\
         <a href=\"a/#nowhere\">no anchor</a> <img src=\"x.png\"> <a href=\"../up/\">up</a>\n\
         <a href=\"https://example.org/\">external</a> <a href=\"/a/\">root</a>",
    )
    .unwrap();
    fs::write(site.join("a/index.html"), "<h2 id=\"here\">Here</h2>").unwrap();
    let c = crawl(site, "/");
    assert_eq!(c.checked, 7);
    assert_eq!(
        c.broken,
        [
            "index.html: b/ (no file b/index.html)",
            "index.html: a/#nowhere (no id `nowhere` in a/index.html)",
            "index.html: ../up/ (leaves the site)",
            "index.html: x.png (no file x.png)",
        ]
    );
}

#[test]
fn every_internal_link_of_the_good_fixture_resolves() {
    let site = good();
    let c = assert_no_broken_links(&site.dir, "/");
    // 21 pages with a sidebar each: the crawl saw plenty.
    assert!(c.checked > 400, "only {} links checked", c.checked);
}

#[test]
fn every_internal_link_resolves_under_a_site_url() {
    let site = build_with(&fixture("good"), &["--site-url", "/cop/"]);
    assert_no_broken_links(&site.dir, "/cop/");
    let purpose = site.read("define/purpose/index.html");
    // A path has no host: no canonical link, no sitemap (both need
    // absolute URLs), and a warning that says so.
    assert!(!purpose.contains("rel=\"canonical\""), "{purpose}");
    assert!(!site.exists("sitemap.xml"));
    assert!(site.run.stderr.contains("site-url `/cop/` is a path"));
    // Links between pages stay relative.
    assert!(purpose.contains("href=\"../../members/amara/\""));
    let not_found = site.read("404.html");
    assert!(not_found.contains("href=\"/cop/members/\""), "{not_found}");
    let site = build_with(
        &fixture("good"),
        &["--site-url", "https://o.github.io/cop/"],
    );
    assert_no_broken_links(&site.dir, "/cop/");
    let purpose = site.read("define/purpose/index.html");
    assert!(
        purpose
            .contains("<link rel=\"canonical\" href=\"https://o.github.io/cop/define/purpose/\">")
    );
    assert!(
        site.read("sitemap.xml")
            .contains("<loc>https://o.github.io/cop/define/purpose/</loc>")
    );
}

#[test]
fn every_internal_link_of_the_example_handbook_resolves() {
    let site = build(&repo_root());
    let c = assert_no_broken_links(&site.dir, "/");
    assert!(c.checked > 1000, "only {} links checked", c.checked);
}

#[test]
fn images_beside_a_page_resolve() {
    let (_tmp, book) = copy_fixture("good");
    fs::write(
        book.join("content/01-define/diagram.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    )
    .unwrap();
    let page = book.join("content/01-define/purpose.md");
    let mut text = fs::read_to_string(&page).unwrap();
    text.push_str("\n![How we are organised](diagram.svg)\n");
    fs::write(&page, text).unwrap();
    let site = build(&book);
    assert!(site.read("define/purpose/index.html").contains("<img src="));
    assert_no_broken_links(&site.dir, "/");
}

// Whole pages, as a reader gets them. Review changes with
// `INSTA_UPDATE=always cargo test` and read the diff of tests/snapshots/.

#[test]
fn snapshot_answer_page() {
    let site = good();
    insta::assert_snapshot!("answer_page", site.read("define/purpose/index.html"));
}

#[test]
fn snapshot_member_page() {
    let site = good();
    insta::assert_snapshot!("member_page", site.read("members/luka/index.html"));
}

#[test]
fn snapshot_roles_index() {
    let site = good();
    insta::assert_snapshot!("roles_index", site.read("roles/index.html"));
}

#[test]
fn snapshot_progress_page() {
    let site = good();
    insta::assert_snapshot!("progress_page", site.read("progress/index.html"));
}

#[test]
fn site_has_start_print_and_search() {
    let site = good();
    let start = site.read("start/index.html");
    // The onboarding path of book.toml, in order.
    let steps = links(main_of(&start));
    let order: Vec<usize> = [
        "../",
        "../define/purpose/",
        "../roles/",
        "../members/amara/",
        "../progress/",
    ]
    .iter()
    .map(|href| {
        steps
            .iter()
            .position(|(h, _)| h == href)
            .unwrap_or_else(|| panic!("/start/ does not link to {href}: {steps:?}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{steps:?}");

    let print = site.read("print/index.html");
    for title in ["Purpose", "Our community", "Ways of working"] {
        assert!(print.contains(title), "/print/ lacks {title}");
    }

    let home = site.read("index.html");
    assert!(
        home.contains("href=\"start/\""),
        "home does not link to /start/"
    );
    for (path, bytes) in snapshot_tree(&site.dir) {
        if path.ends_with(".html") {
            let html = String::from_utf8(bytes).unwrap();
            assert!(html.contains("type=\"search\""), "{path} has no search box");
        }
    }
}

/// The built-in theme splices the sidebar and the bodies in after tera has
/// rendered a page (src/slots.rs); a theme's own templates must still get
/// them as they are, so that their filters apply.
#[test]
fn a_themes_own_templates_get_the_sidebar_and_bodies_as_they_are() {
    let (_tmp, book) = copy_fixture("good");
    let builtin = |f: &str| fs::read_to_string(repo_root().join("themes/default").join(f)).unwrap();
    let dir = book.join("themes/default");
    fs::create_dir_all(&dir).unwrap();
    let themed = r#"replace(from="<p>", to="<p class=\"themed\">") | safe"#;
    for (file, from, to) in [
        (
            "page.html",
            "page.body | safe",
            format!("page.body | {themed}"),
        ),
        ("print.html", "s.body | safe", format!("s.body | {themed}")),
        (
            "base.html",
            "base.nav | safe",
            r#"base.nav | replace(from="<ul", to="<ul data-themed") | safe"#.to_owned(),
        ),
    ] {
        let text = builtin(file);
        assert!(text.contains(from), "{file} has {from}");
        fs::write(dir.join(file), text.replace(from, &to)).unwrap();
    }
    let site = build(&book);
    assert_eq!(site.run.code, 0, "{}", site.run.stderr);
    let page = site.read("define/purpose/index.html");
    assert!(page.contains("<ul data-themed class=\"nav\">"), "{page}");
    assert!(main_of(&page).contains("<p class=\"themed\">"), "{page}");
    assert!(!page.contains('\u{E000}'), "no marker left: {page}");
    let print = site.read("print/index.html");
    assert!(print.contains("<p class=\"themed\">"), "{print}");
    // A page the theme did not change keeps its plain paragraphs.
    let member = site.read("members/luka/index.html");
    assert!(member.contains("<ul data-themed class=\"nav\">"));
    assert!(!main_of(&member).contains("themed"), "{member}");
}
