//! What serve's incremental rebuild costs, stage by stage, without a
//! server: loads a handbook, then changes a member's name (or a page's
//! title, or a line of a page's prose) several times and rebuilds after
//! each change, as serve does: the fast path for saves that change nothing
//! resolved first (`Incremental::edits_in_place`), else a rebuild.
//!
//! usage: cargo run --release --example rebuild_cost -- BOOK_DIR [member|title|prose] [RUNS] [touched|walk] [refresh]
//!
//! `touched` (the default) rebuilds as serve does after an editor saved a
//! file in place (only that file is looked at); `walk` as after a file
//! was created, removed or renamed (the folders are walked and every file
//! is looked at); `walk` also leaves the fast path out. `refresh` makes
//! the print page, search index and handbook.json again after each edit
//! (untimed), as serve does once edits pause.
//!
//! BOOK_DIR is a handbook from `bench/gen_corpus.py` (it edits
//! `content/members/m0001.md` or `content/01-phase1/page-00001.md`, and
//! puts the file back as it was at the end). Set `COPBOOK_TIMINGS=1` for
//! the time of each stage; the median of the whole rebuild is printed.

use copbook::incremental::{Files, Incremental, Scan, Whole};
use copbook::model::Date;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

/// serve runs on mimalloc (see src/main.rs), and so does this stand-in
/// for it: on glibc a rebuild after a refresh costs twice as much.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time of this process so far, in ms (Linux; 0 elsewhere): on a
/// machine shared with other work it varies less than the wall clock.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, in clock ticks of (almost always) 10 ms.
    (ticks(11) + ticks(12)) * 10.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next().map(PathBuf::from) else {
        eprintln!("usage: rebuild_cost BOOK_DIR [member|title] [RUNS] [touched|walk]");
        std::process::exit(2);
    };
    let kind = args.next().unwrap_or_else(|| "member".into());
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let scan = match args.next().as_deref() {
        Some("walk") => Scan::Walk,
        _ => Scan::Touched,
    };
    let refresh = args.next().as_deref() == Some("refresh");
    copbook::serve::keep_freed_memory();
    let root = root.canonicalize().expect("the book folder");
    let (rel, from, to) = match kind.as_str() {
        "title" => (
            "content/01-phase1/page-00001.md",
            "title = \"Page 1:",
            "title = \"Page 1 ~:",
        ),
        "prose" => ("content/01-phase1/page-00001.md", "\n- **", "\n- ~ **"),
        _ => (
            "content/members/m0001.md",
            "name = \"Member 1\"",
            "name = \"Member 1 ~\"",
        ),
    };
    let path = root.join(rel);
    let original = std::fs::read_to_string(&path).expect("the file to edit");
    assert!(original.contains(from), "{rel} has no `{from}`");
    let today = Date::today();
    let mut inc = Incremental::default();
    let t = Instant::now();
    let first = inc
        .rebuild(
            &root,
            today,
            &Files::new(),
            &HashSet::new(),
            Whole::Now,
            Scan::Walk,
        )
        .expect("the first build");
    println!(
        "first build: {} pages in {:.0} ms",
        first.pages,
        t.elapsed().as_secs_f64() * 1000.0
    );
    let mut served = first.files;
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    for i in 0..runs {
        let text = original.replace(from, &to.replace('~', &format!("edit {i}")));
        std::fs::write(&path, text).expect("write the edit");
        let touched = HashSet::from([path.clone()]);
        let (t, c) = (Instant::now(), cpu_ms());
        let fast = match scan {
            Scan::Touched => inc.edits_in_place(&root, &served, &touched),
            Scan::Walk => None,
        };
        let path_taken = if fast.is_some() {
            "fast path"
        } else {
            "rebuild"
        };
        let r = fast.unwrap_or_else(|| {
            inc.rebuild(&root, today, &served, &touched, Whole::Later, scan)
                .expect("rebuild")
        });
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let cpu_used = cpu_ms() - c;
        println!(
            "{kind} edit ({path_taken}): {} of {} pages rendered in {ms:.1} ms ({cpu_used:.0} ms of CPU)",
            r.rendered.len(),
            r.pages
        );
        times.push(ms);
        cpu.push(cpu_used);
        served = r.files;
        if refresh {
            served = inc
                .rebuild(
                    &root,
                    today,
                    &served,
                    &HashSet::new(),
                    Whole::Now,
                    Scan::Walk,
                )
                .expect("refresh")
                .files;
        }
    }
    std::fs::write(&path, original).expect("put the file back");
    times.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    if !times.is_empty() {
        println!(
            "median: {:.1} ms ({:.0} ms of CPU)",
            times[times.len() / 2],
            cpu[cpu.len() / 2]
        );
    }
}
