//! The raw floor for building a site from Markdown: read every `.md` file
//! under IN, render it with pulldown-cmark and write one HTML file per page
//! under OUT, on all cores. Nothing that renders Markdown can beat this by
//! much; `bench/run.py` reports copbook's time as a multiple of it.
//!
//! usage: cargo run --release --example floor -- IN OUT
use rayon::prelude::*;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (input, out) = match (args.get(1), args.get(2)) {
        (Some(i), Some(o)) => (PathBuf::from(i), PathBuf::from(o)),
        _ => {
            eprintln!("usage: floor IN OUT");
            std::process::exit(2);
        }
    };
    let started = std::time::Instant::now();
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&input)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    files.par_iter().for_each(|path| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        // Skip a front matter block, as any generator must.
        let body = match text
            .strip_prefix("+++\n")
            .and_then(|r| r.split_once("\n+++\n"))
        {
            Some((_, b)) => b,
            None => &text,
        };
        let mut html = String::with_capacity(body.len() * 3 / 2);
        pulldown_cmark::html::push_html(
            &mut html,
            pulldown_cmark::Parser::new_ext(body, pulldown_cmark::Options::all()),
        );
        let rel = path
            .strip_prefix(&input)
            .unwrap_or(path)
            .with_extension("html");
        let dest = out.join(rel);
        if let Some(d) = dest.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        let _ = std::fs::write(dest, html);
    });
    eprintln!(
        "rendered {} files in {} ms",
        files.len(),
        started.elapsed().as_millis()
    );
}
