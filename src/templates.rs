//! The built-in question templates, drawn from the CoP planning guides and
//! kept as data in `templates/*.toml` (embedded at compile time).

use serde::Deserialize;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    pub description: String,
    pub phases: Vec<TemplatePhase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatePhase {
    pub dir: String,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub intro: String,
    pub pages: Vec<TemplatePage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatePage {
    pub file: String,
    pub title: String,
    #[serde(default)]
    pub intro: String,
    pub questions: Vec<String>,
}

/// The case for participation (`copbook new case`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseTemplate {
    pub name: String,
    pub description: String,
    pub title: String,
    pub sections: Vec<CaseSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSection {
    pub title: String,
    pub questions: Vec<String>,
}

/// Starter roles, norms and the example member every `init` writes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Starter {
    pub roles: Vec<StarterRole>,
    pub norms: Vec<StarterNorm>,
    pub example_member: StarterMember,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterRole {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub responsibilities: Vec<String>,
    pub commitment: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterNorm {
    pub id: String,
    pub title: String,
    pub category: String,
    pub statement: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterMember {
    pub id: String,
    pub name: String,
    pub participation: String,
    pub organization: String,
    pub expertise: Vec<String>,
    pub roles: Vec<String>,
    pub bio: String,
}

/// Files that are not handbook templates.
const SPECIAL: &[&str] = &["case", "starter"];

fn file(stem: &str) -> Option<&'static str> {
    embedded::FILES
        .iter()
        .find(|(n, _)| *n == stem)
        .map(|(_, t)| *t)
}

/// Parses an embedded file. They are tested in CI, so a failure here is a
/// bug in copbook, reported rather than panicking.
fn parse<T: for<'de> Deserialize<'de>>(stem: &str) -> Result<T, String> {
    let text = file(stem).ok_or_else(|| format!("built-in template file `{stem}` is missing"))?;
    toml::from_str(text)
        .map_err(|e| format!("built-in template `{stem}` is invalid (a copbook bug): {e}"))
}

/// Names of the handbook templates, `lifecycle` first.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&str> = embedded::FILES
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !SPECIAL.contains(n))
        .collect();
    v.sort_by_key(|n| (*n != "lifecycle", *n));
    v
}

pub fn template(name: &str) -> Result<Template, String> {
    if !names().contains(&name) {
        let hint = crate::diag::did_you_mean(name, names())
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        return Err(format!(
            "unknown template `{name}`{hint}\navailable templates: {}",
            names().join(", ")
        ));
    }
    parse(name)
}

pub fn case() -> Result<CaseTemplate, String> {
    parse("case")
}

pub fn starter() -> Result<Starter, String> {
    parse("starter")
}

impl Template {
    pub fn question_count(&self) -> usize {
        self.phases
            .iter()
            .flat_map(|p| &p.pages)
            .map(|p| p.questions.len())
            .sum()
    }
}
