//! Publishing on GitHub Pages: a handbook built with `site-url = "/cop/"`
//! and served under `/cop/` by a plain static server (written here, the
//! way GitHub Pages serves a project site: folders get their index.html,
//! a folder without its `/` is redirected, anything missing gets the
//! site's 404.html with status 404) has no broken link, asset or anchor
//! at any depth, 404 page included. Also: the sitemap and canonical links
//! with a full site-url, the build-time link check, the workflow `init`
//! writes, folder links from `file://`, handbook.json and the feed.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

// ---------------------------------------------------------------- server

/// A static server for the site in `root`, under `/cop/`, on 127.0.0.1.
struct Pages {
    base: String,
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// What GitHub Pages answers for `url` on a project site at `/cop/`:
/// (status, body, content type, Location).
fn answer(root: &Path, url: &str) -> (u16, Vec<u8>, &'static str, Option<String>) {
    let path = percent_decode_path(url.split(['?', '#']).next().unwrap_or(""));
    let not_found = || {
        (
            404,
            fs::read(root.join("404.html")).unwrap_or_default(),
            "text/html; charset=utf-8",
            None,
        )
    };
    if path == "/cop" {
        return (301, Vec::new(), "text/plain", Some("/cop/".into()));
    }
    let Some(rel) = path.strip_prefix("/cop/") else {
        // Not this site: another repository's, or the user site's.
        return (404, b"not found".to_vec(), "text/plain", None);
    };
    if rel.split('/').any(|s| s == ".." || s == ".") {
        return not_found();
    }
    let mut file = root.join(rel);
    if rel.is_empty() || rel.ends_with('/') {
        file = file.join("index.html");
    } else if file.is_dir() {
        return (301, Vec::new(), "text/plain", Some(format!("{path}/")));
    }
    match fs::read(&file) {
        Ok(bytes) => (200, bytes, content_type(&file), None),
        Err(_) => not_found(),
    }
}

fn percent_decode_path(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Serves `root` (a built site) under `/cop/` until the test ends.
fn serve(root: &Path) -> Pages {
    let http = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
    let base = format!("http://{}", http.server_addr());
    serve_on(http, root.to_path_buf());
    Pages { base }
}

fn serve_on(http: Arc<tiny_http::Server>, root: PathBuf) {
    for _ in 0..2 {
        let (http, root) = (http.clone(), root.clone());
        std::thread::spawn(move || {
            while let Ok(req) = http.recv() {
                let (status, body, ctype, location) = answer(&root, req.url());
                let mut resp = tiny_http::Response::from_data(body).with_status_code(status);
                resp.add_header(tiny_http::Header::from_bytes("Content-Type", ctype).unwrap());
                if let Some(l) = location {
                    resp.add_header(tiny_http::Header::from_bytes("Location", l).unwrap());
                }
                let _ = req.respond(resp);
            }
        });
    }
}

// --------------------------------------------------------------- crawler

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(5)
        .proxy(None)
        .build()
        .into()
}

/// GET `url`: (status after redirects, body).
fn get(agent: &ureq::Agent, url: &str) -> (u16, Vec<u8>) {
    let mut resp = agent
        .get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap_or_default();
    (status, body)
}

/// The ids (`id="…"`, `<a name="…">`) of a page.
fn ids(html: &str) -> BTreeSet<String> {
    ids_of(html).into_iter().collect()
}

/// Resolves `href` found on the page at path `page` (e.g. `/cop/a/b/`) to
/// an absolute path and its fragment; `None` for another site.
fn resolve(page: &str, href: &str, origin: &str) -> Option<(String, Option<String>)> {
    let (rest, frag) = match href.split_once('#') {
        Some((r, f)) => (r, Some(percent_decode_path(f))),
        None => (href, None),
    };
    let rest = rest.split('?').next().unwrap_or("");
    let lower = rest.to_ascii_lowercase();
    let joined = if let Some(p) = rest.strip_prefix(origin) {
        p.to_owned()
    } else if lower.contains(':') && !lower.starts_with('/') || rest.starts_with("//") {
        return None;
    } else if rest.starts_with('/') {
        rest.to_owned()
    } else if rest.is_empty() {
        page.to_owned()
    } else {
        let dir = &page[..page.rfind('/').map_or(0, |i| i + 1)];
        format!("{dir}{rest}")
    };
    // Remove dot segments, keeping a trailing slash.
    let mut parts: Vec<&str> = Vec::new();
    let trailing = joined.ends_with('/') || joined.ends_with("/.") || joined.ends_with("/..");
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut path = format!("/{}", parts.join("/"));
    if trailing && path != "/" {
        path.push('/');
    }
    Some((path, frag))
}

#[derive(Debug, Default)]
struct Crawl {
    /// Every path fetched, with its status.
    fetched: BTreeMap<String, u16>,
    /// HTML pages seen (by path).
    pages: BTreeSet<String>,
    /// `page: href (why)`.
    broken: Vec<String>,
    links: usize,
}

/// Follows every href and src from `start`, fetching every internal
/// target once; checks statuses and anchors.
fn crawl(origin: &str, start: &str) -> Crawl {
    let agent = agent();
    let mut c = Crawl::default();
    let mut html_of: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    let mut anchors: Vec<(String, String, String, String)> = Vec::new();
    while let Some(path) = queue.pop_front() {
        if c.fetched.contains_key(&path) {
            continue;
        }
        let (status, body) = get(&agent, &format!("{origin}{path}"));
        c.fetched.insert(path.clone(), status);
        let text = String::from_utf8_lossy(&body).into_owned();
        let is_html = text.trim_start().starts_with("<!DOCTYPE html");
        if status != 200 || !is_html {
            continue;
        }
        c.pages.insert(path.clone());
        for href in references(&text) {
            let Some((target, frag)) = resolve(&path, &href, origin) else {
                continue;
            };
            c.links += 1;
            if !c.fetched.contains_key(&target) {
                queue.push_back(target.clone());
            }
            if let Some(f) = frag.filter(|f| !f.is_empty()) {
                anchors.push((path.clone(), href.clone(), target.clone(), f));
            }
            // Remember which page first linked where, for the report.
            html_of.entry(target).or_insert_with(|| path.clone());
        }
        html_of.insert(format!("html:{path}"), text);
    }
    for (target, status) in &c.fetched {
        if *status != 200 {
            let from = html_of.get(target).cloned().unwrap_or_default();
            c.broken.push(format!("{from}: {target} (status {status})"));
        }
    }
    for (page, href, target, frag) in anchors {
        let target_html = html_of.get(&format!("html:{target}"));
        if let Some(html) = target_html {
            if !ids(html).contains(&frag) {
                c.broken
                    .push(format!("{page}: {href} (no id `{frag}` on {target})"));
            }
        }
    }
    c
}

// -------------------------------------------------------------- fixtures

/// The `good` fixture with `site-url = "/cop/"`, a custom domain and an
/// image beside a page; returns (tmp, book).
fn cop_book() -> (tempfile::TempDir, PathBuf) {
    let (tmp, book) = copy_fixture("good");
    let toml = book.join("book.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(
        &toml,
        text.replace(
            "[repository]",
            "[build]\nsite-url = \"/cop/\"\ncname = \"cop.example.org\"\n\n[repository]",
        ),
    )
    .unwrap();
    fs::write(
        book.join("content/01-define/diagram.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>\n",
    )
    .unwrap();
    let page = book.join("content/01-define/purpose.md");
    let mut md = fs::read_to_string(&page).unwrap();
    md.push_str("\n![How we are organised](diagram.svg)\n\nBack to [who benefits](#who-benefits) and [the plan](../02-plan/ways-of-working.md).\n");
    fs::write(&page, md).unwrap();
    (tmp, book)
}

fn html_files(site: &Path) -> BTreeSet<String> {
    snapshot_tree(site)
        .into_keys()
        .filter(|p| p.ends_with(".html"))
        .collect()
}

// ----------------------------------------------------------------- tests

#[test]
fn a_site_under_a_sub_path_has_no_broken_link_asset_or_anchor() {
    let (_tmp, book) = cop_book();
    let site = build(&book);
    assert!(
        site.run.stderr.contains("site-url `/cop/` is a path"),
        "{}",
        site.run.stderr
    );
    let pages = serve(&site.dir);
    let c = crawl(&pages.base, "/cop/");
    assert!(
        c.broken.is_empty(),
        "{} broken:\n{}",
        c.broken.len(),
        c.broken.join("\n")
    );
    // Every page of the site is reachable from the home page (the 404
    // page is what the server answers for what is missing).
    let reached: BTreeSet<String> = c
        .pages
        .iter()
        .map(|p| {
            let rel = p.strip_prefix("/cop/").unwrap();
            if rel.is_empty() || rel.ends_with('/') {
                format!("{rel}index.html")
            } else {
                rel.to_owned()
            }
        })
        .collect();
    let mut all = html_files(&site.dir);
    all.remove("404.html");
    let missed: Vec<_> = all.difference(&reached).collect();
    assert!(missed.is_empty(), "pages no link leads to: {missed:?}");
    assert!(c.links > 300, "only {} links followed", c.links);
    // The stylesheet, the theme's script (which also makes folder links
    // work from file://) and the image were fetched, and answered 200.
    for (prefix, suffix) in [
        ("/cop/assets/", ".css"),
        ("/cop/assets/", ".js"),
        ("/cop/define/diagram.svg", ""),
    ] {
        assert!(
            c.fetched
                .iter()
                .any(|(p, s)| p.starts_with(prefix) && p.ends_with(suffix) && *s == 200),
            "{prefix}…{suffix} not fetched: {:?}",
            c.fetched.keys().collect::<Vec<_>>()
        );
    }
    // GitHub Pages files.
    assert!(site.exists(".nojekyll"));
    assert_eq!(site.read("CNAME"), "cop.example.org\n");
}

#[test]
fn the_404_page_works_at_any_depth() {
    let (_tmp, book) = cop_book();
    let site = build(&book);
    let pages = serve(&site.dir);
    let agent = agent();
    let built = site.read("404.html");
    for missing in [
        "/cop/a/b/c/missing/",
        "/cop/missing.html",
        "/cop/define/purpose/gone/deeper/still",
    ] {
        let (status, body) = get(&agent, &format!("{}{missing}", pages.base));
        assert_eq!(status, 404, "{missing}");
        let html = String::from_utf8(body).unwrap();
        assert_eq!(html, built, "{missing} is not the site's 404 page");
        let refs = references(&html);
        let css = refs
            .iter()
            .find(|r| r.contains("assets/style-"))
            .expect("404 has a stylesheet");
        assert!(css.starts_with("/cop/assets/"), "{css}");
        let mut checked = 0;
        for r in &refs {
            let Some((target, frag)) = resolve(missing, r, &pages.base) else {
                continue;
            };
            if target == missing {
                // `#main`: an anchor of the 404 page itself.
                let f = frag.unwrap_or_default();
                assert!(ids(&html).contains(&f), "{missing}: {r}: no id {f}");
                continue;
            }
            let (status, body) = get(&agent, &format!("{}{target}", pages.base));
            assert_eq!(status, 200, "{missing}: {r} -> {target}");
            if let Some(f) = frag.filter(|f| !f.is_empty()) {
                let page = String::from_utf8_lossy(&body).into_owned();
                assert!(ids(&page).contains(&f), "{missing}: {r}: no id {f}");
            }
            checked += 1;
        }
        // Stylesheet, script, feed, home, phases, members, roles, norms…
        assert!(checked >= 10, "only {checked} links on the 404 page");
        let css_body = get(&agent, &format!("{}{css}", pages.base)).1;
        let css_file = css.strip_prefix("/cop/").unwrap();
        assert_eq!(css_body, fs::read(site.dir.join(css_file)).unwrap());
    }
    // No canonical link: the page stands for no address of its own.
    assert!(!built.contains("rel=\"canonical\""), "{built}");
}

#[test]
fn with_a_full_site_url_the_sitemap_and_canonical_links_are_absolute() {
    // The server is up first: the site's address is in the build.
    let http = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
    let origin = format!("http://{}", http.server_addr());
    let site_url = format!("{origin}/cop/");
    let (_tmp, book) = cop_book();
    let site = build_with(&book, &["--site-url", &site_url]);
    assert!(
        !site.run.stderr.contains("is a path"),
        "{}",
        site.run.stderr
    );
    serve_on(http, site.dir.clone());
    let agent = agent();

    let (status, sitemap) = get(&agent, &format!("{site_url}sitemap.xml"));
    assert_eq!(status, 200);
    let sitemap = String::from_utf8(sitemap).unwrap();
    assert!(sitemap.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    let locs: Vec<&str> = sitemap
        .split("<loc>")
        .skip(1)
        .map(|s| &s[..s.find("</loc>").unwrap()])
        .collect();
    // Every page but the 404 page, each once.
    let pages = html_files(&site.dir);
    let unique: BTreeSet<&str> = locs.iter().copied().collect();
    assert_eq!(unique.len(), locs.len(), "{sitemap}");
    assert!(
        locs.len() >= pages.len() - 3,
        "{} of {} pages",
        locs.len(),
        pages.len()
    );
    assert!(locs.contains(&format!("{site_url}define/purpose/").as_str()));
    assert!(locs.contains(&site_url.as_str()));
    for loc in &locs {
        assert!(loc.starts_with(&site_url), "{loc}");
        let (status, body) = get(&agent, loc);
        assert_eq!(status, 200, "{loc}");
        let html = String::from_utf8(body).unwrap();
        assert!(
            html.contains(&format!("<link rel=\"canonical\" href=\"{loc}\">")),
            "{loc} has another canonical link"
        );
    }
    // Links stay relative between pages; the 404 page's are absolute,
    // on the site's own host, and resolve.
    let c = crawl(&origin, "/cop/");
    assert!(c.broken.is_empty(), "{}", c.broken.join("\n"));
    let not_found = site.read("404.html");
    assert!(not_found.contains(&format!("href=\"{site_url}members/\"")));
    let (status, _) = get(&agent, &format!("{origin}/cop/x/y/z/"));
    assert_eq!(status, 404);
}

#[test]
fn a_path_site_url_has_no_sitemap_and_no_canonical_link() {
    let (_tmp, book) = cop_book();
    let site = build(&book);
    assert!(!site.exists("sitemap.xml"));
    assert!(
        !site
            .read("define/purpose/index.html")
            .contains("rel=\"canonical\"")
    );
    assert!(site.run.stderr.contains(
        "book.toml:7:12: warning: site-url `/cop/` is a path without a host: the site gets no sitemap.xml and no canonical links"
    ), "{}", site.run.stderr);
    // `check` says it too, as `build` does.
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(
        "book.toml:7:12: warning: site-url `/cop/` is a path without a host: the site gets no sitemap.xml and no canonical links"
    ), "{}", r.stdout);
    // At `/` (a local build, or a preview) there is nothing to say.
    let site = build(&fixture("good"));
    assert!(!site.run.stderr.contains("site-url"), "{}", site.run.stderr);
}

#[test]
fn the_build_fails_on_a_broken_link_made_by_a_template() {
    let (tmp, book) = copy_fixture("good");
    theme_with(
        &book,
        "<a href=\"{{ base.root }}handbook/\">Old handbook</a> <a href=\"#content\">Skip</a>",
    );
    let page = book.join("content/members/luka.md");
    let mut md = fs::read_to_string(&page).unwrap();
    md.push_str("\nHis <a href=\"../../teams/\">team</a>.\n");
    fs::write(&page, md).unwrap();
    let dest = tmp.path().join("site");
    let r = run(&["build", arg(&book), "-d", arg(&dest)]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(!dest.exists(), "a failed build writes nothing");
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains(": error: "))
        .collect();
    let n = html_files_count_of_good();
    let d = dest.display();
    assert_eq!(
        errors,
        [
            format!("{d}/404.html:14:10: error: broken link `/handbook/` on page `/404.html` and on {} other pages: the site has no `handbook/index.html`", n - 1),
            format!("{d}/404.html:14:48: error: broken link `#content` on page `/404.html` and on {} other pages: `404.html` has no element with id `content`", n - 1),
            // At the link's target in the Markdown; on its own page, and on
            // the print page, which shows every body.
            "content/members/luka.md:11:14: error: broken link `../../teams/` on page `/members/luka/`: the site has no `teams/index.html`".to_owned(),
            "content/members/luka.md:11:14: error: broken link `../../teams/` on page `/print/`: it climbs above the site's root".to_owned(),
        ],
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(
        "  hint: the link comes from a template: check the theme's templates (themes/default/)"
    ));
    assert!(
        r.stderr.trim_end().ends_with("nothing was written"),
        "{}",
        r.stderr
    );
}

/// How many HTML pages the `good` fixture builds into.
fn html_files_count_of_good() -> usize {
    html_files(&build(&fixture("good")).dir).len()
}

#[test]
fn link_check_warn_lets_the_build_pass_with_warnings() {
    let (_tmp, book) = copy_fixture("good");
    theme_with(
        &book,
        "<a href=\"{{ base.root }}handbook/\">Old handbook</a>",
    );
    let toml = book.join("book.toml");
    let text = fs::read_to_string(&toml).unwrap();
    set_link_check(&book, "warn");
    let site = build(&book);
    assert!(
        site.run
            .stderr
            .contains(": warning: broken link `/handbook/` on page `/404.html` and on "),
        "{}",
        site.run.stderr
    );
    assert!(site.exists("index.html"));
    assert!(site.read("index.html").contains("href=\"handbook/\""));
    // A value it does not know is an error with a suggestion.
    fs::write(&toml, &text).unwrap();
    set_link_check(&book, "warning");
    let r = run(&["check", arg(&book)]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains(
            "book.toml:7:14: error: `link-check` cannot be `warning`\n  hint: did you mean `warn`?"
        ),
        "{}",
        r.stdout
    );
}

// -------------------------------------------------------------- workflow

fn yaml(doc: &str) -> yaml_rust2::Yaml {
    yaml_rust2::YamlLoader::load_from_str(doc)
        .expect("valid YAML")
        .into_iter()
        .next()
        .expect("one document")
}

#[test]
fn the_workflow_from_init_checks_builds_and_deploys_with_pages_actions() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("cop");
    let r = run(&["init", arg(&book), "--title", "Pages CoP"]);
    assert_eq!(r.code, 0, "{r:?}");
    let text = fs::read_to_string(book.join(".github/workflows/pages.yml")).unwrap();
    let wf = yaml(&text);
    let s = |y: &yaml_rust2::Yaml| y.as_str().unwrap_or_default().to_owned();

    // Runs on pushes to main and on pull requests.
    assert!(!wf["on"]["push"].is_badvalue());
    assert_eq!(s(&wf["on"]["push"]["branches"][0]), "main");
    assert!(!wf["on"]["pull_request"].is_badvalue());
    // Pages deployments need these.
    assert_eq!(s(&wf["permissions"]["pages"]), "write");
    assert_eq!(s(&wf["permissions"]["id-token"]), "write");
    assert_eq!(s(&wf["permissions"]["contents"]), "read");

    // The build job, step by step, in this order.
    let steps = wf["jobs"]["build"]["steps"].as_vec().expect("build steps");
    let find = |what: &dyn Fn(&yaml_rust2::Yaml) -> bool, name: &str| -> usize {
        steps
            .iter()
            .position(what)
            .unwrap_or_else(|| panic!("no step {name}:\n{text}"))
    };
    let uses =
        |action: &'static str| move |st: &yaml_rust2::Yaml| s(&st["uses"]).starts_with(action);
    let runs = |cmd: &'static str| move |st: &yaml_rust2::Yaml| s(&st["run"]).starts_with(cmd);
    let checkout = find(&uses("actions/checkout@"), "checkout");
    let install = find(&runs("cargo install copbook"), "install");
    let check = find(&runs("copbook check --format github"), "check");
    let configure = find(&uses("actions/configure-pages@"), "configure-pages");
    let build = find(&runs("copbook build"), "build");
    let upload = find(&uses("actions/upload-pages-artifact@"), "upload");
    assert!(
        checkout < install
            && install < check
            && check < configure
            && configure < build
            && build < upload,
        "steps out of order:\n{text}"
    );
    // Reproducible: this very version, with its locked dependencies.
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        s(&steps[install]["run"]),
        format!("cargo install copbook --version {version} --locked")
    );
    // The whole history, for the feed's dates.
    assert_eq!(steps[checkout]["with"]["fetch-depth"].as_i64(), Some(0));
    // Built with the Pages address, into the folder that is uploaded.
    let id = s(&steps[configure]["id"]);
    let build_cmd = s(&steps[build]["run"]);
    assert!(
        build_cmd.contains(&format!(
            "--site-url \"${{{{ steps.{id}.outputs.base_url }}}}/\""
        )),
        "{build_cmd}"
    );
    let out = build_cmd
        .split_whitespace()
        .skip_while(|w| *w != "-d")
        .nth(1)
        .expect("-d DIR");
    assert_eq!(s(&steps[upload]["with"]["path"]), out);
    // Pull requests are checked and built, not published.
    for i in [configure, upload] {
        assert_eq!(s(&steps[i]["if"]), "github.event_name != 'pull_request'");
    }

    // The deploy job deploys what build uploaded, to the Pages environment.
    let deploy = &wf["jobs"]["deploy"];
    assert_eq!(s(&deploy["needs"]), "build");
    assert_eq!(s(&deploy["if"]), "github.event_name != 'pull_request'");
    assert_eq!(s(&deploy["environment"]["name"]), "github-pages");
    let dsteps = deploy["steps"].as_vec().expect("deploy steps");
    assert!(s(&dsteps[0]["uses"]).starts_with("actions/deploy-pages@"));
    assert_eq!(
        s(&deploy["environment"]["url"]),
        format!("${{{{ steps.{}.outputs.page_url }}}}", s(&dsteps[0]["id"]))
    );
}

// ---------------------------------------------------------------- file://

#[test]
fn folder_links_work_from_file_urls() {
    let site = build(&fixture("good"));
    let page = site.read("define/purpose/index.html");
    let script = references(&page)
        .into_iter()
        .find(|r| r.contains("assets/") && r.ends_with(".js"))
        .expect("pages load the theme's script");
    assert!(page.contains(&format!("<script src=\"{script}\"")));
    let js = site.dir.join("define/purpose").join(&script);
    assert!(js.is_file(), "{}", js.display());

    // In a real browser: the page opened from disk, after its scripts ran.
    // Without Chromium this part is skipped, unless COPBOOK_REQUIRE_BROWSER=1
    // (as in .ci/run) makes that a failure.
    let chromium = std::env::var_os("COPBOOK_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        assert!(
            std::env::var("COPBOOK_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "no browser at {}",
            chromium.display()
        );
        eprintln!("no chromium: file:// not tried in a browser");
        return;
    }
    let profile = tempfile::tempdir().unwrap();
    let url = format!(
        "file://{}",
        site.dir.join("define/purpose/index.html").display()
    );
    let out = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", &url])
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let hrefs: Vec<(String, String)> = links(&dom);
    assert!(hrefs.len() > 20, "{dom}");
    for (href, text) in &hrefs {
        let path = href.split(['#', '?']).next().unwrap_or("");
        if path.is_empty() || path.contains(':') {
            continue;
        }
        assert!(
            !path.ends_with('/'),
            "`{text}` still links to a folder: {href}"
        );
        let target = site.dir.join("define/purpose").join(path);
        assert!(target.is_file(), "`{text}`: {href} is no file");
    }
}

// ------------------------------------------------- handbook.json and feed

#[test]
fn handbook_json_is_versioned_sorted_stable_and_safe_to_inline() {
    let (_tmp, book) = copy_fixture("good");
    let page = book.join("content/01-define/purpose.md");
    let md = fs::read_to_string(&page).unwrap();
    fs::write(
        &page,
        md.replacen(
            "title = \"Purpose\"",
            "title = \"Purpose </script><b> & \u{2028}more\"",
            1,
        ),
    )
    .unwrap();
    let a = build(&book);
    let b = build(&book);
    let json = a.read("handbook.json");
    assert_eq!(json, b.read("handbook.json"), "two builds, two outputs");
    // Inlined in a <script>, nothing can close it or break a line.
    for bad in ["<", ">", "&", "\u{2028}"] {
        assert!(!json.contains(bad), "handbook.json contains {bad:?}");
    }
    assert!(json.contains("Purpose \\u003c/script\\u003e\\u003cb\\u003e \\u0026 \\u2028more"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(
        v["pages"][0]["title"],
        "Purpose </script><b> & \u{2028}more"
    );
    // Keys sorted at every level: the same text as a sorted re-serialisation.
    let resorted = serde_json::to_string_pretty(&v)
        .unwrap()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        + "\n";
    assert_eq!(json, resorted);
}

#[test]
fn the_feed_lists_pages_by_their_last_commit() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("git not found: feed not tested");
        return;
    }
    let (_tmp, book) = copy_fixture("good");
    // Outside git: no feed, and no link to one.
    let site = build(&book);
    assert!(!site.exists("feed.xml"));
    assert!(!site.read("index.html").contains("application/atom+xml"));

    git(
        &book,
        &["init", "-q", "-b", "main"],
        "2026-01-01T10:00:00+00:00",
    );
    git(&book, &["add", "."], "2026-01-01T10:00:00+00:00");
    git(
        &book,
        &["commit", "-qm", "Start the handbook"],
        "2026-01-01T10:00:00+00:00",
    );
    let page = book.join("content/02-plan/ways-of-working.md");
    let mut md = fs::read_to_string(&page).unwrap();
    md.push_str("\nWe meet on Tuesdays & Thursdays.\n");
    fs::write(&page, md).unwrap();
    git(
        &book,
        &["commit", "-qam", "Meet <twice> a week"],
        "2026-03-05T09:30:00+01:00",
    );

    let site = build_with(&book, &["--site-url", "https://o.github.io/cop/"]);
    let home = site.read("index.html");
    assert!(home.contains("<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Test Stewards CoP: changes\" href=\"feed.xml\">"), "{home}");
    assert!(
        site.read("define/purpose/index.html")
            .contains("href=\"../../feed.xml\"")
    );
    let feed = site.read("feed.xml");
    assert!(feed.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n"));
    assert!(feed.contains("<updated>2026-03-05T09:30:00+01:00</updated>"));
    assert!(feed.contains("<link rel=\"self\" type=\"application/atom+xml\" href=\"https://o.github.io/cop/feed.xml\"/>"));
    let entries: Vec<&str> = feed.split("<entry>").skip(1).collect();
    // Every page with a Markdown file; the one changed last comes first.
    assert!(entries.len() >= 15, "{feed}");
    assert!(
        entries[0].contains("<title>Ways of working</title>"),
        "{}",
        entries[0]
    );
    assert!(entries[0].contains("<link rel=\"alternate\" type=\"text/html\" href=\"https://o.github.io/cop/plan/ways-of-working/\"/>"));
    assert!(entries[0].contains("<id>https://o.github.io/cop/plan/ways-of-working/</id>"));
    assert!(
        entries[0]
            .contains("<summary>Page of Plan. Last change: Meet &lt;twice&gt; a week</summary>"),
        "{}",
        entries[0]
    );
    assert!(
        entries[1].contains("<updated>2026-01-01T10:00:00Z</updated>"),
        "{feed}"
    );
    // Built twice, the same feed.
    assert_eq!(
        feed,
        build_with(&book, &["--site-url", "https://o.github.io/cop/"]).read("feed.xml")
    );
}
