//! `copbook check --external` against a web server started here on
//! 127.0.0.1 (never the internet): dead links are errors at the line and
//! column they are written at, each URL is requested once, and one host
//! never gets two requests at a time nor more than four a second.

mod common;

use common::*;
use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the server saw: (method, path, when it started, when it ended).
type Log = Arc<Mutex<Vec<(String, String, Instant, Instant)>>>;

struct Server {
    base: String,
    log: Log,
    /// The most requests it was answering at once.
    max_in_flight: Arc<AtomicUsize>,
}

/// A server with a few fixed answers, answering on four threads so that
/// concurrent requests would show.
fn server() -> Server {
    let http = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
    let base = format!("http://{}", http.server_addr());
    let log: Log = Arc::default();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    for _ in 0..4 {
        let (http, log) = (http.clone(), log.clone());
        let (in_flight, max_in_flight) = (in_flight.clone(), max_in_flight.clone());
        std::thread::spawn(move || {
            while let Ok(req) = http.recv() {
                let start = Instant::now();
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                max_in_flight.fetch_max(now, Ordering::SeqCst);
                // Long enough for overlapping requests to overlap.
                std::thread::sleep(Duration::from_millis(30));
                let method = req.method().as_str().to_owned();
                let path = req.url().split('?').next().unwrap_or_default().to_owned();
                let status = match (method.as_str(), path.as_str()) {
                    (_, "/ok" | "/page" | "/a" | "/b") => 200,
                    ("HEAD", "/head-not-allowed") => 405,
                    ("GET", "/head-not-allowed") => 200,
                    (_, "/moved") => 301,
                    (_, "/error") => 500,
                    (_, "/busy") => 429,
                    _ => 404,
                };
                let mut resp = tiny_http::Response::from_string("hello").with_status_code(status);
                if status == 301 {
                    resp.add_header(
                        tiny_http::Header::from_bytes("Location", "/ok").expect("header"),
                    );
                }
                in_flight.fetch_sub(1, Ordering::SeqCst);
                log.lock()
                    .unwrap()
                    .push((method, path, start, Instant::now()));
                let _ = req.respond(resp);
            }
        });
    }
    Server {
        base,
        log,
        max_in_flight,
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn check_external(book: &std::path::Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", arg(book), "--external"];
    args.extend_from_slice(extra);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_copbook"))
        .args(&args)
        .env("COPBOOK_TODAY", TODAY)
        .env("NO_PROXY", "*")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .output()
        .expect("run copbook");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8"),
    }
}

#[test]
fn dead_external_links_are_errors_at_their_line_and_column() {
    let s = server();
    let base = &s.base;
    let closed = closed_port();
    let (_tmp, book) = copy_fixture("minimal");
    let page = book.join("content/01-define/purpose.md");
    let mut text = fs::read_to_string(&page).unwrap();
    // Line 18: live links; 19 and 20: dead ones.
    text.push_str(&format!(
        "\nAlive: [ok]({base}/ok), <{base}/moved>, [head]({base}/head-not-allowed).\n\
         Dead: [gone]({base}/gone#section) and ![img]({base}/error).\n\
         Again: [gone]({base}/gone), [busy]({base}/busy), [nobody](http://127.0.0.1:{closed}/x).\n"
    ));
    fs::write(&page, text).unwrap();
    fs::write(
        book.join("content/members/ana.md"),
        format!(
            "+++\nname = \"Ana Silva\"\nroles = [\"coordinator\"]\n+++\n\nAna's [site]({base}/ok) is [here]({base}/gone).\n"
        ),
    )
    .unwrap();
    let r = check_external(&book, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let (diags, summary) = split_summary(&r.stdout);
    let p = "content/01-define/purpose.md";
    let m = "content/members/ana.md";
    assert_eq!(
        // The OS's words for a refused connection vary; its number does not matter.
        diags
            .replace(" (os error 111)", "")
            .lines()
            .collect::<Vec<_>>(),
        [
            format!(
                "{p}:19:7: error: dead external link `{base}/gone`: the server answered 404 Not Found"
            ),
            format!(
                "{p}:19:55: error: dead external link `{base}/error`: the server answered 500 Internal Server Error"
            ),
            format!(
                "{p}:20:8: error: dead external link `{base}/gone`: the server answered 404 Not Found"
            ),
            format!(
                "{p}:20:82: error: dead external link `http://127.0.0.1:{closed}/x`: cannot reach it (io: Connection refused)"
            ),
            format!(
                "{m}:6:44: error: dead external link `{base}/gone`: the server answered 404 Not Found"
            ),
            format!(
                "{p}:20:45: warning: external link `{base}/busy` was not checked: the server answered 429 Too Many Requests"
            ),
        ]
    );
    assert_eq!(summary, "5 errors, 1 warning; 1 of 1 questions answered");
    assert!(
        r.stderr.contains("checked 7 external links on 2 hosts in "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.trim_end().ends_with(": 3 dead"), "{}", r.stderr);
    // Not a terminal: no progress bar on stderr.
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);

    let log = s.log.lock().unwrap();
    let seen: Vec<String> = log.iter().map(|(m, p, ..)| format!("{m} {p}")).collect();
    // Each URL once (the fragment is not sent); GET only after a failed HEAD.
    for (url, times) in [
        ("HEAD /ok", 2), // once, and again after the redirect from /moved
        ("HEAD /gone", 1),
        ("GET /gone", 1),
        ("HEAD /head-not-allowed", 1),
        ("GET /head-not-allowed", 1),
        ("GET /ok", 0),
    ] {
        assert_eq!(
            seen.iter().filter(|s| *s == url).count(),
            times,
            "{url} in {seen:?}"
        );
    }
}

#[test]
fn one_host_gets_one_request_at_a_time_at_most_four_a_second() {
    let s = server();
    let base = &s.base;
    let (_tmp, book) = copy_fixture("minimal");
    let page = book.join("content/01-define/purpose.md");
    let mut text = fs::read_to_string(&page).unwrap();
    for i in 0..6 {
        text.push_str(&format!("\n[link {i}]({base}/ok?n={i})\n"));
    }
    fs::write(&page, text).unwrap();
    let started = Instant::now();
    let r = check_external(&book, &[]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("checked 6 external links on 1 host"),
        "{}",
        r.stderr
    );
    assert_eq!(s.max_in_flight.load(Ordering::SeqCst), 1);
    let log = s.log.lock().unwrap();
    assert_eq!(log.len(), 6);
    let mut starts: Vec<Instant> = log.iter().map(|(_, _, start, _)| *start).collect();
    starts.sort();
    for w in starts.windows(2) {
        // 250 ms between the end of one request and the start of the next
        // (a little slack for the clock of another process).
        assert!(
            w[1].duration_since(w[0]) >= Duration::from_millis(240),
            "requests {:?} apart",
            w[1].duration_since(w[0])
        );
    }
    assert!(started.elapsed() >= Duration::from_millis(5 * 250));
}

#[test]
fn without_external_links_nothing_is_requested() {
    let s = server();
    let r = check_external(&fixture("minimal"), &["--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(v["errors"], serde_json::json!([]));
    assert!(r.stderr.contains("checked 0 external links on 0 hosts"));
    assert!(s.log.lock().unwrap().is_empty());
}

#[test]
fn dead_links_show_as_github_annotations() {
    let s = server();
    let (_tmp, book) = copy_fixture("minimal");
    let page = book.join("content/roles/coordinator.md");
    let mut text = fs::read_to_string(&page).unwrap();
    text.push_str(&format!("\nSee [the guide]({}/missing).\n", s.base));
    fs::write(&page, text).unwrap();
    let r = check_external(&book, &["--format", "github"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.stdout,
        format!(
            "::error file=content/roles/coordinator.md,line=9,col=5::dead external link `{}/missing`: the server answered 404 Not Found\n",
            s.base
        )
    );
}
