//! The typed records of a handbook as loaded from disk, before any id is
//! resolved. Everything here is plain data; `resolve` turns it into a
//! `Handbook`.

use crate::markdown::Analysis;
use crate::source::{Loc, Spanned};
use serde::Serialize;
use std::fmt;

/// A calendar date (TOML local date).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Today's UTC date, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    pub fn from_days(z: i64) -> Date {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date { year, month, day }
    }

    /// Days since 1970-01-01 (the inverse of [`Date::from_days`]).
    pub fn days(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.trim().splitn(3, '-');
        let year = it.next()?.parse().ok()?;
        let month = it.next()?.parse().ok()?;
        let day = it.next()?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Date { year, month, day })
    }
}

impl Date {
    /// Writes `YYYY-MM-DD` into `out` by hand: pages show thousands of
    /// dates, and `write!` with padding costs several times more.
    pub fn push_to(&self, out: &mut String) {
        let digit = |n: u16| char::from(b'0' + (n % 10) as u8);
        let (y, m, d) = (self.year, u16::from(self.month), u16::from(self.day));
        if y > 9999 {
            out.push_str(&y.to_string());
        } else {
            out.extend([y / 1000, y / 100, y / 10, y].map(digit));
        }
        out.extend(['-', digit(m / 10), digit(m), '-', digit(d / 10), digit(d)]);
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(10);
        self.push_to(&mut s);
        f.write_str(&s)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Agreed,
}

pub const STATUSES: &[&str] = &["draft", "agreed"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Participation {
    Core,
    Active,
    Occasional,
    Peripheral,
    Sponsor,
}

pub const PARTICIPATION: &[&str] = &["core", "active", "occasional", "peripheral", "sponsor"];

impl Participation {
    pub fn parse(s: &str) -> Option<Participation> {
        Some(match s {
            "core" => Participation::Core,
            "active" => Participation::Active,
            "occasional" => Participation::Occasional,
            "peripheral" => Participation::Peripheral,
            "sponsor" => Participation::Sponsor,
            _ => return None,
        })
    }
}

/// Index of a file in the loaded set of sources.
pub type FileId = usize;

/// The Markdown body of a record: where it starts in its file and what the
/// loader found in it (headings, links).
#[derive(Clone, Debug)]
pub struct Doc {
    pub file: FileId,
    pub body_start: usize,
    /// Shared, so that a cached file's analysis is not copied into every
    /// load (see `load::LoadCache`).
    pub analysis: std::sync::Arc<Analysis>,
    /// The file could not be read or its front matter not parsed; its
    /// error is already reported.
    pub broken: bool,
}

/// `book.toml`.
#[derive(Debug, Clone)]
pub struct BookConfig {
    pub title: String,
    pub description: Option<String>,
    pub language: String,
    pub template: Option<String>,
    pub build_dir: String,
    pub site_url: String,
    /// Where `site-url` is set in book.toml (1:1 when it is not).
    pub site_url_loc: Loc,
    pub theme: String,
    /// Where `theme` is set in book.toml, for theme errors.
    pub theme_loc: Loc,
    pub cname: Option<String>,
    /// What a broken internal link in the output is: `[build] link-check`.
    pub link_check: LinkCheck,
    /// `[build] glossary-links`: link the first use of each glossary term
    /// on a page to its definition (default true).
    pub glossary_links: bool,
    /// `[book] status = "closed"`: the community has ended; the site is
    /// its archive (a banner on every page, and /closure/).
    pub closed: bool,
    /// `[build] sanitize`: run the HTML of Markdown bodies through
    /// ammonia (no scripts, no event handlers). Off by default: raw HTML
    /// passes, as in mdBook and Zola.
    pub sanitize: bool,
    pub repository: Option<Repository>,
    pub onboarding: Vec<Spanned<String>>,
}

/// `[build] link-check`: how the build treats a link of the output that
/// points to no file or anchor of the site.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkCheck {
    /// An error: the build fails and nothing is written (the default).
    #[default]
    Error,
    /// A warning: the site is written all the same.
    Warn,
}

pub const LINK_CHECK: &[&str] = &["error", "warn"];

#[derive(Debug, Clone, Serialize)]
pub struct Repository {
    pub url: String,
    pub branch: String,
}

#[derive(Clone, Debug)]
pub struct Home {
    pub title: Option<String>,
    pub doc: Doc,
}

/// A phase folder such as `01-define/`.
#[derive(Clone, Debug)]
pub struct Phase {
    /// Folder name, e.g. `01-define`.
    pub dir: String,
    pub slug: String,
    pub title: String,
    pub order: i64,
    pub summary: Option<String>,
    /// `_phase.md`, when the folder has one.
    pub doc: Option<Doc>,
}

#[derive(Clone, Debug)]
pub struct Page {
    /// Index into the phases, in load order.
    pub phase: usize,
    /// File stem as written, e.g. `purpose`.
    pub stem: String,
    pub slug: String,
    pub title: String,
    pub order: Option<i64>,
    pub questions: Vec<Spanned<String>>,
    pub owner: Option<Spanned<String>>,
    pub status: Option<Status>,
    pub review_by: Option<Spanned<Date>>,
    pub members: Vec<Spanned<String>>,
    pub roles: Vec<Spanned<String>>,
    pub norms: Vec<Spanned<String>>,
    /// Meeting ids (`content/meetings/<id>.md`): where the plan meets.
    pub meetings: Vec<Spanned<String>>,
    pub doc: Doc,
    /// Where `title` is written (or 1:1), for page-level diagnostics.
    pub loc: Loc,
    /// `questions`, each with its anchor and whether the body answers it
    /// (see `resolve::questions_of`). They follow from this file alone,
    /// so they are worked out once, when it is parsed, and shared by
    /// every load that reuses the parse: matching 40,000 questions to
    /// headings again was a fifth of each of serve's rebuilds at 10,000
    /// pages.
    pub answers: std::sync::Arc<[crate::resolve::Question]>,
}

#[derive(Clone, Debug)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub roles: Vec<Spanned<String>>,
    pub participation: Option<Participation>,
    pub organization: Option<String>,
    pub expertise: Vec<String>,
    pub joined: Option<Date>,
    pub contact: Option<String>,
    pub doc: Doc,
}

#[derive(Clone, Debug)]
pub struct Role {
    pub id: String,
    pub title: String,
    pub summary: Option<String>,
    pub responsibilities: Vec<String>,
    pub commitment: Option<String>,
    pub norms: Vec<Spanned<String>>,
    pub doc: Doc,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Norm {
    pub id: String,
    pub title: String,
    pub category: Option<String>,
    pub agreed: Option<Date>,
    pub owner: Option<Spanned<String>>,
    pub doc: Doc,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub id: String,
    pub member: Spanned<String>,
    pub title: Option<String>,
    pub questions: Vec<Spanned<String>>,
    pub doc: Doc,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_show_as_iso_8601() {
        for (y, m, d, shown) in [
            (2026, 11, 2, "2026-11-02"),
            (999, 1, 31, "0999-01-31"),
            (12345, 12, 9, "12345-12-09"),
        ] {
            let date = Date {
                year: y,
                month: m,
                day: d,
            };
            assert_eq!(date.to_string(), shown);
        }
    }

    #[test]
    fn days_inverts_from_days() {
        for z in [0, 1, 59, 60, 365, 10_957, 20_779, 2_000_000] {
            assert_eq!(Date::from_days(z).days(), z);
        }
        let d = Date::parse("2026-11-22").unwrap();
        assert_eq!(Date::parse("2026-12-22").unwrap().days() - d.days(), 30);
    }
}
