//! `copbook init`, `copbook new` and `copbook templates`: every built-in
//! template scaffolds a handbook that builds, shows every guiding question
//! and counts none of them as answered; the templates hold every question of
//! the seed planning guides; `init` and `new` write what they promise and
//! refuse, with a reason, what they must not do.
//!
//! The helpers are local on purpose, so this file does not depend on the
//! shared `tests/common` module changing under it.

use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------------------
// Helpers

/// The date every run pretends it is.
const TODAY: &str = "2026-11-22";

/// The handbook templates `copbook templates` must list.
const HANDBOOK_TEMPLATES: &[&str] = &["lifecycle", "cass-planning", "setup", "define"];

/// What a run of the binary printed and returned.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `copbook ARGS` with `cwd` as the current folder.
fn copbook_in(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_copbook"))
        .args(args)
        .current_dir(cwd)
        .env("COPBOOK_TODAY", TODAY)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run copbook");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `copbook ARGS` from the repository root.
fn copbook(args: &[&str]) -> Run {
    copbook_in(&repo_root(), args)
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[track_caller]
fn assert_code(r: &Run, code: i32, what: &str) {
    assert_eq!(
        r.code, code,
        "{what}: expected exit {code}\nstdout:\n{}\nstderr:\n{}",
        r.stdout, r.stderr
    );
}

/// No `error` diagnostic (and no panic) in a run's output.
#[track_caller]
fn assert_no_errors(r: &Run, what: &str) {
    for text in [&r.stdout, &r.stderr] {
        assert!(
            !text.contains(": error: ") && !text.contains("panicked"),
            "{what} reported errors:\nstdout:\n{}\nstderr:\n{}",
            r.stdout,
            r.stderr
        );
    }
}

/// `copbook init DIR --template T --title TITLE`, which must succeed.
fn init(dir: &Path, template: &str, title: &str) {
    let r = copbook(&["init", arg(dir), "--template", template, "--title", title]);
    assert_code(&r, 0, &format!("init --template {template}"));
}

/// `copbook build DIR -d OUT`, which must succeed without errors.
fn build(book: &Path, out: &Path) -> Run {
    let r = copbook(&["build", arg(book), "-d", arg(out)]);
    assert_code(&r, 0, &format!("build {}", book.display()));
    assert_no_errors(&r, "build");
    r
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Undoes the HTML escaping of text and attribute values.
fn unescape(s: &str) -> String {
    s.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Straight quotes for curly ones, so a heading rendered with typographic
/// quotes still matches the question it was written from.
fn straight_quotes(s: &str) -> String {
    s.replace(['\u{2018}', '\u{2019}'], "'")
        .replace(['\u{201C}', '\u{201D}'], "\"")
}

/// The `<main>` element of a page.
fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("page has <main>");
    let end = html[start..].find("</main>").expect("page has </main>") + start;
    &html[start..end]
}

/// The lines of a file's TOML front matter (between the `+++` fences).
fn front_matter(text: &str) -> Vec<&str> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("+++"), "no front matter in:\n{text}");
    let fm: Vec<&str> = lines.by_ref().take_while(|l| *l != "+++").collect();
    fm
}

/// The relative paths of every file under `dir`.
fn files_under(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in fs::read_dir(dir).expect("read dir") {
            let p = entry.expect("dir entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("under base");
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Every file under `dir` with its bytes, to prove a refusal changed nothing.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|rel| {
            let bytes = fs::read(dir.join(&rel)).expect("read file");
            (rel, bytes)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The template files, read independently of copbook

#[derive(Debug, Deserialize)]
struct Template {
    name: String,
    description: String,
    phases: Vec<Phase>,
}

#[derive(Debug, Deserialize)]
struct Phase {
    dir: String,
    pages: Vec<Page>,
}

#[derive(Debug, Deserialize)]
struct Page {
    file: String,
    questions: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CaseTemplate {
    name: String,
    description: String,
    sections: Vec<CaseSection>,
}

#[derive(Debug, Deserialize)]
struct CaseSection {
    questions: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Starter {
    roles: Vec<Record>,
    norms: Vec<StarterNorm>,
    example_member: Record,
}

#[derive(Debug, Deserialize)]
struct Record {
    id: String,
}

#[derive(Debug, Deserialize)]
struct StarterNorm {
    id: String,
    statement: String,
}

fn template_path(name: &str) -> PathBuf {
    repo_root().join("templates").join(format!("{name}.toml"))
}

fn parse<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    toml::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn template(name: &str) -> Template {
    let t: Template = parse(&template_path(name));
    assert_eq!(t.name, name, "templates/{name}.toml has the wrong `name`");
    t
}

fn case_template() -> CaseTemplate {
    parse(&template_path("case"))
}

fn starter() -> Starter {
    parse(&template_path("starter"))
}

impl Template {
    fn questions(&self) -> Vec<&str> {
        self.phases
            .iter()
            .flat_map(|p| &p.pages)
            .flat_map(|p| &p.questions)
            .map(String::as_str)
            .collect()
    }
}

impl CaseTemplate {
    fn questions(&self) -> Vec<&str> {
        self.sections
            .iter()
            .flat_map(|s| &s.questions)
            .map(String::as_str)
            .collect()
    }
}

/// Every question of every file in templates/ (handbook templates and the
/// case's sections).
fn all_template_questions() -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for entry in fs::read_dir(repo_root().join("templates")).expect("templates/") {
        let path = entry.expect("entry").path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.extension().is_none_or(|e| e != "toml") || stem == "starter" {
            continue;
        }
        if stem == "case" {
            all.extend(case_template().questions().into_iter().map(String::from));
        } else {
            all.extend(template(&stem).questions().into_iter().map(String::from));
        }
    }
    all
}

/// The non-comment, non-empty lines of a file in tests/data/.
fn seed_lines(name: &str) -> Vec<String> {
    read(&repo_root().join("tests").join("data").join(name))
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// The handbook template names `copbook templates` lists (lines with a
/// phase count), in order.
fn listed_templates() -> Vec<String> {
    let r = copbook(&["templates"]);
    assert_code(&r, 0, "templates");
    r.stdout
        .lines()
        .filter(|l| l.contains(" phases, "))
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------
// 1. Every template scaffolds a handbook that builds and shows every question

/// Per template: init, build, every question on its page, none answered.
#[test]
fn every_template_scaffolds_a_handbook_that_builds_with_every_question_unanswered() {
    let listed = listed_templates();
    let mut sorted = listed.clone();
    sorted.sort();
    let mut expected: Vec<String> = HANDBOOK_TEMPLATES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(sorted, expected, "templates listed by `copbook templates`");

    for name in &listed {
        let t = template(name);
        let questions = t.questions();
        assert!(!questions.is_empty(), "{name} has no questions");
        let tmp = tmp();
        let book = tmp.path().join("hb");
        let out = tmp.path().join("site");
        let title = format!("Data \"Stewards\" & Co's {name} CoP");
        init(&book, name, &title);

        // book.toml records the title and the template.
        let config: toml::Table = toml::from_str(&read(&book.join("book.toml"))).unwrap();
        assert_eq!(config["book"]["title"].as_str(), Some(title.as_str()));
        assert_eq!(config["book"]["template"].as_str(), Some(name.as_str()));

        // One answer file per template page, each with its questions.
        for phase in &t.phases {
            for page in &phase.pages {
                let src = book
                    .join("content")
                    .join(&phase.dir)
                    .join(format!("{}.md", page.file));
                let fm: toml::Table = toml::from_str(&front_matter(&read(&src)).join("\n"))
                    .unwrap_or_else(|e| panic!("{}: {e}", src.display()));
                let qs: Vec<&str> = fm["questions"]
                    .as_array()
                    .expect("questions")
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                assert_eq!(qs, page.questions, "{}", src.display());
            }
        }

        build(&book, &out);
        let model = json_of(&read(&out.join("handbook.json")));
        let home = read(&out.join("index.html"));
        assert!(
            unescape(&home).contains(&title),
            "{name}: home page does not show the title"
        );

        // Every question is on its page: in handbook.json and in the HTML.
        let pages = model["pages"].as_array().expect("pages");
        let mut on_site = Vec::new();
        for phase in &t.phases {
            for page in &phase.pages {
                let source = format!("content/{}/{}.md", phase.dir, page.file);
                let p = pages
                    .iter()
                    .find(|p| p["source"] == source.as_str())
                    .unwrap_or_else(|| panic!("{name}: no page {source} in handbook.json"));
                let texts: Vec<&str> = p["questions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|q| q["text"].as_str().unwrap())
                    .collect();
                assert_eq!(texts, page.questions, "{name}: {source} in handbook.json");
                for q in p["questions"].as_array().unwrap() {
                    assert_eq!(q["answered"], false, "{name}: {source}: {q}");
                }
                let url = p["url"].as_str().unwrap();
                let html = read(&out.join(url).join("index.html"));
                let text = unescape(main_of(&html));
                for q in &page.questions {
                    assert!(
                        text.contains(q.as_str()),
                        "{name}: question {q:?} is not on {url}"
                    );
                    on_site.push(q.as_str());
                }
            }
        }
        assert_eq!(on_site.len(), questions.len());
        assert_eq!(model["progress"]["answered"], 0, "{name}");
        assert_eq!(model["progress"]["questions"], questions.len(), "{name}");

        // check --strict: exit 1, one "unanswered question" per question
        // (the placeholder comments under the headings are not answers).
        let strict = copbook(&["check", arg(&book), "--strict"]);
        assert_code(&strict, 1, &format!("{name}: check --strict"));
        let unanswered: Vec<&str> = strict
            .stdout
            .lines()
            .filter(|l| l.contains("unanswered question"))
            .collect();
        assert_eq!(
            unanswered.len(),
            questions.len(),
            "{name}: unanswered questions listed by check --strict:\n{}",
            strict.stdout
        );
        let mut listed_texts: Vec<&str> = unanswered
            .iter()
            .map(|l| {
                l.split_once("unanswered question: ")
                    .unwrap_or_else(|| panic!("unexpected line {l:?}"))
                    .1
            })
            .collect();
        listed_texts.sort_unstable();
        let mut want = questions.clone();
        want.sort_unstable();
        assert_eq!(listed_texts, want, "{name}: check --strict");
        assert!(
            strict
                .stdout
                .contains(&format!("0 of {} questions answered", questions.len())),
            "{name}: {}",
            strict.stdout
        );

        // check --format json: nothing answered, every question counted.
        let j = copbook(&["check", arg(&book), "--format", "json"]);
        assert_code(&j, 0, &format!("{name}: check --format json"));
        let report = json_of(&j.stdout);
        assert_eq!(report["errors"], Value::Array(vec![]), "{name}");
        assert_eq!(report["progress"]["answered"], 0, "{name}");
        assert_eq!(report["progress"]["questions"], questions.len(), "{name}");
    }
}

// ---------------------------------------------------------------------------
// 2. The templates hold every question of the seed guides

#[test]
fn every_seed_question_is_in_a_template() {
    let seeds = seed_lines("seed-questions.txt");
    assert!(seeds.len() > 80, "only {} seed questions", seeds.len());
    let all = all_template_questions();
    let missing: Vec<&String> = seeds.iter().filter(|s| !all.contains(*s)).collect();
    assert!(
        missing.is_empty(),
        "seed questions in no templates/*.toml:\n{missing:#?}"
    );
}

#[test]
fn every_seed_norm_topic_is_in_a_starter_norm() {
    let topics = seed_lines("seed-norm-topics.txt");
    assert_eq!(topics.len(), 7);
    let norms = starter().norms;
    for topic in &topics {
        assert!(
            norms.iter().any(|n| n.statement.contains(topic.as_str())),
            "no starter norm states {topic:?}"
        );
    }
}

/// End to end: the sites of all templates, each with a case for
/// participation from `copbook new case`, together show every seed question.
#[test]
fn every_seed_question_is_on_a_built_site() {
    let seeds = seed_lines("seed-questions.txt");
    let mut found: BTreeSet<String> = BTreeSet::new();
    for name in HANDBOOK_TEMPLATES {
        let tmp = tmp();
        let book = tmp.path().join("hb");
        let out = tmp.path().join("site");
        init(&book, name, "Seeds CoP");
        let member = starter().example_member.id;
        let r = copbook_in(&book, &["new", "case", &member]);
        assert_code(&r, 0, "new case");
        build(&book, &out);
        let model = json_of(&read(&out.join("handbook.json")));
        for (kind, list) in [("pages", &model["pages"]), ("cases", &model["cases"])] {
            for record in list.as_array().unwrap() {
                let url = record["url"]
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| format!("{kind}/{}/", record["id"].as_str().unwrap()));
                let html = read(&out.join(&url).join("index.html"));
                let text = straight_quotes(&unescape(main_of(&html)));
                for q in record["questions"].as_array().unwrap() {
                    let q = q["text"].as_str().unwrap();
                    assert!(
                        text.contains(&straight_quotes(q)),
                        "{name}: question {q:?} is not in the HTML of {url}"
                    );
                    found.insert(q.to_owned());
                }
            }
        }
    }
    let missing: Vec<&String> = seeds.iter().filter(|s| !found.contains(*s)).collect();
    assert!(
        missing.is_empty(),
        "seed questions on none of the built sites:\n{missing:#?}"
    );
}

// ---------------------------------------------------------------------------
// 3. What init writes

#[test]
fn init_writes_config_content_starter_records_workflow_and_readme() {
    let tmp = tmp();
    let book = tmp.path().join("hb");
    init(&book, "lifecycle", "Data Stewards CoP");
    let t = template("lifecycle");
    let s = starter();

    // book.toml
    let config: toml::Table = toml::from_str(&read(&book.join("book.toml"))).unwrap();
    assert_eq!(config["book"]["title"].as_str(), Some("Data Stewards CoP"));
    assert_eq!(config["book"]["template"].as_str(), Some("lifecycle"));
    let build_dir = config
        .get("build")
        .and_then(|b| b.get("build-dir"))
        .and_then(|d| d.as_str())
        .unwrap_or("book")
        .to_owned();

    // content/: the home page and one _phase.md per phase.
    assert!(book.join("content/index.md").is_file());
    for phase in &t.phases {
        let p = book.join("content").join(&phase.dir).join("_phase.md");
        assert!(p.is_file(), "missing {}", p.display());
    }

    // The starter roles, the 7 starter norms, one example member.
    let mut roles: Vec<String> = files_under(&book.join("content/roles"))
        .into_iter()
        .collect();
    roles.sort();
    assert_eq!(
        roles,
        [
            "coordinator.md",
            "facilitator.md",
            "sponsor.md",
            "subject-expert.md"
        ]
    );
    let mut starter_roles: Vec<String> = s.roles.iter().map(|r| format!("{}.md", r.id)).collect();
    starter_roles.sort();
    assert_eq!(roles, starter_roles);
    let norms = files_under(&book.join("content/norms"));
    assert_eq!(norms.len(), 7, "{norms:?}");
    let starter_norms: BTreeSet<String> = s.norms.iter().map(|n| format!("{}.md", n.id)).collect();
    assert_eq!(norms, starter_norms);
    for n in &s.norms {
        let text = read(&book.join("content/norms").join(format!("{}.md", n.id)));
        assert!(
            text.contains(n.statement.trim()),
            "norm {} lacks its statement",
            n.id
        );
    }
    let members: Vec<String> = files_under(&book.join("content/members"))
        .into_iter()
        .collect();
    assert_eq!(members, [format!("{}.md", s.example_member.id)]);
    let member_src = read(&book.join("content/members").join(&members[0]));
    assert!(
        member_src.to_lowercase().contains("example member"),
        "{member_src}"
    );

    // .gitignore ignores the build dir.
    let gitignore = read(&book.join(".gitignore"));
    assert!(
        gitignore
            .lines()
            .any(|l| l.trim().trim_matches('/') == build_dir),
        ".gitignore does not ignore {build_dir}/:\n{gitignore}"
    );

    // README.md names the community and the commands.
    let readme = read(&book.join("README.md"));
    assert!(readme.contains("Data Stewards CoP"), "{readme}");
    assert!(readme.contains("copbook build"), "{readme}");

    // The GitHub Pages workflow.
    let wf = read(&book.join(".github/workflows/pages.yml"));
    for needle in [
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
        "pages: write",
        "id-token: write",
    ] {
        assert!(wf.contains(needle), "workflow lacks {needle:?}:\n{wf}");
    }
    let run_line = |cmd: &str| {
        wf.lines()
            .position(|l| {
                l.trim_start()
                    .trim_start_matches("- ")
                    .strip_prefix("run:")
                    .is_some_and(|r| r.trim_start().starts_with(cmd))
            })
            .unwrap_or_else(|| panic!("no step runs `{cmd}`:\n{wf}"))
    };
    assert!(
        run_line("copbook check") < run_line("copbook build"),
        "the workflow must check before it builds:\n{wf}"
    );
    assert!(
        wf.contains(&format!("path: {build_dir}")),
        "the workflow must upload {build_dir}/:\n{wf}"
    );

    // The site: the example member's page says it is an example, every
    // starter role and norm has a page, and each seed norm topic is stated.
    let out = tmp.path().join("site");
    build(&book, &out);
    let member_page = read(
        &out.join("members")
            .join(&s.example_member.id)
            .join("index.html"),
    );
    assert!(
        unescape(main_of(&member_page))
            .to_lowercase()
            .contains("example member, not a real person"),
        "the example member's page does not say it is an example"
    );
    for r in &s.roles {
        assert!(out.join("roles").join(&r.id).join("index.html").is_file());
    }
    let norm_pages: Vec<String> = s
        .norms
        .iter()
        .map(|n| read(&out.join("norms").join(&n.id).join("index.html")))
        .collect();
    for topic in seed_lines("seed-norm-topics.txt") {
        assert!(
            norm_pages.iter().any(|p| p.contains(&topic)),
            "no norm page states {topic:?}"
        );
    }
}

#[test]
fn init_without_a_folder_or_title_uses_the_current_folder_and_its_name() {
    let tmp = tmp();
    let book = tmp.path().join("data-stewards");
    fs::create_dir(&book).unwrap();
    let r = copbook_in(&book, &["init"]);
    assert_code(&r, 0, "init");
    let config: toml::Table = toml::from_str(&read(&book.join("book.toml"))).unwrap();
    let title = config["book"]["title"].as_str().unwrap().to_lowercase();
    assert_eq!(title, "data stewards");
    assert_eq!(config["book"]["template"].as_str(), Some("lifecycle"));
    build(&book, &tmp.path().join("site"));
}

#[test]
fn init_title_is_shown_as_text_in_the_home_page_welcome() {
    let tmp = tmp();
    let book = tmp.path().join("hb");
    let out = tmp.path().join("site");
    let title = "R&D <Data> Stewards";
    init(&book, "define", title);
    build(&book, &out);
    let home = read(&out.join("index.html"));
    let main = main_of(&home);
    assert!(
        !main.contains("<Data>"),
        "the title became HTML on the home page:\n{main}"
    );
    assert!(
        main.contains("Welcome to the handbook of the R&amp;D &lt;Data&gt; Stewards"),
        "{main}"
    );
}

// ---------------------------------------------------------------------------
// 4. init refuses to overwrite; unknown templates and bad usage

#[test]
fn init_refuses_to_overwrite_an_existing_book_toml() {
    let tmp = tmp();
    let book = tmp.path();
    let mine = "[book]\ntitle = \"Mine\"\n";
    fs::write(book.join("book.toml"), mine).unwrap();
    let r = copbook(&["init", arg(book), "--title", "Theirs"]);
    assert_code(&r, 1, "init over book.toml");
    assert!(r.stderr.contains("refusing to overwrite"), "{}", r.stderr);
    assert!(r.stderr.contains("book.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(read(&book.join("book.toml")), mine);
    // Nothing else was written either.
    assert_eq!(files_under(book), BTreeSet::from(["book.toml".to_owned()]));

    let r = copbook(&["init", arg(book), "--title", "Theirs", "--force"]);
    assert_code(&r, 0, "init --force");
    let config: toml::Table = toml::from_str(&read(&book.join("book.toml"))).unwrap();
    assert_eq!(config["book"]["title"].as_str(), Some("Theirs"));
    assert_eq!(config["book"]["template"].as_str(), Some("lifecycle"));
    build(book, &tmp.path().join("site"));
}

#[test]
fn init_refuses_to_overwrite_a_content_file_and_names_it() {
    let tmp = tmp();
    let book = tmp.path();
    let purpose = "+++\ntitle = \"Our purpose\"\n+++\n\nAlready written.\n";
    fs::create_dir_all(book.join("content/01-define")).unwrap();
    fs::write(book.join("content/01-define/purpose.md"), purpose).unwrap();
    let r = copbook(&["init", arg(book), "--template", "define"]);
    assert_code(&r, 1, "init over content/01-define/purpose.md");
    assert!(r.stderr.contains("refusing to overwrite"), "{}", r.stderr);
    assert!(
        r.stderr.contains("content/01-define/purpose.md"),
        "{}",
        r.stderr
    );
    assert!(!book.join("book.toml").exists());
    assert_eq!(read(&book.join("content/01-define/purpose.md")), purpose);
}

#[test]
fn init_into_a_folder_with_unrelated_files_keeps_them() {
    let tmp = tmp();
    let book = tmp.path();
    fs::write(book.join("notes.txt"), "my notes\n").unwrap();
    fs::create_dir(book.join("drafts")).unwrap();
    fs::write(book.join("drafts/idea.md"), "an idea\n").unwrap();
    let r = copbook(&["init", arg(book), "--template", "define"]);
    assert_code(&r, 0, "init next to notes.txt");
    assert_eq!(read(&book.join("notes.txt")), "my notes\n");
    assert_eq!(read(&book.join("drafts/idea.md")), "an idea\n");
    assert!(book.join("book.toml").is_file());
}

#[test]
fn init_with_an_unknown_template_lists_the_templates() {
    let tmp = tmp();
    let book = tmp.path().join("hb");
    let r = copbook(&["init", arg(&book), "--template", "lifecycel"]);
    assert_code(&r, 1, "init --template lifecycel");
    assert!(r.stderr.contains("lifecycel"), "{}", r.stderr);
    assert!(
        r.stderr.contains("did you mean `lifecycle`"),
        "{}",
        r.stderr
    );
    for t in HANDBOOK_TEMPLATES {
        assert!(r.stderr.contains(t), "{t} not listed:\n{}", r.stderr);
    }
    assert!(files_under(&book).is_empty(), "init wrote files");

    let r = copbook(&["init", arg(&book), "--template", "zzz"]);
    assert_code(&r, 1, "init --template zzz");
    for t in HANDBOOK_TEMPLATES {
        assert!(r.stderr.contains(t), "{t} not listed:\n{}", r.stderr);
    }
    // Special files are not handbook templates.
    for special in ["starter", "case"] {
        let r = copbook(&["init", arg(&book), "--template", special]);
        assert_code(&r, 1, &format!("init --template {special}"));
    }
    assert!(files_under(&book).is_empty(), "init wrote files");
}

#[test]
fn init_and_new_with_bad_usage_exit_2() {
    let tmp = tmp();
    let book = tmp.path().join("hb");
    let r = copbook(&["init", arg(&book), "--bogus"]);
    assert_code(&r, 2, "init --bogus");
    assert!(r.stderr.contains("--bogus"), "{}", r.stderr);
    assert!(!book.exists(), "init --bogus wrote files");

    init(&book, "define", "Usage CoP");
    let r = copbook_in(&book, &["new", "widget", "x"]);
    assert_code(&r, 2, "new widget");
    let r = copbook_in(&book, &["new", "member"]);
    assert_code(&r, 2, "new member without an id");
    let r = copbook(&["templates", "--bogus"]);
    assert_code(&r, 2, "templates --bogus");
}

// ---------------------------------------------------------------------------
// 5. new

/// The fields `new KIND` must write, as in DESIGN.md and load.rs.
fn fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "member" => &[
            "name",
            "roles",
            "participation",
            "organization",
            "expertise",
            "joined",
            "contact",
        ],
        "role" => &[
            "title",
            "summary",
            "responsibilities",
            "commitment",
            "norms",
        ],
        "norm" => &["title", "category", "agreed", "owner"],
        "page" => &[
            "title",
            "order",
            "questions",
            "owner",
            "status",
            "review-by",
            "members",
            "roles",
            "norms",
        ],
        "case" => &["member", "title", "questions"],
        _ => unreachable!(),
    }
}

/// The index of the front-matter line that sets `field`, possibly
/// commented out (`# field = …`) for an optional field.
fn field_line(fm: &[&str], field: &str) -> Option<usize> {
    fm.iter().position(|l| {
        let l = l.trim_start_matches('#').trim_start();
        l.strip_prefix(field)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    })
}

/// A field is documented when a `#` comment is just above it, or when it
/// follows other fields under one comment that names it (as in
/// `# Member, role and norm ids …` above `members`, `roles` and `norms`).
fn is_documented(fm: &[&str], i: usize, field: &str) -> bool {
    if i > 0 && fm[i - 1].starts_with('#') {
        return true;
    }
    let is_field = |l: &str| !l.starts_with('#') && l.contains(" = ");
    let mut j = i;
    while j > 0 && is_field(fm[j - 1]) {
        j -= 1;
    }
    let stem = field.strip_suffix('s').unwrap_or(field);
    j > 0 && fm[j - 1].starts_with('#') && fm[j - 1].to_lowercase().contains(stem)
}

/// Checks that the front matter of `text` carries every field of `kind`,
/// and, when `documented`, that each has a `#` comment just above it.
#[track_caller]
fn assert_fields(kind: &str, text: &str, documented: bool) {
    let fm = front_matter(text);
    for field in fields_of(kind) {
        let i = field_line(&fm, field)
            .unwrap_or_else(|| panic!("`new {kind}` lacks field `{field}`:\n{text}"));
        if documented {
            assert!(
                is_documented(&fm, i, field),
                "`new {kind}`: field `{field}` has no comment above it:\n{text}"
            );
        }
    }
}

fn new_in(cwd: &Path, args: &[&str]) -> Run {
    let mut all = vec!["new"];
    all.extend_from_slice(args);
    copbook_in(cwd, &all)
}

#[test]
fn new_writes_every_kind_from_the_root_and_from_a_subfolder_and_the_book_builds() {
    let tmp = tmp();
    let book = tmp.path().join("hb");
    init(&book, "define", "New CoP");
    let sub = book.join("content/members");
    let before = copbook(&["check", arg(&book), "--format", "json"]);
    let questions_before = json_of(&before.stdout)["progress"]["questions"]
        .as_u64()
        .unwrap();

    let cases: [(&Path, &[&str], &str); 12] = [
        (&book, &["member", "ana"], "content/members/ana.md"),
        (&sub, &["member", "ben"], "content/members/ben.md"),
        (&book, &["role", "librarian"], "content/roles/librarian.md"),
        (&sub, &["role", "scribe"], "content/roles/scribe.md"),
        (&book, &["norm", "meetings"], "content/norms/meetings.md"),
        (&sub, &["norm", "privacy"], "content/norms/privacy.md"),
        (
            &book,
            &["page", "charter", "--phase", "01-define"],
            "content/01-define/charter.md",
        ),
        (
            &sub,
            &["page", "risks", "--phase", "01-define"],
            "content/01-define/risks.md",
        ),
        // The phase may also be named without its order prefix.
        (
            &book,
            &["page", "tools", "--phase", "define"],
            "content/01-define/tools.md",
        ),
        (&book, &["case", "ana"], "content/cases/ana.md"),
        (&sub, &["case", "ben"], "content/cases/ben.md"),
        (
            &book.join("content/01-define"),
            &["member", "chen", "--title", "Chen Wei"],
            "content/members/chen.md",
        ),
    ];
    for (cwd, args, rel) in cases {
        let r = new_in(cwd, args);
        assert_code(&r, 0, &format!("new {args:?} in {}", cwd.display()));
        assert_eq!(r.stdout.trim(), rel, "new {args:?} in {}", cwd.display());
        let path = book.join(rel);
        assert!(path.is_file(), "new {args:?} did not write {rel}");
        let kind = args[0];
        assert_fields(kind, &read(&path), false);
    }
    // Nothing was written relative to the subfolder.
    assert!(!sub.join("content").exists());
    assert!(!book.join("content/01-define/content").exists());
    assert!(read(&book.join("content/members/chen.md")).contains("name = \"Chen Wei\""));
    let member = read(&book.join("content/members/ana.md"));
    assert!(member.contains(&format!("joined = {TODAY}")), "{member}");

    // The handbook still builds and checks cleanly with all of them.
    let out = tmp.path().join("site");
    build(&book, &out);
    let check = copbook(&["check", arg(&book), "--format", "json"]);
    assert_code(&check, 0, "check");
    let report = json_of(&check.stdout);
    assert_eq!(report["errors"], Value::Array(vec![]));
    // Each new page adds its one sample question, none answered.
    assert_eq!(
        report["progress"]["questions"].as_u64().unwrap(),
        questions_before + 3
    );
    assert_eq!(report["progress"]["answered"], 0);

    for page in [
        "members/ana/index.html",
        "members/ben/index.html",
        "members/chen/index.html",
        "roles/librarian/index.html",
        "roles/scribe/index.html",
        "norms/meetings/index.html",
        "norms/privacy/index.html",
        "define/charter/index.html",
        "define/risks/index.html",
        "define/tools/index.html",
        "cases/ana/index.html",
        "cases/ben/index.html",
    ] {
        assert!(out.join(page).is_file(), "missing {page}");
    }
    let model = json_of(&read(&out.join("handbook.json")));
    let case_questions = case_template().questions().len();
    let cases = model["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for c in cases {
        assert_eq!(
            c["questions"].as_array().unwrap().len(),
            case_questions,
            "{c}"
        );
    }
}

#[test]
fn new_member_role_norm_and_page_document_every_field() {
    let tmp = tmp();
    let book = tmp.path().join("hb");
    init(&book, "define", "Fields CoP");
    for (args, rel) in [
        (&["member", "ana"][..], "content/members/ana.md"),
        (&["role", "librarian"][..], "content/roles/librarian.md"),
        (&["norm", "meetings"][..], "content/norms/meetings.md"),
        (
            &["page", "charter", "--phase", "01-define"][..],
            "content/01-define/charter.md",
        ),
    ] {
        assert_code(&new_in(&book, args), 0, &format!("new {args:?}"));
        assert_fields(args[0], &read(&book.join(rel)), true);
    }
}

#[test]
fn new_case_documents_every_field() {
    let tmp = tmp();
    let book = tmp.path().join("hb");
    init(&book, "define", "Fields CoP");
    let member = starter().example_member.id;
    assert_code(&new_in(&book, &["case", &member]), 0, "new case");
    let text = read(&book.join("content/cases").join(format!("{member}.md")));
    assert_fields("case", &text, true);
}

#[test]
fn new_case_asks_every_case_question_under_its_heading() {
    let tmp = tmp();
    let book = tmp.path().join("hb");
    init(&book, "define", "Case CoP");
    let member = starter().example_member.id;
    assert_code(&new_in(&book, &["case", &member]), 0, "new case");
    let text = read(&book.join("content/cases").join(format!("{member}.md")));
    for q in case_template().questions() {
        assert!(
            text.lines().any(|l| l == format!("## {q}")),
            "no heading for {q:?}"
        );
    }
    // The placeholders do not count as answers.
    let strict = copbook(&["check", arg(&book), "--strict", "--format", "json"]);
    let report = json_of(&strict.stdout);
    assert_eq!(report["progress"]["answered"], 0);
}

/// Runs `new ARGS` in `cwd`, which must fail with exit 1, write nothing,
/// and say each of `says`.
#[track_caller]
fn assert_new_refused(book: &Path, cwd: &Path, args: &[&str], says: &[&str]) {
    let before = tree(book);
    let r = new_in(cwd, args);
    assert_code(&r, 1, &format!("new {args:?}"));
    assert!(
        r.stderr.starts_with("error: "),
        "new {args:?}: {}",
        r.stderr
    );
    for s in says {
        assert!(
            r.stderr.contains(s),
            "new {args:?} should say {s:?}:\n{}",
            r.stderr
        );
    }
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(tree(book), before, "new {args:?} changed the handbook");
}

#[test]
fn new_refuses_with_a_reason() {
    let tmp = tmp();
    let book = tmp.path().join("hb");
    init(&book, "define", "Refusals CoP");
    let sub = book.join("content/members");
    assert_code(&new_in(&book, &["member", "ana"]), 0, "new member ana");
    let ana = read(&book.join("content/members/ana.md"));

    // An existing id, from the root and from a subfolder.
    assert_new_refused(&book, &book, &["member", "ana"], &["already", "ana"]);
    assert_new_refused(&book, &sub, &["member", "ana"], &["already", "ana"]);
    assert_new_refused(&book, &book, &["role", "coordinator"], &["coordinator"]);
    assert_new_refused(&book, &book, &["norm", "voice"], &["voice"]);
    assert_new_refused(
        &book,
        &book,
        &["page", "purpose", "--phase", "01-define"],
        &["purpose"],
    );
    assert_eq!(read(&book.join("content/members/ana.md")), ana);

    // Not a slug: the message suggests one.
    assert_new_refused(
        &book,
        &book,
        &["member", "Ana Maria"],
        &["not a valid id", "ana-maria"],
    );
    assert_new_refused(&book, &book, &["role", "Co-Chair"], &["co-chair"]);

    // A page needs an existing phase.
    assert_new_refused(&book, &book, &["page", "charter"], &["--phase"]);
    assert_new_refused(
        &book,
        &book,
        &["page", "charter", "--phase", "nope"],
        &["nope", "01-define"],
    );

    // A case needs an existing member.
    assert_new_refused(
        &book,
        &book,
        &["case", "nobody"],
        &["nobody", "copbook new member nobody"],
    );
    assert_code(&new_in(&book, &["case", "ana"]), 0, "new case ana");
    assert_new_refused(&book, &sub, &["case", "ana"], &["already", "ana"]);
}

#[test]
fn new_outside_a_handbook_refuses() {
    let tmp = tmp();
    let dir = tmp.path().join("not-a-book");
    fs::create_dir(&dir).unwrap();
    assert!(
        !dir.ancestors().any(|d| d.join("book.toml").exists()),
        "a book.toml above {} makes this test meaningless",
        dir.display()
    );
    for args in [
        &["member", "ana"][..],
        &["role", "librarian"][..],
        &["page", "charter", "--phase", "01-define"][..],
    ] {
        let r = new_in(&dir, args);
        assert_code(&r, 1, &format!("new {args:?} outside a handbook"));
        assert!(r.stderr.contains("book.toml"), "{}", r.stderr);
        assert!(r.stderr.contains("copbook init"), "{}", r.stderr);
    }
    assert!(files_under(tmp.path()).is_empty(), "new wrote files");
}

// ---------------------------------------------------------------------------
// 6. templates

#[test]
fn templates_lists_each_template_with_its_description_and_counts() {
    let r = copbook(&["templates"]);
    assert_code(&r, 0, "templates");
    assert_eq!(r.stderr, "");
    let lines: Vec<&str> = r.stdout.lines().collect();

    // Every file in templates/ except starter.toml is listed, once.
    let mut files: Vec<String> = fs::read_dir(repo_root().join("templates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|n| n != "starter")
        .collect();
    files.sort();
    let mut names: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().expect("a name first"))
        .collect();
    names.sort_unstable();
    assert_eq!(names, files, "one line per template:\n{}", r.stdout);
    assert_eq!(
        lines[0].split_whitespace().next(),
        Some("lifecycle"),
        "the default template comes first"
    );

    for name in HANDBOOK_TEMPLATES {
        let t = template(name);
        let line = lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap();
        let rest = line[name.len()..].trim_start();
        assert!(
            rest.starts_with(&t.description),
            "{name}: the description should follow the name:\n{line}"
        );
        let counts = format!(
            "({} phases, {} questions)",
            t.phases.len(),
            t.questions().len()
        );
        assert!(line.ends_with(&counts), "{name}: want {counts}:\n{line}");
    }

    let c = case_template();
    let line = lines
        .iter()
        .find(|l| l.split_whitespace().next() == Some(c.name.as_str()))
        .unwrap();
    assert!(
        line[c.name.len()..]
            .trim_start()
            .starts_with(&c.description),
        "{line}"
    );
    assert!(
        line.contains(&format!("({} questions", c.questions().len())),
        "{line}"
    );
}
