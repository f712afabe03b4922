//! The build dir under stress: a build killed with SIGKILL while it works
//! (mid-render or mid-write) leaves the previous site byte for byte, with
//! at most its own staging folder beside it; copbook never deletes outside
//! its build dir, not even through a symlink planted in the old build; and
//! it refuses `/`, the home folder, the book root and `content/`.
//! (tests/output.rs covers a failed build and the refusals of folders
//! inside the handbook.)

mod common;

use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A handbook of `n` small answer pages in 10 phases, each linking to a
/// member, so that a build has real work to do.
fn big_book(root: &Path, n: usize) {
    fs::create_dir_all(root.join("content/members")).unwrap();
    fs::write(root.join("book.toml"), "[book]\ntitle = \"Big\"\n").unwrap();
    fs::write(
        root.join("content/members/ana.md"),
        "+++\nname = \"Ana\"\n+++\nBio.\n",
    )
    .unwrap();
    for phase in 0..10 {
        fs::create_dir_all(root.join(format!("content/{phase:02}-phase{phase}"))).unwrap();
    }
    for i in 0..n {
        let text = format!(
            "+++\ntitle = \"Page {i}\"\nquestions = [\"What is {i}?\"]\nowner = \"ana\"\n+++\n\n## What is {i}?\n\nPage {i} is about [[ana]]. {}\n",
            "Words in a sentence about practice. ".repeat(8)
        );
        fs::write(
            root.join(format!("content/{:02}-phase{}/p{i}.md", i % 10, i % 10)),
            text,
        )
        .unwrap();
    }
}

/// The names of the entries of `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Starts `copbook build book -d dest` and kills it with SIGKILL once
/// `when` says so (or when it ends by itself); returns its pid and whether
/// it was killed before it finished.
fn build_and_kill(
    book: &Path,
    dest: &Path,
    when: impl Fn(Duration, &[String], u32) -> bool,
) -> (u32, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_copbook"))
        .args(["build", arg(book), "-d", arg(dest)])
        .env("COPBOOK_TODAY", TODAY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let started = Instant::now();
    let parent = dest.parent().unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            return (pid, false);
        }
        if when(started.elapsed(), &names(parent), pid) {
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();
            return (pid, true);
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the build took over 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// After a kill: the build dir is exactly `previous`, and beside it there
/// is nothing but the books, the build dir and the killed builds' staging
/// folders.
fn assert_intact(tmp: &Path, dest: &Path, previous: &BTreeMap<String, Vec<u8>>, pids: &[u32]) {
    assert!(
        snapshot_tree(dest) == *previous,
        "the previous build changed"
    );
    let staging: Vec<String> = pids.iter().map(|p| format!(".site.staging-{p}")).collect();
    for name in names(tmp) {
        assert!(
            ["book", "big", "site"].contains(&name.as_str()) || staging.contains(&name),
            "left beside the build dir: {name}"
        );
    }
}

#[test]
fn a_build_killed_mid_render_or_mid_write_leaves_the_previous_site() {
    let (tmp, book) = copy_fixture("good");
    let big = tmp.path().join("big");
    big_book(&big, 10_000);
    let dest = tmp.path().join("site");
    let first = run(&["build", arg(&book), "-d", arg(&dest)]);
    assert_eq!(first.code, 0, "{first:#?}");
    let previous = snapshot_tree(&dest);

    // About 100 ms in: loading or rendering.
    let (pid1, killed) = build_and_kill(&big, &dest, |t, _, _| t >= Duration::from_millis(100));
    assert!(killed, "a 10,000-page build finished within 100 ms");
    assert_intact(tmp.path(), &dest, &previous, &[pid1]);

    // While it writes: a moment after its staging folder appears.
    let staging = |pid: u32| format!(".site.staging-{pid}");
    let seen = std::cell::Cell::new(None::<Instant>);
    let (pid, killed) = build_and_kill(&big, &dest, |_, names, pid| {
        if seen.get().is_none() && names.contains(&staging(pid)) {
            seen.set(Some(Instant::now()));
        }
        seen.get()
            .is_some_and(|t| t.elapsed() >= Duration::from_millis(30))
    });
    if killed {
        assert_intact(tmp.path(), &dest, &previous, &[pid1, pid]);
        assert!(
            tmp.path().join(staging(pid)).is_dir(),
            "killed while writing, yet no staging folder"
        );
        // The staging folder is incomplete: the marker comes last.
        assert!(
            !tmp.path()
                .join(staging(pid))
                .join(".copbook-build")
                .exists()
        );
    } else {
        eprintln!("the build finished before it could be killed while writing");
    }

    // A new build succeeds and removes nothing beside the build dir: the
    // killed build's leftovers stay (they are not this build's to delete).
    let before = names(tmp.path());
    let r = run(&["build", arg(&book), "-d", arg(&dest)]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(names(tmp.path()), before);
    assert!(snapshot_tree(&dest) == previous, "same book, same bytes");
}

#[test]
fn a_rebuild_never_follows_a_symlink_out_of_the_old_build() {
    let (tmp, book) = copy_fixture("minimal");
    let dest = tmp.path().join("site");
    assert_eq!(run(&["build", arg(&book), "-d", arg(&dest)]).code, 0);
    // Someone plants links in the old build to precious folders.
    let precious = tmp.path().join("precious");
    fs::create_dir(&precious).unwrap();
    fs::write(precious.join("thesis.txt"), "years of work").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&precious, dest.join("link-to-precious")).unwrap();
        std::os::unix::fs::symlink(&book, dest.join("define/link-to-book")).unwrap();
    }
    let book_before = snapshot_tree(&book);
    let r = run(&["build", arg(&book), "-d", arg(&dest)]);
    assert_eq!(r.code, 0, "{r:#?}");
    assert_eq!(
        fs::read_to_string(precious.join("thesis.txt")).unwrap(),
        "years of work"
    );
    assert!(snapshot_tree(&book) == book_before, "the book changed");
    assert!(!dest.join("link-to-precious").exists());
    assert_eq!(names(tmp.path()), ["book", "precious", "site"]);
}

#[test]
fn a_build_dir_given_through_a_symlink_is_replaced_in_place() {
    let (tmp, book) = copy_fixture("minimal");
    let real = tmp.path().join("real-site");
    assert_eq!(run(&["build", arg(&book), "-d", arg(&real)]).code, 0);
    #[cfg(unix)]
    {
        let link = tmp.path().join("site-link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let r = run(&["build", arg(&book), "-d", arg(&link)]);
        assert_eq!(r.code, 0, "{r:#?}");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(real.join("index.html").exists());
        assert_eq!(names(tmp.path()), ["book", "real-site", "site-link"]);
    }
}

/// `copbook build BOOK -d DEST` with HOME set to `home`.
fn build_with_home(book: &Path, dest: &str, home: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_copbook"))
        .args(["build", arg(book), "-d", dest])
        .env("COPBOOK_TODAY", TODAY)
        .env("HOME", home)
        .current_dir(book)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn refuses_the_root_the_home_folder_the_book_and_content() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let book = home.join("cop");
    copy_dir(&fixture("minimal"), &book);
    fs::write(home.join(".bashrc"), "# keep me").unwrap();
    let before = snapshot_tree(tmp.path());
    let cases = [
        (
            "/",
            "refusing to build into `/`: it is the file system root",
        ),
        (arg(&home), "it is your home folder"),
        (&format!("{}/", arg(&home)), "it is your home folder"),
        (&format!("{}/cop/..", arg(&home)), "it is your home folder"),
        ("..", "it is your home folder"),
        (".", "it holds the handbook itself"),
        (arg(&book), "it holds the handbook itself"),
        ("content", "it is inside content/"),
        ("content/01-define", "it is inside content/"),
        ("./content/../content/", "it is inside content/"),
    ];
    for (dest, why) in cases {
        let r = build_with_home(&book, dest, &home);
        assert_eq!(r.code, 1, "-d {dest}: {r:#?}");
        assert!(
            r.stderr.starts_with("error: refusing to ") && r.stderr.contains(why),
            "-d {dest}: {}",
            r.stderr
        );
        assert!(
            snapshot_tree(tmp.path()) == before,
            "-d {dest} changed files"
        );
    }
    // A folder inside home, beside the book, is fine.
    let r = build_with_home(&book, "../site", &home);
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(home.join("site/index.html").exists());
    assert_eq!(
        fs::read_to_string(home.join(".bashrc")).unwrap(),
        "# keep me"
    );
}
