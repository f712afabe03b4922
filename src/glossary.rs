//! The glossary: `content/glossary.toml`, a list of `[[term]]` tables
//! (`term`, `definition`, `aliases`, `ask`). It gives `/glossary/`, and the
//! first use of each term on each page links to its definition there, with
//! the definition as a tooltip (`<dfn title>`: no JavaScript).
//!
//! Matching is one pass over each text event: the text is split into words,
//! and each word start is looked up (lower-cased) in a map from a phrase's
//! first word to the phrases that start with it, longest first. A term
//! written without lower-case letters (`FAIR`, `DCAT-AP`) is an acronym and
//! matches only as written; any other term matches in any case.

use crate::diag::{Diagnostic, did_you_mean};
use crate::fields::Fields;
use crate::markdown::{IdGen, escape_attr, escape_text, github_id};
use crate::source::{Loc, Source, Spanned};
use std::collections::HashMap;
use toml::de::DeValue;

/// Where the glossary lives, relative to the book root.
pub const PATH: &str = "content/glossary.toml";

const TERM_KEYS: &[&str] = &["term", "definition", "aliases", "ask"];

#[derive(Debug, Clone)]
pub struct Term {
    pub term: String,
    /// Anchor on `/glossary/`.
    pub id: String,
    pub definition: String,
    pub aliases: Vec<String>,
    /// A member id to ask about the term, checked by resolve.
    pub ask: Option<Spanned<String>>,
    /// Where the `[[term]]` table starts.
    pub loc: Loc,
}

/// One name a term is matched by: its words, and whether case matters.
#[derive(Debug, Clone)]
struct Phrase {
    words: Vec<String>,
    exact: bool,
    term: usize,
}

#[derive(Debug, Default)]
pub struct Glossary {
    /// Sorted by term, case-insensitively.
    pub terms: Vec<Term>,
    /// First word (lower case) -> phrases starting with it, longest first.
    index: HashMap<String, Vec<Phrase>>,
}

/// The words of `s`: runs of letters and digits, with their byte ranges.
fn words(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut it = s.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = it.by_ref().find(|(_, c)| c.is_alphanumeric())?;
        let mut end = s.len();
        while let Some(&(i, c)) = it.peek() {
            if !c.is_alphanumeric() {
                end = i;
                break;
            }
            it.next();
        }
        Some((start, end))
    })
}

/// What may separate the words of a multi-word term in running text.
fn is_joiner(sep: &str) -> bool {
    !sep.is_empty()
        && sep
            .chars()
            .all(|c| c.is_whitespace() || c == '-' || c == '\u{a0}')
}

impl Glossary {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    fn build_index(&mut self) {
        let mut index: HashMap<String, Vec<Phrase>> = HashMap::new();
        for (ti, t) in self.terms.iter().enumerate() {
            for name in std::iter::once(&t.term).chain(&t.aliases) {
                let exact = !name.chars().any(char::is_lowercase);
                let ws: Vec<String> = words(name)
                    .map(|(a, b)| {
                        if exact {
                            name[a..b].to_owned()
                        } else {
                            name[a..b].to_lowercase()
                        }
                    })
                    .collect();
                let Some(first) = ws.first() else { continue };
                index.entry(first.to_lowercase()).or_default().push(Phrase {
                    words: ws,
                    exact,
                    term: ti,
                });
            }
        }
        for v in index.values_mut() {
            v.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
        }
        self.index = index;
    }

    /// Links the first use on this page of each term in `text` (plain
    /// text, not yet escaped); `seen` records the terms already linked.
    /// Returns the HTML, or `None` when nothing in `text` was linked.
    pub fn link_text(&self, text: &str, href: &str, seen: &mut [bool]) -> Option<String> {
        if self.index.is_empty() {
            return None;
        }
        let mut left = seen.iter().filter(|s| !**s).count();
        if left == 0 {
            return None;
        }
        let spans: Vec<(usize, usize)> = words(text).collect();
        let mut out = String::new();
        let mut done = 0;
        let mut i = 0;
        // One lower-casing buffer for the whole text.
        let mut lower = String::new();
        while i < spans.len() && left > 0 {
            let (a, b) = spans[i];
            lower.clear();
            lower.extend(text[a..b].chars().flat_map(char::to_lowercase));
            let mut matched = None;
            if let Some(cands) = self.index.get(lower.as_str()) {
                for p in cands {
                    if seen[p.term] || i + p.words.len() > spans.len() {
                        continue;
                    }
                    let ok = p.words.iter().enumerate().all(|(k, w)| {
                        let (x, y) = spans[i + k];
                        let word = &text[x..y];
                        let same = if p.exact {
                            word == w
                        } else if k == 0 {
                            lower == *w
                        } else {
                            word.chars().flat_map(char::to_lowercase).eq(w.chars())
                        };
                        same && (k == 0 || is_joiner(&text[spans[i + k - 1].1..x]))
                    });
                    if ok {
                        matched = Some(p);
                        break;
                    }
                }
            }
            match matched {
                Some(p) => {
                    let end = spans[i + p.words.len() - 1].1;
                    let t = &self.terms[p.term];
                    seen[p.term] = true;
                    left -= 1;
                    out.push_str(&escape_text(&text[done..a]));
                    out.push_str(&format!(
                        "<a class=\"term\" href=\"{}#{}\"><dfn title=\"{}\">{}</dfn></a>",
                        escape_attr(href),
                        escape_attr(&t.id),
                        escape_attr(&t.definition),
                        escape_text(&text[a..end])
                    ));
                    done = end;
                    i += p.words.len();
                }
                None => i += 1,
            }
        }
        if done == 0 {
            return None;
        }
        out.push_str(&escape_text(&text[done..]));
        Some(out)
    }
}

/// Parses `content/glossary.toml`. Every problem is reported; a duplicate
/// term or alias (in any case) is an error at the second one.
pub fn parse(src: &Source, diags: &mut Vec<Diagnostic>) -> Glossary {
    let mut f = Fields::new(src, 0);
    let mut terms = Vec::new();
    if let Some(table) = f.parse(&src.text) {
        f.known_keys(&table, "glossary.toml", &["term"]);
        match table.get("term").map(|v| (v, v.get_ref())) {
            None => {}
            Some((_, DeValue::Array(items))) => {
                let mut names: HashMap<String, (String, Loc)> = HashMap::new();
                for item in items.iter() {
                    let DeValue::Table(t) = item.get_ref() else {
                        let loc = f.loc(item.span());
                        f.diags.push(Diagnostic::error(
                            src.path.clone(),
                            loc,
                            "each `term` must be a table: write `[[term]]`",
                        ));
                        continue;
                    };
                    let loc = f.loc(item.span());
                    f.known_keys(t, "a glossary term", TERM_KEYS);
                    let term = f.required_string(t, "term", "a glossary term", loc);
                    let definition = f.required_string(t, "definition", "a glossary term", loc);
                    let aliases = f.string_list(t, "aliases");
                    let ask = f.string(t, "ask");
                    let Some(term) = term else { continue };
                    for name in std::iter::once(&term).chain(&aliases) {
                        let key = name.value.trim().to_lowercase();
                        if words(&key).next().is_none() {
                            f.diags.push(Diagnostic::error(
                                src.path.clone(),
                                name.loc,
                                format!("`{}` has no letters or digits to match", name.value),
                            ));
                        } else if let Some((first, at)) = names.get(&key) {
                            f.diags.push(
                                Diagnostic::error(
                                    src.path.clone(),
                                    name.loc,
                                    format!(
                                        "`{}` is already in the glossary (as `{first}`, line {})",
                                        name.value, at.line
                                    ),
                                )
                                .with_hint(Some(
                                    "keep one entry, and make the other spelling an alias".into(),
                                )),
                            );
                        } else {
                            names.insert(key, (name.value.clone(), name.loc));
                        }
                    }
                    terms.push(Term {
                        term: term.value.trim().to_owned(),
                        id: String::new(),
                        definition: definition.map(|d| d.value).unwrap_or_default(),
                        aliases: aliases.into_iter().map(|a| a.value).collect(),
                        ask,
                        loc,
                    });
                }
            }
            Some((v, _)) => {
                let loc = f.loc(v.span());
                f.diags.push(Diagnostic::error(
                    src.path.clone(),
                    loc,
                    "`term` must be a list of tables: write each as `[[term]]`",
                ));
            }
        }
    }
    diags.append(&mut f.diags);
    terms.sort_by(|a: &Term, b: &Term| {
        a.term
            .to_lowercase()
            .cmp(&b.term.to_lowercase())
            .then_with(|| a.term.cmp(&b.term))
    });
    let mut ids = IdGen::default();
    ids.unique("main".to_owned());
    for t in &mut terms {
        t.id = ids.unique(github_id(&t.term));
    }
    let mut g = Glossary {
        terms,
        index: HashMap::new(),
    };
    g.build_index();
    g
}

/// Checks every `ask` against the members; returns the member of each term.
pub fn resolve_asks(
    g: &Glossary,
    member: impl Fn(&str) -> Option<usize>,
    member_ids: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Option<usize>> {
    g.terms
        .iter()
        .map(|t| {
            let ask = t.ask.as_ref()?;
            let m = member(&ask.value);
            if m.is_none() {
                diags.push(
                    Diagnostic::error(PATH, ask.loc, format!("unknown member `{}`", ask.value))
                        .with_hint(
                            did_you_mean(&ask.value, member_ids.iter().copied()).or_else(|| {
                                Some(format!(
                                    "add content/members/{}.md, or fix the id",
                                    ask.value
                                ))
                            }),
                        ),
                );
            }
            m
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glossary(toml: &str) -> (Glossary, Vec<Diagnostic>) {
        let src = Source::new(PATH.into(), toml.into());
        let mut d = Vec::new();
        (parse(&src, &mut d), d)
    }

    const G: &str = r#"
[[term]]
term = "FAIR"
definition = "Findable, accessible, interoperable, reusable"

[[term]]
term = "data steward"
definition = "Who looks after a data set"
aliases = ["data stewards", "stewardship"]

[[term]]
term = "data"
definition = "Facts"
"#;

    #[test]
    fn links_first_use_longest_match_acronyms_exact() {
        let (g, d) = glossary(G);
        assert!(d.is_empty(), "{d:?}");
        let mut seen = vec![false; g.terms.len()];
        let html = g
            .link_text(
                "A fair point: Data  Stewards keep FAIR data & FAIR.",
                "../g/",
                &mut seen,
            )
            .unwrap();
        assert_eq!(
            html,
            "A fair point: <a class=\"term\" href=\"../g/#data-steward\"><dfn title=\"Who looks after a data set\">Data  Stewards</dfn></a> keep <a class=\"term\" href=\"../g/#fair\"><dfn title=\"Findable, accessible, interoperable, reusable\">FAIR</dfn></a> <a class=\"term\" href=\"../g/#data\"><dfn title=\"Facts\">data</dfn></a> &amp; FAIR."
        );
        // Second text event on the same page: everything already linked.
        assert_eq!(g.link_text("data steward FAIR", "../g/", &mut seen), None);
        // Not across punctuation.
        let mut seen = vec![false; g.terms.len()];
        let html = g.link_text("raw data. Steward", "x/", &mut seen).unwrap();
        assert!(html.ends_with("</a>. Steward"), "{html}");
    }

    #[test]
    fn duplicates_are_errors_at_their_line() {
        let (_, d) = glossary(
            "[[term]]\nterm = \"FAIR\"\ndefinition = \"x\"\n[[term]]\nterm = \"Steward\"\ndefinition = \"y\"\naliases = [\"fair\"]\n[[term]]\nterm = \"x\"\ndefinitio = \"z\"\n",
        );
        let msgs: Vec<String> = d
            .iter()
            .map(|d| format!("{}:{}: {}", d.loc.line, d.loc.col, d.message))
            .collect();
        let mut msgs = msgs;
        msgs.sort();
        assert_eq!(
            msgs,
            [
                "10:1: unknown key `definitio` in a glossary term",
                "7:12: `fair` is already in the glossary (as `FAIR`, line 2)",
                "8:1: a glossary term is missing `definition`",
            ],
            "{d:?}"
        );
    }
}
