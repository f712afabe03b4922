//! Front matter splitting and the typed record parsers: any bytes, read as
//! any kind of file (book.toml, the home page, a phase, a page, a member, a
//! role, a norm, a case), must give diagnostics with valid positions, never
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

const KINDS: &[&str] = &[
    "book.toml",
    "content/index.md",
    "content/01-define/_phase.md",
    "content/01-define/purpose.md",
    "content/members/ana.md",
    "content/roles/coordinator.md",
    "content/norms/decisions.md",
    "content/cases/ana.md",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // Text as `load::read_text` accepts it: UTF-8 only.
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let rel = KINDS[usize::from(selector) % KINDS.len()];
    let src = copbook::source::Source::new(rel.to_owned(), text.to_owned());
    if let Ok(split) = copbook::frontmatter::split(&src) {
        // The ranges cut the text on character boundaries.
        if let Some(front) = &split.front {
            assert!(front.end <= split.body.start);
            let _ = &src.text[front.clone()];
        }
        let _ = &src.text[split.body.clone()];
    }
    let lines = src.text.split('\n').count() as u32;
    let diags = copbook::load::parse_text(rel, text.to_owned());
    for d in &diags {
        assert_eq!(d.path, rel);
        assert!(d.loc.line >= 1 && d.loc.line <= lines, "{d:?}");
        assert!(d.loc.col >= 1, "{d:?}");
    }
    let report = copbook::diag::Report::from_diagnostics(diags);
    let _ = report.to_text();
    let _ = report.to_github();
});
