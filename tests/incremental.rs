//! Serve's incremental rebuilds, through the library: after every kind of
//! edit, the site `Incremental` gives is byte for byte the site a fresh
//! build of the same sources gives, and it got there rendering only the
//! pages whose inputs changed. No server and no file watcher: each test
//! edits a copy of a fixture and names the files it touched, as the
//! watcher would.

mod common;

use copbook::build::{self, BuildError};
use copbook::incremental::{Files, Incremental, Rebuilt, Scan, Whole};
use copbook::load::{self, LoadCache};
use copbook::model::Date;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 22,
};

/// The outputs that may lag behind with `Whole::Later`.
fn is_whole(path: &str) -> bool {
    path == "print/index.html"
        || path == "handbook.json"
        || (path.starts_with("search/") && path.ends_with(".json"))
}

/// A fresh in-memory build of `root` at `/`, as `copbook build --site-url
/// /` writes it: every output file and copied file, or the errors.
fn fresh(root: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    match build::site(root, TODAY, Some("/")) {
        Ok(site) => {
            let mut out: BTreeMap<String, Vec<u8>> =
                site.files.into_iter().map(|f| (f.path, f.bytes)).collect();
            for (src, path) in site.assets {
                out.insert(path, fs::read(src).expect("read asset"));
            }
            Ok(out)
        }
        Err(BuildError::Invalid(report)) => Err(report.errors_text()),
        Err(BuildError::NotABook(m) | BuildError::Output(m)) => Err(m),
    }
}

/// A copy of a fixture served incrementally.
struct Session {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    inc: Incremental,
    served: Files,
}

impl Session {
    fn new(fixture: &str) -> Session {
        let (tmp, root) = common::copy_fixture(fixture);
        Session::at(tmp, root)
    }

    fn at(tmp: tempfile::TempDir, root: PathBuf) -> Session {
        let mut s = Session {
            _tmp: tmp,
            root,
            inc: Incremental::default(),
            served: Files::new(),
        };
        let first = s.rebuild(&[], Whole::Now).expect("first build");
        assert_eq!(
            first.rendered.len(),
            first.pages,
            "the first build renders everything"
        );
        s
    }

    /// Rebuilds after `touched` (paths relative to the book) changed; a
    /// successful rebuild is served from then on.
    fn rebuild(&mut self, touched: &[&str], whole: Whole) -> Result<Rebuilt, String> {
        self.rebuild_scan(touched, whole, Scan::Walk)
    }

    /// [`Self::rebuild`] with the scan serve chooses from the watcher's
    /// events.
    fn rebuild_scan(
        &mut self,
        touched: &[&str],
        whole: Whole,
        scan: Scan,
    ) -> Result<Rebuilt, String> {
        let touched: HashSet<PathBuf> = touched.iter().map(|p| self.root.join(p)).collect();
        let r = self
            .inc
            .rebuild(&self.root, TODAY, &self.served, &touched, whole, scan)?;
        self.served = r.files.clone();
        Ok(r)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("create folder");
        fs::write(p, text).expect("write");
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let old = fs::read_to_string(self.root.join(rel)).expect("read");
        assert!(old.contains(from), "{rel} has no `{from}`");
        self.write(rel, &old.replacen(from, to, 1));
    }

    /// The served files whose bytes differ from a fresh build (or that
    /// only one of them has), leaving out those `skip` names.
    fn differences(&self, skip: impl Fn(&str) -> bool) -> Vec<String> {
        let fresh = fresh(&self.root).expect("the fresh build succeeds");
        let mut out = Vec::new();
        for (path, bytes) in &fresh {
            if skip(path) {
                continue;
            }
            match self.served.get(path.as_str()) {
                Some(b) if **b == **bytes => {}
                Some(_) => out.push(format!("{path} differs")),
                None => out.push(format!("{path} missing")),
            }
        }
        for path in self.served.keys() {
            if !fresh.contains_key(&**path) && !skip(path) {
                out.push(format!("{path} extra"));
            }
        }
        out.sort();
        out
    }

    /// Rebuilds after an edit of `touched`, checks that everything but the
    /// print page and the search index is a fresh build at once, then that
    /// a refresh makes those fresh too. Returns the first rebuild.
    fn check_edit(&mut self, label: &str, touched: &[&str]) -> Rebuilt {
        let r = self
            .rebuild(touched, Whole::Later)
            .unwrap_or_else(|e| panic!("{label}: rebuild failed:\n{e}"));
        self.check_served(label);
        r
    }

    /// serve's fast path for saves that change nothing resolved, after
    /// `touched` were saved; `None` when the edit does not qualify.
    fn in_place(&mut self, touched: &[&str]) -> Option<Rebuilt> {
        let touched: HashSet<PathBuf> = touched.iter().map(|p| self.root.join(p)).collect();
        let r = self
            .inc
            .edits_in_place(&self.root, &self.served, &touched)?;
        self.served = r.files.clone();
        Some(r)
    }

    /// [`Self::in_place`], which must take the fast path and leave every
    /// page but the whole-handbook outputs as a fresh build makes them.
    fn check_in_place(&mut self, label: &str, touched: &[&str]) -> Rebuilt {
        let r = self
            .in_place(touched)
            .unwrap_or_else(|| panic!("{label}: the edit did not take the fast path"));
        assert!(
            r.whole_behind,
            "{label}: the print page waits for the refresh"
        );
        assert_eq!(
            self.differences(is_whole),
            Vec::<String>::new(),
            "{label}: served pages differ from a fresh build"
        );
        r
    }

    /// Checks that the served site is a fresh build but for the outputs
    /// made of the whole handbook, then that a refresh makes those fresh
    /// too.
    fn check_served(&mut self, label: &str) {
        assert_eq!(
            self.differences(is_whole),
            Vec::<String>::new(),
            "{label}: served pages differ from a fresh build"
        );
        let refresh = self
            .rebuild(&[], Whole::Now)
            .unwrap_or_else(|e| panic!("{label}: refresh failed:\n{e}"));
        assert!(!refresh.whole_behind, "{label}");
        assert_eq!(
            self.differences(|_| false),
            Vec::<String>::new(),
            "{label}: after the refresh, served files differ from a fresh build"
        );
    }
}

fn set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn every_kind_of_edit_gives_a_fresh_build() {
    let mut s = Session::new("good");
    assert_eq!(
        s.differences(|_| false),
        Vec::<String>::new(),
        "first build"
    );

    s.edit("content/members/luka.md", "Luka Kovač", "Luca Kovač");
    s.check_edit("member name", &["content/members/luka.md"]);

    s.edit(
        "content/members/chen.md",
        "participation = ",
        "roles = [\"librarian\"]\nparticipation = ",
    );
    s.check_edit("role taken", &["content/members/chen.md"]);

    s.edit(
        "content/members/luka.md",
        "roles = [\"facilitator\"]",
        "roles = [\"coordinator\"]",
    );
    s.check_edit("role reassigned", &["content/members/luka.md"]);

    s.write(
        "content/02-plan/retrospective.md",
        "+++\ntitle = \"Retrospective\"\nquestions = [\"What went well?\"]\nowner = \"chen\"\n+++\n\n\
         ## What went well?\n\nThe clinics with [[luka]].\n",
    );
    s.check_edit("new page", &["content/02-plan/retrospective.md"]);

    fs::remove_file(s.root.join("content/cases/amara.md")).expect("delete");
    s.check_edit("deleted page", &["content/cases/amara.md"]);

    s.edit(
        "content/01-define/purpose.md",
        "<!-- todo -->",
        "Whether we meet in person.",
    );
    s.check_edit("question answered", &["content/01-define/purpose.md"]);

    s.edit(
        "content/01-define/community.md",
        "## Who are our members?",
        "## Who we are",
    );
    s.check_edit("heading changed", &["content/01-define/community.md"]);

    s.edit(
        "content/01-define/purpose.md",
        "Members and their organisations.",
        "Members, see [[01-define/community]].",
    );
    s.check_edit("link added", &["content/01-define/purpose.md"]);

    s.edit(
        "content/01-define/purpose.md",
        "title = \"Purpose\"",
        "title = \"Our purpose\"",
    );
    s.check_edit("page title", &["content/01-define/purpose.md"]);

    s.edit(
        "content/02-plan/_phase.md",
        "title = \"Plan\"",
        "title = \"Planning\"",
    );
    s.check_edit("phase title", &["content/02-plan/_phase.md"]);

    s.write(
        "static/logo.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    s.check_edit("static file", &["static/logo.svg"]);

    s.edit(
        "book.toml",
        "title = \"Test Stewards CoP\"",
        "title = \"Test Stewards\"",
    );
    let r = s.check_edit("book.toml", &["book.toml"]);
    assert_eq!(r.rendered.len(), r.pages, "book.toml renders every page");

    let builtin = fs::read_to_string(common::repo_root().join("themes/default/page.html"))
        .expect("the built-in page template");
    s.write(
        "themes/default/page.html",
        &builtin.replacen(
            "<article class=\"answer\">",
            "<article class=\"answer edited\">",
            1,
        ),
    );
    let r = s.check_edit("template", &["themes/default/page.html"]);
    assert_eq!(r.rendered.len(), r.pages, "a template renders every page");
}

#[test]
fn a_member_edit_renders_the_pages_that_show_the_member_and_no_others() {
    member_edit_renders_what_shows_the_member(Session::check_edit);
}

/// The same through serve's fast path for saves that change nothing
/// resolved (a name is such a field).
#[test]
fn a_name_saved_in_place_renders_only_the_pages_that_show_it() {
    member_edit_renders_what_shows_the_member(Session::check_in_place);
}

/// A member's new name, rebuilt by `rebuild`, reaches every page that
/// shows the member, and only those pages are made again.
fn member_edit_renders_what_shows_the_member(rebuild: fn(&mut Session, &str, &[&str]) -> Rebuilt) {
    let mut s = Session::new("good");
    s.edit("content/members/luka.md", "Luka Kovač", "Luca Kovač");
    let before = s.served.clone();
    let r = rebuild(&mut s, "member name", &["content/members/luka.md"]);
    let rendered = set(&r.rendered);
    for page in [
        // The member's own page and the list of members.
        "members/luka/index.html",
        "members/index.html",
        // The role Luka holds, and the roles matrix.
        "roles/facilitator/index.html",
        "roles/index.html",
        // Pages that link to Luka or name Luka as the one to ask.
        "define/purpose/index.html",
        "define/community/index.html",
        "plan/ways-of-working/index.html",
        // Backlinks: Luka's page links to Amara's.
        "members/amara/index.html",
        // Unanswered questions list their owner.
        "progress/index.html",
    ] {
        assert!(rendered.contains(page), "{page} not rendered: {rendered:?}");
        let old = String::from_utf8_lossy(&before[page]).into_owned();
        let new = String::from_utf8_lossy(&s.served[page]).into_owned();
        assert!(
            old.contains("Luka Kovač") && new.contains("Luca Kovač") && !new.contains("Luka Kovač"),
            "{page} does not show the new name"
        );
    }
    for page in ["norms/decisions/index.html", "index.html", "404.html"] {
        assert!(!rendered.contains(page), "{page} rendered for nothing");
    }
    assert!(
        r.rendered.len() < r.pages / 2,
        "{} of {}",
        r.rendered.len(),
        r.pages
    );
}

/// A handbook of `pages` answer pages in three phases, owned in turn by
/// ten members, each page linking to the next.
fn many_pages(pages: usize) -> Session {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("book");
    let write = |rel: &str, text: String| {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("create folder");
        fs::write(p, text).expect("write");
    };
    write("book.toml", "[book]\ntitle = \"Many pages\"\n".to_owned());
    write("content/index.md", "Welcome.\n".to_owned());
    for m in 0..10 {
        write(
            &format!("content/members/m{m}.md"),
            format!(
                "+++\nname = \"Member {m}\"\nroles = [\"r{}\"]\n+++\n\nBio.\n",
                m % 3
            ),
        );
    }
    for r in 0..3 {
        write(
            &format!("content/roles/r{r}.md"),
            format!("+++\ntitle = \"Role {r}\"\n+++\n\nDoes things.\n"),
        );
    }
    for i in 0..pages {
        let phase = i % 3;
        let next = (i + 3) % pages;
        write(
            &format!("content/0{}-phase{}/p{i:03}.md", phase + 1, phase + 1),
            format!(
                "+++\ntitle = \"Page {i}\"\nquestions = [\"Why {i}?\"]\nowner = \"m{}\"\n+++\n\n\
                 ## Why {i}?\n\nBecause. See [[0{}-phase{}/p{next:03}]].\n",
                i % 10,
                next % 3 + 1,
                next % 3 + 1,
            ),
        );
    }
    Session::at(tmp, root)
}

#[test]
fn on_a_large_handbook_a_member_edit_renders_few_pages() {
    let mut s = many_pages(150);
    s.edit("content/members/m7.md", "Member 7", "Member Seven");
    let r = s.check_edit("member name", &["content/members/m7.md"]);
    // Member 7 owns 15 of the 150 pages; with its own page, the role it
    // holds, the lists and the progress page that is about 25.
    assert!(
        r.rendered.len() <= 30 && r.pages > 160,
        "rendered {} of {} pages: {:?}",
        r.rendered.len(),
        r.pages,
        r.rendered
    );
    // A page title shows in the sidebar of the pages around it, and in
    // the page that links to it: still far from everything.
    s.edit(
        "content/02-phase2/p076.md",
        "title = \"Page 76\"",
        "title = \"Page 76 renamed\"",
    );
    let r = s.check_edit("page title", &["content/02-phase2/p076.md"]);
    assert!(
        r.rendered.len() < r.pages / 2,
        "{} of {}",
        r.rendered.len(),
        r.pages
    );
}

#[test]
fn an_unchanged_save_renders_nothing_and_changes_nothing() {
    let mut s = Session::new("good");
    let before = s.served.clone();
    let text = fs::read_to_string(s.root.join("content/members/luka.md")).expect("read");
    s.write("content/members/luka.md", &text);
    let r = s
        .rebuild(&["content/members/luka.md"], Whole::Later)
        .expect("rebuild");
    assert_eq!(r.rendered, Vec::<String>::new());
    assert!(!r.whole_behind, "nothing to refresh");
    assert_eq!(s.served, before);
}

#[test]
fn a_broken_edit_fails_with_the_errors_of_a_full_build_and_a_fix_recovers() {
    let mut s = Session::new("good");
    s.edit(
        "content/01-define/purpose.md",
        "owner = \"amara\"",
        "owner = \"amra\"",
    );
    s.edit("content/members/chen.md", "name = ", "nmae = ");
    let err = s
        .rebuild(
            &["content/01-define/purpose.md", "content/members/chen.md"],
            Whole::Later,
        )
        .err()
        .expect("the edit breaks the handbook");
    assert_eq!(Err(err), fresh(&s.root).map(|_| ()));
    s.edit("content/members/chen.md", "nmae = ", "name = ");
    s.edit(
        "content/01-define/purpose.md",
        "owner = \"amra\"",
        "owner = \"chen\"",
    );
    let r = s.check_edit(
        "fixed",
        &["content/01-define/purpose.md", "content/members/chen.md"],
    );
    assert!(r.whole_behind, "the print page waits for the refresh");
}

/// A link in raw HTML is checked in the rendered site. While the print
/// page is behind, its copy of the link is not checked: the page's own
/// error shows at once, the print page's when it is made again.
#[test]
fn a_broken_link_in_raw_html_is_the_same_error_as_in_a_full_build() {
    let mut s = Session::new("good");
    s.edit(
        "content/members/chen.md",
        "Chen joined in 2026.",
        "Chen joined in 2026. <a href=\"../nobody/\">Who?</a>",
    );
    let err = s
        .rebuild(&["content/members/chen.md"], Whole::Later)
        .err()
        .expect("a broken link is an error");
    let full = fresh(&s.root).expect_err("the full build fails");
    assert!(
        err.lines()
            .next()
            .is_some_and(|l| l.contains("/members/chen/"))
            && full.starts_with(&err),
        "{err}\nis not the start of\n{full}"
    );
    let err = s
        .rebuild(&[], Whole::Now)
        .err()
        .expect("a broken link is an error");
    assert_eq!(err, full);

    // Valid on its own page, broken where the print page copies it.
    s.edit("content/members/chen.md", "../nobody/", "../amara/");
    let r = s
        .rebuild(&["content/members/chen.md"], Whole::Later)
        .expect("the member page is fine");
    assert!(r.whole_behind);
    let err = s
        .rebuild(&[], Whole::Now)
        .err()
        .expect("the print page has the broken copy");
    assert!(err.contains("/print/"), "{err}");
    assert_eq!(Err(err), fresh(&s.root).map(|_| ()));
}

/// What a load holds, in an order that does not depend on hashing.
fn summary(l: &load::Loaded) -> String {
    let docs = l
        .pages
        .iter()
        .map(|p| (&p.title, &p.doc))
        .chain(l.members.iter().map(|m| (&m.name, &m.doc)))
        .chain(l.roles.iter().map(|r| (&r.title, &r.doc)))
        .chain(l.norms.iter().map(|n| (&n.title, &n.doc)))
        .chain(l.cases.iter().map(|c| (&c.id, &c.doc)))
        .map(|(t, d)| {
            format!(
                "{t} {} {} {} {:?} {:?}",
                d.file, d.body_start, d.broken, d.analysis.headings, d.analysis.links
            )
        })
        .collect::<Vec<_>>();
    let sources = l
        .sources
        .iter()
        .map(|s| format!("{}\n{}", s.path, s.text))
        .collect::<Vec<_>>();
    format!(
        "{sources:#?}\n{:?}\n{docs:#?}\n{:?}\n{:?}\n{:?}",
        l.config,
        l.phases
            .iter()
            .map(|p| (&p.dir, &p.title, p.order))
            .collect::<Vec<_>>(),
        l.assets,
        l.diags
    )
}

#[test]
fn the_load_cache_reads_only_changed_files_and_loads_what_load_loads() {
    let (_tmp, root) = common::copy_fixture("good");
    // One file with errors, so that diagnostics are compared too.
    fs::write(
        root.join("content/norms/broken.md"),
        "+++\ntitel = \"Broken\"\n+++\n\nSee [[nobody]].\n",
    )
    .expect("write");
    let mut cache = LoadCache::default();
    let first = load::load_cached(&root, &mut cache).expect("load");
    assert!(!first.diags.is_empty());
    let files = cache.read();
    assert!(files > 10, "{files}");
    assert_eq!(summary(&first), summary(&load::load(&root).expect("load")));

    let again = load::load_cached(&root, &mut cache).expect("load");
    assert_eq!((cache.read(), cache.dropped()), (0, 0));
    assert_eq!(summary(&again), summary(&first));

    let luka = root.join("content/members/luka.md");
    let text = fs::read_to_string(&luka).expect("read");
    fs::write(&luka, text.replace("Luka Kovač", "Luka K.")).expect("write");
    fs::remove_file(root.join("content/cases/amara.md")).expect("delete");
    let edited = load::load_cached(&root, &mut cache).expect("load");
    assert_eq!((cache.read(), cache.dropped(), cache.changed()), (1, 1, 2));
    assert_eq!(summary(&edited), summary(&load::load(&root).expect("load")));

    // A file the watcher names is read again even if its stamp says not;
    // read again unchanged, it is no change.
    cache.forget([luka.as_path()]);
    load::load_cached(&root, &mut cache).expect("load");
    assert_eq!((cache.read(), cache.changed()), (1, 0));
    cache.forget([root.join("content").as_path()]);
    load::load_cached(&root, &mut cache).expect("load");
    assert_eq!(cache.read(), files - 1);
}

/// A save in place (`Scan::Touched`) reads the saved files and looks at
/// no other: the edit is picked up and the site is a fresh build's. That
/// nothing else is looked at shows in a file changed behind the watcher's
/// back, which such a rebuild does not see and the next walk does.
#[test]
fn a_save_in_place_is_picked_up_without_looking_at_other_files() {
    let mut s = Session::new("good");
    s.edit("content/members/luka.md", "Luka Kovač", "Luca Kovač");
    s.edit(
        "content/01-define/purpose.md",
        "title = \"Purpose\"",
        "title = \"Our purpose\"",
    );
    let touched = ["content/members/luka.md", "content/01-define/purpose.md"];
    s.rebuild_scan(&touched, Whole::Later, Scan::Touched)
        .expect("rebuild");
    assert_eq!(s.differences(is_whole), Vec::<String>::new());
    let refresh = s
        .rebuild_scan(&[], Whole::Now, Scan::Walk)
        .expect("refresh");
    assert!(!refresh.whole_behind);
    assert_eq!(s.differences(|_| false), Vec::<String>::new());

    // A title the watcher did not report, then a save it did report.
    s.edit(
        "content/norms/decisions.md",
        "title = \"",
        "title = \"Unseen ",
    );
    s.edit("content/members/luka.md", "Luca Kovač", "Luka Kovač");
    s.rebuild_scan(&["content/members/luka.md"], Whole::Later, Scan::Touched)
        .expect("rebuild");
    let unseen = s.differences(is_whole);
    assert!(
        !unseen.is_empty() && unseen.iter().all(|d| d.ends_with(" differs")),
        "only the saved file was read: {unseen:?}"
    );
    s.rebuild_scan(&[], Whole::Now, Scan::Walk).expect("walk");
    assert_eq!(s.differences(|_| false), Vec::<String>::new());
}

/// Told that only the touched files changed, a rebuild still walks when a
/// touched path is not a file the last walk found, or is no longer a
/// file: a page created, removed or renamed appears and disappears as in
/// a fresh build.
#[test]
fn a_touched_path_that_is_new_or_gone_makes_the_rebuild_walk() {
    let mut s = Session::new("good");
    s.write(
        "content/02-plan/retrospective.md",
        "+++\ntitle = \"Retrospective\"\n+++\n\nWith [[luka]].\n",
    );
    let r = s
        .rebuild_scan(
            &["content/02-plan/retrospective.md"],
            Whole::Later,
            Scan::Touched,
        )
        .expect("rebuild");
    assert!(r.files.contains_key("plan/retrospective/index.html"));
    assert_eq!(s.differences(is_whole), Vec::<String>::new());

    fs::remove_file(s.root.join("content/cases/amara.md")).expect("delete");
    let r = s
        .rebuild_scan(&["content/cases/amara.md"], Whole::Later, Scan::Touched)
        .expect("rebuild after a removal");
    assert!(!r.files.contains_key("cases/amara/index.html"));
    assert_eq!(s.differences(is_whole), Vec::<String>::new());

    fs::rename(
        s.root.join("content/norms/decisions.md"),
        s.root.join("content/norms/choices.md"),
    )
    .expect("rename");
    let renamed = ["content/norms/decisions.md", "content/norms/choices.md"];
    let r = s.rebuild_scan(&renamed, Whole::Later, Scan::Touched);
    // The old id may still be referred to: the rebuild fails as a fresh
    // build does, or gives the fresh build's site.
    match (r, fresh(&s.root)) {
        (Ok(_), Ok(_)) => assert_eq!(s.differences(is_whole), Vec::<String>::new()),
        (Err(e), Err(f)) => assert_eq!(e, f),
        (r, f) => panic!("rebuild {:?} but fresh build {:?}", r.is_ok(), f.is_ok()),
    }
}

/// `load_modified` reads the files it is told were modified and no other,
/// and loads what `load` loads; with a path the last walk did not find,
/// it walks.
#[test]
fn a_load_told_what_was_modified_reads_only_that() {
    let (_tmp, root) = common::copy_fixture("good");
    let mut cache = LoadCache::default();
    load::load_cached(&root, &mut cache).expect("load");
    let luka = root.join("content/members/luka.md");
    let text = fs::read_to_string(&luka).expect("read");
    fs::write(&luka, text.replace("Luka Kovač", "Luka K.")).expect("write");
    let modified = HashSet::from([luka.clone()]);
    let edited = load::load_modified(&root, &mut cache, &modified).expect("load");
    assert_eq!((cache.read(), cache.changed()), (1, 1));
    assert_eq!(summary(&edited), summary(&load::load(&root).expect("load")));

    // Without a walk, a new file is not seen...
    let new = root.join("content/members/zoe.md");
    fs::write(&new, "+++\nname = \"Zoe\"\n+++\n").expect("write");
    let kept = load::load_modified(&root, &mut cache, &modified).expect("load");
    assert_eq!(kept.members.len(), edited.members.len());
    // ...until a load is told of it.
    let told = load::load_modified(&root, &mut cache, &HashSet::from([new])).expect("load");
    assert_eq!(told.members.len(), edited.members.len() + 1);
    assert_eq!(summary(&told), summary(&load::load(&root).expect("load")));
}

/// serve's prose fast path patches the kept handbook; a save in place of
/// another file afterwards (which trusts the load cache for every file it
/// is not told about) must still see the prose edit, not the text the
/// cache read before it.
#[test]
fn a_save_in_place_after_a_prose_edit_keeps_the_prose() {
    let mut s = Session::new("good");
    s.edit(
        "content/01-define/purpose.md",
        "We help data stewards share practice.",
        "We help data stewards share practice every week.",
    );
    let touched = HashSet::from([s.root.join("content/01-define/purpose.md")]);
    let r = s
        .inc
        .edits_in_place(&s.root, &s.served, &touched)
        .expect("a prose edit takes the fast path");
    assert_eq!(r.rendered, ["define/purpose/index.html"]);
    s.served = r.files;
    s.edit("content/members/luka.md", "Luka Kovač", "Luca Kovač");
    s.rebuild_scan(&["content/members/luka.md"], Whole::Later, Scan::Touched)
        .expect("rebuild");
    let page = String::from_utf8_lossy(&s.served["define/purpose/index.html"]).into_owned();
    assert!(
        page.contains("share practice every week"),
        "the prose edit was lost"
    );
    assert_eq!(s.differences(is_whole), Vec::<String>::new());
}

/// The fields a save may change without anything being resolved again,
/// one edit each: (label, file, from, to). Each keeps the record where it
/// sorts and gives no warning.
const FIELD_EDITS: &[(&str, &str, &str, &str)] = &[
    (
        "member name",
        "content/members/luka.md",
        "Luka Kovač",
        "Luca Kovač",
    ),
    (
        "member participation",
        "content/members/luka.md",
        "\"active\"",
        "\"core\"",
    ),
    (
        "member organization",
        "content/members/luka.md",
        "Lakeside Water",
        "Lakeside Water Board",
    ),
    (
        "member joined",
        "content/members/luka.md",
        "2025-03-10",
        "2025-04-01",
    ),
    (
        "member contact",
        "content/members/amara.md",
        "amara@example.org",
        "amara.o@example.org",
    ),
    (
        "page title",
        "content/01-define/purpose.md",
        "\"Purpose\"",
        "\"Why we exist\"",
    ),
    (
        "page status",
        "content/01-define/purpose.md",
        "\"agreed\"",
        "\"draft\"",
    ),
    (
        "page review-by",
        "content/01-define/purpose.md",
        "2027-03-01",
        "2027-06-01",
    ),
    (
        "page title",
        "content/01-define/community.md",
        "\"Our community\"",
        "\"Who we are\"",
    ),
    (
        "role title",
        "content/roles/facilitator.md",
        "\"Facilitator\"",
        "\"Host\"",
    ),
    (
        "role summary",
        "content/roles/facilitator.md",
        "Runs meetings.",
        "Runs our meetings.",
    ),
    (
        "role commitment",
        "content/roles/facilitator.md",
        "One afternoon",
        "One morning",
    ),
    (
        "norm title",
        "content/norms/decisions.md",
        "\"How we decide\"",
        "\"How we decide things\"",
    ),
    (
        "norm category",
        "content/norms/decisions.md",
        "\"decisions\"",
        "\"governance\"",
    ),
    (
        "norm agreed",
        "content/norms/decisions.md",
        "2025-10-07",
        "2025-11-07",
    ),
    (
        "phase title",
        "content/02-plan/_phase.md",
        "\"Plan\"",
        "\"Planning\"",
    ),
    (
        "phase summary",
        "content/02-plan/_phase.md",
        "How we work together.",
        "How we work.",
    ),
    (
        "home title",
        "content/index.md",
        "\"Test Stewards handbook\"",
        "\"Our handbook\"",
    ),
    (
        "case title",
        "content/cases/amara.md",
        "Amara's case for participation",
        "Why Amara takes part",
    ),
];

/// Saves that change only fields other pages show (a title, a name, a
/// status, a contact) take serve's fast path, which patches the kept
/// handbook and renders only the pages that show the document: the served
/// pages are then a fresh build's, and after the refresh every file is.
/// Once with a refresh after each edit, then every edit undone in a row.
#[test]
fn field_edits_take_the_fast_path_and_give_a_fresh_build() {
    let mut s = Session::new("good");
    // A meeting, so that a facilitator's name is in a calendar file.
    s.write(
        "content/meetings/clinic.md",
        "+++\ntitle = \"Clinic\"\nstart = 2026-12-02T10:00:00+01:00\nduration = \"1h\"\n\
         repeat = \"weekly\"\nfacilitator = \"luka\"\n+++\n\nNotes.\n",
    );
    s.check_edit("meeting added", &["content/meetings/clinic.md"]);
    for &(label, file, from, to) in FIELD_EDITS {
        s.edit(file, from, to);
        let r = s.check_in_place(label, &[file]);
        assert!(
            !r.rendered.is_empty() && r.rendered.len() < r.pages,
            "{label}: rendered {} of {} pages",
            r.rendered.len(),
            r.pages
        );
        s.check_served(label);
    }
    for &(label, file, from, to) in FIELD_EDITS.iter().rev() {
        s.edit(file, to, from);
        s.check_in_place(&format!("{label} undone"), &[file]);
    }
    s.check_served("every edit undone");
}

/// Edits that change what resolve worked out, or that a full build words
/// as a diagnostic, do not take the fast path; the full rebuild after
/// them gives a fresh build (or its errors).
#[test]
fn edits_that_change_resolved_facts_leave_the_fast_path() {
    let refused: &[(&str, &str, &str, &str)] = &[
        (
            "a role taken",
            "content/members/chen.md",
            "participation = ",
            "roles = [\"librarian\"]\nparticipation = ",
        ),
        (
            "a name that sorts elsewhere",
            "content/members/luka.md",
            "Luka Kovač",
            "Aaron Kovač",
        ),
        (
            "a question",
            "content/01-define/purpose.md",
            "\"Who benefits?\"",
            "\"Who gains?\"",
        ),
        (
            "an order",
            "content/01-define/purpose.md",
            "order = 1",
            "order = 3",
        ),
        (
            "an owner",
            "content/01-define/purpose.md",
            "owner = \"amara\"",
            "owner = \"chen\"",
        ),
        (
            "a stale page",
            "content/02-plan/ways-of-working.md",
            "\"Ways of working\"",
            "\"How we work\"",
        ),
        (
            "a review date that makes a page stale",
            "content/01-define/purpose.md",
            "2027-03-01",
            "2026-01-01",
        ),
        (
            "a vacant role",
            "content/roles/librarian.md",
            "\"Librarian\"",
            "\"Keeper\"",
        ),
        (
            "a heading",
            "content/01-define/purpose.md",
            "## Who benefits?",
            "## Who benefits?\n\n### Also",
        ),
        (
            "a new link",
            "content/members/luka.md",
            "+++\n\n",
            "+++\n\nSee [[amara]]. ",
        ),
    ];
    for &(label, file, from, to) in refused {
        let mut s = Session::new("good");
        s.edit(file, from, to);
        assert!(s.in_place(&[file]).is_none(), "{label}: took the fast path");
        s.check_edit(label, &[file]);
    }
    // An unknown key is an error the full rebuild reports.
    let mut s = Session::new("good");
    s.edit("content/members/luka.md", "participation", "participaton");
    assert!(
        s.in_place(&["content/members/luka.md"]).is_none(),
        "an error took the fast path"
    );
    let err = s
        .rebuild(&["content/members/luka.md"], Whole::Later)
        .err()
        .expect("an error");
    assert!(err.contains("participaton"), "{err}");
}

/// An editor that saves by renaming a temporary file over the file
/// reports both paths; the temporary one, gone and never walked, does not
/// keep the save off the fast path.
#[test]
fn a_save_through_a_temporary_file_takes_the_fast_path() {
    let mut s = Session::new("good");
    s.edit("content/members/luka.md", "Luka Kovač", "Luca Kovač");
    s.check_in_place(
        "renamed over",
        &["content/members/.luka.md.tmp", "content/members/luka.md"],
    );
    // A path that is there now but was not walked is a new file.
    s.write("content/members/dana.md", "+++\nname = \"Dana\"\n+++\n");
    assert!(
        s.in_place(&["content/members/dana.md"]).is_none(),
        "a new file took the fast path"
    );
    s.check_edit("new member", &["content/members/dana.md"]);
}

/// With a theme's own templates a field may show where nothing links to
/// its record, which the link index cannot know: a field edit then
/// fingerprints every page, and the page that shows the field without a
/// link is made again like the rest.
#[test]
fn with_a_themes_own_templates_a_field_edit_reaches_pages_without_a_link() {
    let (tmp, root) = common::copy_fixture("good");
    let builtin = fs::read_to_string(common::repo_root().join("themes/default/page.html"))
        .expect("the built-in page template");
    let unlinked = builtin
        .replacen(
            "Ask <a href=\"{{ page.owner.href }}\">{{ page.owner.title }}</a>",
            "Ask {{ page.owner.title }}",
            1,
        )
        .replacen(
            "{% for l in page.members %}<a href=\"{{ l.href }}\">{{ l.title }}</a>",
            "{% for l in page.members %}{{ l.title }}",
            1,
        );
    assert_eq!(
        unlinked.matches("{{ l.title }}</a>").count() + 1,
        builtin.matches("{{ l.title }}</a>").count()
    );
    fs::create_dir_all(root.join("themes/default")).expect("theme folder");
    fs::write(root.join("themes/default/page.html"), unlinked).expect("theme page");
    // The last open question answered: its note would link the owner.
    let purpose = root.join("content/01-define/purpose.md");
    let text = fs::read_to_string(&purpose).expect("read");
    fs::write(&purpose, text.replacen("<!-- todo -->", "Nothing yet.", 1)).expect("write");

    let mut s = Session::at(tmp, root);
    let page = "define/purpose/index.html";
    let shown = String::from_utf8_lossy(&s.served[page]).into_owned();
    assert!(
        shown.contains("Ask Amara Okafor") && !shown.contains("members/amara/"),
        "the page names its owner without a link to her"
    );
    s.edit(
        "content/members/amara.md",
        "Amara Okafor",
        "Amara N. Okafor",
    );
    let r = s.check_in_place("member name, own theme", &["content/members/amara.md"]);
    assert!(set(&r.rendered).contains(page), "{:?}", r.rendered);
    assert!(String::from_utf8_lossy(&s.served[page]).contains("Ask Amara N. Okafor"));
}
