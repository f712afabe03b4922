//! Typed reading of TOML tables with exact positions. Every record kind
//! declares the keys it knows; anything else is an error with a
//! did-you-mean, and every problem in a table is reported, not just the first.

use crate::diag::{Diagnostic, did_you_mean};
use crate::model::Date;
use crate::source::{Loc, Source, Spanned};
use toml::de::{DeTable, DeValue};

type SpannedValue<'i> = toml::Spanned<DeValue<'i>>;

/// Reads fields out of one TOML document that sits at `base` in `src`.
pub struct Fields<'a> {
    src: &'a Source,
    base: usize,
    pub diags: Vec<Diagnostic>,
    /// Set when the document already failed to parse: missing required
    /// keys are then not reported again.
    pub quiet_missing: bool,
}

impl<'a> Fields<'a> {
    pub fn new(src: &'a Source, base: usize) -> Self {
        Fields {
            src,
            base,
            diags: Vec::new(),
            quiet_missing: false,
        }
    }

    pub fn loc(&self, span: std::ops::Range<usize>) -> Loc {
        self.src.loc(self.base + span.start)
    }

    fn err(&mut self, span: std::ops::Range<usize>, msg: String, hint: Option<String>) {
        let d = Diagnostic::error(self.src.path.clone(), self.loc(span), msg).with_hint(hint);
        self.diags.push(d);
    }

    /// Parses the TOML text, reporting syntax errors; returns what could be
    /// recovered so that field errors are reported too.
    pub fn parse<'i>(&mut self, text: &'i str) -> Option<DeTable<'i>> {
        let (table, errors) = DeTable::parse_recoverable(text);
        let ok = errors.is_empty();
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_owned();
            self.err(span, format!("invalid TOML: {msg}"), None);
        }
        if ok { Some(table.into_inner()) } else { None }
    }

    /// Reports every key of `table` that is not in `known`.
    pub fn known_keys(&mut self, table: &DeTable<'_>, what: &str, known: &[&str]) {
        for key in table.keys() {
            if !known.contains(&key.get_ref().as_ref()) {
                let name = key.get_ref().to_string();
                let hint = did_you_mean(&name, known.iter().copied())
                    .or_else(|| Some(format!("{what} accepts: {}", known.join(", "))));
                self.err(key.span(), format!("unknown key `{name}` in {what}"), hint);
            }
        }
    }

    fn get<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t SpannedValue<'i>> {
        table.get(key)
    }

    fn type_error(&mut self, key: &str, v: &SpannedValue<'_>, expected: &str) {
        self.err(
            v.span(),
            format!(
                "`{key}` must be {expected}, found {}",
                v.get_ref().type_str()
            ),
            None,
        );
    }

    pub fn string(&mut self, table: &DeTable<'_>, key: &str) -> Option<Spanned<String>> {
        let v = Self::get(table, key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(Spanned::new(s.to_string(), self.loc(v.span()))),
            _ => {
                self.type_error(key, v, "a string");
                None
            }
        }
    }

    /// A required string; a missing one is reported at `missing_at`.
    pub fn required_string(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        what: &str,
        missing_at: Loc,
    ) -> Option<Spanned<String>> {
        if Self::get(table, key).is_none() {
            if self.quiet_missing {
                return None;
            }
            self.diags.push(
                Diagnostic::error(
                    self.src.path.clone(),
                    missing_at,
                    format!("{what} is missing `{key}`"),
                )
                .with_hint(Some(format!("add `{key} = \"…\"` to the front matter"))),
            );
            return None;
        }
        let s = self.string(table, key)?;
        if s.value.trim().is_empty() {
            self.diags.push(Diagnostic::error(
                self.src.path.clone(),
                s.loc,
                format!("`{key}` must not be empty"),
            ));
        }
        Some(s)
    }

    pub fn int(&mut self, table: &DeTable<'_>, key: &str) -> Option<Spanned<i64>> {
        let v = Self::get(table, key)?;
        let parsed = match v.get_ref() {
            DeValue::Integer(i) => {
                i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
            }
            _ => None,
        };
        match (parsed, v.get_ref()) {
            (Some(n), _) => Some(Spanned::new(n, self.loc(v.span()))),
            (None, DeValue::Integer(_)) => {
                self.err(
                    v.span(),
                    format!("`{key}` is out of range"),
                    Some(
                        "use a number between -9223372036854775808 and 9223372036854775807".into(),
                    ),
                );
                None
            }
            (None, _) => {
                self.type_error(key, v, "an integer");
                None
            }
        }
    }

    pub fn bool(&mut self, table: &DeTable<'_>, key: &str) -> Option<Spanned<bool>> {
        let v = Self::get(table, key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(*b, self.loc(v.span()))),
            _ => {
                self.type_error(key, v, "true or false");
                None
            }
        }
    }

    /// A list of strings; each element keeps its own position.
    pub fn string_list(&mut self, table: &DeTable<'_>, key: &str) -> Vec<Spanned<String>> {
        let Some(v) = Self::get(table, key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.type_error(key, v, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) if s.trim().is_empty() => {
                    self.err(
                        item.span(),
                        format!("`{key}` has an empty entry"),
                        Some("remove it or write its text".into()),
                    );
                }
                DeValue::String(s) => out.push(Spanned::new(s.to_string(), self.loc(item.span()))),
                _ => self.type_error(key, item, "an array of strings"),
            }
        }
        out
    }

    /// A TOML date such as `2027-03-01` (no time part).
    pub fn date(&mut self, table: &DeTable<'_>, key: &str) -> Option<Spanned<Date>> {
        let v = Self::get(table, key)?;
        let date = match v.get_ref() {
            DeValue::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.date,
            _ => None,
        };
        match date {
            Some(d) => Some(Spanned::new(
                Date {
                    year: d.year,
                    month: d.month,
                    day: d.day,
                },
                self.loc(v.span()),
            )),
            None => {
                let hint = if matches!(v.get_ref(), DeValue::String(_)) {
                    Some("write the date without quotes, like `2027-03-01`".to_owned())
                } else {
                    None
                };
                self.err(
                    v.span(),
                    format!(
                        "`{key}` must be a date like 2027-03-01, found {}",
                        v.get_ref().type_str()
                    ),
                    hint,
                );
                None
            }
        }
    }

    /// A string that must be one of `allowed`.
    pub fn one_of(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        allowed: &[&str],
    ) -> Option<Spanned<String>> {
        let s = self.string(table, key)?;
        if allowed.contains(&s.value.as_str()) {
            Some(s)
        } else {
            let hint = did_you_mean(&s.value, allowed.iter().copied())
                .or_else(|| Some(format!("use one of: {}", allowed.join(", "))));
            self.diags.push(
                Diagnostic::error(
                    self.src.path.clone(),
                    s.loc,
                    format!("`{key}` cannot be `{}`", s.value),
                )
                .with_hint(hint),
            );
            None
        }
    }

    /// A sub-table such as `[build]` in book.toml; anything else is an error.
    pub fn table<'t, 'i>(&mut self, table: &'t DeTable<'i>, key: &str) -> Option<&'t DeTable<'i>> {
        let v = Self::get(table, key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.type_error(key, v, "a table");
                None
            }
        }
    }
}
