//! `copbook serve` under load: 50 clients request pages at once, for at
//! least 3 seconds and 20 requests each,
//! while an editor saves a page every 50 ms (prose edits, which take
//! the one-page path, and title edits, which rebuild everything) and an
//! event stream stays open. Every request must get a 200 with a whole page,
//! the stream must hear the rebuilds, and the last save must be served.

mod common;

use common::serve::{LOOPBACK, Serve};

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);
const PURPOSE: &str = "content/01-define/purpose.md";
const URLS: &[&str] = &[
    "/",
    "/define/purpose/",
    "/define/community/",
    "/plan/ways-of-working/",
    "/members/amara/",
    "/members/",
    "/roles/",
    "/roles/coordinator/",
    "/norms/meetings/",
    "/progress/",
    "/print/",
    "/start/",
];

/// GET `path` with `Connection: close`; the status and whether the body
/// is a whole HTML page.
fn get(port: u16, path: &str) -> Result<(u16, String), String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .map_err(|e| format!("send: {e}"))?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {text:.200}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}

/// Saves `text` to `rel` as editors do: written beside, renamed in.
fn save(book: &Path, tmp: &Path, rel: &str, text: &str) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let staging = tmp.join(format!("edit-{}.tmp", N.fetch_add(1, Ordering::SeqCst)));
    fs::write(&staging, text).unwrap();
    fs::rename(&staging, book.join(rel)).unwrap();
}

#[test]
fn fifty_clients_and_an_event_stream_during_rebuilds() {
    let (tmp, book) = common::copy_fixture("good");
    let server = Serve::launch(&book, tmp.path(), LOOPBACK);
    let port = server.port;

    // The event stream: counts `reload` events on a thread of its own.
    let reloads = Arc::new(AtomicUsize::new(0));
    let events_log = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut sse = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sse.write_all(
        format!("GET /__copbook/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes(),
    )
    .unwrap();
    {
        let reader = sse.try_clone().unwrap();
        let (reloads, events_log) = (Arc::clone(&reloads), Arc::clone(&events_log));
        thread::spawn(move || {
            let mut r = BufReader::new(reader);
            let mut line = String::new();
            while matches!(r.read_line(&mut line), Ok(n) if n > 0) {
                if line.starts_with("event: ") {
                    events_log.lock().unwrap().push(line.trim_end().to_owned());
                    if line.trim_end() == "event: reload" {
                        reloads.fetch_add(1, Ordering::SeqCst);
                    }
                }
                line.clear();
            }
        });
    }
    // The first event (the current version) arrives at once.
    let until = Instant::now() + DEADLINE;
    while reloads.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < until, "no first event");
        thread::sleep(Duration::from_millis(10));
    }

    let original = fs::read_to_string(book.join(PURPOSE)).unwrap();
    let editing = Arc::new(AtomicBool::new(true));
    let last_text = thread::scope(|scope| {
        let editor = {
            let editing = Arc::clone(&editing);
            let (book, tmp, original) = (&book, tmp.path(), &original);
            scope.spawn(move || {
                let mut i = 0;
                let mut last = String::new();
                while editing.load(Ordering::SeqCst) {
                    // Every third save changes the title: a full rebuild.
                    let text = if i % 3 == 2 {
                        original.replacen(
                            "title = \"Purpose\"",
                            &format!("title = \"Purpose {i}\""),
                            1,
                        )
                    } else {
                        original.replacen(
                            "We help data stewards share practice.",
                            &format!("Edit number {i} under load."),
                            1,
                        )
                    };
                    save(book, tmp, PURPOSE, &text);
                    last = format!("Edit number {i} under load.");
                    if i % 3 == 2 {
                        last = format!("<title>Purpose {i} ·");
                    }
                    i += 1;
                    thread::sleep(Duration::from_millis(50));
                }
                last
            })
        };
        let clients: Vec<_> = (0..50)
            .map(|c| {
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    // At least 20 requests each, for at least 3 seconds:
                    // some 60 saves, a third of them full rebuilds.
                    let started = Instant::now();
                    let mut k = 0;
                    while k < 20 || started.elapsed() < Duration::from_secs(3) {
                        k += 1;
                        let url = URLS[(c + k) % URLS.len()];
                        match get(port, url) {
                            Ok((200, body)) if body.trim_end().ends_with("</html>") => {}
                            Ok((status, body)) => failures.push(format!(
                                "{url}: {status}, {} bytes, ends {:?}",
                                body.len(),
                                body.chars().rev().take(40).collect::<String>()
                            )),
                            Err(e) => failures.push(format!("{url}: {e}")),
                        }
                    }
                    (k, failures)
                })
            })
            .collect();
        let mut requests = 0;
        let mut failures = Vec::new();
        for h in clients {
            let (k, f) = h.join().unwrap();
            requests += k;
            failures.extend(f);
        }
        editing.store(false, Ordering::SeqCst);
        assert!(
            failures.is_empty(),
            "{} of {requests} requests failed: {:#?}",
            failures.len(),
            &failures[..failures.len().min(20)]
        );
        editor.join().unwrap()
    });

    // The stream heard the rebuilds, and is still open for the next one.
    let heard = reloads.load(Ordering::SeqCst);
    assert!(
        heard >= 2,
        "only {heard} reload events: {:?}",
        events_log.lock().unwrap()
    );
    save(
        &book,
        tmp.path(),
        PURPOSE,
        &original.replacen(
            "We help data stewards share practice.",
            "The very last edit.",
            1,
        ),
    );
    let until = Instant::now() + DEADLINE;
    loop {
        let (status, body) = get(port, "/define/purpose/").unwrap();
        if status == 200 && body.contains("The very last edit.") && !body.contains(&last_text) {
            break;
        }
        assert!(Instant::now() < until, "the last edit was never served");
        thread::sleep(Duration::from_millis(50));
    }
    let until = Instant::now() + DEADLINE;
    while reloads.load(Ordering::SeqCst) <= heard {
        assert!(Instant::now() < until, "the stream missed the last rebuild");
        thread::sleep(Duration::from_millis(20));
    }
    let _ = sse.shutdown(Shutdown::Both);
    drop(server);
}
