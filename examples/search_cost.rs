//! What the search index costs next to rendering the Markdown, and how big
//! its files are.
//!
//! usage: cargo run --release --example search_cost -- BOOK_DIR [OUT_DIR]
//!
//! Prints the time of `search::build_index` and of pulldown-cmark's
//! `push_html` over every body (both on all cores, as the build runs them,
//! best of 5), then the index on its own as the build makes it: built and
//! its files written into a new folder on tmpfs, the median of 5 (the
//! figure bench/run.py sets against the floor). Then the sizes of the
//! index files. With OUT_DIR, writes the index files there (for the
//! client's tests and measurements).

use copbook::markdown::{self, Heading, RenderHooks, ResolvedLink};
use copbook::model::Date;
use copbook::resolve::{Dest, DocKey, Handbook};
use copbook::search;
use pulldown_cmark::{Options, Parser};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The build's allocator and its options (src/main.rs), so that the index
/// costs here what it costs in a build.
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
#[unsafe(no_mangle)]
static _rjem_malloc_conf: &u8 = &copbook::JEMALLOC_OPTIONS[0];

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("at least one run"))
}

/// Link hooks as `render.rs` has them: each link resolved and made
/// relative to the page.
struct Hooks<'a> {
    hb: &'a Handbook,
    key: DocKey,
}

impl RenderHooks for Hooks<'_> {
    fn link(&self, _index: usize, target: &str, wiki: bool) -> Option<ResolvedLink> {
        let t = self.hb.resolve_link(self.key, target, wiki).ok()?;
        let from = self.hb.url(self.key);
        let mut href = if t.dest == Dest::Doc(self.key) && t.anchor.is_some() {
            String::new()
        } else {
            copbook::urls::relative(from, self.hb.dest_url(&t.dest))
        };
        if let Some(a) = &t.anchor {
            href.push('#');
            href.push_str(a);
        }
        Some(ResolvedLink {
            href,
            title: self.hb.dest_title(&t.dest),
        })
    }
    fn after_heading(&self, _index: usize, _h: &Heading) -> Option<String> {
        None
    }
}

/// copbook's own Markdown rendering of one document (what the render pass
/// does for each body, templates aside).
fn render_copbook(hb: &Handbook, key: DocKey) -> usize {
    let Some(doc) = hb.doc(key) else { return 0 };
    let mut out = String::new();
    markdown::render(hb.body(doc), &doc.analysis, &Hooks { hb, key }, &mut out);
    out.len()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn doc_keys(hb: &Handbook) -> Vec<DocKey> {
    let mut keys = vec![DocKey::Home];
    keys.extend((0..hb.phases.len()).map(DocKey::Phase));
    keys.extend((0..hb.pages.len()).map(DocKey::Page));
    keys.extend((0..hb.members.len()).map(DocKey::Member));
    keys.extend((0..hb.roles.len()).map(DocKey::Role));
    keys.extend((0..hb.norms.len()).map(DocKey::Norm));
    keys.extend((0..hb.cases.len()).map(DocKey::Case));
    keys
}

fn bodies(hb: &Handbook) -> Vec<&str> {
    doc_keys(hb)
        .into_iter()
        .filter_map(|k| hb.doc(k).map(|d| hb.body(d)))
        .collect()
}

fn render(body: &str) -> usize {
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_WIKILINKS
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut out = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out, Parser::new_ext(body, opts));
    out.len()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--own`: only the index on its own (what bench/run.py times against
    // the floor, alternating with it).
    let own_only = args.iter().any(|a| a == "--own");
    let mut args = args.into_iter().filter(|a| a != "--own");
    let Some(root) = args.next().map(PathBuf::from) else {
        eprintln!("usage: search_cost BOOK_DIR [OUT_DIR] [--own]");
        std::process::exit(2);
    };
    let out = args.next().map(PathBuf::from);
    let checked = match copbook::build::check(&root, Date::today(), false) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("not a book: {}", e.0);
            std::process::exit(1);
        }
    };
    let hb = &checked.handbook;
    let bodies = bodies(hb);
    let bytes: usize = bodies.iter().map(|b| b.len()).sum();
    println!(
        "{} documents, {:.1} MB of Markdown, {} threads",
        bodies.len(),
        bytes as f64 / 1e6,
        rayon::current_num_threads()
    );

    if !own_only {
        compare(hb, &bodies);
    }

    // The index on its own, written as the build writes it (in parallel,
    // through a staging folder), into a new folder each run.
    let scratch = std::env::temp_dir().join(format!("search-cost-{}", std::process::id()));
    let mut own = Vec::new();
    let mut built = Vec::new();
    let mut files = Vec::new();
    for _ in 0..5 {
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch).expect("scratch folder");
        let dest = scratch.join("site");
        let t = Instant::now();
        let staging = copbook::write::Staging::new(&dest).expect("staging");
        let index = search::build_index(hb);
        built.push(t.elapsed());
        index
            .par_iter()
            .try_for_each(|f| staging.put(&f.path, &f.bytes))
            .expect("written");
        staging.commit().expect("swapped in");
        own.push(t.elapsed());
        files = index;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    own.sort();
    built.sort();
    println!(
        "search index on its own, median of 5: built {:.1} ms; built and its {} files written {:.1} ms",
        ms(built[built.len() / 2]),
        files.len(),
        ms(own[own.len() / 2])
    );

    let size = |pred: &dyn Fn(&str) -> bool| {
        let v: Vec<usize> = files
            .iter()
            .filter(|f| pred(&f.path))
            .map(|f| f.bytes.len())
            .collect();
        (
            v.len(),
            v.iter().sum::<usize>(),
            v.iter().copied().max().unwrap_or(0),
        )
    };
    let (ns, ts, ms_) = size(&|p| p.starts_with("search/idx-"));
    let (nd, td, md) = size(&|p| p.starts_with("search/doc-"));
    let (_, meta, _) = size(&|p| p == "search/meta.json");
    println!(
        "shards: {ns} files, {:.1} KB in all, largest {:.1} KB",
        ts as f64 / 1024.0,
        ms_ as f64 / 1024.0
    );
    println!(
        "doc groups (of {} documents): {nd} files, {:.1} KB in all, largest {:.1} KB, mean {:.1} KB",
        search::DOC_GROUP,
        td as f64 / 1024.0,
        md as f64 / 1024.0,
        td as f64 / nd.max(1) as f64 / 1024.0
    );
    println!("meta.json: {:.1} KB", meta as f64 / 1024.0);
    println!(
        "worst one-word query (meta + largest shard + the 10 largest doc groups): {:.1} KB",
        (meta + ms_ + 10 * md) as f64 / 1024.0
    );

    if let Some(out) = out {
        for f in &files {
            let p = out.join(&f.path);
            std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&p, &f.bytes).expect("write");
        }
        println!("wrote {} files under {}", files.len(), out.display());
    }
}

/// The index beside pulldown-cmark's `push_html` and copbook's own
/// rendering of the same bodies, on all cores and on one.
fn compare(hb: &Handbook, bodies: &[&str]) {
    let (render_par, _) = best_of(5, || bodies.par_iter().map(|b| render(b)).sum::<usize>());
    let keys = doc_keys(hb);
    let (copbook_par, _) = best_of(5, || {
        keys.par_iter()
            .map(|&k| render_copbook(hb, k))
            .sum::<usize>()
    });
    let (index, _) = best_of(5, || search::build_index(hb));
    let (render_seq, _) = best_of(3, || bodies.iter().map(|b| render(b)).sum::<usize>());
    let (copbook_seq, _) = best_of(3, || {
        keys.iter().map(|&k| render_copbook(hb, k)).sum::<usize>()
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool");
    let (index_seq, _) = pool.install(|| best_of(3, || search::build_index(hb)));
    println!("                                  all cores   one core");
    println!(
        "pulldown-cmark push_html:         {:7.1} ms {:7.1} ms",
        ms(render_par),
        ms(render_seq)
    );
    println!(
        "copbook markdown::render (links): {:7.1} ms {:7.1} ms",
        ms(copbook_par),
        ms(copbook_seq)
    );
    println!(
        "search::build_index:              {:7.1} ms {:7.1} ms",
        ms(index),
        ms(index_seq)
    );
    println!(
        "index / push_html: {:.2} (all cores), {:.2} (one core)",
        index.as_secs_f64() / render_par.as_secs_f64(),
        index_seq.as_secs_f64() / render_seq.as_secs_f64(),
    );
    println!(
        "index / markdown::render: {:.2} (all cores), {:.2} (one core)",
        index.as_secs_f64() / copbook_par.as_secs_f64(),
        index_seq.as_secs_f64() / copbook_seq.as_secs_f64(),
    );
}
