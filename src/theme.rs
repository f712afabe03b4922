//! The theme: tera templates and assets embedded in the binary, each of
//! which a file of the same name in the handbook's `themes/NAME/` replaces.

use crate::diag::Diagnostic;
use crate::source::Loc;
use std::path::Path;
use tera::{Context, Tera};

/// Built-in files of the default theme: (name, contents).
const BUILTIN: &[(&str, &str)] = &[
    ("base.html", include_str!("../themes/default/base.html")),
    ("nav.html", include_str!("../themes/default/nav.html")),
    ("index.html", include_str!("../themes/default/index.html")),
    ("phase.html", include_str!("../themes/default/phase.html")),
    ("page.html", include_str!("../themes/default/page.html")),
    ("member.html", include_str!("../themes/default/member.html")),
    (
        "members.html",
        include_str!("../themes/default/members.html"),
    ),
    ("role.html", include_str!("../themes/default/role.html")),
    ("roles.html", include_str!("../themes/default/roles.html")),
    ("norm.html", include_str!("../themes/default/norm.html")),
    ("norms.html", include_str!("../themes/default/norms.html")),
    ("case.html", include_str!("../themes/default/case.html")),
    ("cases.html", include_str!("../themes/default/cases.html")),
    (
        "progress.html",
        include_str!("../themes/default/progress.html"),
    ),
    ("404.html", include_str!("../themes/default/404.html")),
    ("start.html", include_str!("../themes/default/start.html")),
    ("print.html", include_str!("../themes/default/print.html")),
    ("search.html", include_str!("../themes/default/search.html")),
    ("topics.html", include_str!("../themes/default/topics.html")),
    (
        "glossary.html",
        include_str!("../themes/default/glossary.html"),
    ),
    (
        "meetings.html",
        include_str!("../themes/default/meetings.html"),
    ),
    (
        "closure.html",
        include_str!("../themes/default/closure.html"),
    ),
];

const BUILTIN_CSS: &str = include_str!("../themes/default/style.css");

/// The theme's script: the light/dark toggle, the phone menu, and folder
/// links that work when the site is opened from `file://`. Overridable
/// like the stylesheet.
const BUILTIN_JS: &str = include_str!("../themes/default/site.js");

/// The search client (see `search.rs` for the index it reads).
const BUILTIN_SEARCH_JS: &str = include_str!("../themes/default/search.js");

pub struct Theme {
    tera: Tera,
    /// Output path of the stylesheet, with a content hash for cache busting.
    pub css_path: String,
    pub css: Vec<u8>,
    /// Output path of the theme's script, with a content hash.
    pub js_path: String,
    pub js: Vec<u8>,
    /// Output path of the search client, with a content hash.
    pub search_js_path: String,
    pub search_js: Vec<u8>,
    /// Where each template came from, for error messages.
    origins: Vec<(String, String)>,
}

/// FNV-1a: a stable hash for asset names (the same bytes give the same
/// name on every machine and Rust version).
pub fn content_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:08x}", h >> 32)
}

impl Theme {
    /// Loads the built-in theme, overridden by `themes/<name>/` under `root`.
    pub fn load(root: &Path, name: &str, name_loc: Loc) -> Result<Theme, Vec<Diagnostic>> {
        let dir = root.join("themes").join(name);
        let mut diags = Vec::new();
        let mut origins = Vec::new();
        let mut templates: Vec<(String, String)> = Vec::new();
        for (file, text) in BUILTIN {
            let over = dir.join(file);
            let (origin, text) = if over.is_file() {
                let rel = format!("themes/{name}/{file}");
                match crate::load::read_text(&over, &rel) {
                    Ok(t) => (rel, t),
                    Err(d) => {
                        diags.push(d);
                        continue;
                    }
                }
            } else {
                (format!("(built-in theme)/{file}"), (*text).to_owned())
            };
            origins.push(((*file).to_owned(), origin));
            templates.push(((*file).to_owned(), text));
        }
        if name != "default" && !dir.is_dir() {
            diags.push(
                Diagnostic::error(
                    "book.toml",
                    name_loc,
                    format!("theme `{name}` not found: no folder themes/{name}/"),
                )
                .with_hint(Some(
                    "create the folder, or remove `theme` from [build] to use the default theme"
                        .into(),
                )),
            );
        }
        let mut asset = |file: &str, builtin: &str| match dir.join(file) {
            p if p.is_file() => {
                match crate::load::read_text(&p, &format!("themes/{name}/{file}")) {
                    Ok(t) => t.into_bytes(),
                    Err(d) => {
                        diags.push(d);
                        Vec::new()
                    }
                }
            }
            _ => builtin.as_bytes().to_vec(),
        };
        let css = asset("style.css", BUILTIN_CSS);
        let js = asset("site.js", BUILTIN_JS);
        let search_js = asset("search.js", BUILTIN_SEARCH_JS);
        let mut tera = Tera::default();
        for (file, text) in &templates {
            if let Err(e) = tera.add_raw_template(file, text) {
                let origin = origins
                    .iter()
                    .find(|(f, _)| f == file)
                    .map_or(file.as_str(), |(_, o)| o.as_str());
                diags.push(Diagnostic::error(
                    origin,
                    Loc::START,
                    format!("template error: {}", flatten_error(&e)),
                ));
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let mut theme = Theme {
            tera,
            css_path: format!("assets/style-{}.css", content_hash(&css)),
            css,
            js_path: format!("assets/site-{}.js", content_hash(&js)),
            js,
            search_js_path: format!("assets/search-{}.js", content_hash(&search_js)),
            search_js,
            origins,
        };
        theme.set_feed(None);
        Ok(theme)
    }

    /// Whether every template is the built-in one. Only those are known
    /// to output the large fragments (sidebar, bodies) unchanged, so only
    /// then may the renderer splice them in after rendering (see
    /// [`crate::slots`]); a theme's own template might filter them.
    pub fn templates_are_builtin(&self) -> bool {
        self.origins
            .iter()
            .all(|(_, origin)| origin.starts_with("(built-in theme)/"))
    }

    /// Tells the templates where the Atom feed is (`None`: the site has
    /// none), for `<link rel="alternate">`. Templates see `assets.script`,
    /// `assets.search` (paths from the site root) and `assets.feed`.
    pub fn set_feed(&mut self, feed: Option<&str>) {
        self.tera.global_context().insert(
            "assets",
            &serde_json::json!({ "script": self.js_path, "search": self.search_js_path, "feed": feed }),
        );
    }

    /// The theme's files every site carries: stylesheet and scripts.
    pub fn files(&self) -> [(&str, &[u8]); 3] {
        [
            (&self.css_path, &self.css),
            (&self.js_path, &self.js),
            (&self.search_js_path, &self.search_js),
        ]
    }

    pub fn render(&self, template: &str, ctx: &Context) -> Result<String, Diagnostic> {
        self.tera.render(template, ctx).map_err(|e| {
            let origin = self
                .origins
                .iter()
                .find(|(f, _)| f == template)
                .map_or(template, |(_, o)| o.as_str());
            Diagnostic::error(
                origin,
                Loc::START,
                format!("template error: {}", flatten_error(&e)),
            )
        })
    }
}

fn flatten_error(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s.replace('\n', " ")
}
