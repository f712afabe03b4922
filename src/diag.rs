//! Diagnostics: every problem found in a run, collected rather than thrown,
//! and printed as `path:line:col: error: message` so editors and CI can jump
//! to the spot.

use crate::source::{Loc, Source};
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub loc: Loc,
    pub severity: Severity,
    pub message: String,
    /// What the user can do about it ("did you mean `facilitator`?").
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(path: impl Into<String>, loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.into(),
            loc,
            severity: Severity::Error,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(path: impl Into<String>, loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, loc, message)
        }
    }

    pub fn at(src: &Source, offset: usize, message: impl Into<String>) -> Self {
        Diagnostic::error(src.path.clone(), src.loc(offset), message)
    }

    pub fn with_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Message and hint in one line, for formats that have one field.
    pub fn full_message(&self) -> String {
        match &self.hint {
            Some(h) => format!("{}; {}", self.message, h),
            None => self.message.clone(),
        }
    }

    fn sort_key(&self) -> (&str, Loc, &str) {
        (&self.path, self.loc, &self.message)
    }
}

/// "did you mean `x`?" for the closest candidate, when one is close enough
/// to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Progress figures reported by `check` alongside the diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub questions: usize,
    pub answered: usize,
}

/// All diagnostics of a run, sorted by file and position.
#[derive(Debug, Default)]
pub struct Report {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl Report {
    pub fn from_diagnostics(all: impl IntoIterator<Item = Diagnostic>) -> Report {
        let mut r = Report::default();
        for d in all {
            match d.severity {
                Severity::Error => r.errors.push(d),
                Severity::Warning => r.warnings.push(d),
            }
        }
        r.errors.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        r.errors.dedup();
        r.warnings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        r.warnings.dedup();
        r
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Turns the warnings into errors (`check --strict`).
    pub fn make_strict(&mut self) {
        for mut w in self.warnings.drain(..) {
            w.severity = Severity::Error;
            self.errors.push(w);
        }
        self.errors.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    pub fn to_text(&self) -> String {
        Self::text_of(self.errors.iter().chain(&self.warnings))
    }

    /// The errors alone, as text (what `serve` shows in the page).
    pub fn errors_text(&self) -> String {
        Self::text_of(self.errors.iter())
    }

    fn text_of<'a>(diags: impl Iterator<Item = &'a Diagnostic>) -> String {
        let mut out = String::new();
        for d in diags {
            let sev = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let _ = writeln!(
                out,
                "{}:{}:{}: {sev}: {}",
                d.path, d.loc.line, d.loc.col, d.message
            );
            if let Some(h) = &d.hint {
                let _ = writeln!(out, "  hint: {h}");
            }
        }
        out
    }

    pub fn summary(&self) -> String {
        format!(
            "{} error{}, {} warning{}",
            self.errors.len(),
            if self.errors.len() == 1 { "" } else { "s" },
            self.warnings.len(),
            if self.warnings.len() == 1 { "" } else { "s" }
        )
    }

    pub fn to_json(&self, progress: Progress) -> String {
        #[derive(Serialize)]
        struct J<'a> {
            path: &'a str,
            line: u32,
            column: u32,
            severity: Severity,
            message: String,
        }
        #[derive(Serialize)]
        struct Out<'a> {
            errors: Vec<J<'a>>,
            warnings: Vec<J<'a>>,
            progress: Progress,
        }
        fn conv(v: &[Diagnostic]) -> Vec<J<'_>> {
            v.iter()
                .map(|d| J {
                    path: &d.path,
                    line: d.loc.line,
                    column: d.loc.col,
                    severity: d.severity,
                    message: d.full_message(),
                })
                .collect()
        }
        let out = Out {
            errors: conv(&self.errors),
            warnings: conv(&self.warnings),
            progress,
        };
        serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
    }

    /// GitHub Actions workflow commands, so diagnostics show inline on PRs.
    pub fn to_github(&self) -> String {
        let mut out = String::new();
        for d in self.errors.iter().chain(&self.warnings) {
            let cmd = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let _ = writeln!(
                out,
                "::{cmd} file={},line={},col={}::{}",
                gh_escape_property(&d.path),
                d.loc.line,
                d.loc.col,
                gh_escape_data(&d.full_message())
            );
        }
        out
    }
}

fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_escape_property(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_candidates_only() {
        let c = ["coordinator", "facilitator", "sponsor"];
        assert_eq!(
            did_you_mean("facilitater", c).as_deref(),
            Some("did you mean `facilitator`?")
        );
        assert_eq!(did_you_mean("zzz", c), None);
    }

    #[test]
    fn github_format_escapes() {
        let r = Report::from_diagnostics([Diagnostic::error("a,b.md", Loc::START, "bad\nthing")]);
        assert_eq!(
            r.to_github(),
            "::error file=a%2Cb.md,line=1,col=1::bad%0Athing\n"
        );
    }
}
