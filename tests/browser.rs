//! The reader's experience in a real browser: `copbook serve` of a copy of
//! the example handbook (the repository's own `book.toml` and `content/`),
//! driven by `tests/browser/run.mjs` through playwright-core and Debian's
//! `chromium` (never a downloaded browser). The runner walks the onboarding
//! path, searches, toggles dark mode, edits a file under the open page, runs
//! axe-core on every kind of page in light and dark, checks a 360 px phone
//! viewport, and fails on any console error.
//!
//! Needs `/usr/bin/chromium` (or `COPBOOK_CHROMIUM`), `node` and
//! `npm ci --prefix tests/browser`. When one is missing the test prints
//! "browser tests skipped: …" and passes, unless `COPBOOK_REQUIRE_BROWSER=1`
//! (set by `.ci/run`), which makes a skip a failure.

mod common;

use common::serve::{LOOPBACK, Serve};

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long the whole browser run may take (it normally takes ~30 s).
const RUN_DEADLINE: Duration = Duration::from_secs(180);

/// Writes to the real stderr, past the test harness's output capture, so
/// that a skip or a skipped check is seen even when the test passes.
fn notice(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Why the browser tests cannot run here, if they cannot.
fn missing() -> Option<String> {
    let chromium = std::env::var("COPBOOK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).is_file() {
        return Some(format!(
            "{chromium} is missing (install Debian's `chromium` package: apt-get install chromium)"
        ));
    }
    let modules = repo().join("tests/browser/node_modules");
    for package in ["playwright-core", "axe-core"] {
        if !modules.join(package).join("package.json").is_file() {
            return Some(format!(
                "{} is missing (run `PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser`)",
                modules.join(package).display()
            ));
        }
    }
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        return Some("`node` is not on PATH (Node.js 20 or later is needed)".into());
    }
    None
}

#[test]
fn example_handbook_in_chromium() {
    if let Some(why) = missing() {
        if std::env::var("COPBOOK_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("browser tests cannot run and COPBOOK_REQUIRE_BROWSER=1: {why}");
        }
        notice(&format!(
            "browser tests skipped: {why}; set COPBOOK_REQUIRE_BROWSER=1 to make this a failure"
        ));
        return;
    }

    // A copy of the example handbook, which the live-reload check edits.
    let tmp = tempfile::tempdir().expect("temp dir");
    let book = tmp.path().join("book");
    fs::create_dir_all(&book).expect("create book dir");
    fs::copy(repo().join("book.toml"), book.join("book.toml")).expect("copy book.toml");
    common::copy_dir(&repo().join("content"), &book.join("content"));

    let server = Serve::start(&book, tmp.path(), LOOPBACK);
    let base = format!("http://127.0.0.1:{}/", server.port);

    let out_path = tmp.path().join("run.out");
    let out = fs::File::create(&out_path).expect("create runner log");
    let started = Instant::now();
    let mut node = Command::new("node")
        .arg(repo().join("tests/browser/run.mjs"))
        .arg(&base)
        .arg(&book)
        .current_dir(repo().join("tests/browser"))
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .env("COPBOOK_BIN", env!("CARGO_BIN_EXE_copbook"))
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("clone log handle"))
        .stderr(out)
        .spawn()
        .expect("start node tests/browser/run.mjs");
    let status = loop {
        if let Some(status) = node.try_wait().expect("poll node") {
            break Some(status);
        }
        if started.elapsed() > RUN_DEADLINE {
            let _ = node.kill();
            let _ = node.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(50));
    };
    let output = fs::read_to_string(&out_path).unwrap_or_default();
    println!("{output}");
    // Skipped checks and the verdict are shown even when the test passes.
    for line in output.lines() {
        if line.starts_with("SKIP:") {
            notice(&format!("browser test {line}"));
        }
    }
    notice(&format!(
        "browser tests: {} in {:.1} s",
        output
            .lines()
            .find(|l| *l == "all browser checks passed" || l.ends_with(" failed:"))
            .unwrap_or("no verdict")
            .trim_end_matches(':'),
        started.elapsed().as_secs_f64()
    ));
    let status = status.unwrap_or_else(|| {
        panic!("the browser run did not finish within {RUN_DEADLINE:?}:\n{output}")
    });
    assert!(
        status.success(),
        "the browser checks failed ({status}); the FAIL lines above say what:\n{}",
        output
            .lines()
            .filter(|l| l.starts_with("FAIL"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    drop(server);
}
