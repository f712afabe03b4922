//! Meetings: `content/meetings/*.md`, one file per recurring (or one-off)
//! meeting. They give `/meetings/` with the next occurrences, computed
//! here, `calendar.ics` with every meeting and one `meetings/<id>.ics` each
//! (RFC 5545: real RRULEs, stable UIDs, times in UTC, CRLF line endings,
//! lines folded at 75 octets).
//!
//! Times: `start` is a TOML datetime with an offset
//! (`2026-12-03T14:00:00+01:00`). The calendar gives it in UTC, and the
//! recurrence repeats it at the same UTC time: a meeting that should follow
//! daylight saving time moves by an hour in the half of the year whose
//! offset differs from the one written (there are no time-zone names in
//! the files).

use crate::diag::Diagnostic;
use crate::fields::Fields;
use crate::model::{Date, Doc};
use crate::source::{Loc, Spanned};
use std::fmt::Write as _;
use toml::de::{DeTable, DeValue};

pub const KEYS: &[&str] = &[
    "title",
    "start",
    "duration",
    "repeat",
    "rrule",
    "until",
    "location",
    "link",
    "facilitator",
    "agenda",
];

/// How many coming occurrences `/meetings/` shows per meeting.
pub const NEXT: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Freq {
    fn name(self) -> &'static str {
        match self {
            Freq::Daily => "DAILY",
            Freq::Weekly => "WEEKLY",
            Freq::Monthly => "MONTHLY",
            Freq::Yearly => "YEARLY",
        }
    }
}

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
const WEEKDAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A recurrence rule: the subset of RFC 5545 RRULE copbook expands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub freq: Freq,
    pub interval: u32,
    pub count: Option<u32>,
    /// Last possible start, in seconds since the epoch (UTC), inclusive.
    pub until: Option<i64>,
    /// (ordinal, weekday 0 = Monday); ordinal 0 = every such day.
    pub byday: Vec<(i8, u8)>,
    pub bymonthday: Vec<i8>,
}

#[derive(Clone, Debug)]
pub struct Meeting {
    pub id: String,
    pub title: String,
    /// Start of the first occurrence, seconds since the epoch (UTC).
    pub start: i64,
    /// The offset it was written with, in minutes east of UTC.
    pub offset: i32,
    pub minutes: u32,
    /// What `repeat` said, for people ("every 2 weeks").
    pub repeat: Option<String>,
    pub rule: Option<Rule>,
    pub location: Option<String>,
    pub link: Option<String>,
    pub facilitator: Option<Spanned<String>>,
    pub agenda: Vec<String>,
    pub doc: Doc,
}

fn weekday(days: i64) -> u8 {
    (days + 3).rem_euclid(7) as u8
}

fn days_in_month(y: i64, m: u8) -> u8 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn date_days(y: i64, m: u8, d: u8) -> Option<i64> {
    (d >= 1 && d <= days_in_month(y, m) && (0..=9999).contains(&y)).then(|| {
        Date {
            year: y as u16,
            month: m,
            day: d,
        }
        .days()
    })
}

impl Rule {
    /// The RRULE value, as written into the calendar.
    pub fn to_rrule(&self) -> String {
        let mut s = format!("FREQ={}", self.freq.name());
        if self.interval > 1 {
            let _ = write!(s, ";INTERVAL={}", self.interval);
        }
        if !self.byday.is_empty() {
            let days: Vec<String> = self
                .byday
                .iter()
                .map(|&(n, d)| {
                    if n == 0 {
                        WEEKDAYS[d as usize].to_owned()
                    } else {
                        format!("{n}{}", WEEKDAYS[d as usize])
                    }
                })
                .collect();
            let _ = write!(s, ";BYDAY={}", days.join(","));
        }
        if !self.bymonthday.is_empty() {
            let days: Vec<String> = self.bymonthday.iter().map(i8::to_string).collect();
            let _ = write!(s, ";BYMONTHDAY={}", days.join(","));
        }
        if let Some(c) = self.count {
            let _ = write!(s, ";COUNT={c}");
        }
        if let Some(u) = self.until {
            let _ = write!(s, ";UNTIL={}", utc_stamp(u));
        }
        s
    }

    /// Starting days (days since the epoch) of period `k`, sorted.
    fn period(&self, k: i64, d0: i64) -> Vec<i64> {
        let step = k * i64::from(self.interval);
        let start = Date::from_days(d0);
        let mut v = match self.freq {
            Freq::Daily => vec![d0 + step],
            Freq::Weekly if self.byday.is_empty() => vec![d0 + 7 * step],
            Freq::Weekly => {
                let monday = d0 - i64::from(weekday(d0)) + 7 * step;
                self.byday
                    .iter()
                    .map(|&(_, d)| monday + i64::from(d))
                    .collect()
            }
            Freq::Monthly => {
                let mi = i64::from(start.year) * 12 + i64::from(start.month) - 1 + step;
                let (y, m) = (mi.div_euclid(12), (mi.rem_euclid(12) + 1) as u8);
                let dim = days_in_month(y, m);
                if !self.byday.is_empty() {
                    let Some(first) = date_days(y, m, 1) else {
                        return Vec::new();
                    };
                    let last = first + i64::from(dim) - 1;
                    self.byday
                        .iter()
                        .filter_map(|&(n, wd)| {
                            let wd = i64::from(wd);
                            let d = if n > 0 {
                                let f = first + (wd - i64::from(weekday(first))).rem_euclid(7);
                                f + 7 * (i64::from(n) - 1)
                            } else {
                                let l = last - (i64::from(weekday(last)) - wd).rem_euclid(7);
                                l - 7 * (i64::from(-n) - 1)
                            };
                            (first..=last).contains(&d).then_some(d)
                        })
                        .collect()
                } else if !self.bymonthday.is_empty() {
                    self.bymonthday
                        .iter()
                        .filter_map(|&n| {
                            let day = if n > 0 {
                                i64::from(n)
                            } else {
                                i64::from(dim) + 1 + i64::from(n)
                            };
                            u8::try_from(day).ok().and_then(|d| date_days(y, m, d))
                        })
                        .collect()
                } else {
                    date_days(y, m, start.day).into_iter().collect()
                }
            }
            Freq::Yearly => date_days(i64::from(start.year) + step, start.month, start.day)
                .into_iter()
                .collect(),
        };
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Every start from `start` on (UTC seconds), in order: the rule's own
    /// occurrences, `start` first when it is one of them.
    pub fn expand(&self, start: i64) -> impl Iterator<Item = i64> + '_ {
        let d0 = start.div_euclid(86_400);
        let tod = start.rem_euclid(86_400);
        let mut k = 0i64;
        let mut buf: std::collections::VecDeque<i64> = Default::default();
        let mut emitted = 0u32;
        std::iter::from_fn(move || {
            loop {
                if self.count.is_some_and(|c| emitted >= c) {
                    return None;
                }
                if let Some(t) = buf.pop_front() {
                    if self.until.is_some_and(|u| t > u) {
                        return None;
                    }
                    emitted += 1;
                    return Some(t);
                }
                // Give up on rules that match nothing (30 Feb) after a while.
                if k > 5_000 {
                    return None;
                }
                buf.extend(
                    self.period(k, d0)
                        .into_iter()
                        .map(|d| d * 86_400 + tod)
                        .filter(|&t| t >= start),
                );
                k += 1;
            }
        })
    }
}

/// `20261203T130000Z`.
pub fn utc_stamp(t: i64) -> String {
    let d = Date::from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        d.year,
        d.month,
        d.day,
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `2026-12-03T13:00:00Z`, for `<time datetime>`.
pub fn iso_utc(t: i64) -> String {
    let d = Date::from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{d}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

fn offset_text(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// "Thu 3 Dec 2026, 14:00–15:30 (UTC+01:00)": an occurrence in the offset
/// the meeting was written with.
pub fn local_text(t: i64, offset: i32, minutes: u32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let local = t + i64::from(offset) * 60;
    let days = local.div_euclid(86_400);
    let d = Date::from_days(days);
    let s = local.rem_euclid(86_400);
    let e = (s + i64::from(minutes) * 60).rem_euclid(86_400);
    format!(
        "{} {} {} {}, {:02}:{:02}–{:02}:{:02} ({})",
        DAYS[weekday(days) as usize],
        d.day,
        MONTHS[d.month as usize - 1],
        d.year,
        s / 3600,
        s / 60 % 60,
        e / 3600,
        e / 60 % 60,
        offset_text(offset)
    )
}

/// "90m", "1h30m", "2h", "1h 30min".
pub fn parse_duration(s: &str) -> Option<u32> {
    let t = s.trim().to_ascii_lowercase().replace(' ', "");
    let (mut total, mut num, mut any) = (0u32, String::new(), false);
    let mut rest = t.as_str();
    while !rest.is_empty() {
        let c = rest.chars().next()?;
        if c.is_ascii_digit() {
            num.push(c);
            rest = &rest[1..];
            continue;
        }
        let n: u32 = num.parse().ok()?;
        num.clear();
        let (mult, len) = if rest.starts_with("min") {
            (1, 3)
        } else if rest.starts_with('m') {
            (1, 1)
        } else if rest.starts_with('h') {
            (60, 1)
        } else {
            return None;
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
        any = true;
        rest = &rest[len..];
    }
    (num.is_empty() && any && total > 0 && total <= 24 * 60).then_some(total)
}

fn weekday_of(word: &str) -> Option<u8> {
    let w = word.trim().trim_end_matches('s').to_ascii_lowercase();
    if w.len() < 2 {
        return None;
    }
    WEEKDAY_NAMES
        .iter()
        .position(|n| n.starts_with(&w) || w.starts_with(&n[..3]) && n.starts_with(&w[..3]))
        .map(|i| i as u8)
}

fn ordinal(word: &str) -> Option<i8> {
    Some(match word {
        "1st" | "first" => 1,
        "2nd" | "second" => 2,
        "3rd" | "third" => 3,
        "4th" | "fourth" => 4,
        "5th" | "fifth" => 5,
        "last" => -1,
        "2nd-last" | "second-last" => -2,
        _ => return None,
    })
}

/// The simple forms of `repeat`: "daily", "weekly", "monthly", "yearly",
/// "every 2 weeks", "every month", "weekly on monday and thursday",
/// "monthly on the 2nd thursday", "every 3 months on the last friday".
pub fn parse_repeat(s: &str) -> Result<Rule, String> {
    let lower = s.trim().to_ascii_lowercase();
    let (head, on) = match lower.split_once(" on ") {
        Some((h, o)) => (h.trim(), Some(o.trim())),
        None => (lower.as_str(), None),
    };
    let words: Vec<&str> = head.split_whitespace().collect();
    let unit = |w: &str| -> Option<Freq> {
        Some(match w.trim_end_matches('s') {
            "day" => Freq::Daily,
            "week" => Freq::Weekly,
            "month" => Freq::Monthly,
            "year" => Freq::Yearly,
            _ => return None,
        })
    };
    let (freq, interval) = match words.as_slice() {
        ["daily"] => (Freq::Daily, 1),
        ["weekly"] => (Freq::Weekly, 1),
        ["fortnightly"] => (Freq::Weekly, 2),
        ["monthly"] => (Freq::Monthly, 1),
        ["yearly" | "annually"] => (Freq::Yearly, 1),
        ["every", u] => (unit(u).ok_or("unknown unit")?, 1),
        ["every", "other", u] => (unit(u).ok_or("unknown unit")?, 2),
        ["every", n, u] => (
            unit(u).ok_or("unknown unit")?,
            n.parse::<u32>()
                .ok()
                .filter(|&n| (1..=1000).contains(&n))
                .ok_or("the interval must be a number from 1 to 1000")?,
        ),
        _ => return Err("not a form copbook knows".into()),
    };
    let mut rule = Rule {
        freq,
        interval,
        count: None,
        until: None,
        byday: Vec::new(),
        bymonthday: Vec::new(),
    };
    if let Some(on) = on {
        let on = on.strip_prefix("the ").unwrap_or(on);
        match freq {
            Freq::Weekly => {
                for w in on
                    .split([',', ' '])
                    .filter(|w| !w.is_empty() && *w != "and")
                {
                    let d = weekday_of(w).ok_or_else(|| format!("`{w}` is not a weekday"))?;
                    if !rule.byday.iter().any(|&(_, x)| x == d) {
                        rule.byday.push((0, d));
                    }
                }
                rule.byday.sort_by_key(|&(_, d)| d);
            }
            Freq::Monthly => {
                let parts: Vec<&str> = on.split_whitespace().collect();
                match parts.as_slice() {
                    [n, day] => {
                        let n = ordinal(n).ok_or_else(|| {
                            format!("`{n}` is not 1st, 2nd, 3rd, 4th, 5th or last")
                        })?;
                        let d =
                            weekday_of(day).ok_or_else(|| format!("`{day}` is not a weekday"))?;
                        rule.byday.push((n, d));
                    }
                    _ => return Err("write it like `monthly on the 2nd thursday`".into()),
                }
            }
            _ => return Err("`on …` works with weekly and monthly meetings".into()),
        }
    }
    Ok(rule)
}

/// An RFC 5545 RRULE value (`FREQ=WEEKLY;INTERVAL=2;BYDAY=TH`), the parts
/// copbook can expand: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL,
/// COUNT, UNTIL, BYDAY, BYMONTHDAY, WKST=MO.
pub fn parse_rrule(s: &str) -> Result<Rule, String> {
    let s = s.trim();
    let s = s.strip_prefix("RRULE:").unwrap_or(s);
    let mut rule = Rule {
        freq: Freq::Weekly,
        interval: 1,
        count: None,
        until: None,
        byday: Vec::new(),
        bymonthday: Vec::new(),
    };
    let mut freq = None;
    let mut seen: Vec<String> = Vec::new();
    for part in s.split(';') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not NAME=VALUE"))?;
        let k = k.trim().to_ascii_uppercase();
        let v = v.trim().to_ascii_uppercase();
        if seen.contains(&k) {
            return Err(format!("{k} is given twice"));
        }
        seen.push(k.clone());
        match k.as_str() {
            "FREQ" => {
                freq = Some(match v.as_str() {
                    "DAILY" => Freq::Daily,
                    "WEEKLY" => Freq::Weekly,
                    "MONTHLY" => Freq::Monthly,
                    "YEARLY" => Freq::Yearly,
                    "SECONDLY" | "MINUTELY" | "HOURLY" => {
                        return Err(format!("FREQ={v} is not supported for meetings"));
                    }
                    _ => return Err(format!("FREQ={v} is not a frequency")),
                })
            }
            "INTERVAL" => {
                rule.interval = v
                    .parse()
                    .ok()
                    .filter(|&n| (1..=1000).contains(&n))
                    .ok_or("INTERVAL must be a number from 1 to 1000")?;
            }
            "COUNT" => {
                rule.count = Some(
                    v.parse()
                        .ok()
                        .filter(|&n| n >= 1)
                        .ok_or("COUNT must be a positive number")?,
                );
            }
            "UNTIL" => {
                rule.until =
                    Some(parse_until(&v).ok_or("UNTIL must be like 20270630 or 20270630T170000Z")?)
            }
            "BYDAY" => {
                for d in v.split(',') {
                    let split = d
                        .len()
                        .checked_sub(2)
                        .ok_or_else(|| format!("`{d}` is not a day"))?;
                    let (n, wd) = d.split_at(split);
                    let wd = WEEKDAYS
                        .iter()
                        .position(|x| *x == wd)
                        .ok_or_else(|| format!("`{d}` is not a day like MO or 2TH"))?;
                    let n: i8 = if n.is_empty() {
                        0
                    } else {
                        n.trim_start_matches('+')
                            .parse()
                            .ok()
                            .filter(|n: &i8| (1..=5).contains(&n.abs()))
                            .ok_or_else(|| {
                                format!("`{d}`: the week number must be 1 to 5 or -1 to -5")
                            })?
                    };
                    rule.byday.push((n, wd as u8));
                }
            }
            "BYMONTHDAY" => {
                for d in v.split(',') {
                    let n: i8 = d
                        .parse()
                        .ok()
                        .filter(|n: &i8| (1..=31).contains(&n.abs()))
                        .ok_or_else(|| format!("BYMONTHDAY `{d}` must be 1 to 31 or -1 to -31"))?;
                    rule.bymonthday.push(n);
                }
            }
            "WKST" if v == "MO" => {}
            _ => {
                return Err(format!(
                    "{k} is not supported; copbook expands FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY and WKST=MO"
                ));
            }
        }
    }
    rule.freq = freq.ok_or("an RRULE needs FREQ")?;
    if rule.count.is_some() && rule.until.is_some() {
        return Err("COUNT and UNTIL cannot both be given".into());
    }
    match rule.freq {
        Freq::Weekly if rule.byday.iter().any(|&(n, _)| n != 0) => {
            return Err("weekly BYDAY takes plain days (MO, TH)".into());
        }
        Freq::Monthly if rule.byday.iter().any(|&(n, _)| n == 0) => {
            return Err("monthly BYDAY needs a week number (2TH, -1FR)".into());
        }
        Freq::Monthly if !rule.byday.is_empty() && !rule.bymonthday.is_empty() => {
            return Err("give BYDAY or BYMONTHDAY, not both".into());
        }
        Freq::Daily | Freq::Yearly if !rule.byday.is_empty() || !rule.bymonthday.is_empty() => {
            return Err(format!(
                "BYDAY and BYMONTHDAY are supported with WEEKLY and MONTHLY, not {}",
                rule.freq.name()
            ));
        }
        Freq::Weekly if !rule.bymonthday.is_empty() => {
            return Err("BYMONTHDAY does not go with WEEKLY".into());
        }
        _ => {}
    }
    rule.byday.sort_by_key(|&(n, d)| (d, n));
    Ok(rule)
}

fn parse_until(v: &str) -> Option<i64> {
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let (date, time) = match v.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z')?)),
        None => (v, None),
    };
    if date.len() != 8 || !digits(date) {
        return None;
    }
    let y: i64 = date[..4].parse().ok()?;
    let m: u8 = date[4..6].parse().ok()?;
    let d: u8 = date[6..].parse().ok()?;
    let days = date_days(y, m, d)?;
    let secs = match time {
        None => 86_399,
        Some(t) if t.len() == 6 && digits(t) => {
            let h: i64 = t[..2].parse().ok()?;
            let mi: i64 = t[2..4].parse().ok()?;
            let s: i64 = t[4..].parse().ok()?;
            (h < 24 && mi < 60 && s < 61).then_some(h * 3600 + mi * 60 + s)?
        }
        Some(_) => return None,
    };
    Some(days * 86_400 + secs)
}

/// Reads a meeting's front matter. Problems go to `f.diags`.
pub fn parse(
    id: String,
    path: &str,
    f: &mut Fields<'_>,
    t: &DeTable<'_>,
    doc: Doc,
    missing_at: Loc,
) -> Meeting {
    let what = "a meeting";
    f.known_keys(t, what, KEYS);
    let title = f.required_string(t, "title", what, missing_at);
    let err = |f: &mut Fields<'_>, loc: Loc, msg: String, hint: Option<String>| {
        f.diags
            .push(Diagnostic::error(path, loc, msg).with_hint(hint));
    };
    // start: an offset datetime.
    let mut start = 0i64;
    let mut offset = 0i32;
    match t.get("start") {
        None => {
            if !f.quiet_missing {
                err(
                    f,
                    missing_at,
                    "a meeting is missing `start`".into(),
                    Some("add `start = 2026-12-03T14:00:00+01:00`".into()),
                );
            }
        }
        Some(v) => {
            let loc = f.loc(v.span());
            let ok = match v.get_ref() {
                DeValue::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                    (Some(d), Some(tm), Some(off)) => {
                        offset = match off {
                            toml::value::Offset::Z => 0,
                            toml::value::Offset::Custom { minutes } => i32::from(minutes),
                        };
                        let days = Date {
                            year: d.year,
                            month: d.month,
                            day: d.day,
                        }
                        .days();
                        let secs = i64::from(tm.hour) * 3600
                            + i64::from(tm.minute) * 60
                            + i64::from(tm.second.unwrap_or(0));
                        start = days * 86_400 + secs - i64::from(offset) * 60;
                        true
                    }
                    _ => false,
                },
                _ => false,
            };
            if !ok {
                err(
                    f,
                    loc,
                    format!(
                        "`start` must be a date and time with an offset like 2026-12-03T14:00:00+01:00, found {}",
                        v.get_ref().type_str()
                    ),
                    Some("write the offset from UTC (+01:00, or Z for UTC), without quotes".into()),
                );
            }
        }
    }
    let minutes = match f.string(t, "duration") {
        Some(d) => match parse_duration(&d.value) {
            Some(m) => m,
            None => {
                err(
                    f,
                    d.loc,
                    format!("`duration` cannot be `{}`", d.value),
                    Some("write it like \"90m\", \"1h30m\" or \"2h\" (at most 24h)".into()),
                );
                60
            }
        },
        None => 60,
    };
    let repeat = f.string(t, "repeat");
    let rrule = f.string(t, "rrule");
    let mut rule = match (&repeat, &rrule) {
        (Some(r), Some(x)) => {
            err(
                f,
                x.loc,
                "give `repeat` or `rrule`, not both".into(),
                Some(format!("`repeat` is at line {}", r.loc.line)),
            );
            None
        }
        (Some(r), None) => match parse_repeat(&r.value) {
            Ok(rule) => Some(rule),
            Err(why) => {
                err(
                    f,
                    r.loc,
                    format!("`repeat` cannot be `{}`: {why}", r.value),
                    Some("use \"weekly\", \"every 2 weeks\", \"monthly on the 2nd thursday\", … or an RFC 5545 `rrule`".into()),
                );
                None
            }
        },
        (None, Some(x)) => match parse_rrule(&x.value) {
            Ok(rule) => Some(rule),
            Err(why) => {
                err(f, x.loc, format!("invalid `rrule`: {why}"), None);
                None
            }
        },
        (None, None) => None,
    };
    if let Some(u) = f.date(t, "until") {
        match rule.as_mut() {
            None if repeat.is_none() && rrule.is_none() => {
                err(f, u.loc, "`until` needs `repeat` or `rrule`".into(), None)
            }
            None => {}
            Some(r) if r.until.is_some() || r.count.is_some() => err(
                f,
                u.loc,
                "the `rrule` already has UNTIL or COUNT".into(),
                None,
            ),
            // The whole day, in the meeting's own offset.
            Some(r) => r.until = Some((u.value.days() + 1) * 86_400 - 1 - i64::from(offset) * 60),
        }
    }
    // The calendar's rule is in UTC: weekdays move with the date.
    if let Some(r) = rule.as_mut() {
        let local_days = (start + i64::from(offset) * 60).div_euclid(86_400);
        let shift = start.div_euclid(86_400) - local_days;
        let at = rrule
            .as_ref()
            .or(repeat.as_ref())
            .map_or(missing_at, |s| s.loc);
        if shift != 0 {
            if r.freq == Freq::Weekly {
                for d in &mut r.byday {
                    d.1 = (i64::from(d.1) + shift).rem_euclid(7) as u8;
                }
                r.byday.sort_by_key(|&(_, d)| d);
            } else if !r.byday.is_empty() || !r.bymonthday.is_empty() {
                err(
                    f,
                    at,
                    "this meeting starts on another day in UTC than where it is held, so its monthly days cannot be kept".into(),
                    Some("start it at a time that is the same day in UTC, or use a weekly rule".into()),
                );
                rule = None;
            }
        }
        if let Some(r) = &rule {
            if r.expand(start).next() != Some(start) {
                let first = r.expand(start).next();
                err(
                    f,
                    at,
                    "`start` is not an occurrence of the recurrence".into(),
                    Some(match first {
                        Some(t) => format!(
                            "start on the first one instead: {}",
                            local_text(t, offset, minutes)
                        ),
                        None => "the rule has no occurrence at all".into(),
                    }),
                );
                rule = None;
            }
        }
    }
    let agenda = match t.get("agenda").map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => vec![s.to_string()],
        Some(_) => f
            .string_list(t, "agenda")
            .into_iter()
            .map(|s| s.value)
            .collect(),
        None => Vec::new(),
    };
    let location = f.string(t, "location").map(|s| s.value);
    let link = f.string(t, "link").map(|s| s.value);
    let facilitator = f.string(t, "facilitator");
    Meeting {
        id,
        title: title.map(|s| s.value).unwrap_or_default(),
        start,
        offset,
        minutes,
        repeat: repeat.map(|r| r.value),
        rule,
        location,
        link,
        facilitator,
        agenda,
        doc,
    }
}

impl Meeting {
    /// The next `n` starts (UTC seconds) at or after `from`.
    pub fn next(&self, from: i64, n: usize) -> Vec<i64> {
        match &self.rule {
            None => (self.start >= from)
                .then_some(self.start)
                .into_iter()
                .collect(),
            Some(r) => r
                .expand(self.start)
                .filter(|&t| t >= from)
                .take(n)
                .collect(),
        }
    }

    /// How it repeats, for people.
    pub fn recurrence_text(&self) -> Option<String> {
        let r = self.rule.as_ref()?;
        Some(match &self.repeat {
            Some(s) => {
                let mut c = s.trim().chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            }
            None => format!("RRULE {}", r.to_rrule()),
        })
    }
}

/// TEXT value escaping (RFC 5545 3.3.11).
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets (never inside a UTF-8
/// character), with CRLF.
fn ics_line(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = 75;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The leading space counts toward the next line's 75 octets.
        limit = 74;
    }
}

/// What a calendar needs beyond the meetings.
pub struct CalendarInfo<'a> {
    pub name: &'a str,
    /// The host part of UIDs: the site's host, or "copbook".
    pub host: &'a str,
    /// Absolute URL of /meetings/, when the site URL is a full one.
    pub page_url: Option<String>,
}

/// A VCALENDAR with the given meetings; `facilitator` names each one's
/// facilitator.
pub fn calendar(info: &CalendarInfo<'_>, meetings: &[(&Meeting, Option<String>)]) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//copbook//copbook//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        ics_line(&mut out, l);
    }
    ics_line(&mut out, &format!("X-WR-CALNAME:{}", ics_text(info.name)));
    for (m, facilitator) in meetings {
        ics_line(&mut out, "BEGIN:VEVENT");
        ics_line(&mut out, &format!("UID:{}@{}", m.id, info.host));
        // Stable across builds: the event's own start, not the build time.
        ics_line(&mut out, &format!("DTSTAMP:{}", utc_stamp(m.start)));
        ics_line(&mut out, &format!("DTSTART:{}", utc_stamp(m.start)));
        let (h, mi) = (m.minutes / 60, m.minutes % 60);
        let dur = match (h, mi) {
            (0, mi) => format!("PT{mi}M"),
            (h, 0) => format!("PT{h}H"),
            (h, mi) => format!("PT{h}H{mi}M"),
        };
        ics_line(&mut out, &format!("DURATION:{dur}"));
        if let Some(r) = &m.rule {
            ics_line(&mut out, &format!("RRULE:{}", r.to_rrule()));
        }
        ics_line(&mut out, &format!("SUMMARY:{}", ics_text(&m.title)));
        if let Some(l) = &m.location {
            ics_line(&mut out, &format!("LOCATION:{}", ics_text(l)));
        } else if let Some(l) = &m.link {
            ics_line(&mut out, &format!("LOCATION:{}", ics_text(l)));
        }
        let url = m
            .link
            .clone()
            .or_else(|| info.page_url.as_ref().map(|u| format!("{u}#{}", m.id)));
        if let Some(u) = url {
            ics_line(&mut out, &format!("URL:{u}"));
        }
        let mut desc = String::new();
        if let Some(f) = facilitator {
            let _ = writeln!(desc, "Facilitator: {f}");
        }
        if !m.agenda.is_empty() {
            desc.push_str("Agenda:\n");
            for a in &m.agenda {
                let _ = writeln!(desc, "- {a}");
            }
        }
        if let Some(l) = m.link.as_ref().filter(|_| m.location.is_some()) {
            let _ = writeln!(desc, "Join: {l}");
        }
        let desc = desc.trim_end();
        if !desc.is_empty() {
            ics_line(&mut out, &format!("DESCRIPTION:{}", ics_text(desc)));
        }
        ics_line(&mut out, "END:VEVENT");
    }
    ics_line(&mut out, "END:VCALENDAR");
    out
}

/// `calendar.ics` with every meeting and `meetings/<id>.ics` for each,
/// when the handbook has meetings.
pub fn calendar_files(hb: &crate::resolve::Handbook) -> Vec<crate::render::OutFile> {
    if hb.meetings.is_empty() {
        return Vec::new();
    }
    let site = &hb.config.site_url;
    let full = crate::feed::is_full_url(site);
    let host = if full {
        site.split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .filter(|h| !h.is_empty())
            .unwrap_or("copbook")
    } else {
        "copbook"
    };
    let info = CalendarInfo {
        name: &hb.config.title,
        host,
        page_url: full.then(|| format!("{site}meetings/")),
    };
    let with_facilitator: Vec<(&Meeting, Option<String>)> = hb
        .meetings
        .iter()
        .zip(&hb.meeting_facilitator)
        .map(|(m, f)| (m, f.as_ref().map(|d| hb.dest_title(d))))
        .collect();
    let mut files = vec![crate::render::OutFile::new(
        "calendar.ics",
        calendar(&info, &with_facilitator).into_bytes(),
    )];
    for one in &with_facilitator {
        files.push(crate::render::OutFile::new(
            format!("meetings/{}.ics", one.0.id),
            calendar(&info, std::slice::from_ref(one)).into_bytes(),
        ));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        // "2026-12-03 13:00" UTC
        let (d, t) = s.split_once(' ').unwrap();
        let (h, m) = t.split_once(':').unwrap();
        Date::parse(d).unwrap().days() * 86_400
            + h.parse::<i64>().unwrap() * 3600
            + m.parse::<i64>().unwrap() * 60
    }

    fn starts(r: &Rule, start: &str, n: usize) -> Vec<String> {
        r.expand(at(start))
            .take(n)
            .map(|t| utc_stamp(t)[..13].to_owned())
            .collect()
    }

    #[test]
    fn simple_forms_become_rrules() {
        let rr = |s: &str| parse_repeat(s).map(|r| r.to_rrule());
        assert_eq!(rr("weekly").unwrap(), "FREQ=WEEKLY");
        assert_eq!(rr("Every 2 weeks").unwrap(), "FREQ=WEEKLY;INTERVAL=2");
        assert_eq!(rr("every other month").unwrap(), "FREQ=MONTHLY;INTERVAL=2");
        assert_eq!(
            rr("monthly on the 2nd thursday").unwrap(),
            "FREQ=MONTHLY;BYDAY=2TH"
        );
        assert_eq!(
            rr("every 3 months on the last friday").unwrap(),
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR"
        );
        assert_eq!(
            rr("weekly on thursday and mon").unwrap(),
            "FREQ=WEEKLY;BYDAY=MO,TH"
        );
        assert!(rr("every blue moon").is_err());
        assert!(rr("monthly on the 9th thursday").is_err());
    }

    #[test]
    fn rrules_are_validated() {
        assert_eq!(
            parse_rrule("RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630T170000Z")
                .unwrap()
                .to_rrule(),
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630T170000Z"
        );
        for bad in [
            "BYDAY=MO",
            "FREQ=WEEKLY;BYSETPOS=1",
            "FREQ=WEEKLY;COUNT=2;UNTIL=20270101",
            "FREQ=HOURLY",
            "FREQ=MONTHLY;BYDAY=TH",
            "FREQ=WEEKLY;INTERVAL=0",
            "FREQ=WEEKLY;UNTIL=2027-01-01",
        ] {
            assert!(parse_rrule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expands_like_rfc_5545() {
        let r = parse_repeat("monthly on the 2nd thursday").unwrap();
        assert_eq!(
            starts(&r, "2026-12-10 13:00", 4),
            [
                "20261210T1300",
                "20270114T1300",
                "20270211T1300",
                "20270311T1300"
            ]
        );
        let r = parse_repeat("monthly on the last friday").unwrap();
        assert_eq!(
            starts(&r, "2027-01-29 09:00", 3),
            ["20270129T0900", "20270226T0900", "20270326T0900"]
        );
        let r = parse_repeat("every 2 weeks").unwrap();
        assert_eq!(
            starts(&r, "2026-12-31 23:00", 3),
            ["20261231T2300", "20270114T2300", "20270128T2300"]
        );
        // Months without a 31st are skipped.
        let r = parse_repeat("monthly").unwrap();
        assert_eq!(
            starts(&r, "2027-01-31 10:00", 3),
            ["20270131T1000", "20270331T1000", "20270531T1000"]
        );
        let mut r = parse_rrule("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3").unwrap();
        assert_eq!(
            starts(&r, "2026-11-23 08:00", 9),
            ["20261123T0800", "20261125T0800", "20261130T0800"]
        );
        r.count = None;
        r.until = Some(at("2026-11-30 08:00"));
        assert_eq!(starts(&r, "2026-11-23 08:00", 9).len(), 3);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90m"), Some(90));
        assert_eq!(parse_duration("1h30m"), Some(90));
        assert_eq!(parse_duration("1h 30min"), Some(90));
        assert_eq!(parse_duration("2h"), Some(120));
        for bad in ["", "90", "h", "1d", "25h", "0m", "1.5h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "é".repeat(100));
        ics_line(&mut out, &long);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = out.trim_end().replace("\r\n ", "");
        assert_eq!(unfolded, long);
        assert_eq!(ics_text("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }
}
