//! The least a build with copbook's outputs can cost, to set beside the
//! raw floor (`examples/floor.rs`): what any generator must do to make the
//! files the design asks for, and nothing else. On all cores, for every
//! `.md` file under IN:
//!
//! - read it, split its TOML front matter and parse it (into a generic
//!   table, with no spans and no checks);
//! - render the body with pulldown-cmark, once;
//! - wrap it in a fixed page shell as large as the default theme's (header,
//!   sidebar, footer: about 7 KB), and write it as `slug/index.html`
//!   under the page's folder (a folder per page: the design's URLs);
//! - keep the body's HTML for the print page and its front matter, title
//!   and URL as JSON for handbook.json, both written once at the end.
//!
//! Left out, so that the figure is a lower bound and not an estimate:
//! resolving ids, links, backlinks and questions, templates, the sidebar's
//! variants, the index, progress and other list pages, the link check and
//! the search index (timed alone by `examples/search_cost.rs`). A build
//! that makes copbook's site therefore costs at least this plus the search
//! index; `bench/run.py` prints both as multiples of the floor.
//!
//! usage: cargo run --release --example least -- IN OUT
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A page shell the size of the default theme's chrome around a body
/// (copbook's answer pages average 11.8 KB at 10,000 pages, this
/// shell around the same bodies 11.8 KB too).
fn shell() -> (String, String) {
    let mut head = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <link rel=\"stylesheet\" href=\"../../assets/style.css\">\n</head>\n<body>\n\
         <nav aria-label=\"Handbook\">\n<ul class=\"nav\">\n",
    );
    for i in 0..40 {
        head.push_str(&format!(
            "<li><a href=\"../../phase1/page-{i:05}/\">Page {i}: a title of four words</a></li>\n"
        ));
    }
    head.push_str("</ul>\n</nav>\n<main id=\"main\">\n<article>\n");
    let mut tail = String::from("</article>\n<section class=\"related\">\n");
    for i in 0..74 {
        tail.push_str(&format!(
            "<p><a href=\"../../members/m{i:04}/\">Member {i}</a>, a link of the page</p>\n"
        ));
    }
    tail.push_str("</section>\n</main>\n<footer>Built with copbook</footer>\n</body>\n</html>\n");
    (head, tail)
}

/// One page's share of the print page and of handbook.json.
struct Made {
    body: String,
    json: String,
}

fn page(input: &Path, out: &Path, path: &Path, shell: &(String, String)) -> Made {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (front, body) = match text
        .strip_prefix("+++\n")
        .and_then(|r| r.split_once("\n+++\n"))
    {
        Some((f, b)) => (f, b),
        None => ("", text.as_str()),
    };
    let table: toml::Table = toml::from_str(front).unwrap_or_default();
    let mut body_html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(
        &mut body_html,
        pulldown_cmark::Parser::new_ext(body, pulldown_cmark::Options::all()),
    );
    let rel = path.strip_prefix(input).unwrap_or(path).with_extension("");
    let url = format!("{}/", rel.to_string_lossy());
    let mut html = String::with_capacity(shell.0.len() + body_html.len() + shell.1.len());
    html.push_str(&shell.0);
    html.push_str(&body_html);
    html.push_str(&shell.1);
    let dir = out.join(&rel);
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("index.html"), html);
    let json = serde_json::to_string(&serde_json::json!({
        "url": url,
        "title": table.get("title").and_then(|t| t.as_str()).unwrap_or(""),
        "front": table,
    }))
    .unwrap_or_default();
    Made {
        body: body_html,
        json,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (input, out) = match (args.get(1), args.get(2)) {
        (Some(i), Some(o)) => (PathBuf::from(i), PathBuf::from(o)),
        _ => {
            eprintln!("usage: least IN OUT");
            std::process::exit(2);
        }
    };
    let started = std::time::Instant::now();
    let shell = shell();
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&input)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    let made: Vec<Made> = files
        .par_iter()
        .map(|p| page(&input, &out, p, &shell))
        .collect();
    rayon::join(
        || {
            let mut print = String::with_capacity(made.iter().map(|m| m.body.len() + 32).sum());
            print.push_str(&shell.0);
            for m in &made {
                print.push_str("<section>\n");
                print.push_str(&m.body);
                print.push_str("</section>\n");
            }
            print.push_str(&shell.1);
            let _ = std::fs::create_dir_all(out.join("print"));
            let _ = std::fs::write(out.join("print/index.html"), print);
        },
        || {
            let mut json = String::from("{\"pages\":[");
            for (i, m) in made.iter().enumerate() {
                if i > 0 {
                    json.push(',');
                }
                json.push_str(&m.json);
            }
            json.push_str("]}");
            let _ = std::fs::write(out.join("handbook.json"), json);
        },
    );
    eprintln!(
        "made {} pages in {} ms",
        files.len(),
        started.elapsed().as_millis()
    );
}
