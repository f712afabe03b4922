//! Render: the resolved handbook through tera templates into output files
//! held in memory. Pages render in parallel; the sidebar is rendered once
//! per folder depth and shared, so navigation is never rebuilt per page.

use crate::diag::Diagnostic;
use crate::markdown::{self, Heading, RenderHooks, ResolvedLink};
use crate::model::{Participation, Status};
use crate::resolve::{Dest, DocKey, Handbook, IndexPage, Question};
use crate::source::Loc;
use crate::theme::Theme;
use crate::urls::{output_file, relative, root_prefix};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use tera::Context;

/// One file of the output site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

#[derive(Serialize, Clone)]
struct Link {
    href: String,
    title: String,
}

#[derive(Serialize)]
struct SiteCtx<'a> {
    title: &'a str,
    description: Option<&'a str>,
    language: &'a str,
    css: &'a str,
}

/// What every page's layout needs.
#[derive(Serialize)]
struct Base<'a> {
    title: &'a str,
    root: String,
    home: String,
    url: &'a str,
    nav: String,
    crumbs: Vec<Link>,
    prev: Option<Link>,
    next: Option<Link>,
    canonical: String,
    edit: Option<String>,
    source: Option<&'a str>,
}

#[derive(Serialize)]
struct QuestionCtx<'a> {
    text: &'a str,
    id: &'a str,
    answered: bool,
    in_body: bool,
}

#[derive(Serialize, Default)]
struct Count {
    questions: usize,
    answered: usize,
    percent: usize,
}

impl Count {
    fn of<'a>(qs: impl Iterator<Item = &'a Question>) -> Count {
        let (mut q, mut a) = (0, 0);
        for x in qs {
            q += 1;
            a += usize::from(x.answered);
        }
        Count {
            questions: q,
            answered: a,
            percent: (a * 100).checked_div(q).unwrap_or(100),
        }
    }
}

fn participation_label(p: Option<Participation>) -> &'static str {
    match p {
        Some(Participation::Core) => "core",
        Some(Participation::Active) => "active",
        Some(Participation::Occasional) => "occasional",
        Some(Participation::Peripheral) => "peripheral",
        Some(Participation::Sponsor) => "sponsor",
        None => "",
    }
}

/// The things one page links to, relative to its own URL.
struct Linker<'a> {
    hb: &'a Handbook,
    from: &'a str,
}

impl Linker<'_> {
    fn href(&self, to: &str) -> String {
        relative(self.from, to)
    }
    fn doc(&self, k: DocKey) -> Link {
        Link {
            href: self.href(&self.hb.url(k)),
            title: self.hb.title(k).to_owned(),
        }
    }
    fn dest(&self, d: &Dest) -> Link {
        Link {
            href: self.href(&self.hb.dest_url(d)),
            title: self.hb.dest_title(d),
        }
    }
    fn docs(&self, ks: impl IntoIterator<Item = DocKey>) -> Vec<Link> {
        ks.into_iter().map(|k| self.doc(k)).collect()
    }
}

/// Markdown hooks for one document: links resolved relative to the page,
/// unanswered questions marked with the person to ask.
struct Hooks<'a> {
    hb: &'a Handbook,
    key: DocKey,
    from: &'a str,
    questions: &'a [Question],
    owner: Option<Link>,
}

impl RenderHooks for Hooks<'_> {
    fn link(&self, target: &str, wiki: bool) -> Option<ResolvedLink> {
        let t = self.hb.resolve_link(self.key, target, wiki).ok()?;
        let mut href = if t.dest == Dest::Doc(self.key) && t.anchor.is_some() {
            String::new()
        } else {
            relative(self.from, &self.hb.dest_url(&t.dest))
        };
        if let Some(a) = &t.anchor {
            href.push('#');
            href.push_str(a);
        }
        Some(ResolvedLink {
            href,
            title: self.hb.dest_title(&t.dest),
        })
    }

    fn after_heading(&self, _index: usize, h: &Heading) -> Option<String> {
        let q = self
            .questions
            .iter()
            .find(|q| q.in_body && !q.answered && q.id == h.id)?;
        let _ = q;
        Some(unanswered_note(self.owner.as_ref()))
    }
}

fn unanswered_note(owner: Option<&Link>) -> String {
    let ask = match owner {
        Some(o) => format!(
            " Ask <a href=\"{}\">{}</a>.",
            markdown::escape_attr(&o.href),
            markdown::escape_text(&o.title)
        ),
        None => String::new(),
    };
    format!("<p class=\"unanswered\"><strong>Not answered yet.</strong>{ask}</p>\n")
}

/// What to render: each document, the index pages and the 404 page.
#[derive(Clone, Copy, Debug)]
enum Job {
    Doc(DocKey),
    Index(IndexPage),
    NotFound,
}

pub struct Renderer<'a> {
    hb: &'a Handbook,
    theme: &'a Theme,
    /// Sidebar HTML per folder depth and expanded phase window.
    navs: HashMap<NavKey, String>,
    /// The sidebar of the 404 page, with absolute links.
    nav_404: String,
    prev_next: HashMap<DocKey, (Option<DocKey>, Option<DocKey>)>,
}

impl<'a> Renderer<'a> {
    pub fn new(hb: &'a Handbook, theme: &'a Theme) -> Result<Self, Diagnostic> {
        // Every sidebar variant any page needs, rendered once each.
        let mut keys: Vec<NavKey> = (0..3).map(|depth| NavKey { depth, open: None }).collect();
        for pi in 0..hb.phases.len() {
            keys.push(NavKey {
                depth: 1,
                open: Some((pi, 0)),
            });
            let chunks = hb.phase_pages[pi].len().div_ceil(NAV_CHUNK);
            keys.extend((0..chunks).map(|c| NavKey {
                depth: 2,
                open: Some((pi, c)),
            }));
        }
        let navs = keys
            .into_par_iter()
            .map(|k| render_nav(hb, theme, &"x/".repeat(k.depth), k.open).map(|html| (k, html)))
            .collect::<Result<HashMap<_, _>, _>>()?;
        let nav_404 = render_nav(hb, theme, "", None)?
            .replace("href=\"./\"", "href=\"__ROOT__\"")
            .replace("href=\"", "href=\"__ROOT__")
            .replace("__ROOT____ROOT__", "__ROOT__");
        let mut prev_next = HashMap::new();
        let mut chain = |seq: Vec<DocKey>| {
            for (i, k) in seq.iter().enumerate() {
                let prev = i.checked_sub(1).map(|j| seq[j]);
                prev_next.insert(*k, (prev, seq.get(i + 1).copied()));
            }
        };
        chain(hb.reading_order());
        chain((0..hb.members.len()).map(DocKey::Member).collect());
        chain((0..hb.roles.len()).map(DocKey::Role).collect());
        chain((0..hb.norms.len()).map(DocKey::Norm).collect());
        chain((0..hb.cases.len()).map(DocKey::Case).collect());
        Ok(Renderer {
            hb,
            theme,
            navs,
            nav_404,
            prev_next,
        })
    }

    fn jobs(&self) -> Vec<Job> {
        let hb = self.hb;
        let mut jobs: Vec<Job> = hb.reading_order().into_iter().map(Job::Doc).collect();
        jobs.extend((0..hb.members.len()).map(|i| Job::Doc(DocKey::Member(i))));
        jobs.extend((0..hb.roles.len()).map(|i| Job::Doc(DocKey::Role(i))));
        jobs.extend((0..hb.norms.len()).map(|i| Job::Doc(DocKey::Norm(i))));
        jobs.extend((0..hb.cases.len()).map(|i| Job::Doc(DocKey::Case(i))));
        jobs.extend(
            [
                IndexPage::Members,
                IndexPage::Roles,
                IndexPage::Norms,
                IndexPage::Progress,
            ]
            .map(Job::Index),
        );
        if !hb.cases.is_empty() {
            jobs.push(Job::Index(IndexPage::Cases));
        }
        jobs.push(Job::NotFound);
        jobs
    }

    /// Renders every page in parallel. Errors are template errors.
    pub fn render_all(&self) -> Result<Vec<OutFile>, Vec<Diagnostic>> {
        let results: Vec<Result<OutFile, Diagnostic>> = self
            .jobs()
            .into_par_iter()
            .map(|j| self.render_job(j))
            .collect();
        let mut files = Vec::with_capacity(results.len());
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok(f) => files.push(f),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(files)
        } else {
            Err(errors)
        }
    }

    fn url_of(&self, job: Job) -> String {
        match job {
            Job::Doc(k) => self.hb.url(k),
            Job::Index(i) => i.url().to_owned(),
            Job::NotFound => "404.html".to_owned(),
        }
    }

    fn render_job(&self, job: Job) -> Result<OutFile, Diagnostic> {
        let hb = self.hb;
        let url = self.url_of(job);
        // The 404 page is served at any depth, so its links are absolute.
        let (root, nav) = if let Job::NotFound = job {
            let root = hb.config.site_url.clone();
            (root.clone(), self.nav_404.replace("__ROOT__", &root))
        } else {
            let depth = url.matches('/').count().min(2);
            let open = match job {
                Job::Doc(DocKey::Phase(pi)) => Some((pi, 0)),
                Job::Doc(DocKey::Page(i)) => {
                    let pi = hb.pages[i].phase;
                    let pos = hb.phase_pages[pi].iter().position(|&x| x == i).unwrap_or(0);
                    Some((pi, pos / NAV_CHUNK))
                }
                _ => None,
            };
            let nav = self
                .navs
                .get(&NavKey { depth, open })
                .cloned()
                .unwrap_or_default();
            (root_prefix(&url), nav)
        };
        let home = if root.is_empty() {
            "./".to_owned()
        } else {
            root.clone()
        };
        let link = Linker { hb, from: &url };
        let link = if let Job::NotFound = job {
            Linker { hb, from: "" }
        } else {
            link
        };
        let abs = |href: String| -> String {
            if let Job::NotFound = job {
                let h = href.trim_start_matches("./");
                format!("{root}{h}")
            } else {
                href
            }
        };
        let (title, template, data): (String, &str, serde_json::Value) =
            self.page_data(job, &link, &url)?;
        let crumbs = self
            .crumbs(job, &link)
            .into_iter()
            .map(|l| Link {
                href: abs(l.href),
                title: l.title,
            })
            .collect();
        let (prev, next) = match job {
            Job::Doc(k) => self.prev_next.get(&k).copied().unwrap_or((None, None)),
            _ => (None, None),
        };
        let source = match job {
            Job::Doc(k) => hb.source_path(k),
            _ => None,
        };
        let edit = match (&hb.config.repository, source) {
            (Some(r), Some(src)) => Some(format!("{}/edit/{}/{}", r.url, r.branch, src)),
            _ => None,
        };
        let current = format!("href=\"{}\"", link.href(&url));
        let nav = if matches!(job, Job::NotFound) {
            nav
        } else {
            nav.replacen(&current, &format!("{current} aria-current=\"page\""), 1)
        };
        let base = Base {
            title: &title,
            root: root.clone(),
            home,
            url: &url,
            nav,
            crumbs,
            prev: prev.map(|k| link.doc(k)),
            next: next.map(|k| link.doc(k)),
            canonical: format!(
                "{}{}",
                hb.config.site_url,
                if let Job::NotFound = job { "" } else { &url }
            ),
            edit,
            source,
        };
        let mut ctx = Context::new();
        ctx.insert("base", &base);
        ctx.insert("page", &data);
        ctx.insert("site", &self.site_ctx());
        let html = self.theme.render(template, &ctx)?;
        Ok(OutFile {
            path: output_file(&url),
            bytes: html.into_bytes(),
        })
    }

    fn site_ctx(&self) -> SiteCtx<'_> {
        SiteCtx {
            title: &self.hb.config.title,
            description: self.hb.config.description.as_deref(),
            language: &self.hb.config.language,
            css: &self.theme.css_path,
        }
    }

    fn crumbs(&self, job: Job, link: &Linker<'_>) -> Vec<Link> {
        let hb = self.hb;
        let home = Link {
            href: link.href(""),
            title: "Home".into(),
        };
        let index = |i: IndexPage| link.dest(&Dest::Index(i));
        match job {
            Job::Doc(DocKey::Home) | Job::NotFound => vec![],
            Job::Doc(DocKey::Phase(_)) | Job::Index(_) => vec![home],
            Job::Doc(DocKey::Page(i)) => vec![home, link.doc(DocKey::Phase(hb.pages[i].phase))],
            Job::Doc(DocKey::Member(_)) => vec![home, index(IndexPage::Members)],
            Job::Doc(DocKey::Role(_)) => vec![home, index(IndexPage::Roles)],
            Job::Doc(DocKey::Norm(_)) => vec![home, index(IndexPage::Norms)],
            Job::Doc(DocKey::Case(_)) => vec![home, index(IndexPage::Cases)],
        }
    }

    fn body_html(
        &self,
        key: DocKey,
        from: &str,
        questions: &[Question],
        owner: Option<Link>,
    ) -> String {
        let Some(doc) = self.hb.doc(key) else {
            return String::new();
        };
        let hooks = Hooks {
            hb: self.hb,
            key,
            from,
            questions,
            owner,
        };
        let mut out = String::new();
        markdown::render(self.hb.body(doc), &doc.analysis, &hooks, &mut out);
        out
    }

    fn questions_ctx(qs: &[Question]) -> Vec<QuestionCtx<'_>> {
        qs.iter()
            .map(|q| QuestionCtx {
                text: &q.text,
                id: &q.id,
                answered: q.answered,
                in_body: q.in_body,
            })
            .collect()
    }

    fn page_data(
        &self,
        job: Job,
        link: &Linker<'_>,
        url: &str,
    ) -> Result<(String, &'static str, serde_json::Value), Diagnostic> {
        let hb = self.hb;
        let to_value = |v: serde_json::Result<serde_json::Value>| {
            v.map_err(|e| Diagnostic::error("(render)", Loc::START, format!("internal error: {e}")))
        };
        let phase_summary = |pi: usize| {
            let p = &hb.phases[pi];
            let count = Count::of(
                hb.phase_pages[pi]
                    .iter()
                    .flat_map(|&i| &hb.page_questions[i]),
            );
            serde_json::json!({
                "link": link.doc(DocKey::Phase(pi)),
                "summary": p.summary,
                "count": count,
                "pages": hb.phase_pages[pi].iter().map(|&i| serde_json::json!({
                    "link": link.doc(DocKey::Page(i)),
                    "count": Count::of(hb.page_questions[i].iter()),
                    "status": hb.pages[i].status,
                    "stale": hb.is_stale(i),
                })).collect::<Vec<_>>(),
            })
        };
        let member_row = |mi: usize| {
            let m = &hb.members[mi];
            serde_json::json!({
                "link": link.doc(DocKey::Member(mi)),
                "organization": m.organization,
                "participation": participation_label(m.participation),
                "roles": hb.member_roles[mi].iter().map(|&r| link.doc(DocKey::Role(r))).collect::<Vec<_>>(),
            })
        };
        Ok(match job {
            Job::Doc(DocKey::Home) => {
                let body = self.body_html(DocKey::Home, url, &[], None);
                let phases: Vec<_> = (0..hb.phases.len()).map(phase_summary).collect();
                let v = serde_json::json!({
                    "body": body,
                    "phases": phases,
                    "count": Count::of(hb.page_questions.iter().flatten()),
                    "members": hb.members.len(),
                    "roles": hb.roles.len(),
                    "norms": hb.norms.len(),
                    "start": hb.onboarding.first().map(|d| link.dest(d)),
                });
                (hb.home_title().to_owned(), "index.html", v)
            }
            Job::Doc(k @ DocKey::Phase(pi)) => {
                let body = self.body_html(k, url, &[], None);
                let mut v = phase_summary(pi);
                v["body"] = body.into();
                (hb.phases[pi].title.clone(), "phase.html", v)
            }
            Job::Doc(k @ DocKey::Page(i)) => {
                let p = &hb.pages[i];
                let qs = &hb.page_questions[i];
                let owner = hb.page_owner[i].map(|m| link.doc(DocKey::Member(m)));
                let body = self.body_html(k, url, qs, owner.clone());
                let fm_links = |ids: &[crate::source::Spanned<String>], kind: fn(usize) -> DocKey, all: &[&str]| -> Vec<Link> {
                    ids.iter()
                        .filter_map(|s| all.iter().position(|x| *x == s.value).map(kind))
                        .map(|k| link.doc(k))
                        .collect()
                };
                let member_ids: Vec<&str> = hb.members.iter().map(|m| m.id.as_str()).collect();
                let role_ids: Vec<&str> = hb.roles.iter().map(|m| m.id.as_str()).collect();
                let norm_ids: Vec<&str> = hb.norms.iter().map(|m| m.id.as_str()).collect();
                let v = serde_json::json!({
                    "body": body,
                    "questions": Self::questions_ctx(qs),
                    "open": Self::questions_ctx(qs).into_iter().filter(|q| !q.in_body).collect::<Vec<_>>(),
                    "count": Count::of(qs.iter()),
                    "owner": owner,
                    "unanswered_note": unanswered_note(owner.as_ref()),
                    "status": p.status.map(|s| match s { Status::Draft => "draft", Status::Agreed => "agreed" }),
                    "review_by": p.review_by.as_ref().map(|d| d.value.to_string()),
                    "stale": hb.is_stale(i),
                    "phase": link.doc(DocKey::Phase(p.phase)),
                    "members": fm_links(&p.members, DocKey::Member, &member_ids),
                    "roles": fm_links(&p.roles, DocKey::Role, &role_ids),
                    "norms": fm_links(&p.norms, DocKey::Norm, &norm_ids),
                    "referrers": link.docs(hb.referrers.get(&k).cloned().unwrap_or_default()),
                });
                (p.title.clone(), "page.html", v)
            }
            Job::Doc(k @ DocKey::Member(i)) => {
                let m = &hb.members[i];
                let owns: Vec<DocKey> = (0..hb.pages.len()).filter(|&p| hb.page_owner[p] == Some(i)).map(DocKey::Page).collect();
                let cases: Vec<DocKey> = (0..hb.cases.len()).filter(|&c| hb.case_member[c] == Some(i)).map(DocKey::Case).collect();
                let v = serde_json::json!({
                    "body": self.body_html(k, url, &[], None),
                    "name": m.name,
                    "participation": participation_label(m.participation),
                    "organization": m.organization,
                    "expertise": m.expertise,
                    "joined": m.joined.map(|d| d.to_string()),
                    "contact": m.contact,
                    "contact_href": m.contact.as_deref().map(contact_href),
                    "roles": hb.member_roles[i].iter().map(|&r| link.doc(DocKey::Role(r))).collect::<Vec<_>>(),
                    "owns": link.docs(owns),
                    "cases": link.docs(cases),
                    "referrers": link.docs(hb.referrers.get(&k).cloned().unwrap_or_default()),
                });
                (m.name.clone(), "member.html", v)
            }
            Job::Doc(k @ DocKey::Role(i)) => {
                let r = &hb.roles[i];
                let v = serde_json::json!({
                    "body": self.body_html(k, url, &[], None),
                    "title": r.title,
                    "summary": r.summary,
                    "commitment": r.commitment,
                    "responsibilities": r.responsibilities,
                    "holders": hb.holders[i].iter().map(|&m| link.doc(DocKey::Member(m))).collect::<Vec<_>>(),
                    "vacant": hb.holders[i].is_empty(),
                    "norms": hb.role_norms[i].iter().map(|&n| link.doc(DocKey::Norm(n))).collect::<Vec<_>>(),
                    "referrers": link.docs(hb.referrers.get(&k).cloned().unwrap_or_default()),
                });
                (r.title.clone(), "role.html", v)
            }
            Job::Doc(k @ DocKey::Norm(i)) => {
                let n = &hb.norms[i];
                let v = serde_json::json!({
                    "body": self.body_html(k, url, &[], None),
                    "title": n.title,
                    "category": n.category,
                    "agreed": n.agreed.map(|d| d.to_string()),
                    "owner": hb.norm_owner[i].as_ref().map(|d| link.dest(d)),
                    "referrers": link.docs(hb.referrers.get(&k).cloned().unwrap_or_default()),
                });
                (n.title.clone(), "norm.html", v)
            }
            Job::Doc(k @ DocKey::Case(i)) => {
                let qs = &hb.case_questions[i];
                let member = hb.case_member[i].map(|m| link.doc(DocKey::Member(m)));
                let v = serde_json::json!({
                    "body": self.body_html(k, url, qs, member.clone()),
                    "title": hb.case_title(i),
                    "member": member,
                    "organization": hb.case_member[i].and_then(|m| hb.members[m].organization.clone()),
                    "questions": Self::questions_ctx(qs),
                    "open": Self::questions_ctx(qs).into_iter().filter(|q| !q.in_body).collect::<Vec<_>>(),
                    "count": Count::of(qs.iter()),
                    "unanswered_note": unanswered_note(member.as_ref()),
                });
                (hb.case_title(i).to_owned(), "case.html", v)
            }
            Job::Index(IndexPage::Members) => {
                let groups: Vec<_> = ["core", "active", "occasional", "peripheral", "sponsor", ""]
                    .iter()
                    .map(|level| {
                        let rows: Vec<_> = (0..hb.members.len())
                            .filter(|&m| participation_label(hb.members[m].participation) == *level)
                            .map(member_row)
                            .collect();
                        serde_json::json!({ "level": level, "members": rows })
                    })
                    .filter(|g| g["members"].as_array().is_some_and(|a| !a.is_empty()))
                    .collect();
                ("Members".into(), "members.html", serde_json::json!({ "groups": groups, "total": hb.members.len() }))
            }
            Job::Index(IndexPage::Roles) => {
                let roles: Vec<_> = (0..hb.roles.len())
                    .map(|r| {
                        serde_json::json!({
                            "link": link.doc(DocKey::Role(r)),
                            "summary": hb.roles[r].summary,
                            "commitment": hb.roles[r].commitment,
                            "holders": hb.holders[r].iter().map(|&m| link.doc(DocKey::Member(m))).collect::<Vec<_>>(),
                            "vacant": hb.holders[r].is_empty(),
                        })
                    })
                    .collect();
                let matrix: Vec<_> = (0..hb.members.len())
                    .map(|m| {
                        serde_json::json!({
                            "member": link.doc(DocKey::Member(m)),
                            "cells": (0..hb.roles.len()).map(|r| hb.member_roles[m].contains(&r)).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                ("Roles".into(), "roles.html", serde_json::json!({ "roles": roles, "matrix": matrix }))
            }
            Job::Index(IndexPage::Norms) => {
                let norms: Vec<_> = (0..hb.norms.len())
                    .map(|n| {
                        serde_json::json!({
                            "link": link.doc(DocKey::Norm(n)),
                            "category": hb.norms[n].category,
                            "agreed": hb.norms[n].agreed.map(|d| d.to_string()),
                            "owner": hb.norm_owner[n].as_ref().map(|d| link.dest(d)),
                        })
                    })
                    .collect();
                ("Norms".into(), "norms.html", serde_json::json!({ "norms": norms }))
            }
            Job::Index(IndexPage::Cases) => {
                let cases: Vec<_> = (0..hb.cases.len())
                    .map(|c| {
                        serde_json::json!({
                            "link": link.doc(DocKey::Case(c)),
                            "member": hb.case_member[c].map(|m| link.doc(DocKey::Member(m))),
                            "count": Count::of(hb.case_questions[c].iter()),
                        })
                    })
                    .collect();
                ("Cases for participation".into(), "cases.html", serde_json::json!({ "cases": cases }))
            }
            Job::Index(IndexPage::Progress) => {
                let phases: Vec<_> = (0..hb.phases.len()).map(phase_summary).collect();
                let mut unanswered = Vec::new();
                for (i, qs) in hb.page_questions.iter().enumerate() {
                    for q in qs.iter().filter(|q| !q.answered) {
                        let mut l = link.doc(DocKey::Page(i));
                        l.href = format!("{}#{}", l.href, q.id);
                        unanswered.push(serde_json::json!({
                            "question": q.text,
                            "link": l,
                            "owner": hb.page_owner[i].map(|m| link.doc(DocKey::Member(m))),
                        }));
                    }
                }
                let stale: Vec<_> = (0..hb.pages.len())
                    .filter(|&i| hb.is_stale(i))
                    .map(|i| {
                        serde_json::json!({
                            "link": link.doc(DocKey::Page(i)),
                            "review_by": hb.pages[i].review_by.as_ref().map(|d| d.value.to_string()),
                            "owner": hb.page_owner[i].map(|m| link.doc(DocKey::Member(m))),
                        })
                    })
                    .collect();
                let drafts: Vec<_> = (0..hb.pages.len())
                    .filter(|&i| hb.pages[i].status == Some(Status::Draft))
                    .map(|i| {
                        serde_json::json!({
                            "link": link.doc(DocKey::Page(i)),
                            "owner": hb.page_owner[i].map(|m| link.doc(DocKey::Member(m))),
                        })
                    })
                    .collect();
                let vacant: Vec<_> = (0..hb.roles.len()).filter(|&r| hb.holders[r].is_empty()).map(|r| link.doc(DocKey::Role(r))).collect();
                let v = serde_json::json!({
                    "count": Count::of(hb.page_questions.iter().flatten()),
                    "phases": phases,
                    "unanswered": unanswered,
                    "stale": stale,
                    "drafts": drafts,
                    "vacant": vacant,
                    "today": hb.today.to_string(),
                });
                ("Progress".into(), "progress.html", v)
            }
            Job::NotFound => ("Page not found".into(), "404.html", serde_json::json!({})),
        })
        .and_then(|(t, tpl, v)| Ok((t, tpl, to_value(Ok(v))?)))
    }
}

fn contact_href(c: &str) -> String {
    if c.contains('@') && !c.contains(':') {
        format!("mailto:{c}")
    } else {
        c.to_owned()
    }
}

/// How many pages of a phase the sidebar lists at once. Listing every page
/// on every page would make the site O(n²) in size; the phase's own page
/// lists them all.
const NAV_CHUNK: usize = 40;

/// One variant of the sidebar: the folder depth its links are relative to,
/// and which phase (and which window of its pages) is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct NavKey {
    depth: usize,
    open: Option<(usize, usize)>,
}

#[derive(Serialize)]
struct NavPhase {
    href: String,
    title: String,
    pages: Vec<Link>,
    before: usize,
    after: usize,
}

/// The sidebar as seen from a page at `from` (only its depth matters), with
/// phase `open.0` expanded at window `open.1`.
fn render_nav(
    hb: &Handbook,
    theme: &Theme,
    from: &str,
    open: Option<(usize, usize)>,
) -> Result<String, Diagnostic> {
    let link = Linker { hb, from };
    let phases: Vec<NavPhase> = (0..hb.phases.len())
        .map(|pi| {
            let all = &hb.phase_pages[pi];
            let (pages, before, after) = match open {
                Some((p, chunk)) if p == pi => {
                    let start = (chunk * NAV_CHUNK).min(all.len());
                    let end = (start + NAV_CHUNK).min(all.len());
                    (
                        link.docs(all[start..end].iter().map(|&i| DocKey::Page(i))),
                        start,
                        all.len() - end,
                    )
                }
                _ => (Vec::new(), 0, 0),
            };
            NavPhase {
                href: link.href(&hb.url(DocKey::Phase(pi))),
                title: hb.phases[pi].title.clone(),
                pages,
                before,
                after,
            }
        })
        .collect();
    let mut extra: Vec<Link> = vec![
        link.dest(&Dest::Index(IndexPage::Members)),
        link.dest(&Dest::Index(IndexPage::Roles)),
        link.dest(&Dest::Index(IndexPage::Norms)),
    ];
    if !hb.cases.is_empty() {
        extra.push(link.dest(&Dest::Index(IndexPage::Cases)));
    }
    extra.push(link.dest(&Dest::Index(IndexPage::Progress)));
    let mut ctx = Context::new();
    ctx.insert("home", &link.href(""));
    ctx.insert("phases", &phases);
    ctx.insert("extra", &extra);
    theme.render("nav.html", &ctx)
}
