//! The build dir: a failed build leaves the previous site byte for byte as
//! it was, a successful one replaces it, and copbook refuses build dirs that
//! would overwrite the handbook or folders it did not make.

mod common;

use common::*;
use std::fs;
use std::path::Path;

fn build_into(book: &Path, dest: &Path) -> Run {
    run(&["build", arg(book), "-d", arg(dest)])
}

#[test]
fn a_failed_build_leaves_the_previous_site_untouched() {
    let (tmp, book) = copy_fixture("good");
    let dest = tmp.path().join("site");
    let first = build_into(&book, &dest);
    assert_eq!(first.code, 0, "{first:#?}");
    let before = snapshot_tree(&dest);
    assert!(before.contains_key("define/purpose/index.html"));

    // Break one file of the copy and build again into the same folder.
    let page = book.join("content/01-define/purpose.md");
    let text = fs::read_to_string(&page).unwrap();
    fs::write(&page, text.replace("owner = \"amara\"", "owner = \"amra\"")).unwrap();
    let second = build_into(&book, &dest);
    assert_eq!(second.code, 1, "{second:#?}");
    assert!(
        second.stderr.starts_with(
            "content/01-define/purpose.md:9:9: error: unknown member `amra`\n  hint: did you mean `amara`?\n"
        ),
        "{}",
        second.stderr
    );
    assert!(second.stderr.ends_with("; nothing was written\n"));
    assert!(snapshot_tree(&dest) == before, "the site changed");
    // No staging or backup folders are left beside it.
    let beside: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut beside = beside;
    beside.sort();
    assert_eq!(beside, ["book", "site"]);
}

#[test]
fn a_rebuild_replaces_the_previous_site() {
    let (tmp, book) = copy_fixture("good");
    let dest = tmp.path().join("site");
    assert_eq!(build_into(&book, &dest).code, 0);
    assert!(dest.join("members/chen/index.html").exists());
    // A file someone dropped into the old site does not survive.
    fs::write(dest.join("stray.txt"), "x").unwrap();

    // Remove a member (and the one link to him) and rebuild.
    fs::remove_file(book.join("content/members/chen.md")).unwrap();
    let community = book.join("content/01-define/community.md");
    let text = fs::read_to_string(&community).unwrap();
    fs::write(
        &community,
        text.replace("members = [\"luka\", \"chen\"]", "members = [\"luka\"]")
            .replace("[[chen]] joined last", "Chen joined last"),
    )
    .unwrap();
    let r = build_into(&book, &dest);
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(!dest.join("members/chen").exists());
    assert!(!dest.join("stray.txt").exists());
    assert!(dest.join("members/luka/index.html").exists());
    assert_no_broken_links(&dest, "/");
    let mut beside: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(beside, ["book", "site"]);
}

#[test]
fn builds_into_an_existing_empty_folder() {
    let (tmp, book) = copy_fixture("minimal");
    let dest = tmp.path().join("site");
    fs::create_dir(&dest).unwrap();
    let r = build_into(&book, &dest);
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(dest.join("index.html").exists());
}

#[test]
fn default_build_dir_is_book_inside_the_handbook() {
    let (_tmp, book) = copy_fixture("minimal");
    let r = run_in(&book, &["build"]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(book.join("book/index.html").exists());
    assert!(book.join("book/define/purpose/index.html").exists());
    // And a second build replaces it (the folder is copbook's own).
    let r = run_in(&book, &["build"]);
    assert_eq!(r.code, 0, "{r:#?}");
}

/// Runs `build -d dest` from `cwd` and asserts it is refused with exit 1,
/// a message containing `why`, and no change anywhere under `tmp`.
fn assert_refused(tmp: &Path, cwd: &Path, book: &str, dest: &str, why: &str) {
    let before = snapshot_tree(tmp);
    let r = run_in(cwd, &["build", book, "-d", dest]);
    assert_eq!(r.code, 1, "-d {dest}: {r:#?}");
    assert!(
        r.stderr.starts_with("error: refusing to ") && r.stderr.contains(why),
        "-d {dest}: {}",
        r.stderr
    );
    assert!(snapshot_tree(tmp) == before, "-d {dest} changed files");
}

#[test]
fn refuses_to_build_into_the_handbook_or_its_ancestors() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("projects/book");
    copy_dir(&fixture("good"), &book);
    fs::create_dir_all(book.join("static")).unwrap();
    fs::write(book.join("static/logo.txt"), "logo").unwrap();
    let b = arg(&book);
    let t = tmp.path();
    // Absolute paths.
    assert_refused(t, t, b, b, "it holds the handbook itself");
    assert_refused(t, t, b, arg(&book.join("content")), "it is inside content/");
    assert_refused(
        t,
        t,
        b,
        arg(&book.join("content/members")),
        "it is inside content/",
    );
    assert_refused(
        t,
        t,
        b,
        arg(&book.join("content/new")),
        "it is inside content/",
    );
    assert_refused(
        t,
        t,
        b,
        arg(&book.join("static")),
        "it is inside the handbook's sources",
    );
    assert_refused(
        t,
        t,
        b,
        arg(book.parent().unwrap()),
        "it holds the handbook itself",
    );
    assert_refused(t, t, b, arg(t), "it holds the handbook itself");
    // Relative paths, from inside the handbook.
    assert_refused(t, &book, ".", ".", "it holds the handbook itself");
    assert_refused(t, &book, ".", "content", "it is inside content/");
    assert_refused(t, &book, ".", "..", "it holds the handbook itself");
    assert_refused(
        t,
        &book,
        ".",
        "content/../..",
        "it holds the handbook itself",
    );
}

#[test]
fn refuses_a_folder_it_did_not_make() {
    let (tmp, book) = copy_fixture("minimal");
    let other = tmp.path().join("photos");
    fs::create_dir(&other).unwrap();
    fs::write(other.join("holiday.jpg"), "not really").unwrap();
    assert_refused(
        tmp.path(),
        tmp.path(),
        arg(&book),
        arg(&other),
        "it is not empty and was not made by copbook",
    );
    assert_refused(
        tmp.path(),
        tmp.path(),
        arg(&book),
        arg(&other.join("holiday.jpg")),
        "it is a file",
    );
}

#[test]
fn refuses_dot_dot_paths_that_lead_into_the_handbook() {
    let (tmp, book) = copy_fixture("minimal");
    assert_refused(
        tmp.path(),
        &book,
        ".",
        "newdir/../content",
        "it is inside content/",
    );
    assert!(book.join("content/01-define/purpose.md").exists());
}

/// The built-in templates' home, progress and roles pages are partly made
/// in Rust (the progress page's lists of unanswered questions, stale
/// pages, pages due soon and drafts, the roles matrix, and no page list
/// per phase where neither shows one); a theme holding verbatim copies of
/// those templates gets them made by tera from the whole context. Both
/// must give the same bytes, escaping included.
#[test]
fn built_in_progress_roles_and_home_pages_equal_tera_rendering_them() {
    let (tmp, book) = copy_fixture("good");
    let rewrite = |rel: &str, edits: &[(&str, &str)]| {
        let path = book.join(rel);
        let mut text = fs::read_to_string(&path).unwrap();
        for (from, to) in edits {
            assert!(text.contains(from), "{rel} has no {from}");
            text = text.replacen(from, to, 1);
        }
        fs::write(&path, text).unwrap();
    };
    let asked = "  \"What's <\\\"this\\\"> & what / isn't?\",\n  \"What is our purpose?\",";
    // Due for review in ten days (the build's today is the clock's).
    let soon = copbook::model::Date::from_days(copbook::model::Date::today().days() + 10);
    let soon_line = format!("review-by = {soon}");
    rewrite(
        "content/01-define/purpose.md",
        &[
            ("  \"What is our purpose?\",", asked),
            ("review-by = 2027-03-01", &soon_line),
            ("\"agreed\"", "\"draft\""),
        ],
    );
    // A stale draft whose title needs escaping.
    rewrite(
        "content/02-plan/ways-of-working.md",
        &[("\"Ways of working\"", "\"Ways <of> & \\\"working\\\"\"")],
    );
    // A member whose name needs escaping, in the roles matrix.
    rewrite(
        "content/members/chen.md",
        &[("\"Chen Wei\"", "\"Chen <\\\"Wei\\\"> & co\"")],
    );
    let builtin = tmp.path().join("builtin");
    assert_eq!(build_into(&book, &builtin).code, 0);

    let theme = book.join("themes/default");
    fs::create_dir_all(&theme).unwrap();
    for name in ["progress.html", "index.html", "roles.html"] {
        fs::copy(
            repo_root().join("themes/default").join(name),
            theme.join(name),
        )
        .unwrap();
    }
    let copied = tmp.path().join("copied");
    assert_eq!(build_into(&book, &copied).code, 0);

    let (a, b) = (snapshot_tree(&builtin), snapshot_tree(&copied));
    let progress = String::from_utf8_lossy(&a["progress/index.html"]).into_owned();
    assert!(
        progress.contains("What&#39;s &lt;&quot;this&quot;&gt; &amp; what / isn&#39;t?")
            || progress.contains("What's &lt;&quot;this&quot;&gt; &amp; what / isn't?"),
        "the new question is listed, escaped"
    );
    for (section, shows) in [
        ("id=\"stale\"", "Ways &lt;of&gt; &amp; &quot;working&quot;"),
        ("id=\"review-soon\"", &format!("review by {soon}")),
        ("id=\"drafts\"", "Ways &lt;of&gt; &amp; &quot;working&quot;"),
        ("id=\"drafts\"", ">Purpose</a>"),
    ] {
        let from = progress.find(section).expect(section);
        let list = &progress[from..];
        let list = &list[..list[4..].find("<h2").map_or(list.len(), |i| i + 4)];
        assert!(
            list.contains(shows),
            "{section} does not list {shows}:\n{list}"
        );
    }
    let roles = String::from_utf8_lossy(&a["roles/index.html"]).into_owned();
    assert!(
        roles.contains("<th scope=\"row\"><a href=\"../members/chen/\">Chen &lt;&quot;Wei&quot;&gt; &amp; co</a></th>"),
        "the matrix lists the member, escaped"
    );
    for path in ["progress/index.html", "index.html", "roles/index.html"] {
        assert_eq!(
            String::from_utf8_lossy(&a[path]),
            String::from_utf8_lossy(&b[path]),
            "{path}"
        );
    }
}
