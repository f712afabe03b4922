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
            "<dt>Who to ask</dt><dd>Ask <a href=\"../../members/amara/\">Amara Okafor</a> · <a class=\"contact\" href=\"mailto:amara@example.org\">amara@example.org</a></dd>"
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
        "We help <a href=\"https://example.org\">data stewards</a> and <code>CoP</code> <b>data stewards</b> share practice. A data steward's practice is `practice` in code.\n\n```\ndata stewards\n```\n\n### Our practice and [practice](https://example.org/practice)",
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
    assert!(body.contains("We help <a href=\"https://example.org\">data stewards</a> and <code>CoP</code> <b><a class=\"term\" href=\"../../glossary/#data-steward\"><dfn title=\"Someone who looks after a data set &amp; its &quot;users&quot;\">data stewards</dfn></a></b> share <a class=\"term\" href=\"../../glossary/#practice\"><dfn title=\"What we do, and how\">practice</dfn></a>. A data steward"), "{body}");
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

const CALL: &str = r#"+++
title = "Monthly call; open to all, members first"
start = 2026-12-10T14:00:00+01:00
duration = "1h30m"
repeat = "monthly on the 2nd thursday"
until = 2027-12-31
link = "https://meet.example.org/data-stewards"
facilitator = "facilitator"
agenda = ["Round of news", "One case, discussed in depth", "Next steps"]
+++

Bring a case. Notes go to [[norm:decisions]].
"#;

const LATE: &str = r#"+++
title = "Late review"
start = 2026-11-26T00:30:00+02:00
duration = "45m"
rrule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH,FR;COUNT=6"
location = "Room 4, Town Hall"
facilitator = "amara"
agenda = "Pages due for review"
+++
"#;

fn meetings_book() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, book) = copy_fixture("good");
    fs::create_dir_all(book.join("content/meetings")).unwrap();
    fs::write(book.join("content/meetings/monthly-call.md"), CALL).unwrap();
    fs::write(book.join("content/meetings/late-review.md"), LATE).unwrap();
    edit(
        &book,
        "content/02-plan/ways-of-working.md",
        "owner = \"luka\"",
        "owner = \"luka\"\nmeetings = [\"monthly-call\"]",
    );
    (tmp, book)
}

#[test]
fn meetings_page_shows_next_occurrences_and_links_both_ways() {
    let (_tmp, book) = meetings_book();
    let site = build(&book);
    let main = main_of(&site.read("meetings/index.html")).to_owned();
    let call = &main[main.find("id=\"monthly-call\"").unwrap()..];
    let times: Vec<&str> = call
        .split("<time datetime=\"")
        .skip(1)
        .take(5)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(
        times,
        [
            "2026-12-10T13:00:00Z",
            "2027-01-14T13:00:00Z",
            "2027-02-11T13:00:00Z",
            "2027-03-11T13:00:00Z",
            "2027-04-08T13:00:00Z"
        ]
    );
    assert!(
        call.contains(">Thu 10 Dec 2026, 14:00–15:30 (UTC+01:00)</time>"),
        "{call}"
    );
    assert!(
        call.contains("<dt>When</dt><dd>Monthly on the 2nd thursday, from Thu 10 Dec 2026"),
        "{call}"
    );
    assert!(
        call.contains(
            "<dt>Facilitator</dt><dd><a href=\"../roles/facilitator/\">Facilitator</a></dd>"
        ),
        "{call}"
    );
    assert!(call.contains("<li>One case, discussed in depth</li>"));
    assert!(call.contains("<a href=\"monthly-call.ics\" download>"));
    assert!(call.contains("Planned in: <a href=\"../plan/ways-of-working/\">Ways of working</a>"));
    assert!(main.contains("<a href=\"../calendar.ics\">the calendar</a>"));
    // The late review: two a fortnight, six in all, from 26 Nov local.
    let late =
        &main[main.find("id=\"late-review\"").unwrap()..main.find("id=\"monthly-call\"").unwrap()];
    assert!(
        late.contains(">Thu 26 Nov 2026, 00:30–01:15 (UTC+02:00)</time>"),
        "{late}"
    );
    assert!(late.contains("<li>Pages due for review</li>"));
    // The plan page links to the meeting.
    let plan = site.read("plan/ways-of-working/index.html");
    assert!(plan.contains("<p>Meetings: <a href=\"../../meetings/#monthly-call\">Monthly call; open to all, members first</a></p>"), "{plan}");
    assert!(
        site.read("index.html")
            .contains("<a href=\"meetings/\">Meetings</a>")
    );
}

#[test]
fn calendars_are_rfc_5545_with_crlf_folding_and_stable_uids() {
    let (_tmp, book) = meetings_book();
    let site = build_with(&book, &["--site-url", "https://org.github.io/cop/"]);
    let ics = fs::read(site.dir.join("calendar.ics")).unwrap();
    let text = String::from_utf8(ics.clone()).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "unfolded line: {line}");
        assert!(!line.contains('\n'));
    }
    let unfolded = text.replace("\r\n ", "");
    for want in [
        "UID:monthly-call@org.github.io",
        "DTSTART:20261210T130000Z",
        "DURATION:PT1H30M",
        "RRULE:FREQ=MONTHLY;BYDAY=2TH;UNTIL=20271231T225959Z",
        "SUMMARY:Monthly call\\; open to all\\, members first",
        "URL:https://meet.example.org/data-stewards",
        "DESCRIPTION:Facilitator: Facilitator\\nAgenda:\\n- Round of news\\n- One case\\, discussed in depth\\n- Next steps",
        "UID:late-review@org.github.io",
        // 00:30 on Thursday at +02:00 is Wednesday 22:30 UTC: the days move.
        "DTSTART:20261125T223000Z",
        "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,TH;COUNT=6",
        "LOCATION:Room 4\\, Town Hall",
        "URL:https://org.github.io/cop/meetings/#late-review",
    ] {
        assert!(unfolded.contains(want), "want {want}\n{unfolded}");
    }
    // One file per meeting, with the same event.
    let one = site.read("meetings/late-review.ics");
    assert_eq!(one.matches("BEGIN:VEVENT").count(), 1);
    assert!(one.contains("UID:late-review@org.github.io"));
    // Stable: a second build gives the same bytes.
    let again = build_with(&book, &["--site-url", "https://org.github.io/cop/"]);
    assert_eq!(fs::read(again.dir.join("calendar.ics")).unwrap(), ics);
}

/// Python's `icalendar` (and `dateutil`, which it needs) read the calendar
/// and expand its RRULEs; the starts must be those /meetings/ shows.
#[test]
fn a_real_parser_accepts_the_calendar_and_agrees_on_the_recurrences() {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import icalendar, dateutil"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: python3 with the icalendar package is needed (pip install icalendar)");
        return;
    }
    let (_tmp, book) = meetings_book();
    let site = build(&book);
    let script = r#"
import sys, datetime, icalendar
from dateutil.rrule import rrulestr
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
today = datetime.datetime(2026, 11, 22, tzinfo=datetime.timezone.utc)
for ev in cal.walk('VEVENT'):
    start = ev.decoded('DTSTART')
    assert start.tzinfo is not None
    rule = ev.get('RRULE')
    if rule:
        starts = list(rrulestr(rule.to_ical().decode(), dtstart=start))
    else:
        starts = [start]
    nxt = [s for s in starts if s >= today][:5]
    print(str(ev['UID']), ev.decoded('DURATION'), ' '.join(s.strftime('%Y-%m-%dT%H:%M:%SZ') for s in nxt), len(starts))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, arg(&site.dir.join("calendar.ics"))])
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let page = site.read("meetings/index.html");
    let mut seen = 0;
    for line in stdout.lines() {
        let mut parts = line.split(' ');
        let uid = parts.next().unwrap();
        let id = uid
            .strip_suffix("@copbook")
            .expect("UID host is copbook without a full site-url");
        let section = &page[page.find(&format!("<h2 id=\"{id}\"")).unwrap()..];
        let section = &section[..section.find("</section>").unwrap()];
        let shown: Vec<&str> = section
            .split("<time datetime=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect();
        let rest: Vec<&str> = parts.collect();
        let (total, rest) = rest.split_last().unwrap();
        let python: Vec<&str> = rest[1..].to_vec();
        assert_eq!(shown, python, "{id}: page vs python\n{stdout}");
        if id == "late-review" {
            assert_eq!(*total, "6");
            assert_eq!(rest[0], "0:45:00");
        }
        if id == "monthly-call" {
            assert_eq!(*total, "13", "2nd Thursdays from Dec 2026 to Dec 2027");
        }
        seen += 1;
    }
    assert_eq!(seen, 2, "{stdout}");
}

#[test]
fn meeting_errors_are_at_their_line() {
    let (_tmp, book) = meetings_book();
    fs::write(
        book.join("content/meetings/bad.md"),
        "+++\ntitle = \"Bad\"\nstart = 2026-12-10\nduration = \"ninety\"\nrepeat = \"every blue moon\"\nfacilitator = \"facilitatr\"\nagendaa = \"x\"\n+++\n",
    )
    .unwrap();
    fs::write(
        book.join("content/meetings/off.md"),
        "+++\ntitle = \"Off\"\nstart = 2026-12-09T14:00:00Z\nrrule = \"FREQ=MONTHLY;BYDAY=2TH;BYSETPOS=1\"\n+++\n",
    )
    .unwrap();
    fs::write(
        book.join("content/meetings/wrong-day.md"),
        "+++\ntitle = \"Wrong\"\nstart = 2026-12-09T14:00:00Z\nrepeat = \"monthly on the 2nd thursday\"\n+++\n",
    )
    .unwrap();
    edit(
        &book,
        "content/02-plan/ways-of-working.md",
        "[\"monthly-call\"]",
        "[\"monthly-cal\"]",
    );
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1);
    for want in [
        "content/meetings/bad.md:3:9: error: `start` must be a date and time with an offset",
        "content/meetings/bad.md:4:12: error: `duration` cannot be `ninety`",
        "content/meetings/bad.md:5:10: error: `repeat` cannot be `every blue moon`",
        "content/meetings/bad.md:6:15: error: unknown facilitator `facilitatr`: no member or role has this id\n  hint: did you mean `facilitator`?",
        "content/meetings/bad.md:7:1: error: unknown key `agendaa` in a meeting\n  hint: did you mean `agenda`?",
        "content/meetings/off.md:4:9: error: invalid `rrule`: BYSETPOS is not supported",
        "content/meetings/wrong-day.md:4:10: error: `start` is not an occurrence of the recurrence\n  hint: start on the first one instead: Thu 10 Dec 2026, 14:00–15:00 (UTC+00:00)",
        "content/02-plan/ways-of-working.md:8:13: error: unknown meeting `monthly-cal`\n  hint: did you mean `monthly-call`?",
    ] {
        assert!(r.stdout.contains(want), "want {want}\n{}", r.stdout);
    }
}

fn closed_book() -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, book) = copy_fixture("good");
    edit(
        &book,
        "book.toml",
        "language = \"en\"",
        "language = \"en\"\nstatus = \"closed\"",
    );
    fs::create_dir_all(book.join("content/03-closing")).unwrap();
    fs::write(
        book.join("content/03-closing/_phase.md"),
        "+++\ntitle = \"Closing\"\n+++\n\nWe closed in December 2027.\n",
    )
    .unwrap();
    fs::write(
        book.join("content/03-closing/legacy.md"),
        "+++\ntitle = \"Legacy\"\nquestions = [\"What did we achieve?\", \"Where did the knowledge go?\"]\nowner = \"amara\"\nstatus = \"agreed\"\n+++\n\n## What did we achieve?\n\nA shared catalogue; see [below](#where-did-the-knowledge-go).\n\n## Where did the knowledge go?\n\nTo the [[role:librarian]] and the city archive.\n",
    )
    .unwrap();
    (tmp, book)
}

#[test]
fn a_closed_handbook_has_a_banner_everywhere_and_a_closure_page() {
    let (_tmp, book) = closed_book();
    let site = build(&book);
    for (page, href) in [
        ("index.html", "closure/"),
        ("define/purpose/index.html", "../../closure/"),
        ("members/index.html", "../closure/"),
        ("404.html", "/closure/"),
    ] {
        let html = site.read(page);
        assert!(
            html.contains(&format!("<p class=\"banner archived\" role=\"note\"><strong>Archived:</strong> Test Stewards CoP has closed, and this handbook is kept as its record. <a href=\"{href}\">")),
            "{page}"
        );
    }
    let main = main_of(&site.read("closure/index.html")).to_owned();
    assert!(
        main.contains("as its members wrote it down in <a href=\"../closing/\">Closing</a>"),
        "{main}"
    );
    assert!(
        main.contains("<p>We closed in December 2027.</p>"),
        "{main}"
    );
    assert!(
        main.contains("<h2 id=\"legacy\"><a href=\"../closing/legacy/\">Legacy</a></h2>"),
        "{main}"
    );
    assert!(
        main.contains("Ask <a href=\"../members/amara/\">Amara Okafor</a> · agreed"),
        "{main}"
    );
    // Heading ids are prefixed, and in-page links follow them.
    assert!(
        main.contains("id=\"legacy--what-did-we-achieve\""),
        "{main}"
    );
    assert!(
        main.contains("<a href=\"#legacy--where-did-the-knowledge-go\">below</a>"),
        "{main}"
    );
    assert!(
        main.contains("To the <a href=\"../roles/librarian/\">Librarian</a>"),
        "{main}"
    );
    assert!(
        site.read("index.html")
            .contains("<a href=\"closure/\">Closure</a>")
    );
}

#[test]
fn an_open_handbook_has_no_banner_and_status_is_checked() {
    let site = build(&fixture("good"));
    assert!(!site.read("index.html").contains("banner archived"));
    assert!(!site.exists("closure/index.html"));
    let (_tmp, book) = copy_fixture("good");
    edit(
        &book,
        "book.toml",
        "language = \"en\"",
        "language = \"en\"\nstatus = \"closd\"",
    );
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains(
            "book.toml:5:10: error: `status` cannot be `closd`\n  hint: did you mean `closed`?"
        ),
        "{}",
        r.stdout
    );
}

/// The example handbook in content/ uses every feature above.
#[test]
fn the_example_handbook_uses_every_feature() {
    let site = build(&repo_root());
    // Meetings and calendars.
    let meetings = site.read("meetings/index.html");
    for id in [
        "steward-circle",
        "data-clinic",
        "retrospective",
        "leadership-huddle",
    ] {
        assert!(meetings.contains(&format!("<h2 id=\"{id}\">")), "{id}");
        assert!(site.exists(&format!("meetings/{id}.ics")), "{id}.ics");
    }
    assert!(meetings.contains(
        "<time datetime=\"2026-12-01T09:00:00Z\">Tue 1 Dec 2026, 10:00–11:30 (UTC+01:00)</time>"
    ));
    let ics = site.read("calendar.ics");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 4);
    assert!(ics.contains("RRULE:FREQ=MONTHLY;BYDAY=1TU"));
    let plan = site.read("plan/collaborative-plan/index.html");
    assert!(plan.contains("<a href=\"../../meetings/#steward-circle\">Steward Circle</a>"));
    // Glossary, with auto-links.
    assert!(
        site.read("glossary/index.html")
            .contains("<dt id=\"dcat-ap\">")
    );
    assert!(
        site.read("define/purpose/index.html")
            .contains("<a class=\"term\" href=\"../../glossary/#data-steward\">")
    );
    // Who knows what.
    assert!(
        site.read("topics/index.html")
            .contains("<dt id=\"data-governance\">")
    );
    // Review cycles: stale pages and one due soon; strict check enforces.
    let progress = site.read("progress/index.html");
    assert!(section(&progress, "Review soon").contains("Risks, obligations and policies"));
    assert!(section(&progress, "Pages due for review").contains("Collaborative plan"));
    let r = run(&["check", "--strict"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("content/03-plan/collaborative-plan.md:12:13: error: page is stale")
    );
    // Closure is configured (open) rather than on.
    assert!(
        fs::read_to_string(repo_root().join("book.toml"))
            .unwrap()
            .contains("status = \"open\"")
    );
    assert!(!site.exists("closure/index.html"));
}

#[test]
fn members_and_roles_list_what_they_facilitate_and_the_terms_to_ask_them() {
    let (_tmp, book) = meetings_book();
    fs::write(book.join("content/glossary.toml"), GLOSSARY).unwrap();
    let site = build(&book);
    let amara = main_of(&site.read("members/amara/index.html")).to_owned();
    assert_eq!(
        link_list(section(&amara, "Facilitates")),
        ["Late review=../../meetings/#late-review"]
    );
    assert_eq!(
        link_list(section(&amara, "Glossary terms to ask about")),
        ["data steward=../../glossary/#data-steward"]
    );
    let role = main_of(&site.read("roles/facilitator/index.html")).to_owned();
    assert_eq!(
        link_list(dd(&role, "Facilitates")),
        ["Monthly call; open to all, members first=../../meetings/#monthly-call"]
    );
}

#[test]
fn handbook_json_has_meetings_glossary_and_topics() {
    let (_tmp, book) = meetings_book();
    fs::write(book.join("content/glossary.toml"), GLOSSARY).unwrap();
    let site = build(&book);
    let v: serde_json::Value = serde_json::from_str(&site.read("handbook.json")).unwrap();
    let m = &v["meetings"][1];
    assert_eq!(m["id"], "monthly-call");
    assert_eq!(m["start"], "2026-12-10T13:00:00Z");
    assert_eq!(m["offset_minutes"], 60);
    assert_eq!(m["duration_minutes"], 90);
    assert_eq!(m["rrule"], "FREQ=MONTHLY;BYDAY=2TH;UNTIL=20271231T225959Z");
    assert_eq!(m["facilitator"]["role"], "facilitator");
    assert_eq!(m["ics"], "meetings/monthly-call.ics");
    assert_eq!(v["glossary"][1]["term"], "data steward");
    assert_eq!(v["glossary"][1]["ask"], "amara");
    assert_eq!(v["glossary"][1]["url"], "glossary/#data-steward");
    assert_eq!(v["topics"][0]["name"], "data governance");
    assert_eq!(v["topics"][0]["members"][0], "amara");
}

#[test]
fn new_meeting_writes_a_documented_file_that_builds() {
    let (_tmp, book) = copy_fixture("good");
    let r = run_in(&book, &["new", "meeting", "weekly-sync"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "content/meetings/weekly-sync.md");
    let text = fs::read_to_string(book.join("content/meetings/weekly-sync.md")).unwrap();
    assert!(text.contains("start = 2026-11-29T10:00:00+00:00"), "{text}");
    assert!(text.contains("# until = 2027-11-29"), "{text}");
    let site = build(&book);
    let html = site.read("meetings/index.html");
    assert!(
        html.contains("<h2 id=\"weekly-sync\">Weekly sync"),
        "{html}"
    );
    assert!(html.contains("<time datetime=\"2026-11-29T10:00:00Z\">Sun 29 Nov 2026, 10:00–11:00 (UTC+00:00)</time>"), "{html}");
    let r = run_in(&book, &["new", "meeting", "weekly-sync"]);
    assert_eq!(r.code, 1);
}
