//! Review cycles: every answer page with a `review-by` date is either
//! stale (the date has passed), due soon (within [`SOON_DAYS`] of today) or
//! later. `/progress/` lists the stale and the soon ones; `copbook review`
//! prints them all as a table, by due date.

use crate::resolve::{DocKey, Handbook};
use std::fmt::Write as _;

/// A page is "due soon" when its review date is at most this many days
/// ahead of today.
pub const SOON_DAYS: i64 = 30;

/// Where a page stands in its review cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Due {
    /// The review date has passed.
    Stale,
    /// Due today or within [`SOON_DAYS`].
    Soon,
    Later,
}

impl Due {
    pub fn label(self) -> &'static str {
        match self {
            Due::Stale => "stale",
            Due::Soon => "soon",
            Due::Later => "later",
        }
    }
}

/// The review state of page `i`, when it has a `review-by` date.
pub fn due(hb: &Handbook, i: usize) -> Option<Due> {
    let rb = hb.pages[i].review_by.as_ref()?.value;
    Some(if rb < hb.today {
        Due::Stale
    } else if rb.days() - hb.today.days() <= SOON_DAYS {
        Due::Soon
    } else {
        Due::Later
    })
}

/// Every page with a review date, earliest first (so stale pages lead),
/// then by site order.
pub fn by_date(hb: &Handbook) -> Vec<usize> {
    by_date_where(hb, |_| true)
}

/// The pages in review state `due`, by date, then by site order.
pub fn listed(hb: &Handbook, due: Due) -> Vec<usize> {
    by_date_where(hb, |d| d == due)
}

fn by_date_where(hb: &Handbook, wanted: impl Fn(Due) -> bool) -> Vec<usize> {
    // (date, page) pairs are all different: an unstable sort gives the
    // stable order, without looking each page's date up per comparison.
    let mut v: Vec<(crate::model::Date, usize)> = (0..hb.pages.len())
        .filter(|&i| self::due(hb, i).is_some_and(&wanted))
        .filter_map(|i| Some((hb.pages[i].review_by.as_ref()?.value, i)))
        .collect();
    v.sort_unstable();
    v.into_iter().map(|(_, i)| i).collect()
}

/// The table `copbook review` prints: due date, state, days left, owner
/// and page, one page a line, stale pages first; then the pages that have
/// no review date.
pub fn table(hb: &Handbook) -> String {
    let rows: Vec<[String; 5]> = by_date(hb)
        .into_iter()
        .map(|i| {
            let p = &hb.pages[i];
            let date = p.review_by.as_ref().map(|d| d.value).unwrap_or(hb.today);
            let left = date.days() - hb.today.days();
            let owner = hb.page_owner[i]
                .map(|m| hb.members[m].name.clone())
                .unwrap_or_else(|| "-".into());
            [
                date.to_string(),
                due(hb, i).map_or("", Due::label).to_owned(),
                if left < 0 {
                    format!("{} ago", -left)
                } else {
                    format!("in {left}")
                },
                owner,
                format!(
                    "{} ({})",
                    p.title,
                    hb.source_path(DocKey::Page(i)).unwrap_or("")
                ),
            ]
        })
        .collect();
    let head = ["DUE", "STATE", "DAYS", "OWNER", "PAGE"];
    let mut width = head.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: [&str; 5]| {
        let mut s = String::new();
        for (k, c) in cells.iter().enumerate() {
            if k + 1 == cells.len() {
                s.push_str(c);
            } else {
                let pad = width[k] - c.chars().count();
                let _ = write!(s, "{c}{}  ", " ".repeat(pad));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut out, head);
    for r in &rows {
        line(&mut out, [&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
    let count = |d: Due| rows.iter().filter(|r| r[1] == d.label()).count();
    let undated = hb.pages.len() - rows.len();
    let _ = writeln!(
        out,
        "{} stale, {} due within {SOON_DAYS} days, {} later; {undated} page{} without a review date (as of {})",
        count(Due::Stale),
        count(Due::Soon),
        count(Due::Later),
        if undated == 1 { "" } else { "s" },
        hb.today
    );
    out
}
