//! Criterion benches for the hot stages, so that regressions show: front
//! matter and Markdown analysis of one page, load + resolve of a handbook,
//! rendering it, and the whole in-memory build. The handbook is generated
//! by bench/gen_corpus.py (200 answer pages) into a temp dir.
use copbook::build;
use copbook::model::Date;
use copbook::source::Source;
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let book = dir.path().join("book");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/gen_corpus.py");
    let ok = Command::new("python3")
        .arg(script)
        .arg("200")
        .arg(&book)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "bench/gen_corpus.py failed (python3 is needed)");
    (dir, book)
}

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 22,
};

fn stages(c: &mut Criterion) {
    let (_dir, book) = corpus();
    let page =
        std::fs::read_to_string(book.join("content/01-phase1/page-00001.md")).expect("a page");

    c.bench_function("front matter split + markdown analysis (one page)", |b| {
        b.iter(|| {
            let src = Source::new("content/01-phase1/page-00001.md".into(), page.clone());
            let split = copbook::frontmatter::split(&src).expect("front matter");
            copbook::markdown::analyze(&src.text[split.body])
        })
    });
    // One body to HTML: copbook's renderer (links resolved through hooks,
    // heading ids and anchors) beside pulldown-cmark's own push_html, the
    // floor's renderer.
    let split = copbook::frontmatter::split(&Source::new("p.md".into(), page.clone()))
        .expect("front matter");
    let body = &page[split.body];
    let analysis = copbook::markdown::analyze(body);
    struct Plain;
    impl copbook::markdown::RenderHooks for Plain {
        fn link(
            &self,
            _: usize,
            target: &str,
            _wiki: bool,
        ) -> Option<copbook::markdown::ResolvedLink> {
            Some(copbook::markdown::ResolvedLink {
                href: format!("../{target}/"),
                title: target.to_owned(),
            })
        }
        fn after_heading(&self, _: usize, _: &copbook::markdown::Heading) -> Option<String> {
            None
        }
    }
    c.bench_function("markdown render with hooks (one body)", |b| {
        b.iter(|| {
            let mut out = String::new();
            copbook::markdown::render(body, &analysis, &Plain, &mut out);
            out
        })
    });
    c.bench_function("pulldown-cmark push_html (one body)", |b| {
        b.iter(|| {
            let mut out = String::new();
            pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(body));
            out
        })
    });
    c.bench_function("load + resolve (200 pages)", |b| {
        b.iter(|| build::check(&book, TODAY, false).expect("a book"))
    });
    let checked = build::check(&book, TODAY, false).expect("a book");
    let theme = checked.theme.as_ref().expect("theme");
    c.bench_function("render (200 pages)", |b| {
        b.iter(|| {
            let kept = std::sync::Mutex::new(Vec::new());
            let put = |f| {
                kept.lock().expect("not poisoned").push(f);
                Ok(())
            };
            let rendered = build::render_site(&checked.handbook, theme, None, "book", &put);
            assert!(rendered.is_ok_and(|r| r.links.is_empty()), "renders");
            kept
        })
    });
    c.bench_function("whole build in memory (200 pages)", |b| {
        b.iter(|| build::site(&book, TODAY, None).ok().expect("builds"))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = stages
}
criterion_main!(benches);
