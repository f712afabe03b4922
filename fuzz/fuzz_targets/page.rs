//! A whole page through load, analyze, resolve, render and the link check:
//! the input is written as `content/01-a/p.md` of a small handbook (with a
//! member, a role, a norm and a second page to link to) and the site is
//! built in memory. Inputs that do not start with `+++` get a fixed front
//! matter, so that most of them reach the renderer. Every second input is
//! built with `[build] sanitize = true`, and then the page's main column
//! must hold no script.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

const FRONT: &str = "+++\ntitle = \"P\"\nquestions = [\"What is it?\", \"Who asks?\"]\nowner = \"ana\"\nmembers = [\"ana\"]\nroles = [\"coordinator\"]\nnorms = [\"decisions\"]\n+++\n";

fn book() -> &'static PathBuf {
    static BOOK: OnceLock<PathBuf> = OnceLock::new();
    BOOK.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let root = base.join(format!("copbook-fuzz-page-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let files = [
            (
                "content/index.md",
                "+++\ntitle = \"Home\"\n+++\nSee [[01-a/q]].\n",
            ),
            (
                "content/01-a/q.md",
                "+++\ntitle = \"Q\"\n+++\n## First\n\nText, [[ana]].\n",
            ),
            (
                "content/members/ana.md",
                "+++\nname = \"Ana\"\nroles = [\"coordinator\"]\n+++\nBio.\n",
            ),
            (
                "content/roles/coordinator.md",
                "+++\ntitle = \"Coordinator\"\n+++\nLeads.\n",
            ),
            (
                "content/norms/decisions.md",
                "+++\ntitle = \"Decisions\"\n+++\n## How we decide\n\nBy consent.\n",
            ),
        ];
        for (rel, text) in files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        root
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let root = book();
    let sanitize = data.len() % 2 == 1;
    let toml = format!(
        "[book]\ntitle = \"Fuzz\"\n[build]\nsanitize = {sanitize}\nlink-check = \"warn\"\n"
    );
    std::fs::write(root.join("book.toml"), toml).unwrap();
    let page = if text.starts_with("+++") {
        text.to_owned()
    } else {
        format!("{FRONT}{text}")
    };
    std::fs::write(root.join("content/01-a/p.md"), page).unwrap();
    let today = copbook::model::Date {
        year: 2026,
        month: 11,
        day: 22,
    };
    // As `build::site` does, with the theme (whose templates take long to
    // compile and never change here) loaded once.
    let loaded = copbook::load::load(root).expect("a handbook");
    let resolved = copbook::resolve::resolve(loaded, today);
    if resolved
        .diags
        .iter()
        .any(|d| d.severity == copbook::diag::Severity::Error)
    {
        let _ = copbook::diag::Report::from_diagnostics(resolved.diags).to_text();
        return;
    }
    let hb = resolved.handbook;
    let files = match copbook::build::render_site(&hb, theme(), None) {
        Ok(files) => files,
        Err(diags) => panic!("render failed: {diags:?}"),
    };
    let assets: Vec<String> = hb.assets.iter().map(|(_, out)| out.clone()).collect();
    let _broken = copbook::linkcheck::check(&files, &assets, &hb.config.site_url);
    if sanitize {
        let html = files
            .iter()
            .find(|f| f.path == "a/p/index.html")
            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
            .expect("the page is rendered");
        let start = html.find("<main").expect("<main>");
        let end = html.rfind("</main>").expect("</main>");
        let main = html[start..end].to_ascii_lowercase();
        assert!(!main.contains("<script"), "script in a sanitized page");
        check_attributes(&main);
    }
});

fn theme() -> &'static copbook::theme::Theme {
    static THEME: OnceLock<copbook::theme::Theme> = OnceLock::new();
    THEME.get_or_init(|| {
        copbook::theme::Theme::load(book(), "default", copbook::source::Loc::START)
            .expect("the default theme loads")
    })
}

/// Every attribute of every tag: no event handler, no `javascript:` URL.
/// (Serialized HTML: `<` and `>` outside tags are escaped, attribute
/// values are double-quoted.)
fn check_attributes(html: &str) {
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let tag = &rest[i + 1..];
        let end = tag.find('>').unwrap_or(tag.len());
        let mut t = &tag[..end];
        rest = &tag[end..];
        if t.starts_with('/') || t.starts_with('!') {
            continue;
        }
        // Skip the tag name.
        t = t.trim_start_matches(|c: char| !c.is_whitespace());
        loop {
            t = t.trim_start();
            if t.is_empty() {
                break;
            }
            let name_end = t.find(['=', ' ', '\t', '\n']).unwrap_or(t.len());
            let name = &t[..name_end];
            assert!(
                !name.starts_with("on"),
                "event handler `{name}` in a sanitized page"
            );
            t = &t[name_end..];
            if let Some(v) = t.strip_prefix("=\"") {
                let close = v.find('"').unwrap_or(v.len());
                let value = v[..close].trim();
                assert!(
                    !value.starts_with("javascript:"),
                    "javascript: URL in a sanitized page"
                );
                t = v.get(close + 1..).unwrap_or("");
            } else if let Some(v) = t.strip_prefix('=') {
                let close = v.find(char::is_whitespace).unwrap_or(v.len());
                t = &v[close..];
            }
        }
    }
}
