//! `copbook init` and `copbook new`: write a ready-to-fill handbook, or one
//! record with every field documented, from the built-in templates.

use crate::templates::{self, Starter, Template};
use crate::urls::{is_slug, slugify, split_order_prefix};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn q_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| format!("  {},", q(s))).collect();
    if inner.is_empty() {
        "[]".into()
    } else {
        format!("[\n{}\n]", inner.join("\n"))
    }
}

/// Text to put into Markdown as it is: characters Markdown or HTML would
/// read as syntax are written as entities or escaped.
fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' | '_' | '[' | ']' | '`' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The placeholder under each question: a comment, so it does not count as
/// an answer until someone writes one.
const PLACEHOLDER: &str =
    "<!-- Write the answer here. This comment does not count as an answer. -->";

fn answer_page(page: &crate::templates::TemplatePage, order: usize, owner: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "+++");
    let _ = writeln!(s, "title = {}", q(&page.title));
    let _ = writeln!(s, "order = {order}");
    let _ = writeln!(s, "questions = {}", q_list(&page.questions));
    let _ = writeln!(s, "owner = {}", q(owner));
    let _ = writeln!(s, "status = \"draft\"");
    let _ = writeln!(s, "+++");
    if !page.intro.trim().is_empty() {
        let _ = writeln!(s, "\n{}", page.intro.trim());
    }
    for question in &page.questions {
        let _ = writeln!(s, "\n## {}\n\n{PLACEHOLDER}", question.trim());
    }
    s
}

fn phase_file(p: &crate::templates::TemplatePhase, order: usize) -> String {
    let mut s = format!(
        "+++\ntitle = {}\norder = {order}\nsummary = {}\n+++\n",
        q(&p.title),
        q(&p.summary)
    );
    if !p.intro.trim().is_empty() {
        let _ = writeln!(s, "\n{}", p.intro.trim());
    }
    s
}

fn role_file(r: &crate::templates::StarterRole) -> String {
    format!(
        "+++\ntitle = {}\nsummary = {}\nresponsibilities = {}\ncommitment = {}\nnorms = []\n+++\n\n{}\n",
        q(&r.title),
        q(&r.summary),
        q_list(&r.responsibilities),
        q(&r.commitment),
        r.summary
    )
}

fn norm_file(n: &crate::templates::StarterNorm, owner: &str) -> String {
    format!(
        "+++\ntitle = {}\ncategory = {}\nowner = {}\n+++\n\n{}\n",
        q(&n.title),
        q(&n.category),
        q(owner),
        n.statement.trim()
    )
}

fn member_file(m: &crate::templates::StarterMember) -> String {
    format!(
        "+++\nname = {}\nroles = {}\nparticipation = {}\norganization = {}\nexpertise = {}\n+++\n\n{}\n",
        q(&m.name),
        q_list(&m.roles),
        q(&m.participation),
        q(&m.organization),
        q_list(&m.expertise),
        m.bio.trim()
    )
}

/// The GitHub Pages workflow `init` writes: check (annotations on pull
/// requests), build with the Pages URL as site-url, upload the artifact,
/// deploy. Pull requests are checked and built, never deployed.
pub fn workflow() -> String {
    format!(
        r#"# Checks the handbook on every pull request (errors show inline) and
# publishes it to GitHub Pages on every push to main.
# Once, in the repository settings: Pages > Build and deployment > Source:
# "GitHub Actions". For a custom domain, set it there too (Pages > Custom
# domain): a site deployed by this workflow ignores a CNAME file.
name: Handbook

on:
  push:
    branches: [main]
  pull_request:
  workflow_dispatch:

# What GitHub's own Pages workflows ask for: read the repository, deploy
# to Pages, and prove to Pages where the deployment comes from.
permissions:
  contents: read
  pages: write
  id-token: write

# One deployment at a time; a newer push to a pull request cancels the
# older run, but a deployment of main is never cut off half way.
concurrency:
  group: pages-${{{{ github.ref }}}}
  cancel-in-progress: ${{{{ github.event_name == 'pull_request' }}}}

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Check out
        uses: actions/checkout@v4
        with:
          # The whole history: the site's feed dates each page by its last commit.
          fetch-depth: 0
      - name: Cache copbook {version}
        id: cache-copbook
        uses: actions/cache@v4
        with:
          path: ~/.cargo/bin/copbook
          key: copbook-{version}-${{{{ runner.os }}}}
      - name: Install copbook {version}
        if: steps.cache-copbook.outputs.cache-hit != 'true'
        # The exact version, with the dependency versions it was released with.
        run: cargo install copbook --version {version} --locked
      - name: Check the handbook
        run: copbook check --format github
      - name: Configure Pages
        id: pages
        if: github.event_name != 'pull_request'
        uses: actions/configure-pages@v5
      - name: Build the site
        # base_url is the site's full address (https://ORG.github.io/REPO, or the
        # custom domain): links, sitemap.xml, canonical links and 404.html use it.
        run: copbook build -d book --site-url "${{{{ steps.pages.outputs.base_url }}}}/"
      - name: Upload the site
        if: github.event_name != 'pull_request'
        uses: actions/upload-pages-artifact@v3
        with:
          path: book

  deploy:
    if: github.event_name != 'pull_request'
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - name: Deploy to GitHub Pages
        id: deployment
        uses: actions/deploy-pages@v4
"#,
        version = env!("CARGO_PKG_VERSION")
    )
}

pub struct InitOptions {
    pub dir: PathBuf,
    pub template: String,
    pub title: Option<String>,
    pub force: bool,
}

/// The files `init` writes, relative to the handbook folder.
pub fn init_files(t: &Template, starter: &Starter, title: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let member = &starter.example_member;
    let first_page = t.phases.first().and_then(|p| {
        p.pages
            .first()
            .map(|pg| format!("{}/{}.md", p.dir, pg.file))
    });
    let mut onboarding = vec!["index.md".to_owned()];
    onboarding.extend(first_page);
    onboarding.extend(["roles", "norms", "members"].map(String::from));
    files.push((
        "book.toml".into(),
        format!(
            "[book]\ntitle = {}\ndescription = {}\nlanguage = \"en\"\ntemplate = {}\n\n[build]\nbuild-dir = \"book\"\n# site-url = \"/REPO/\"   # the sub-path on GitHub Pages; the workflow sets it for you\n\n# [repository]\n# url = \"https://github.com/ORG/REPO\"   # enables \"Edit this page\" links\n# branch = \"main\"\n\n[onboarding]\npath = {}\n",
            q(title),
            q(&format!("The handbook of the {title}")),
            q(&t.name),
            q_list(&onboarding)
        ),
    ));
    files.push((
        "content/index.md".into(),
        format!(
            "+++\ntitle = {}\n+++\n\nWelcome to the handbook of the {}. It answers the questions a Community of Practice asks itself as it forms, grows and closes: {}.\n\nEach phase in the sidebar holds pages of guiding questions. Answer them under their headings; [[progress]] shows what is still open.\n",
            q(title),
            markdown_text(title),
            t.phases.iter().map(|p| p.title.to_lowercase()).collect::<Vec<_>>().join(", ")
        ),
    ));
    for (i, p) in t.phases.iter().enumerate() {
        files.push((format!("content/{}/_phase.md", p.dir), phase_file(p, i + 1)));
        for (j, page) in p.pages.iter().enumerate() {
            files.push((
                format!("content/{}/{}.md", p.dir, page.file),
                answer_page(page, j + 1, &member.id),
            ));
        }
    }
    for r in &starter.roles {
        files.push((format!("content/roles/{}.md", r.id), role_file(r)));
    }
    for n in &starter.norms {
        files.push((
            format!("content/norms/{}.md", n.id),
            norm_file(n, "coordinator"),
        ));
    }
    files.push((
        format!("content/members/{}.md", member.id),
        member_file(member),
    ));
    files.push((".gitignore".into(), "/book/\n".into()));
    files.push((".github/workflows/pages.yml".into(), workflow()));
    files.push((
        "README.md".into(),
        format!(
            "# {title}\n\nThe handbook of the {title}, built with [copbook](https://crates.io/crates/copbook).\n\n```sh\ncopbook serve      # preview at http://127.0.0.1:3000, reloading as you edit\ncopbook check      # what build checks, without writing\ncopbook build      # the site, in book/\n```\n\nAnswers live in `content/`, one folder per phase. Add people with\n`copbook new member ID`, roles with `copbook new role ID`, and norms with\n`copbook new norm ID`. Pushing to `main` publishes the site with the\nworkflow in `.github/workflows/pages.yml` (set Pages > Source to\n\"GitHub Actions\" in the repository settings).\n"
        ),
    ));
    files
}

pub fn init(opts: &InitOptions) -> Result<Vec<String>, String> {
    let t = templates::template(&opts.template)?;
    let starter = templates::starter()?;
    let title = opts.title.clone().unwrap_or_else(|| {
        let name = opts
            .dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let words = name.replace(['-', '_'], " ");
        if words.trim().is_empty() {
            "Our Community of Practice".into()
        } else {
            words
        }
    });
    let files = init_files(&t, &starter, &title);
    if !opts.force {
        let clashes: Vec<&str> = files
            .iter()
            .filter(|(rel, _)| opts.dir.join(rel).exists())
            .map(|(rel, _)| rel.as_str())
            .collect();
        if !clashes.is_empty() {
            return Err(format!(
                "refusing to overwrite {} existing file{} in {}: {}\nhint: pass --force to overwrite them, or choose an empty folder",
                clashes.len(),
                if clashes.len() == 1 { "" } else { "s" },
                opts.dir.display(),
                clashes.join(", ")
            ));
        }
    }
    for (rel, text) in &files {
        let path = opts.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(files.into_iter().map(|(rel, _)| rel).collect())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NewKind {
    Member,
    Role,
    Norm,
    Page,
    Case,
    Meeting,
}

/// Finds the book root: `start` or the nearest folder above it with a book.toml.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .find(|d| d.join("book.toml").is_file())
        .map(Path::to_path_buf)
}

fn ids_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.strip_suffix(".md")
                        .filter(|s| *s != "_phase")
                        .map(slugify)
                })
                .collect()
        })
        .unwrap_or_default()
}

pub struct NewOptions {
    pub kind: NewKind,
    pub id: String,
    pub phase: Option<String>,
    pub title: Option<String>,
    pub today: crate::model::Date,
}

/// Writes one new record; returns its path relative to the book root.
pub fn new_record(root: &Path, o: &NewOptions) -> Result<String, String> {
    let id = o.id.as_str();
    if !is_slug(id) {
        let s = slugify(id);
        let hint = if s.is_empty() {
            String::new()
        } else {
            format!("; try `{s}`")
        };
        return Err(format!(
            "`{id}` is not a valid id: ids are lower-case letters, digits, `-` and `_`, because they become URLs{hint}"
        ));
    }
    let content = root.join("content");
    let title = o.title.clone().unwrap_or_else(|| {
        let t = id.replace(['-', '_'], " ");
        let mut c = t.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    });
    let (folder, text) = match o.kind {
        NewKind::Member => (
            "members".to_owned(),
            format!(
                "+++\n# The name shown on the site (required).\nname = {}\n# Role ids this member holds, e.g. [\"coordinator\"].\nroles = []\n# How this member takes part: core | active | occasional | peripheral | sponsor.\nparticipation = \"active\"\n# Where the member works.\norganization = \"\"\n# Topics others can ask this member about.\nexpertise = []\n# When the member joined (a TOML date, no quotes).\njoined = {}\n# An email address or a URL.\ncontact = \"\"\n+++\n\nA short bio: background, interests, what {} brings to the community.\n",
                q(&title),
                o.today,
                title
            ),
        ),
        NewKind::Role => (
            "roles".to_owned(),
            format!(
                "+++\n# The role's name (required).\ntitle = {}\n# One sentence on what the role is for.\nsummary = \"\"\n# What the role does.\nresponsibilities = []\n# Time it takes, e.g. \"10% of time\".\ncommitment = \"\"\n# Norm ids this role looks after, e.g. [\"decisions\"].\nnorms = []\n+++\n\nWhat this role does and how to take it on. Members hold it by listing\n`{id}` in their `roles`.\n",
                q(&title)
            ),
        ),
        NewKind::Norm => (
            "norms".to_owned(),
            format!(
                "+++\n# The norm's name (required).\ntitle = {}\n# One of: voice, focus, conflict, decisions, knowledge, membership, closure (or your own).\ncategory = \"\"\n# When the community agreed it (a TOML date; remove while it is a draft).\n# agreed = {}\n# Who looks after it: a member id or a role id.\n# owner = \"coordinator\"\n+++\n\nThe norm, as the community agreed it.\n",
                q(&title),
                o.today
            ),
        ),
        NewKind::Page => {
            let Some(phase) = &o.phase else {
                return Err("`copbook new page` needs --phase, the phase folder to put the page in (e.g. --phase 01-define)".into());
            };
            let dirs: Vec<String> = std::fs::read_dir(&content)
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .filter(|e| e.path().is_dir())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| {
                            !crate::load::RECORD_DIRS.contains(&n.as_str()) && !n.starts_with('.')
                        })
                        .collect()
                })
                .unwrap_or_default();
            let dir = dirs
                .iter()
                .find(|d| *d == phase || split_order_prefix(d).1 == phase.as_str())
                .cloned()
                .ok_or_else(|| {
                    let hint = crate::diag::did_you_mean(phase, dirs.iter().map(String::as_str))
                        .unwrap_or_else(|| format!("phases: {}", dirs.join(", ")));
                    format!("no phase folder `{phase}` in content/; {hint}")
                })?;
            (
                dir,
                format!(
                    "+++\n# The page title (required).\ntitle = {}\n# Position in the phase (lower first).\norder = 10\n# The guiding questions this page answers. Each is answered by a heading\n# with the same text and content under it.\nquestions = [\n  \"What is our first question?\",\n]\n# Member id: who to ask about this page.\n# owner = \"amara\"\n# draft | agreed\nstatus = \"draft\"\n# After this date the page is flagged as stale (a TOML date, no quotes).\n# review-by = {}\n# Member, role and norm ids this page is about.\nmembers = []\nroles = []\nnorms = []\n+++\n\n## What is our first question?\n\n{PLACEHOLDER}\n",
                    q(&title),
                    crate::model::Date {
                        year: o.today.year + 1,
                        ..o.today
                    }
                ),
            )
        }
        NewKind::Meeting => {
            let start = crate::model::Date::from_days(o.today.days() + 7);
            let until = crate::model::Date {
                year: start.year + 1,
                ..start
            };
            (
                "meetings".to_owned(),
                format!(
                    "+++\n# The meeting's name (required).\ntitle = {}\n# The first meeting: date, time and offset from UTC (required; no quotes).\nstart = {start}T10:00:00+00:00\n# How long: \"90m\", \"1h30m\", \"2h\".\nduration = \"1h\"\n# How it repeats: \"weekly\", \"every 2 weeks\", \"weekly on monday and thursday\",\n# \"monthly on the 2nd thursday\", \"yearly\"; or an RFC 5545 rule instead,\n# such as rrule = \"FREQ=WEEKLY;BYDAY=TU,TH\". `start` must be one of its dates.\nrepeat = \"weekly\"\n# The last day it can take place (a TOML date; remove to repeat for ever).\n# until = {until}\n# Where it takes place, and a link to join online.\n# location = \"Room 4, Town Hall\"\n# link = \"https://…\"\n# Who runs it: a member id or a role id.\n# facilitator = \"facilitator\"\n# What happens: one string, or a list.\nagenda = []\n+++\n\nNotes for the meeting. Link pages with wiki links such as [[roles]], and list\nthe meeting in the `meetings` of the page that plans it.\n",
                    q(&title)
                ),
            )
        }
        NewKind::Case => {
            let members = ids_in(&content.join("members"));
            if !members.iter().any(|m| m == id) {
                let hint = crate::diag::did_you_mean(id, members.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        format!("add the member first with `copbook new member {id}`")
                    });
                return Err(format!("no member `{id}` to write a case for; {hint}"));
            }
            let t = templates::case()?;
            let questions: Vec<String> = t
                .sections
                .iter()
                .flat_map(|s| s.questions.clone())
                .collect();
            let mut s = format!(
                "+++\n# The member making the case (required).\nmember = {}\n# The title shown on the site and on the printed brief.\ntitle = {}\n# The reflection questions (from the case for participation guide).\nquestions = {}\n+++\n",
                q(id),
                q(&t.title),
                q_list(&questions)
            );
            for section in &t.sections {
                let _ = writeln!(s, "\n# {}", section.title);
                for question in &section.questions {
                    let _ = writeln!(s, "\n## {}\n\n{PLACEHOLDER}", question.trim());
                }
            }
            ("cases".to_owned(), s)
        }
    };
    let dir = content.join(&folder);
    if ids_in(&dir).iter().any(|x| x == id) {
        return Err(format!(
            "content/{folder}/ already has `{id}`; choose another id, or edit the existing file"
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{id}.md"));
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(format!("content/{folder}/{id}.md"))
}
