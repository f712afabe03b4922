//! Resolve: turn loaded records into one immutable `Handbook`. Every id in
//! front matter and every link in a body is looked up here, once; the
//! results (targets, backlinks, completeness) are what rendering reads.

use crate::Map;
use crate::diag::{Diagnostic, did_you_mean};
use crate::load::{Loaded, Record};
use crate::markdown::{IdGen, github_id};
use crate::model::*;
use crate::source::{Loc, Source, Spanned};
use rayon::prelude::*;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Any document of the site that comes from a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKey {
    Home,
    Phase(usize),
    Page(usize),
    Member(usize),
    Role(usize),
    Norm(usize),
    Case(usize),
}

/// Where a link goes: a document, or one of the generated index pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dest {
    Doc(DocKey),
    Index(IndexPage),
    /// A copied file (image, attachment), by output path.
    File(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndexPage {
    Members,
    Roles,
    Norms,
    Cases,
    Progress,
    /// The onboarding path (`[onboarding] path`).
    Start,
    /// The whole handbook on one page.
    Print,
    /// "Who knows what": the members' expertise by topic.
    Topics,
    /// Where the search box leads: results with JavaScript, and links to
    /// the indexes without.
    Search,
    /// The terms of `content/glossary.toml`.
    Glossary,
    /// `content/meetings/`: next occurrences and calendars.
    Meetings,
    /// A closed community's closure: its closure phase's answers.
    Closure,
}

impl IndexPage {
    pub fn url(self) -> &'static str {
        match self {
            IndexPage::Members => "members/",
            IndexPage::Roles => "roles/",
            IndexPage::Norms => "norms/",
            IndexPage::Cases => "cases/",
            IndexPage::Progress => "progress/",
            IndexPage::Start => "start/",
            IndexPage::Print => "print/",
            IndexPage::Search => "search/",
            IndexPage::Topics => "topics/",
            IndexPage::Glossary => "glossary/",
            IndexPage::Meetings => "meetings/",
            IndexPage::Closure => "closure/",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            IndexPage::Members => "Members",
            IndexPage::Roles => "Roles",
            IndexPage::Norms => "Norms",
            IndexPage::Cases => "Cases for participation",
            IndexPage::Progress => "Progress",
            IndexPage::Start => "Start here",
            IndexPage::Print => "The whole handbook",
            IndexPage::Search => "Search",
            IndexPage::Topics => "Who knows what",
            IndexPage::Glossary => "Glossary",
            IndexPage::Meetings => "Meetings",
            IndexPage::Closure => "Closure",
        }
    }
    fn parse(s: &str) -> Option<IndexPage> {
        Some(match s {
            "members" => IndexPage::Members,
            "roles" => IndexPage::Roles,
            "norms" => IndexPage::Norms,
            "cases" => IndexPage::Cases,
            "progress" => IndexPage::Progress,
            "print" => IndexPage::Print,
            "topics" => IndexPage::Topics,
            "glossary" => IndexPage::Glossary,
            "meetings" => IndexPage::Meetings,
            "closure" => IndexPage::Closure,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub dest: Dest,
    pub anchor: Option<String>,
}

/// A question of an answer page or case, and whether the body answers it.
#[derive(Clone, Debug)]
pub struct Question {
    pub text: String,
    pub loc: Loc,
    /// Anchor on the rendered page.
    pub id: String,
    /// Whether the body has a heading for it (otherwise it is listed apart).
    pub in_body: bool,
    pub answered: bool,
}

/// Every document's URL, computed once: they are asked for on every link.
#[derive(Default)]
pub struct Urls {
    phases: Vec<String>,
    pages: Vec<String>,
    members: Vec<String>,
    roles: Vec<String>,
    norms: Vec<String>,
    cases: Vec<String>,
}

/// The resolved handbook: the only thing rendering reads.
pub struct Handbook {
    urls: Urls,
    pub config: BookConfig,
    pub sources: Vec<std::sync::Arc<Source>>,
    pub home: Option<Home>,
    /// Sorted by `order`, then folder name.
    pub phases: Vec<Phase>,
    /// For each phase, its pages in order.
    pub phase_pages: Vec<Vec<usize>>,
    /// Sorted by phase, then `order`, then title.
    pub pages: Vec<Page>,
    pub members: Vec<Member>,
    pub roles: Vec<Role>,
    pub norms: Vec<Norm>,
    pub cases: Vec<Case>,
    /// Per page and per case: its questions (a page's as loaded, see
    /// `Page::answers`).
    pub page_questions: Vec<Arc<[Question]>>,
    pub case_questions: Vec<Vec<Question>>,
    /// Per role: indices of the members who hold it.
    pub holders: Vec<Vec<usize>>,
    /// Per member: resolved role indices.
    pub member_roles: Vec<Vec<usize>>,
    /// Per role: resolved norm indices.
    pub role_norms: Vec<Vec<usize>>,
    /// Page owner (member index), norm owner, case member.
    pub page_owner: Vec<Option<usize>>,
    pub norm_owner: Vec<Option<Dest>>,
    pub case_member: Vec<Option<usize>>,
    /// Who refers to a document (front matter or body links), in site order.
    pub referrers: Map<DocKey, Vec<DocKey>>,
    /// Each document's body links (`analysis.links`), resolved once here
    /// for everything that reads them (the page, the print page and
    /// serve's fingerprints); `None` where the link is broken (and
    /// reported). Read through [`Handbook::body_link`].
    body_links: Map<DocKey, Vec<Option<Target>>>,
    /// The onboarding path, resolved.
    pub onboarding: Vec<Dest>,
    /// The members' expertise as topics, and per member its topics.
    pub topics: Vec<crate::topics::Topic>,
    pub member_topics: Vec<Vec<usize>>,
    /// `content/glossary.toml`, and per term the member to ask.
    pub glossary: crate::glossary::Glossary,
    pub glossary_ask: Vec<Option<usize>>,
    /// `content/meetings/`, by id; each one's facilitator (member or role)
    /// and, per answer page, its `meetings`.
    pub meetings: Vec<crate::meetings::Meeting>,
    pub meeting_facilitator: Vec<Option<Dest>>,
    pub page_meetings: Vec<Vec<usize>>,
    pub today: Date,
    /// Files copied as they are: (source file, output path).
    pub assets: Vec<(std::path::PathBuf, String)>,
    /// Copied files by source path (`content/01-define/a.png`) -> output path.
    asset_paths: Map<String, String>,
    /// Map from a source path (`content/roles/x.md`) to its document.
    by_path: Map<String, DocKey>,
    by_member: Map<String, usize>,
    by_role: Map<String, usize>,
    by_norm: Map<String, usize>,
    by_case: Map<String, usize>,
}

/// What `resolve` produces beside the handbook.
pub struct Resolved {
    pub handbook: Handbook,
    pub diags: Vec<Diagnostic>,
    /// Unanswered questions, which are errors only under `check --strict`.
    pub strict_diags: Vec<Diagnostic>,
}

// The orders readers see records in; a field edit that would move a
// record (see `Handbook::edit_kind`) needs a full resolve.
fn page_order(a: &Page, b: &Page) -> Ordering {
    (a.phase, a.order.unwrap_or(i64::MAX), &a.title, &a.slug).cmp(&(
        b.phase,
        b.order.unwrap_or(i64::MAX),
        &b.title,
        &b.slug,
    ))
}

fn member_order(a: &Member, b: &Member) -> Ordering {
    (a.name.to_lowercase().cmp(&b.name.to_lowercase())).then_with(|| a.id.cmp(&b.id))
}

fn role_order(a: &Role, b: &Role) -> Ordering {
    (a.title.to_lowercase().cmp(&b.title.to_lowercase())).then_with(|| a.id.cmp(&b.id))
}

fn norm_order(a: &Norm, b: &Norm) -> Ordering {
    (a.title.to_lowercase().cmp(&b.title.to_lowercase())).then_with(|| a.id.cmp(&b.id))
}

/// Whether `new`, in place of `v[i]`, still sorts between its neighbours.
fn keeps_place<T>(v: &[T], i: usize, new: &T, order: fn(&T, &T) -> Ordering) -> bool {
    let after_prev = i == 0 || order(&v[i - 1], new) == Ordering::Less;
    let before_next = v.get(i + 1).is_none_or(|n| order(new, n) == Ordering::Less);
    after_prev && before_next
}

/// The values of a list of ids, without where they are written.
fn values(v: &[Spanned<String>]) -> impl Iterator<Item = &str> {
    v.iter().map(|s| s.value.as_str())
}

fn value(v: &Option<Spanned<String>>) -> Option<&str> {
    v.as_ref().map(|s| s.value.as_str())
}

/// What an edit of one document's file changes, when it changes nothing
/// resolve worked out (see [`Handbook::edit_kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditKind {
    /// Only the body, and not its shape: only the document's own page
    /// shows it (beside the print page and the closure page).
    Prose,
    /// Front-matter fields that other pages may show (a title, a name, a
    /// status, a contact), but no id, reference, question or order.
    Fields,
}

fn sort_perm<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<usize> {
    // Returns old index -> new index.
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| cmp(&v[a], &v[b]));
    let mut old_to_new = vec![0; v.len()];
    for (new, &old) in idx.iter().enumerate() {
        old_to_new[old] = new;
    }
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    for &old in &idx {
        v.push(slots[old].take().expect("each index once"));
    }
    old_to_new
}

type IdMap = Map<String, usize>;

fn ids(m: &Map<String, usize>) -> impl Iterator<Item = &str> {
    m.keys().map(String::as_str)
}

impl Handbook {
    pub fn url(&self, key: DocKey) -> &str {
        let u = &self.urls;
        match key {
            DocKey::Home => "",
            DocKey::Phase(i) => &u.phases[i],
            DocKey::Page(i) => &u.pages[i],
            DocKey::Member(i) => &u.members[i],
            DocKey::Role(i) => &u.roles[i],
            DocKey::Norm(i) => &u.norms[i],
            DocKey::Case(i) => &u.cases[i],
        }
    }

    pub fn dest_url<'s>(&'s self, dest: &'s Dest) -> &'s str {
        match dest {
            Dest::Doc(k) => self.url(*k),
            Dest::Index(i) => i.url(),
            Dest::File(out) => out,
        }
    }

    pub fn title(&self, key: DocKey) -> &str {
        match key {
            DocKey::Home => self.home_title(),
            DocKey::Phase(i) => &self.phases[i].title,
            DocKey::Page(i) => &self.pages[i].title,
            DocKey::Member(i) => &self.members[i].name,
            DocKey::Role(i) => &self.roles[i].title,
            DocKey::Norm(i) => &self.norms[i].title,
            DocKey::Case(i) => self.case_title(i),
        }
    }

    pub fn dest_title(&self, dest: &Dest) -> String {
        match dest {
            Dest::Doc(k) => self.title(*k).to_owned(),
            Dest::Index(i) => i.title().to_owned(),
            Dest::File(out) => out.rsplit('/').next().unwrap_or(out).to_owned(),
        }
    }

    pub fn home_title(&self) -> &str {
        self.home
            .as_ref()
            .and_then(|h| h.title.as_deref())
            .unwrap_or(&self.config.title)
    }

    pub fn case_title(&self, i: usize) -> &str {
        self.cases[i]
            .title
            .as_deref()
            .unwrap_or("Case for participation")
    }

    pub fn doc(&self, key: DocKey) -> Option<&Doc> {
        match key {
            DocKey::Home => self.home.as_ref().map(|h| &h.doc),
            DocKey::Phase(i) => self.phases[i].doc.as_ref(),
            DocKey::Page(i) => Some(&self.pages[i].doc),
            DocKey::Member(i) => Some(&self.members[i].doc),
            DocKey::Role(i) => Some(&self.roles[i].doc),
            DocKey::Norm(i) => Some(&self.norms[i].doc),
            DocKey::Case(i) => Some(&self.cases[i].doc),
        }
    }

    pub fn body(&self, doc: &Doc) -> &str {
        &self.sources[doc.file].text[doc.body_start..]
    }

    pub fn source_path(&self, key: DocKey) -> Option<&str> {
        self.doc(key).map(|d| self.sources[d.file].path.as_str())
    }

    /// Anchors a document has on its rendered page.
    fn has_anchor(&self, key: DocKey, anchor: &str) -> bool {
        let in_body = self.doc(key).is_some_and(|d| d.analysis.has_anchor(anchor));
        let question = match key {
            DocKey::Page(i) => self.page_questions[i].iter().any(|q| q.id == anchor),
            DocKey::Case(i) => self.case_questions[i].iter().any(|q| q.id == anchor),
            _ => false,
        };
        in_body || question
    }

    fn anchors(&self, key: DocKey) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .doc(key)
            .map(|d| d.analysis.headings.iter().map(|h| h.id.as_str()).collect())
            .unwrap_or_default();
        if let DocKey::Page(i) = key {
            v.extend(self.page_questions[i].iter().map(|q| q.id.as_str()));
        }
        v
    }

    /// The `index`-th link of `from`'s body (in `analysis.links` order),
    /// written `target`: as resolve found it. Should the caller's count
    /// not match the analysis, the link is resolved now instead.
    pub fn body_link(
        &self,
        from: DocKey,
        index: usize,
        target: &str,
        wiki: bool,
    ) -> Option<Cow<'_, Target>> {
        let known = self.doc(from).and_then(|d| d.analysis.links.get(index));
        match (known, self.body_links.get(&from).and_then(|l| l.get(index))) {
            (Some(l), Some(t)) if l.target == target && l.wiki == wiki => {
                t.as_ref().map(Cow::Borrowed)
            }
            _ => self.resolve_link(from, target, wiki).ok().map(Cow::Owned),
        }
    }

    /// Resolves a link target written in the document `from` (a source
    /// path). One function serves both checking (resolve) and rendering.
    pub fn resolve_link(
        &self,
        from: DocKey,
        target: &str,
        wiki: bool,
    ) -> Result<Target, (String, Option<String>)> {
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p.trim(), Some(a.trim())),
            None => (target.trim(), None),
        };
        let dest = if path.is_empty() {
            Dest::Doc(from)
        } else if wiki {
            self.resolve_wiki(path)?
        } else {
            self.resolve_relative(from, path)?
        };
        let anchor = match anchor {
            Some(a) if !a.is_empty() => {
                let ok = match &dest {
                    Dest::Doc(k) => self.has_anchor(*k, a),
                    Dest::Index(_) | Dest::File(_) => false,
                };
                if !ok {
                    let hint = match &dest {
                        Dest::Doc(k) => did_you_mean(a, self.anchors(*k)),
                        Dest::Index(_) | Dest::File(_) => None,
                    };
                    return Err((
                        format!(
                            "`{}` has no heading with the anchor `#{a}`",
                            self.dest_title(&dest)
                        ),
                        hint,
                    ));
                }
                Some(a.to_owned())
            }
            _ => None,
        };
        Ok(Target { dest, anchor })
    }

    fn resolve_wiki(&self, path: &str) -> Result<Dest, (String, Option<String>)> {
        let path = path.trim_end_matches(".md");
        if let Some((kind, id)) = path.split_once(':') {
            let (map, dest): (&IdMap, fn(usize) -> DocKey) = match kind {
                "member" => (&self.by_member, DocKey::Member),
                "role" => (&self.by_role, DocKey::Role),
                "norm" => (&self.by_norm, DocKey::Norm),
                "case" => (&self.by_case, DocKey::Case),
                "page" => return self.resolve_page_path(id),
                _ => {
                    return Err((
                        format!("unknown link kind `{kind}:`"),
                        did_you_mean(kind, ["member", "role", "norm", "case", "page"])
                            .or_else(|| Some("use member:, role:, norm:, case: or page:".into())),
                    ));
                }
            };
            return match map.get(id) {
                Some(&i) => Ok(Dest::Doc(dest(i))),
                None => Err((format!("unknown {kind} `{id}`"), did_you_mean(id, ids(map)))),
            };
        }
        if path.contains('/') {
            return self.resolve_page_path(path);
        }
        let mut hits = Vec::new();
        if let Some(&i) = self.by_member.get(path) {
            hits.push(("member", Dest::Doc(DocKey::Member(i))));
        }
        if let Some(&i) = self.by_role.get(path) {
            hits.push(("role", Dest::Doc(DocKey::Role(i))));
        }
        if let Some(&i) = self.by_norm.get(path) {
            hits.push(("norm", Dest::Doc(DocKey::Norm(i))));
        }
        if let Some(i) = self
            .phases
            .iter()
            .position(|p| p.dir == path || p.slug == path)
        {
            hits.push(("phase", Dest::Doc(DocKey::Phase(i))));
        }
        if let Some(ix) = IndexPage::parse(path) {
            hits.push(("page", Dest::Index(ix)));
        }
        if path == "index" || path == "home" {
            hits.push(("page", Dest::Doc(DocKey::Home)));
        }
        match hits.len() {
            1 => Ok(hits.pop().expect("one").1),
            0 => {
                let all = self
                    .by_member
                    .keys()
                    .chain(self.by_role.keys())
                    .chain(self.by_norm.keys())
                    .map(String::as_str);
                Err((
                    format!("unknown link target `{path}`"),
                    did_you_mean(path, all),
                ))
            }
            _ => {
                let kinds: Vec<String> =
                    hits.iter().map(|(k, _)| format!("`{k}:{path}`")).collect();
                Err((
                    format!("link target `{path}` is ambiguous"),
                    Some(format!("write {}", kinds.join(" or "))),
                ))
            }
        }
    }

    /// `01-define/purpose` or `define/purpose` (folder and file stem).
    fn resolve_page_path(&self, path: &str) -> Result<Dest, (String, Option<String>)> {
        let path = path.trim_matches('/');
        if let Some(&key) = self.by_path.get(&format!("content/{path}.md")) {
            return Ok(Dest::Doc(key));
        }
        let (dir, stem) = path.rsplit_once('/').unwrap_or((path, ""));
        if let Some(pi) = self
            .phases
            .iter()
            .position(|p| p.dir == dir || p.slug == dir)
        {
            if stem.is_empty() {
                return Ok(Dest::Doc(DocKey::Phase(pi)));
            }
            if let Some(&i) = self.phase_pages[pi]
                .iter()
                .find(|&&i| self.pages[i].stem == stem || self.pages[i].slug == stem)
            {
                return Ok(Dest::Doc(DocKey::Page(i)));
            }
            let names = self.phase_pages[pi]
                .iter()
                .map(|&i| self.pages[i].stem.as_str());
            return Err((
                format!("phase `{dir}` has no page `{stem}`"),
                did_you_mean(stem, names),
            ));
        }
        let names = self.phases.iter().map(|p| p.dir.as_str());
        Err((format!("no page `{path}`"), did_you_mean(dir, names)))
    }

    fn resolve_relative(&self, from: DocKey, path: &str) -> Result<Dest, (String, Option<String>)> {
        let from_path = self.source_path(from).unwrap_or("content/index.md");
        let base = from_path.rsplit_once('/').map_or("", |(d, _)| d);
        let decoded = crate::urls::percent_decode(path);
        let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
        for seg in decoded.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        let joined = parts.join("/");
        if let Some(out) = self.asset_paths.get(&joined) {
            return Ok(Dest::File(out.clone()));
        }
        match self.by_path.get(&joined) {
            Some(&k) => Ok(Dest::Doc(k)),
            None => {
                let hint = did_you_mean(&joined, self.by_path.keys().map(String::as_str));
                Err((format!("link to `{path}`: no such file `{joined}`"), hint))
            }
        }
    }

    /// Every document in site order: the reading order, then members,
    /// roles, norms and cases.
    pub fn documents(&self) -> Vec<DocKey> {
        let mut keys = self.reading_order();
        keys.extend((0..self.members.len()).map(DocKey::Member));
        keys.extend((0..self.roles.len()).map(DocKey::Role));
        keys.extend((0..self.norms.len()).map(DocKey::Norm));
        keys.extend((0..self.cases.len()).map(DocKey::Case));
        keys
    }

    /// Phase reading order: home, then each phase and its pages.
    pub fn reading_order(&self) -> Vec<DocKey> {
        let mut v = vec![DocKey::Home];
        for (pi, pages) in self.phase_pages.iter().enumerate() {
            v.push(DocKey::Phase(pi));
            v.extend(pages.iter().map(|&i| DocKey::Page(i)));
        }
        v
    }

    /// The document a source file (`content/01-define/purpose.md`) holds.
    pub fn doc_at(&self, path: &str) -> Option<DocKey> {
        self.by_path.get(path).copied()
    }

    /// Whether `new`, the record just parsed again from the file of
    /// document `key` (its text `src`), leaves every fact resolve worked
    /// out true: ids, references, questions and their answers, body links
    /// and anchors, the order of records, and the warnings (a stale page
    /// or a vacant role is left to a full rebuild, which words them). What
    /// kind of edit it is, or `None` when the handbook must be resolved
    /// again. See [`Self::apply_edit`].
    pub fn edit_kind(&self, key: DocKey, new: &Record, src: &Source) -> Option<EditKind> {
        let same_kind = matches!(
            (key, new),
            (DocKey::Home, Record::Home(_))
                | (DocKey::Phase(_), Record::Phase(_))
                | (DocKey::Page(_), Record::Page(_))
                | (DocKey::Member(_), Record::Member(_))
                | (DocKey::Role(_), Record::Role(_))
                | (DocKey::Norm(_), Record::Norm(_))
                | (DocKey::Case(_), Record::Case(_))
        );
        let old = self.doc(key).filter(|_| same_kind)?;
        let doc = new.doc()?;
        if old.broken || doc.broken || !old.analysis.same_shape(&doc.analysis) {
            return None;
        }
        let old_text = &self.sources[old.file].text;
        if old.body_start == doc.body_start
            && old_text.get(..old.body_start) == src.text.get(..doc.body_start)
        {
            return Some(EditKind::Prose);
        }
        let keeps = match (key, new) {
            (DocKey::Home, Record::Home(_)) => true,
            (DocKey::Phase(i), Record::Phase(p)) => {
                let o = &self.phases[i];
                p.dir == o.dir && p.order == o.order
            }
            (DocKey::Page(i), Record::Page(p)) => {
                let o = &self.pages[i];
                let mut p = p.as_ref().clone();
                p.phase = o.phase;
                let stale = |p: &Page| p.review_by.as_ref().is_some_and(|d| d.value < self.today);
                let same_answers = |a: &[Question], b: &[Question]| {
                    a.len() == b.len()
                        && a.iter().zip(b).all(|(a, b)| {
                            (&a.text, &a.id, a.in_body, a.answered)
                                == (&b.text, &b.id, b.in_body, b.answered)
                        })
                };
                values(&o.questions).eq(values(&p.questions))
                    && same_answers(&o.answers, &p.answers)
                    && value(&o.owner) == value(&p.owner)
                    && values(&o.members).eq(values(&p.members))
                    && values(&o.roles).eq(values(&p.roles))
                    && values(&o.norms).eq(values(&p.norms))
                    && values(&o.meetings).eq(values(&p.meetings))
                    && !stale(o)
                    && !stale(&p)
                    && keeps_place(&self.pages, i, &p, page_order)
            }
            (DocKey::Member(i), Record::Member(m)) => {
                let o = &self.members[i];
                values(&o.roles).eq(values(&m.roles))
                    && o.expertise == m.expertise
                    && keeps_place(&self.members, i, m, member_order)
            }
            (DocKey::Role(i), Record::Role(r)) => {
                values(&self.roles[i].norms).eq(values(&r.norms))
                    && !self.holders[i].is_empty()
                    && keeps_place(&self.roles, i, r, role_order)
            }
            (DocKey::Norm(i), Record::Norm(n)) => {
                value(&self.norms[i].owner) == value(&n.owner)
                    && keeps_place(&self.norms, i, n, norm_order)
            }
            (DocKey::Case(i), Record::Case(c)) => {
                let o = &self.cases[i];
                o.member.value == c.member.value && values(&o.questions).eq(values(&c.questions))
            }
            _ => false,
        };
        keeps.then_some(EditKind::Fields)
    }

    /// Puts `new`, parsed again from the file of document `key` (its text
    /// `src`), in place of the record, after [`Self::edit_kind`] said the
    /// edit changes nothing resolved: so nothing needs resolving again.
    pub fn apply_edit(&mut self, key: DocKey, mut new: Record, src: Arc<Source>) {
        let (Some(file), Some(doc)) = (self.doc(key).map(|d| d.file), new.doc_mut()) else {
            return;
        };
        doc.file = file;
        self.sources[file] = src;
        match (key, new) {
            (DocKey::Home, Record::Home(h)) => self.home = Some(h),
            (DocKey::Phase(i), Record::Phase(p)) => self.phases[i] = p,
            (DocKey::Page(i), Record::Page(mut p)) => {
                p.phase = self.pages[i].phase;
                self.page_questions[i] = Arc::clone(&p.answers);
                self.pages[i] = *p;
            }
            (DocKey::Member(i), Record::Member(m)) => self.members[i] = *m,
            (DocKey::Role(i), Record::Role(r)) => self.roles[i] = *r,
            (DocKey::Norm(i), Record::Norm(n)) => self.norms[i] = *n,
            (DocKey::Case(i), Record::Case(c)) => {
                self.case_questions[i] = questions_of(&c.questions, &c.doc);
                self.cases[i] = *c;
            }
            // Refused by `edit_kind`.
            _ => {}
        }
    }

    pub fn member_index(&self, id: &str) -> Option<usize> {
        self.by_member.get(id).copied()
    }

    pub fn role_index(&self, id: &str) -> Option<usize> {
        self.by_role.get(id).copied()
    }

    pub fn norm_index(&self, id: &str) -> Option<usize> {
        self.by_norm.get(id).copied()
    }

    /// The pages a member owns ("who to ask").
    pub fn owned_pages(&self, member: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.pages.len()).filter(move |&p| self.page_owner[p] == Some(member))
    }

    pub fn progress(&self) -> crate::diag::Progress {
        let qs = self.page_questions.iter().flat_map(|q| q.iter());
        crate::diag::Progress {
            questions: qs.clone().count(),
            answered: qs.filter(|q| q.answered).count(),
        }
    }

    /// Every generated page this handbook has, in sidebar order. One list
    /// serves rendering, the sidebar and the sitemap.
    pub fn index_pages(&self) -> Vec<IndexPage> {
        let mut v = Vec::new();
        if !self.onboarding.is_empty() {
            v.push(IndexPage::Start);
        }
        v.extend([IndexPage::Members, IndexPage::Roles, IndexPage::Norms]);
        if !self.cases.is_empty() {
            v.push(IndexPage::Cases);
        }
        if !self.topics.is_empty() {
            v.push(IndexPage::Topics);
        }
        if !self.glossary.is_empty() {
            v.push(IndexPage::Glossary);
        }
        if !self.meetings.is_empty() {
            v.push(IndexPage::Meetings);
        }
        if self.config.closed {
            v.push(IndexPage::Closure);
        }
        v.extend([IndexPage::Progress, IndexPage::Print, IndexPage::Search]);
        v
    }

    /// The closure phase: slug `close`, or else the first whose slug
    /// contains `clos` (`closure`, `closing`).
    pub fn closure_phase(&self) -> Option<usize> {
        self.phases
            .iter()
            .position(|p| p.slug == "close")
            .or_else(|| self.phases.iter().position(|p| p.slug.contains("clos")))
    }

    pub fn is_stale(&self, page: usize) -> bool {
        self.pages[page]
            .review_by
            .as_ref()
            .is_some_and(|d| d.value < self.today)
    }
}

/// Meetings: facilitators (a member or a role), the pages' `meetings`,
/// and the links in the meetings' notes (resolved as from the home page).
fn resolve_meetings(hb: &mut Handbook, diags: &mut Vec<Diagnostic>) {
    let mut facilitators = Vec::with_capacity(hb.meetings.len());
    for m in &hb.meetings {
        let path = &hb.sources[m.doc.file].path;
        facilitators.push(m.facilitator.as_ref().and_then(|f| {
            if let Some(&i) = hb.by_member.get(&f.value) {
                Some(Dest::Doc(DocKey::Member(i)))
            } else if let Some(&i) = hb.by_role.get(&f.value) {
                Some(Dest::Doc(DocKey::Role(i)))
            } else {
                let all = ids(&hb.by_member).chain(ids(&hb.by_role));
                diags.push(
                    Diagnostic::error(
                        path,
                        f.loc,
                        format!(
                            "unknown facilitator `{}`: no member or role has this id",
                            f.value
                        ),
                    )
                    .with_hint(did_you_mean(&f.value, all)),
                );
                None
            }
        }));
        let src = &hb.sources[m.doc.file];
        for link in &m.doc.analysis.links {
            if let Err((msg, hint)) = hb.resolve_link(DocKey::Home, &link.target, link.wiki) {
                let hint = hint.or_else(|| {
                    (!link.wiki).then(|| {
                        "in meeting notes, link with [[wiki links]] such as [[03-plan/collaborative-plan]]".to_owned()
                    })
                });
                diags.push(
                    Diagnostic::error(
                        src.path.clone(),
                        src.loc(m.doc.body_start + link.offset),
                        msg,
                    )
                    .with_hint(hint),
                );
            }
        }
    }
    let by_id: Map<&str, usize> = hb
        .meetings
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i))
        .collect();
    let mut page_meetings = Vec::with_capacity(hb.pages.len());
    for p in &hb.pages {
        let path = &hb.sources[p.doc.file].path;
        let mut v = Vec::new();
        for id in &p.meetings {
            match by_id.get(id.value.as_str()) {
                Some(&i) => v.push(i),
                None => diags.push(
                    Diagnostic::error(path, id.loc, format!("unknown meeting `{}`", id.value))
                        .with_hint(did_you_mean(&id.value, by_id.keys().copied()).or_else(|| {
                            Some(format!(
                                "add content/meetings/{}.md, or fix the id",
                                id.value
                            ))
                        })),
                ),
            }
        }
        page_meetings.push(v);
    }
    hb.meeting_facilitator = facilitators;
    hb.page_meetings = page_meetings;
}

/// A path relative to the book root with `/` separators.
fn rel_to(root: &std::path::Path, p: &std::path::Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    r.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The questions of a page or case, each with its anchor and whether
/// `doc`'s body answers it: what the file alone says.
pub(crate) fn questions_of(questions: &[Spanned<String>], doc: &Doc) -> Vec<Question> {
    // Ids for questions without a heading must not collide with the
    // headings' ids; the id generator is made only when one needs it.
    let mut idgen: Option<IdGen> = None;
    questions
        .iter()
        .map(|q| {
            let heading = doc.analysis.question_heading(&q.value);
            let id = match heading {
                Some(h) => h.id.clone(),
                None => idgen
                    .get_or_insert_with(|| {
                        let mut g = IdGen::default();
                        for h in &doc.analysis.headings {
                            g.unique(h.id.clone());
                        }
                        g
                    })
                    .unique(github_id(&q.value)),
            };
            Question {
                text: q.value.clone(),
                loc: q.loc,
                id,
                in_body: heading.is_some(),
                answered: heading.is_some_and(|h| h.has_content),
            }
        })
        .collect()
}

pub fn resolve(mut l: Loaded, today: Date) -> Resolved {
    let mut diags = std::mem::take(&mut l.diags);
    // Order everything the way readers see it.
    let phase_map = sort_perm(&mut l.phases, |a, b| {
        a.order.cmp(&b.order).then_with(|| a.dir.cmp(&b.dir))
    });
    for p in &mut l.pages {
        p.phase = phase_map[p.phase];
    }
    sort_perm(&mut l.pages, page_order);
    sort_perm(&mut l.members, member_order);
    sort_perm(&mut l.roles, role_order);
    sort_perm(&mut l.norms, norm_order);
    sort_perm(&mut l.cases, |a, b| a.id.cmp(&b.id));

    let mut phase_pages = vec![Vec::new(); l.phases.len()];
    for (i, p) in l.pages.iter().enumerate() {
        phase_pages[p.phase].push(i);
    }
    let index_of = |it: &mut dyn Iterator<Item = &String>| -> Map<String, usize> {
        let mut m = Map::default();
        for (i, id) in it.enumerate() {
            m.entry(id.clone()).or_insert(i);
        }
        m
    };
    let by_member = index_of(&mut l.members.iter().map(|m| &m.id));
    let by_role = index_of(&mut l.roles.iter().map(|r| &r.id));
    let by_norm = index_of(&mut l.norms.iter().map(|n| &n.id));
    let by_case = index_of(&mut l.cases.iter().map(|c| &c.id));

    let mut by_path = Map::default();
    let mut path_of = |doc: &Doc, key: DocKey| {
        by_path.insert(l.sources[doc.file].path.clone(), key);
    };
    if let Some(h) = &l.home {
        path_of(&h.doc, DocKey::Home);
    }
    for (i, p) in l.phases.iter().enumerate() {
        if let Some(d) = &p.doc {
            path_of(d, DocKey::Phase(i));
        }
    }
    for (i, p) in l.pages.iter().enumerate() {
        path_of(&p.doc, DocKey::Page(i));
    }
    for (i, m) in l.members.iter().enumerate() {
        path_of(&m.doc, DocKey::Member(i));
    }
    for (i, r) in l.roles.iter().enumerate() {
        path_of(&r.doc, DocKey::Role(i));
    }
    for (i, n) in l.norms.iter().enumerate() {
        path_of(&n.doc, DocKey::Norm(i));
    }
    for (i, c) in l.cases.iter().enumerate() {
        path_of(&c.doc, DocKey::Case(i));
    }

    let page_questions: Vec<Arc<[Question]>> =
        l.pages.iter().map(|p| Arc::clone(&p.answers)).collect();
    let case_questions: Vec<Vec<Question>> = l
        .cases
        .iter()
        .map(|c| questions_of(&c.questions, &c.doc))
        .collect();

    let urls = Urls {
        phases: l.phases.iter().map(|p| format!("{}/", p.slug)).collect(),
        pages: l
            .pages
            .iter()
            .map(|p| format!("{}/{}/", l.phases[p.phase].slug, p.slug))
            .collect(),
        members: l
            .members
            .iter()
            .map(|m| format!("members/{}/", m.id))
            .collect(),
        roles: l.roles.iter().map(|r| format!("roles/{}/", r.id)).collect(),
        norms: l.norms.iter().map(|n| format!("norms/{}/", n.id)).collect(),
        cases: l.cases.iter().map(|c| format!("cases/{}/", c.id)).collect(),
    };
    let mut hb = Handbook {
        urls,
        config: l.config,
        sources: l.sources,
        home: l.home,
        phases: l.phases,
        phase_pages,
        pages: l.pages,
        members: l.members,
        roles: l.roles,
        norms: l.norms,
        cases: l.cases,
        page_questions,
        case_questions,
        holders: Vec::new(),
        member_roles: Vec::new(),
        role_norms: Vec::new(),
        page_owner: Vec::new(),
        norm_owner: Vec::new(),
        case_member: Vec::new(),
        referrers: Map::default(),
        body_links: Map::default(),
        onboarding: Vec::new(),
        topics: Vec::new(),
        member_topics: Vec::new(),
        glossary: l.glossary,
        glossary_ask: Vec::new(),
        meetings: {
            let mut m = l.meetings;
            m.sort_by(|a, b| a.id.cmp(&b.id));
            m
        },
        meeting_facilitator: Vec::new(),
        page_meetings: Vec::new(),
        today,
        asset_paths: l
            .assets
            .iter()
            .map(|(src, out)| (rel_to(&l.root, src), out.clone()))
            .collect(),
        assets: l.assets,
        by_path,
        by_member,
        by_role,
        by_norm,
        by_case,
    };

    let mut refs: Map<DocKey, BTreeSet<DocKey>> = Map::default();
    let mut refer = |to: DocKey, from: DocKey| {
        if to != from {
            refs.entry(to).or_default().insert(from);
        }
    };

    // Front-matter references.
    let lookup = |hb: &Handbook,
                  diags: &mut Vec<Diagnostic>,
                  path: &str,
                  kind: &str,
                  r: &Spanned<String>|
     -> Option<usize> {
        let map = match kind {
            "member" => &hb.by_member,
            "role" => &hb.by_role,
            _ => &hb.by_norm,
        };
        match map.get(r.value.as_str()) {
            Some(&i) => Some(i),
            None => {
                let hint = did_you_mean(&r.value, ids(map))
                    .or_else(|| Some(format!("add content/{kind}s/{}.md, or fix the id", r.value)));
                diags.push(
                    Diagnostic::error(path, r.loc, format!("unknown {kind} `{}`", r.value))
                        .with_hint(hint),
                );
                None
            }
        }
    };

    let mut holders = vec![Vec::new(); hb.roles.len()];
    let mut member_roles = Vec::with_capacity(hb.members.len());
    for (mi, m) in hb.members.iter().enumerate() {
        let path = &hb.sources[m.doc.file].path;
        let mut v = Vec::new();
        for r in &m.roles {
            if let Some(ri) = lookup(&hb, &mut diags, path, "role", r) {
                if !v.contains(&ri) {
                    v.push(ri);
                    holders[ri].push(mi);
                }
            }
        }
        member_roles.push(v);
    }
    let mut role_norms = Vec::with_capacity(hb.roles.len());
    for (ri, r) in hb.roles.iter().enumerate() {
        let path = &hb.sources[r.doc.file].path;
        let mut v = Vec::new();
        for n in &r.norms {
            if let Some(ni) = lookup(&hb, &mut diags, path, "norm", n) {
                v.push(ni);
                refer(DocKey::Norm(ni), DocKey::Role(ri));
            }
        }
        role_norms.push(v);
    }
    let mut page_owner = Vec::with_capacity(hb.pages.len());
    for (pi, p) in hb.pages.iter().enumerate() {
        let path = &hb.sources[p.doc.file].path;
        let me = DocKey::Page(pi);
        page_owner.push(
            p.owner
                .as_ref()
                .and_then(|o| lookup(&hb, &mut diags, path, "member", o)),
        );
        for m in &p.members {
            if let Some(i) = lookup(&hb, &mut diags, path, "member", m) {
                refer(DocKey::Member(i), me);
            }
        }
        for r in &p.roles {
            if let Some(i) = lookup(&hb, &mut diags, path, "role", r) {
                refer(DocKey::Role(i), me);
            }
        }
        for n in &p.norms {
            if let Some(i) = lookup(&hb, &mut diags, path, "norm", n) {
                refer(DocKey::Norm(i), me);
            }
        }
    }
    let mut norm_owner = Vec::with_capacity(hb.norms.len());
    for (ni, n) in hb.norms.iter().enumerate() {
        let path = &hb.sources[n.doc.file].path;
        let owner = n.owner.as_ref().and_then(|o| {
            let dest = if let Some(&i) = hb.by_member.get(&o.value) {
                DocKey::Member(i)
            } else if let Some(&i) = hb.by_role.get(&o.value) {
                DocKey::Role(i)
            } else {
                let all = ids(&hb.by_member).chain(ids(&hb.by_role));
                diags.push(
                    Diagnostic::error(path, o.loc, format!("unknown member or role `{}`", o.value))
                        .with_hint(did_you_mean(&o.value, all)),
                );
                return None;
            };
            refer(dest, DocKey::Norm(ni));
            Some(Dest::Doc(dest))
        });
        norm_owner.push(owner);
    }
    let mut case_member = Vec::with_capacity(hb.cases.len());
    for (ci, c) in hb.cases.iter().enumerate() {
        let path = &hb.sources[c.doc.file].path;
        let m = if c.member.value.is_empty() {
            None
        } else {
            lookup(&hb, &mut diags, path, "member", &c.member)
        };
        if let Some(mi) = m {
            refer(DocKey::Member(mi), DocKey::Case(ci));
        }
        case_member.push(m);
    }

    // Body links, looked up in parallel, then recorded in order.
    let keys: Vec<DocKey> = hb.documents();
    let looked_up: Vec<Vec<Result<Target, Diagnostic>>> = keys
        .par_iter()
        .map(|&key| {
            let Some(doc) = hb.doc(key) else {
                return Vec::new();
            };
            let src = &hb.sources[doc.file];
            doc.analysis
                .links
                .iter()
                .map(|link| {
                    hb.resolve_link(key, &link.target, link.wiki)
                        .map_err(|(msg, hint)| {
                            Diagnostic::error(
                                src.path.clone(),
                                src.loc(doc.body_start + link.offset),
                                msg,
                            )
                            .with_hint(hint)
                        })
                })
                .collect()
        })
        .collect();
    let mut body_links = Map::with_capacity_and_hasher(keys.len(), Default::default());
    for (&key, links) in keys.iter().zip(looked_up) {
        let mut targets = Vec::with_capacity(links.len());
        for link in links {
            match link {
                Ok(t) => {
                    if let Dest::Doc(to) = t.dest {
                        refer(to, key);
                    }
                    targets.push(Some(t));
                }
                Err(d) => {
                    diags.push(d);
                    targets.push(None);
                }
            }
        }
        body_links.insert(key, targets);
    }
    hb.body_links = body_links;

    // Onboarding path: files relative to content/, or an index page name.
    let mut onboarding = Vec::new();
    for step in &hb.config.onboarding {
        let v = step.value.trim().trim_matches('/');
        let dest = if let Some(ix) = IndexPage::parse(v) {
            Some(Dest::Index(ix))
        } else if let Some(&k) = hb.by_path.get(&format!("content/{v}")) {
            Some(Dest::Doc(k))
        } else if let Some(pi) = hb.phases.iter().position(|p| p.dir == v) {
            Some(Dest::Doc(DocKey::Phase(pi)))
        } else {
            let candidates = hb.by_path.keys().filter_map(|p| p.strip_prefix("content/"));
            diags.push(
                Diagnostic::error("book.toml", step.loc, format!("onboarding step `{v}` is not a page of the handbook"))
                    .with_hint(did_you_mean(v, candidates).or_else(|| {
                        Some("use a path under content/ such as `01-define/purpose.md`, or members, roles, norms, progress".into())
                    })),
            );
            None
        };
        onboarding.extend(dest);
    }

    // Warnings: stale pages and vacant roles. Strict-only: unanswered questions.
    for p in &hb.pages {
        if let Some(rb) = &p.review_by {
            if rb.value < today {
                diags.push(
                    Diagnostic::warning(
                        hb.sources[p.doc.file].path.clone(),
                        rb.loc,
                        format!("page is stale: its review date {} has passed", rb.value),
                    )
                    .with_hint(Some(
                        "review the page, then move `review-by` forward".into(),
                    )),
                );
            }
        }
    }
    // A member file that failed to load may hold any role: no vacancy
    // warnings until it is fixed.
    let members_complete = !hb.members.iter().any(|m| m.doc.broken);
    for (ri, r) in hb.roles.iter().enumerate() {
        if holders[ri].is_empty() && members_complete {
            diags.push(
                Diagnostic::warning(
                    hb.sources[r.doc.file].path.clone(),
                    r.loc,
                    format!("role `{}` is vacant: no member holds it", r.id),
                )
                .with_hint(Some(format!(
                    "add \"{}\" to the `roles` of the member who takes it on",
                    r.id
                ))),
            );
        }
    }
    let mut strict_diags = Vec::new();
    for (pi, p) in hb.pages.iter().enumerate() {
        for q in hb.page_questions[pi].iter().filter(|q| !q.answered) {
            let how = if q.in_body {
                "write the answer under its heading"
            } else {
                "add a heading with the question's text and the answer under it"
            };
            strict_diags.push(
                Diagnostic::error(
                    hb.sources[p.doc.file].path.clone(),
                    q.loc,
                    format!("unanswered question: {}", q.text),
                )
                .with_hint(Some(how.into())),
            );
        }
    }

    hb.holders = holders;
    hb.member_roles = member_roles;
    hb.role_norms = role_norms;
    hb.page_owner = page_owner;
    hb.norm_owner = norm_owner;
    hb.case_member = case_member;
    hb.onboarding = onboarding;
    (hb.topics, hb.member_topics) = crate::topics::collect(&hb.members);
    let member_ids: Vec<&str> = hb.members.iter().map(|m| m.id.as_str()).collect();
    hb.glossary_ask = crate::glossary::resolve_asks(
        &hb.glossary,
        |id| hb.by_member.get(id).copied(),
        &member_ids,
        &mut diags,
    );
    resolve_meetings(&mut hb, &mut diags);
    let order: Map<DocKey, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    hb.referrers = refs
        .into_iter()
        .map(|(k, set)| {
            let mut v: Vec<DocKey> = set.into_iter().collect();
            v.sort_by_key(|k| order.get(k).copied().unwrap_or(usize::MAX));
            (k, v)
        })
        .collect();
    Resolved {
        handbook: hb,
        diags,
        strict_diags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `body_link` gives is what `resolve_link` gives, for every link
    /// of every body of the good fixture, read back without resolving
    /// again; asked with a count that does not match the analysis
    /// (another link's index), it resolves the link it is given, not the
    /// one at that index.
    #[test]
    fn body_links_are_resolved_once_and_read_back_by_index() {
        let hb = crate::build::good_fixture();
        let mut seen = 0;
        for key in hb.documents() {
            let Some(doc) = hb.doc(key) else { continue };
            let links = &doc.analysis.links;
            for (i, l) in links.iter().enumerate() {
                let fresh = hb.resolve_link(key, &l.target, l.wiki).ok();
                let kept = hb.body_link(key, i, &l.target, l.wiki);
                assert_eq!(kept.as_deref(), fresh.as_ref(), "{key:?} link {i}");
                assert!(
                    matches!(kept, None | Some(Cow::Borrowed(_))),
                    "read back, not resolved again"
                );
                // The neighbour's index with this link's target.
                let other = (i + 1) % links.len();
                if links[other].target != l.target {
                    let misread = hb.body_link(key, other, &l.target, l.wiki);
                    assert_eq!(
                        misread.as_deref(),
                        fresh.as_ref(),
                        "{key:?} link {i} at {other}"
                    );
                }
                seen += 1;
            }
        }
        assert!(seen > 10, "the fixture's bodies have links ({seen})");
    }
}
