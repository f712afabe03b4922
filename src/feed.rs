//! The Atom feed of changed pages (`feed.xml`), so that members can follow
//! the handbook in a feed reader, and the sitemap.
//!
//! When the book is in git, one `git log` per build gives the date of the
//! last commit that touched each file of `content/`; the feed lists the
//! most recently changed pages. Without git (or outside a repository)
//! there is no feed, and no link to one.

use crate::markdown::escape_text;
use crate::resolve::{DocKey, Handbook};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// How many pages the feed lists, newest first.
pub const FEED_ENTRIES: usize = 50;

/// The last commit that changed a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Committer date, RFC 3339 (`2026-11-22T06:32:42+01:00`).
    pub date: String,
    /// The commit's subject line.
    pub subject: String,
}

/// The last change of every file under `content/` that git knows, by path
/// relative to the book root (`content/01-define/purpose.md`). `None` when
/// git is missing or the book is not in a repository with commits.
pub fn git_changes(root: &Path) -> Option<HashMap<String, Change>> {
    let out = Command::new("git")
        .current_dir(root)
        .args([
            "-c",
            "log.showSignature=false",
            "log",
            "-z",
            "--no-color",
            "--format=%x1e%cI%x09%s",
            "--name-only",
            "--relative",
            "--",
            "content",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(parse_log(&String::from_utf8_lossy(&out.stdout)))
}

/// Parses `git log -z --format=%x1e%cI%x09%s --name-only`: newest commit
/// first, so the first time a file shows is its last change.
fn parse_log(log: &str) -> HashMap<String, Change> {
    let mut changes = HashMap::new();
    let mut current: Option<Change> = None;
    for token in log.split('\0') {
        let token = token.strip_prefix('\n').unwrap_or(token);
        if let Some(header) = token.strip_prefix('\u{1e}') {
            let (date, subject) = header.split_once('\t').unwrap_or((header, ""));
            current = Some(Change {
                date: date.trim().to_owned(),
                subject: subject.trim().to_owned(),
            });
        } else if !token.is_empty() {
            if let Some(c) = &current {
                changes.entry(token.to_owned()).or_insert_with(|| c.clone());
            }
        }
    }
    changes
}

/// A stable `urn:uuid:` for `name` (FNV-1a, twice, as a version 8 UUID):
/// an entry id when the site has no full URL to use instead.
fn urn(name: &str) -> String {
    let fnv = |seed: u64| {
        let mut h = seed;
        for &b in name.as_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    let hi = (fnv(0xcbf2_9ce4_8422_2325) & !0xf000) | 0x8000;
    let lo = (fnv(0x8422_2325_cbf2_9ce4) & !(0b11 << 62)) | (0b10 << 62);
    let x = format!("{hi:016x}{lo:016x}");
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

/// Whether `site_url` is a full URL (`https://…`), which absolute links
/// (sitemap, canonical links, feed ids) need.
pub fn is_full_url(site_url: &str) -> bool {
    let lower = site_url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// The Atom feed: the pages changed last, newest first. Links are built
/// from site-url: absolute with a full URL, root-relative with a path
/// (which feed readers resolve against the feed's own address).
pub fn atom(hb: &Handbook, changes: &HashMap<String, Change>) -> String {
    let base = &hb.config.site_url;
    let full = is_full_url(base);
    let mut entries: Vec<(DocKey, &Change)> = hb
        .documents()
        .into_iter()
        .filter_map(|k| Some((k, changes.get(hb.source_path(k)?)?)))
        .collect();
    // Newest first (RFC 3339 dates in one zone sort as text; compare their
    // UTC instants to be exact), then in site order.
    entries.sort_by_key(|(_, c)| std::cmp::Reverse(utc_key(&c.date)));
    entries.truncate(FEED_ENTRIES);
    let updated = entries
        .iter()
        .map(|(_, c)| c)
        .max_by_key(|c| utc_key(&c.date))
        .map_or_else(|| format!("{}T00:00:00Z", hb.today), |c| c.date.clone());
    let id = |url: &str| {
        if full {
            format!("{base}{url}")
        } else {
            urn(&format!("copbook:{base}{url}"))
        }
    };
    let mut out = String::with_capacity(512 + entries.len() * 400);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
        escape_text(&hb.config.language)
    ));
    let title = escape_text(&hb.config.title);
    out.push_str(&format!("  <title>{title}: changes</title>\n"));
    if let Some(d) = &hb.config.description {
        out.push_str(&format!("  <subtitle>{}</subtitle>\n", escape_text(d)));
    }
    out.push_str(&format!("  <id>{}</id>\n", escape_text(&id("feed.xml"))));
    out.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape_text(&format!("{base}feed.xml"))
    ));
    out.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape_text(base)
    ));
    out.push_str(&format!("  <updated>{}</updated>\n", escape_text(&updated)));
    out.push_str(&format!("  <author><name>{title}</name></author>\n"));
    out.push_str(&format!(
        "  <generator version=\"{}\">copbook</generator>\n",
        env!("CARGO_PKG_VERSION")
    ));
    for (k, c) in &entries {
        let url = hb.url(*k).to_string();
        let kind = match k {
            DocKey::Home => "Home page".to_owned(),
            DocKey::Phase(_) => "Phase".to_owned(),
            DocKey::Page(i) => format!("Page of {}", hb.phases[hb.pages[*i].phase].title),
            DocKey::Member(_) => "Member".to_owned(),
            DocKey::Role(_) => "Role".to_owned(),
            DocKey::Norm(_) => "Norm".to_owned(),
            DocKey::Case(_) => "Case for participation".to_owned(),
        };
        let summary = if c.subject.is_empty() {
            kind
        } else {
            format!("{kind}. Last change: {}", c.subject)
        };
        out.push_str("  <entry>\n");
        out.push_str(&format!(
            "    <title>{}</title>\n",
            escape_text(hb.title(*k))
        ));
        out.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape_text(&format!("{base}{url}"))
        ));
        out.push_str(&format!("    <id>{}</id>\n", escape_text(&id(&url))));
        out.push_str(&format!(
            "    <updated>{}</updated>\n",
            escape_text(&c.date)
        ));
        out.push_str(&format!(
            "    <summary>{}</summary>\n",
            escape_text(&summary)
        ));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// An RFC 3339 date as seconds since the epoch (UTC), for ordering; dates
/// that do not parse sort first.
fn utc_key(date: &str) -> i64 {
    let b = date.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { date.get(r)?.parse().ok() };
    let parsed = (|| {
        let days = crate::model::Date::parse(date.get(0..10)?)?.days();
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        // Skip fractions of a second, then the zone: Z or ±hh:mm.
        let mut i = 19;
        while i < b.len() && (b[i] == b'.' || b[i].is_ascii_digit()) {
            i += 1;
        }
        let offset = match b.get(i) {
            Some(&sign @ (b'+' | b'-')) => {
                let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
                if sign == b'+' { m * 60 } else { -m * 60 }
            }
            _ => 0,
        };
        Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
    })();
    parsed.unwrap_or(i64::MIN)
}

/// `sitemap.xml`: every page at its absolute URL. Only written when
/// site-url is a full URL: the sitemap protocol has no relative URLs.
pub fn sitemap(hb: &Handbook) -> String {
    let base = &hb.config.site_url;
    let mut urls: Vec<String> = hb
        .documents()
        .into_iter()
        .map(|k| hb.url(k).to_string())
        .collect();
    urls.extend(hb.index_pages().into_iter().map(|i| i.url().to_owned()));
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for u in urls {
        out.push_str("  <url><loc>");
        out.push_str(&escape_text(&format!("{base}{u}")));
        out.push_str("</loc></url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_git_log() {
        let log = "\u{1e}2026-11-22T06:32:42Z\tsecond\0\ncontent/a/p.md\0\u{1e}2026-11-21T06:00:00+02:00\tfirst\ttab\0\ncontent/a/p.md\0content/a/\u{c9}t\u{e9}.md\0";
        let c = parse_log(log);
        assert_eq!(c.len(), 2);
        assert_eq!(c["content/a/p.md"].subject, "second");
        assert_eq!(c["content/a/Été.md"].date, "2026-11-21T06:00:00+02:00");
        assert_eq!(c["content/a/Été.md"].subject, "first\ttab");
    }

    #[test]
    fn dates_compare_as_instants() {
        assert_eq!(utc_key("1970-01-01T00:00:00Z"), 0);
        assert_eq!(utc_key("1970-01-01T01:00:00+01:00"), 0);
        assert_eq!(utc_key("2000-03-01T00:00:00.5Z"), 951_868_800);
        assert!(utc_key("2026-11-22T06:00:00+02:00") < utc_key("2026-11-22T05:00:00Z"));
        assert_eq!(utc_key("garbage"), i64::MIN);
    }

    #[test]
    fn urns_are_stable_uuids() {
        let u = urn("copbook:/cop/define/purpose/");
        assert_eq!(u, urn("copbook:/cop/define/purpose/"));
        assert_ne!(u, urn("copbook:/cop/define/scope/"));
        assert_eq!(u.len(), "urn:uuid:".len() + 36);
        assert_eq!(&u[9 + 14..9 + 15], "8");
    }
}
