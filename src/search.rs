//! Search: a static index that the browser queries on its own
//! (`themes/default/search.js`), built from the resolved handbook.
//!
//! What is indexed: answer pages (title, questions, body), the home page
//! and phase intros (as pages), members (name; organisation, expertise;
//! roles held, bio), roles (title; summary, responsibilities; commitment,
//! body), norms (title; category; body) and cases (title; questions,
//! member; body). The three fields weigh 3, 2 and 1 in the term
//! frequencies that BM25 ranks with.
//!
//! Words are split as `unicode-segmentation` splits them (UAX #29), with a
//! fast path for ASCII; a word is stemmed with the Snowball stemmer of the
//! book's language (English when it has none) and folded to lower-case
//! ASCII letters and digits with `deunicode`, so that "Kovač" and "kovac"
//! are one term.
//!
//! The output, under `search/`:
//! - `meta.json`: the number of documents, their average length, the id
//!   ranges of each kind and of each phase's pages (doc ids are assigned in
//!   site order, so a range is all a filter needs), and the first key of
//!   each shard;
//! - `idx-<n>.json`: the shards. The sorted key space is cut into ranges of
//!   about [`SHARD_BYTES`]; a key belongs to the last shard whose first key
//!   is not greater. A shard is `{"w": {word: stem}, "p": {stem: postings}}`:
//!   `w` maps a query word (folded, and also merely lower-cased, so that a
//!   word of another script is found as typed) to its stem where the two
//!   differ, and `p` holds the postings of the stems in its range. The
//!   client thus needs no stemmer: it folds a query word, looks it up, and
//!   reads the postings, usually from the same shard;
//! - `doc-<g>.json`: the documents `g * DOC_GROUP` to `g * DOC_GROUP +
//!   DOC_GROUP - 1`, an array of `{"t": title, "u": url, "x": text}`, `x`
//!   being about the first [`EXCERPT_BYTES`] of the document's plain text,
//!   from which the client cuts an excerpt around the match. Only the
//!   groups of the results shown are fetched. A group, not a file per
//!   document: creating a file costs about as much as indexing a page, so
//!   10,000 files made the index cost more than the Markdown floor, and
//!   [`DOC_GROUP`] consecutive documents compress well together over HTTP.
//!
//! Postings are a string of base-32 varints (see [`ALPHABET`]): for each
//! document, the gap from the previous doc id and the weighted term
//! frequency, then one character for the document's length quantised on a
//! log scale (`length ≈ NORM_BASE^n`). A term found in every page of a
//! 10,000-page handbook costs about 30 KB.
//!
//! Cost: one pass over each Markdown body finds its words and the text of
//! its excerpt at once (no Markdown parser: the syntax characters break
//! words anyway, so only what a reader does not see is skipped), and the
//! words are counted in a hash map per document, in parallel. Each run of
//! documents also numbers its distinct words in parallel, so the serial
//! merge that stems them looks up each run's vocabulary once, not every
//! word of every document (about 30 ms on one core at 10,000 pages).

use crate::render::OutFile;
use crate::resolve::{Dest, DocKey, Handbook};
use rayon::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashMap;
use std::fmt::Write as _;
use unicode_segmentation::UnicodeSegmentation;

/// Target size of a shard; a single term with more postings gets a shard
/// of its own.
pub const SHARD_BYTES: usize = 24 * 1024;
/// How much of a document's plain text its doc file keeps for excerpts.
pub const EXCERPT_BYTES: usize = 3000;
/// Document lengths are stored as `round(ln(len) / ln(NORM_BASE))`.
pub const NORM_BASE: f64 = 1.2;
/// Field weights: title, middle field (questions, summary…), body.
pub const WEIGHTS: [u32; 3] = [3, 2, 1];
/// BM25 parameters, written to `meta.json` for the client.
pub const K1: f64 = 1.2;
pub const B: f64 = 0.75;
/// Digits of the postings' varints: the first 32 end a number, the last 32
/// carry 5 more bits (least significant group first).
pub const ALPHABET: &[u8; 64] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
/// Format version of the files, for the client and other tools.
/// 2: documents in groups of [`DOC_GROUP`] (`"group"` in `meta.json`).
pub const FORMAT: u32 = 2;
/// How many consecutive documents share a `doc-<g>.json`.
pub const DOC_GROUP: usize = 4;

/// The kinds of documents, in the order their ids are assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Page,
    Member,
    Role,
    Norm,
    Case,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Page => "page",
            Kind::Member => "member",
            Kind::Role => "role",
            Kind::Norm => "norm",
            Kind::Case => "case",
        }
    }
    const ALL: [Kind; 5] = [Kind::Page, Kind::Member, Kind::Role, Kind::Norm, Kind::Case];
}

// ---------------------------------------------------------------------------
// Hashing words: most are short, and counting them is the hot loop.

const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

fn load_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn load_u32(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(
        b[at..at + 4].try_into().expect("4 bytes"),
    ))
}

/// Up to 8 bytes as one number, exactly (overlapping loads; with the
/// length, two words of up to 8 bytes are equal when these are).
fn small(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 4 {
        load_u32(b, 0) | (load_u32(b, n - 4) << 32)
    } else if n > 0 {
        u64::from(b[0]) | (u64::from(b[n / 2]) << 8) | (u64::from(b[n - 1]) << 16)
    } else {
        0
    }
}

fn mix(a: u64, b: u64) -> u64 {
    let m = u128::from(a ^ MUL).wrapping_mul(u128::from(b ^ 0xe703_7ed1_a0b4_28db));
    (m as u64) ^ ((m >> 64) as u64)
}

/// A fast hash of a word (a few wide loads and multiplications).
fn word_hash(w: &str) -> u64 {
    let b = w.as_bytes();
    let n = b.len();
    if n <= 8 {
        mix(small(b), n as u64)
    } else {
        let mut acc = n as u64;
        let mut i = 0;
        while i + 8 < n {
            acc = mix(acc ^ load_u64(b, i), MUL);
            i += 8;
        }
        mix(acc ^ load_u64(b, n - 8), n as u64)
    }
}

fn word_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    n == b.len()
        && match n {
            0..=8 => small(a) == small(b),
            9..=16 => load_u64(a, 0) == load_u64(b, 0) && load_u64(a, n - 8) == load_u64(b, n - 8),
            _ => a == b,
        }
}

/// An entry of a [`WordTable`]; an empty key marks a free slot (words are
/// never empty).
#[derive(Clone, Copy)]
struct Slot<'a> {
    key: &'a str,
    hash: u64,
    val: u32,
}

const FREE: Slot<'static> = Slot {
    key: "",
    hash: 0,
    val: 0,
};

/// A hash table from words to numbers, open addressing with linear
/// probing: counting words is the hot loop, and this is several times
/// faster than a general map with a general hasher.
struct WordTable<'a> {
    slots: Vec<Slot<'a>>,
    len: usize,
    /// The slots in use, in insertion order.
    used: Vec<u32>,
}

impl<'a> WordTable<'a> {
    fn with_capacity(n: usize) -> Self {
        WordTable {
            slots: vec![FREE; (n * 2).next_power_of_two().max(16)],
            len: 0,
            used: Vec::with_capacity(n),
        }
    }

    /// Empties the table, keeping its memory.
    fn clear(&mut self) {
        for &i in &self.used {
            self.slots[i as usize] = FREE;
        }
        self.used.clear();
        self.len = 0;
    }

    /// The value of `key` (of hash `hash`), inserted as `init` when absent.
    #[inline]
    fn entry(&mut self, key: &'a str, hash: u64, init: impl FnOnce() -> u32) -> &mut u32 {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = (hash as usize) & mask;
        loop {
            let s = self.slots[i];
            if s.key.is_empty() {
                self.slots[i] = Slot {
                    key,
                    hash,
                    val: init(),
                };
                self.len += 1;
                self.used.push(i as u32);
                return &mut self.slots[i].val;
            }
            if s.hash == hash && word_eq(s.key, key) {
                return &mut self.slots[i].val;
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, vec![FREE; size]);
        let mask = self.slots.len() - 1;
        for u in &mut self.used {
            let s = old[*u as usize];
            let mut i = (s.hash as usize) & mask;
            while !self.slots[i].key.is_empty() {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
            *u = i as u32;
        }
    }

    /// The entries, in insertion order.
    fn entries(&self) -> impl Iterator<Item = &Slot<'a>> {
        self.used.iter().map(|&i| &self.slots[i as usize])
    }
}

/// FNV-1a, for the index's version.
#[derive(Default, Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

// ---------------------------------------------------------------------------
// Folding and stemming.

/// The Snowball algorithm for a book's `language` (`en`, `fr-CA`, …).
pub fn algorithm(language: &str) -> Algorithm {
    let primary = language
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match primary.as_str() {
        "ar" => Algorithm::Arabic,
        "da" => Algorithm::Danish,
        "nl" => Algorithm::Dutch,
        "fi" => Algorithm::Finnish,
        "fr" => Algorithm::French,
        "de" => Algorithm::German,
        "el" => Algorithm::Greek,
        "hu" => Algorithm::Hungarian,
        "it" => Algorithm::Italian,
        "no" | "nb" | "nn" => Algorithm::Norwegian,
        "pt" => Algorithm::Portuguese,
        "ro" => Algorithm::Romanian,
        "ru" => Algorithm::Russian,
        "es" => Algorithm::Spanish,
        "sv" => Algorithm::Swedish,
        "ta" => Algorithm::Tamil,
        "tr" => Algorithm::Turkish,
        _ => Algorithm::English,
    }
}

/// Folds a word as search keys are folded: ASCII transliteration, lower
/// case, letters and digits only ("Kovač's" → "kovacs").
pub fn fold(word: &str, out: &mut String) {
    out.clear();
    for c in word.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            }
        } else if let Some(s) = deunicode::deunicode_char(c) {
            out.extend(
                s.bytes()
                    .filter(u8::is_ascii_alphanumeric)
                    .map(|b| char::from(b.to_ascii_lowercase())),
            );
        }
    }
}

/// The keys and the stem of one distinct word: the folded key, the merely
/// lower-cased one when it differs (as the client tries both), and the
/// folded stem. `None` for a word with no letter or digit left.
fn keys_and_stem(stemmer: &Stemmer, word: &str) -> Option<(String, Option<String>, String)> {
    let lower = word.to_lowercase();
    let raw: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    let mut folded = String::with_capacity(raw.len());
    fold(&lower, &mut folded);
    if folded.is_empty() {
        // No transliteration: the word is its own key.
        folded.clone_from(&raw);
    }
    if folded.is_empty() {
        return None;
    }
    // The stemmer wants the word as written, less apostrophes ("group's").
    let bare: String = lower
        .chars()
        .filter(|&c| c != '\'' && c != '\u{2019}')
        .collect();
    let mut stem = String::with_capacity(folded.len());
    fold(&stemmer.stem(&bare), &mut stem);
    if stem.is_empty() {
        stem.clone_from(&folded);
    }
    let raw = (raw != folded && !raw.is_empty()).then_some(raw);
    Some((folded, raw, stem))
}

// ---------------------------------------------------------------------------
// Words.

/// Byte classes of the scanners.
const C_OTHER: u8 = 0;
const C_ALNUM: u8 = 1;
const C_UNDERSCORE: u8 = 2;
/// `:` (MidLetter in UAX #29).
const C_MIDLETTER: u8 = 3;
/// `.` and `'` (MidNumLet).
const C_MIDNUMLET: u8 = 4;
/// `,` and `;` (MidNum).
const C_MIDNUM: u8 = 5;
const C_NONASCII: u8 = 6;
/// A byte that the Markdown scanner acts on (see [`md_scan`]).
const C_SPECIAL: u8 = 7;

const fn classes(markdown: bool) -> [u8; 256] {
    let mut t = [C_OTHER; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_alphanumeric() {
            C_ALNUM
        } else if b >= 0x80 {
            C_NONASCII
        } else {
            match b {
                b'_' => C_UNDERSCORE,
                b':' => C_MIDLETTER,
                b'.' | b'\'' => C_MIDNUMLET,
                b',' | b';' => C_MIDNUM,
                b'<' | b'[' | b']' | b'{' | b'&' | b'!' | b'*' | b'`' | b'~' | b'#' | b'|'
                | b'\\' | b'"'
                    if markdown =>
                {
                    C_SPECIAL
                }
                _ if b < 0x20 && markdown => C_SPECIAL,
                _ => C_OTHER,
            }
        };
        i += 1;
    }
    t
}
static TEXT_CLASS: [u8; 256] = classes(false);
static MD_CLASS: [u8; 256] = classes(true);

fn is_word_class(c: u8) -> bool {
    matches!(
        c,
        C_ALNUM | C_UNDERSCORE | C_MIDLETTER | C_MIDNUMLET | C_MIDNUM | C_NONASCII
    )
}

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

const fn rep(c: u8) -> u64 {
    (c as u64) * 0x0101_0101_0101_0101
}

/// The high bit of each byte of `x` that is an ASCII letter, digit or `_`
/// (eight bytes at once, exactly: no carry crosses a byte).
fn word_bytes(x: u64) -> u64 {
    let x7 = x & LOW7;
    let lower = x7 | rep(0x20);
    let letter = (lower + rep(0x80 - b'a')) & !(lower + rep(0x7f - b'z'));
    let digit = (x7 + rep(0x80 - b'0')) & !(x7 + rep(0x7f - b'9'));
    let v = x7 ^ rep(b'_');
    let underscore = !(((v & LOW7) + LOW7) | v);
    (letter | digit | underscore) & !x & HIGH
}

/// The end of the run of ASCII letters, digits and `_` from `j`.
#[inline]
fn word_run_end(b: &[u8], mut j: usize) -> usize {
    while j + 8 <= b.len() {
        let other = !word_bytes(load_u64(b, j)) & HIGH;
        if other != 0 {
            return j + (other.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    j
}

/// Whether the middle character `mid` (of class `cls`) joins `prev` and
/// `next` into one word: between letters (WB6/7) or digits (WB11/12).
fn joins(cls: u8, prev: u8, next: u8) -> bool {
    let letters = matches!(cls, C_MIDLETTER | C_MIDNUMLET)
        && prev.is_ascii_alphabetic()
        && next.is_ascii_alphabetic();
    let digits =
        matches!(cls, C_MIDNUM | C_MIDNUMLET) && prev.is_ascii_digit() && next.is_ascii_digit();
    letters || digits
}

/// Calls `f` with each word of `text` exactly as `unicode_words` splits it
/// (UAX #29 word boundaries, keeping the segments with a letter or digit),
/// with a fast path for ASCII: only runs that hold other characters go
/// through `unicode-segmentation`.
pub fn for_each_word<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    let mut sink = Words {
        text,
        emitted: 0,
        start: None,
        alnum: false,
    };
    let b = text.as_bytes();
    let mut i = 0;
    let mut floor = 0;
    while i < b.len() {
        let cls = TEXT_CLASS[b[i] as usize];
        i = sink.step(b, i, cls, &mut floor, &mut f);
    }
    sink.end(b.len(), &mut f);
}

/// The state of the word splitter.
struct Words<'t> {
    text: &'t str,
    /// Where the last word emitted ends.
    emitted: usize,
    /// The start of the word being read.
    start: Option<usize>,
    alnum: bool,
}

impl<'t> Words<'t> {
    /// Ends the current word at `at`.
    #[inline]
    fn end(&mut self, at: usize, f: &mut impl FnMut(&'t str)) {
        if let Some(s) = self.start.take() {
            if self.alnum {
                f(&self.text[s..at]);
                self.emitted = at;
            }
        }
    }

    /// Handles the byte at `i` of class `cls` (not `C_SPECIAL`); returns
    /// the next index. `floor` is where the current run of word-ish bytes
    /// began, for the non-ASCII fallback.
    #[inline]
    fn step(
        &mut self,
        b: &[u8],
        i: usize,
        cls: u8,
        floor: &mut usize,
        f: &mut impl FnMut(&'t str),
    ) -> usize {
        match cls {
            C_ALNUM | C_UNDERSCORE => {
                // The hot loop: the rest of the letters and digits at once.
                let j = word_run_end(b, i + 1);
                let alnum = cls == C_ALNUM || b[i..j].iter().any(u8::is_ascii_alphanumeric);
                if self.start.is_none() {
                    self.start = Some(i);
                    self.alnum = alnum;
                } else {
                    self.alnum |= alnum;
                }
                j
            }
            C_MIDLETTER | C_MIDNUMLET | C_MIDNUM => {
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                // Before a non-ASCII character, the fallback decides.
                if !(self.start.is_some() && (next >= 0x80 || joins(cls, b[i - 1], next))) {
                    self.end(i, f);
                }
                i + 1
            }
            C_NONASCII => self.fallback(b, i, *floor, f),
            _ => {
                self.end(i, f);
                *floor = i + 1;
                i + 1
            }
        }
    }

    /// A run with a non-ASCII character goes through `unicode-segmentation`,
    /// from the end of the last word emitted (a true boundary) to the end
    /// of the run. Returns the end of the run.
    #[cold]
    fn fallback(&mut self, b: &[u8], i: usize, floor: usize, f: &mut impl FnMut(&'t str)) -> usize {
        let from = floor.max(self.emitted);
        let mut end = i;
        while end < b.len() && is_word_class(TEXT_CLASS[b[end] as usize]) {
            end += 1;
        }
        for w in self.text[from..end].unicode_words() {
            f(w);
        }
        self.emitted = end;
        self.start = None;
        end
    }
}

// ---------------------------------------------------------------------------
// Markdown.

/// The excerpt being written: JSON string contents, up to a budget.
struct Excerpt<'o> {
    out: &'o mut String,
    limit: usize,
}

impl Excerpt<'_> {
    fn full(&self) -> bool {
        self.out.len() >= self.limit
    }
    /// Copies text that needs no escaping (cut at a character boundary when
    /// the budget runs out).
    fn raw(&mut self, s: &str) {
        let room = self.limit.saturating_sub(self.out.len());
        if s.len() <= room {
            self.out.push_str(s);
        } else {
            let mut e = room;
            while !s.is_char_boundary(e) {
                e -= 1;
            }
            self.out.push_str(&s[..e]);
        }
    }
    fn push(&mut self, c: char) {
        if !self.full() {
            self.out.push(c);
        }
    }
    /// A space, unless there is one already (or nothing yet).
    fn space(&mut self) {
        if !self.full() && !self.out.ends_with([' ', '"']) {
            self.out.push(' ');
        }
    }
    /// Copies text that may need escaping.
    fn text(&mut self, s: &str) {
        if !self.full() {
            push_json_chars(self.out, s);
        }
    }
}

/// What a wiki link `[[target]]` reads as: the title of what it links to.
fn wiki_title<'a>(hb: &'a Handbook, from: DocKey, target: &'a str) -> &'a str {
    match hb.resolve_link(from, target, true) {
        Ok(t) => match t.dest {
            Dest::Doc(k) => hb.title(k),
            Dest::Index(ix) => ix.title(),
            Dest::File(_) => target,
        },
        Err(_) => target,
    }
}

/// The first `c` in `b` before the end of the line.
fn find_in_line(b: &[u8], c: u8) -> Option<usize> {
    b.iter()
        .position(|&x| x == c || x == b'\n')
        .filter(|&p| b[p] == c)
}

fn line_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&x| x == b'\n')
        .map_or(b.len(), |p| from + p)
}

/// Whether a line is made only of `chars` and blanks, at least three of
/// them (thematic breaks, setext underlines, table delimiter rows).
fn rule_line(line: &[u8], chars: &[u8]) -> bool {
    let mut count = 0;
    for &c in line {
        if chars.contains(&c) {
            count += 1;
        } else if !matches!(c, b' ' | b'\t' | b'\r') {
            return false;
        }
    }
    count >= 3
}

/// At the start of a line: skips the block markers (indentation, quote
/// marks, list markers, task boxes, heading marks), or the whole line when
/// a reader sees none of it (code fences, reference definitions, rules).
/// Returns where the line's text starts.
fn line_start(b: &[u8], mut i: usize) -> usize {
    let t = b[i..]
        .iter()
        .position(|&c| c != b' ' && c != b'\t')
        .map_or(b.len(), |p| i + p);
    let first = b.get(t).copied().unwrap_or(b'\n');
    // Lines a reader does not see: most lines start with a letter and are
    // not looked at further.
    let second = b.get(t + 1).copied().unwrap_or(b'\n');
    let maybe_hidden = match first {
        b'`' | b'~' => second == first,
        b'-' | b'=' | b'*' | b'_' => {
            let third = b.get(t + 2).copied().unwrap_or(b'\n');
            matches!(second, b'-' | b'=' | b'*' | b'_')
                || (matches!(second, b' ' | b'\t') && matches!(third, b'-' | b'*' | b'_'))
        }
        b'|' | b'[' | b':' => true,
        _ => false,
    };
    if maybe_hidden {
        let end = line_end(b, t);
        let rest = &b[t..end];
        if rest.starts_with(b"```") || rest.starts_with(b"~~~") {
            return end;
        }
        if rule_line(rest, b"-=*_")
            || (rest.contains(&b'|') && rest.contains(&b'-') && rule_line(rest, b"|-:"))
        {
            return end;
        }
        if first == b'[' && rest.get(1) != Some(&b'[') {
            if let Some(e) = rest.windows(2).position(|w| w == b"]:") {
                if !rest[1..e].contains(&b']') {
                    return end;
                }
            }
        }
    }
    if first.is_ascii_alphabetic() || first >= 0x80 {
        return t;
    }
    // Block quote and list markers, task boxes, heading marks.
    i = t;
    loop {
        let r = &b[i..];
        let sp = r.iter().take_while(|&&c| c == b' ').count();
        let r = &r[sp..];
        let digits = r.iter().take(10).take_while(|c| c.is_ascii_digit()).count();
        let blank_after = |k: usize| matches!(r.get(k), Some(b' ' | b'\t' | b'\n') | None);
        let marker = match r.first() {
            Some(b'>') => 1,
            Some(b'-' | b'*' | b'+') if blank_after(1) => 2,
            _ if digits > 0
                && digits < 10
                && matches!(r.get(digits), Some(b'.' | b')'))
                && blank_after(digits + 1) =>
            {
                digits + 2
            }
            _ => 0,
        };
        if marker == 0 {
            break;
        }
        i = (i + sp + marker).min(b.len());
        if b.get(i - 1) == Some(&b'\n') {
            // A marker alone on its line.
            return i - 1;
        }
    }
    for task in [b"[ ] ", b"[x] ", b"[X] "] {
        if b[i..].starts_with(task) {
            i += 4;
        }
    }
    let hashes = b[i..].iter().take(7).take_while(|&&c| c == b'#').count();
    if (1..=6).contains(&hashes) && matches!(b.get(i + hashes), Some(b' ' | b'\t' | b'\n') | None) {
        i += hashes;
    }
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// One pass over a Markdown body: calls `f` with each word a reader sees
/// and writes the start of its plain text (as JSON string contents) to
/// `excerpt`, up to about `limit` bytes.
///
/// No parser: the syntax characters are word breaks anyway, so only what a
/// reader does not see is skipped (link destinations, HTML tags and
/// comments, heading attributes, entities, footnote labels, reference
/// definitions, block markers, code fences), and a wiki link without a
/// label reads as its target's title, as on the rendered page. Words are
/// the same as [`for_each_word`] gives for the text.
pub fn md_scan<'a>(
    hb: &'a Handbook,
    from: DocKey,
    body: &'a str,
    excerpt: &mut String,
    limit: usize,
    mut f: impl FnMut(&'a str),
) {
    let b = body.as_bytes();
    let n = b.len();
    let mut x = Excerpt {
        out: excerpt,
        limit,
    };
    let mut words = Words {
        text: body,
        emitted: 0,
        start: None,
        alnum: false,
    };
    let mut floor = 0;
    // Titles of the wiki links seen: a page often links one target twice.
    let mut titles: Vec<(&str, &str)> = Vec::new();
    let mut i = line_start(b, 0);
    // Text from `copied` to the current byte goes to the excerpt as it is.
    let mut copied = i;
    while i < n {
        let cls = MD_CLASS[b[i] as usize];
        if cls != C_SPECIAL {
            i = words.step(b, i, cls, &mut floor, &mut f);
            continue;
        }
        words.end(i, &mut f);
        if !x.full() {
            x.raw(&body[copied..i]);
        }
        let c = b[i];
        // Where the text goes on.
        let mut next = i + 1;
        match c {
            b'\n' => {
                x.space();
                next = line_start(b, i + 1);
            }
            b'<' => {
                if body[i + 1..].starts_with("!--") {
                    next = body[i + 4..].find("-->").map_or(n, |e| i + 4 + e + 3);
                } else if b
                    .get(i + 1)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'/')
                {
                    // A tag or an autolink.
                    next = body[i..].find('>').map_or(n, |e| i + e + 1);
                } else {
                    x.push('<');
                }
            }
            b'[' => match b.get(i + 1) {
                Some(b'[') => {
                    let close = find_in_line(&b[i + 2..], b']').map(|e| i + 2 + e);
                    if let Some(e) = close.filter(|&e| b.get(e + 1) == Some(&b']')) {
                        let inner = &body[i + 2..e];
                        let shown = match inner.split_once('|') {
                            Some((_, label)) => label,
                            None => match titles.iter().find(|(t, _)| *t == inner) {
                                Some(&(_, title)) => title,
                                None => {
                                    let title = wiki_title(hb, from, inner);
                                    titles.push((inner, title));
                                    title
                                }
                            },
                        };
                        for_each_word(shown, &mut f);
                        x.text(shown);
                        next = e + 2;
                    }
                }
                Some(b'^') => {
                    next = find_in_line(&b[i..], b']').map_or(i + 1, |e| i + e + 1);
                }
                _ => {}
            },
            b']' => match b.get(i + 1) {
                Some(b'(') => {
                    let mut depth = 0usize;
                    let mut j = i + 1;
                    while j < n {
                        match b[j] {
                            b'(' => depth += 1,
                            b')' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            // A blank line: not a link after all.
                            b'\n' if b.get(j + 1) == Some(&b'\n') => break,
                            _ => {}
                        }
                        j += 1;
                    }
                    next = if j < n && b[j] == b')' { j + 1 } else { j };
                }
                Some(b'[') => {
                    next = find_in_line(&b[i + 1..], b']').map_or(i + 1, |e| i + 1 + e + 1);
                }
                _ => {}
            },
            b'{' if matches!(b.get(i + 1), Some(b'#' | b'.')) => {
                // Heading attributes, at the end of a line.
                let end = line_end(b, i);
                let ends_here = body[i..end]
                    .rfind('}')
                    .is_some_and(|c| body[i + c + 1..end].trim().is_empty());
                if ends_here {
                    next = end;
                } else {
                    x.push('{');
                }
            }
            b'{' => x.push('{'),
            b'&' => {
                let len = b[i + 1..]
                    .iter()
                    .take(10)
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'#')
                    .count();
                if len > 0 && b.get(i + 1 + len) == Some(&b';') {
                    let entity = &body[i + 1..i + 1 + len];
                    let shown = match entity {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\\\"",
                        "#39" | "apos" => "'",
                        "nbsp" => " ",
                        _ => "",
                    };
                    if !x.full() {
                        x.raw(shown);
                    }
                    next = i + len + 2;
                } else {
                    x.push('&');
                }
            }
            b'!' => {
                if b.get(i + 1) != Some(&b'[') {
                    x.push('!');
                }
            }
            b'"' => {
                if !x.full() {
                    x.raw("\\\"");
                }
            }
            b'|' => x.space(),
            // Emphasis, code and heading marks and escapes are dropped;
            // other control characters read as a space.
            b'*' | b'`' | b'~' | b'#' | b'\\' => {}
            _ => x.space(),
        }
        floor = next;
        i = next.max(i + 1);
        copied = i;
    }
    words.end(n, &mut f);
    if !x.full() && copied < n {
        x.raw(&body[copied..]);
    }
}

/// Appends `s` as JSON string contents: quotes and backslashes escaped,
/// control characters made spaces.
fn push_json_chars(out: &mut String, s: &str) {
    let mut from = 0;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if c >= 0x20 && c != b'"' && c != b'\\' {
            continue;
        }
        out.push_str(&s[from..i]);
        from = i + 1;
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            _ => out.push(' '),
        }
    }
    out.push_str(&s[from..]);
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    push_json_chars(&mut out, s);
    out.push('"');
    out
}

// ---------------------------------------------------------------------------
// Documents.

/// What one document contributes, borrowed from the handbook.
struct Source<'a> {
    key: DocKey,
    kind: Kind,
    title: &'a str,
    /// The middle field (weight 2).
    mid: Vec<&'a str>,
    /// Short body-weight text before the body (commitment, role titles).
    extra: Vec<&'a str>,
    body: Option<&'a str>,
    /// Whether the excerpt starts with the middle field (records) or with
    /// the body (pages, whose questions are headings of the body).
    excerpt_mid: bool,
}

/// Every document to index, in id order: the home page, each phase's intro
/// and pages, then members, roles, norms and cases. Returns the sources and
/// the id range of each phase.
fn sources(hb: &Handbook) -> (Vec<Source<'_>>, Vec<(usize, usize)>) {
    let mut v = Vec::with_capacity(
        hb.pages.len() + hb.members.len() + hb.roles.len() + hb.norms.len() + hb.cases.len() + 8,
    );
    let body = |k: DocKey| hb.doc(k).map(|d| hb.body(d));
    if hb.home.is_some() {
        v.push(Source {
            key: DocKey::Home,
            kind: Kind::Page,
            title: hb.home_title(),
            mid: Vec::new(),
            extra: Vec::new(),
            body: body(DocKey::Home),
            excerpt_mid: false,
        });
    }
    let mut phase_ranges = Vec::with_capacity(hb.phases.len());
    for (pi, p) in hb.phases.iter().enumerate() {
        let start = v.len();
        if p.doc.is_some() {
            v.push(Source {
                key: DocKey::Phase(pi),
                kind: Kind::Page,
                title: &p.title,
                mid: p.summary.as_deref().into_iter().collect(),
                extra: Vec::new(),
                body: body(DocKey::Phase(pi)),
                excerpt_mid: true,
            });
        }
        for &i in &hb.phase_pages[pi] {
            let page = &hb.pages[i];
            v.push(Source {
                key: DocKey::Page(i),
                kind: Kind::Page,
                title: &page.title,
                mid: page.questions.iter().map(|q| q.value.as_str()).collect(),
                extra: Vec::new(),
                body: Some(hb.body(&page.doc)),
                excerpt_mid: false,
            });
        }
        phase_ranges.push((start, v.len()));
    }
    for (i, m) in hb.members.iter().enumerate() {
        let mut mid: Vec<&str> = m.organization.as_deref().into_iter().collect();
        mid.extend(m.expertise.iter().map(String::as_str));
        let roles = hb.member_roles.get(i).map_or(&[][..], Vec::as_slice);
        v.push(Source {
            key: DocKey::Member(i),
            kind: Kind::Member,
            title: &m.name,
            mid,
            extra: roles.iter().map(|&r| hb.roles[r].title.as_str()).collect(),
            body: Some(hb.body(&m.doc)),
            excerpt_mid: true,
        });
    }
    for (i, r) in hb.roles.iter().enumerate() {
        let mut mid: Vec<&str> = r.summary.as_deref().into_iter().collect();
        mid.extend(r.responsibilities.iter().map(String::as_str));
        v.push(Source {
            key: DocKey::Role(i),
            kind: Kind::Role,
            title: &r.title,
            mid,
            extra: r.commitment.as_deref().into_iter().collect(),
            body: Some(hb.body(&r.doc)),
            excerpt_mid: true,
        });
    }
    for (i, n) in hb.norms.iter().enumerate() {
        v.push(Source {
            key: DocKey::Norm(i),
            kind: Kind::Norm,
            title: &n.title,
            mid: n.category.as_deref().into_iter().collect(),
            extra: Vec::new(),
            body: Some(hb.body(&n.doc)),
            excerpt_mid: true,
        });
    }
    for (i, c) in hb.cases.iter().enumerate() {
        let mut mid: Vec<&str> = c.questions.iter().map(|q| q.value.as_str()).collect();
        if let Some(&Some(m)) = hb.case_member.get(i) {
            mid.push(&hb.members[m].name);
        }
        v.push(Source {
            key: DocKey::Case(i),
            kind: Kind::Case,
            title: hb.case_title(i),
            mid,
            extra: Vec::new(),
            body: Some(hb.body(&c.doc)),
            excerpt_mid: false,
        });
    }
    (v, phase_ranges)
}

/// What the parallel pass makes of one document.
struct Analysed {
    /// Distinct words, as indices into its chunk's words, with their
    /// weighted frequencies.
    words: Vec<(u32, u32)>,
    /// The doc file.
    file: String,
    /// A hash of its title and URL (for the index's version).
    hash: u64,
}

/// A run of documents analysed together, and the distinct words they use
/// (as written, with their hashes) in the order first seen. Each chunk
/// has its own vocabulary so that the parallel pass, not a serial one,
/// looks each document's words up; merging the chunks then looks up each
/// chunk's distinct words once.
struct Chunk<'a> {
    words: Vec<(&'a str, u64)>,
    docs: Vec<Analysed>,
}

/// Analyses a run of documents with one vocabulary.
fn analyse_chunk<'a>(hb: &'a Handbook, sources: &[Source<'a>]) -> Chunk<'a> {
    let mut counts = WordTable::with_capacity(256);
    let mut vocab = WordTable::with_capacity(4096);
    let mut words = Vec::with_capacity(4096);
    let docs = sources
        .iter()
        .map(|s| analyse(hb, s, &mut counts, &mut vocab, &mut words))
        .collect();
    Chunk { words, docs }
}

fn analyse<'a>(
    hb: &'a Handbook,
    s: &Source<'a>,
    counts: &mut WordTable<'a>,
    vocab: &mut WordTable<'a>,
    vocab_words: &mut Vec<(&'a str, u64)>,
) -> Analysed {
    counts.clear();
    let mut add = |w: &'a str, weight: u32| *counts.entry(w, word_hash(w), || 0) += weight;
    let url = hb.url(s.key);
    let mut file = String::with_capacity(
        s.body.map_or(0, str::len).min(EXCERPT_BYTES) + s.title.len() + url.len() + 64,
    );
    file.push_str("{\"t\":");
    file.push_str(&json_str(s.title));
    file.push_str(",\"u\":");
    file.push_str(&json_str(url));
    file.push_str(",\"x\":\"");
    let x_start = file.len();
    let limit = x_start + EXCERPT_BYTES;

    for_each_word(s.title, |w| add(w, WEIGHTS[0]));
    for m in &s.mid {
        for_each_word(m, |w| add(w, WEIGHTS[1]));
        if s.excerpt_mid && file.len() < limit {
            push_json_chars(&mut file, m.trim());
            file.push(' ');
        }
    }
    for e in &s.extra {
        for_each_word(e, |w| add(w, WEIGHTS[2]));
        if file.len() < limit {
            push_json_chars(&mut file, e.trim());
            file.push(' ');
        }
    }
    if let Some(body) = s.body {
        md_scan(hb, s.key, body, &mut file, limit, |w| add(w, WEIGHTS[2]));
    }
    // Trailing blanks, and an escape cut in half by the budget.
    while file.len() > x_start && file.ends_with(' ') {
        file.pop();
    }
    let slashes = file[x_start..]
        .bytes()
        .rev()
        .take_while(|&c| c == b'\\')
        .count();
    if slashes % 2 == 1 {
        file.pop();
    }
    file.push_str("\"}");
    let mut h = Fnv::new();
    h.write(s.title.as_bytes());
    h.write(&[0]);
    h.write(url.as_bytes());
    let words = counts
        .entries()
        .map(|w| {
            let local = *vocab.entry(w.key, w.hash, || {
                vocab_words.push((w.key, w.hash));
                (vocab_words.len() - 1) as u32
            });
            (local, w.val)
        })
        .collect();
    Analysed {
        words,
        file,
        hash: h.0,
    }
}

// ---------------------------------------------------------------------------
// Encoding.

/// `ln(len) / ln(NORM_BASE)`, rounded, in 0..64.
fn norm_code(len: u32) -> u8 {
    let n = (f64::from(len.max(1)).ln() / NORM_BASE.ln()).round();
    n.clamp(0.0, 63.0) as u8
}

fn push_varint(out: &mut String, mut v: u32) {
    while v >= 32 {
        out.push(char::from(ALPHABET[(32 + (v & 31)) as usize]));
        v >>= 5;
    }
    out.push(char::from(ALPHABET[v as usize]));
}

/// JavaScript compares strings by UTF-16 code units; shards are cut in that
/// order so that the client's binary search agrees.
fn js_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// Builds the search index of a handbook: the files to write under
/// `search/` (paths relative to the site root). Reads only the handbook, so
/// it can run beside the render pass.
pub fn build_index(hb: &Handbook) -> Vec<OutFile> {
    // A few chunks per thread, so that the threads end together.
    let docs = hb.pages.len() + hb.members.len() + hb.roles.len() + hb.norms.len();
    build_index_in_chunks(
        hb,
        (docs / (4 * rayon::current_num_threads())).clamp(64, 2048),
    )
}

/// The index, its documents analysed in runs of `chunk`: how they are cut
/// does not change the index (see the merge below).
fn build_index_in_chunks(hb: &Handbook, chunk: usize) -> Vec<OutFile> {
    let (sources, phase_ranges) = sources(hb);
    let mut chunks: Vec<Chunk<'_>> = sources
        .par_chunks(chunk)
        .map(|c| analyse_chunk(hb, c))
        .collect();

    // The vocabulary: each distinct word is folded and stemmed once. The
    // chunks are merged in order, each one's words in the order first
    // seen, so stems are numbered and keys claimed in the order of the
    // words' first use in the handbook, however it was cut.
    const NONE: u32 = u32::MAX;
    let stemmer = Stemmer::create(algorithm(&hb.config.language));
    let mut vocab = WordTable::with_capacity(4096);
    let mut stem_ids: HashMap<String, u32> = HashMap::with_capacity(4096);
    let mut stems: Vec<String> = Vec::new();
    let mut keys: HashMap<String, u32> = HashMap::with_capacity(4096);
    let maps: Vec<Vec<u32>> = chunks
        .iter()
        .map(|c| {
            c.words
                .iter()
                .map(|&(raw, hash)| {
                    *vocab.entry(raw, hash, || {
                        let Some((folded, raw_key, stem)) = keys_and_stem(&stemmer, raw) else {
                            return NONE;
                        };
                        let sid = match stem_ids.get(&stem) {
                            Some(&s) => s,
                            None => {
                                let s = stems.len() as u32;
                                stem_ids.insert(stem.clone(), s);
                                stems.push(stem);
                                s
                            }
                        };
                        keys.entry(folded).or_insert(sid);
                        if let Some(k) = raw_key {
                            keys.entry(k).or_insert(sid);
                        }
                        sid
                    })
                })
                .collect()
        })
        .collect();
    drop(vocab);
    // Per stem, its number of postings (at most), and each document's
    // length.
    let mut counts: Vec<u32> = vec![0; stems.len()];
    let mut lengths: Vec<u32> = Vec::with_capacity(sources.len());
    for (c, map) in chunks.iter().zip(&maps) {
        for d in &c.docs {
            let mut dl = 0u32;
            for &(local, tf) in &d.words {
                let sid = map[local as usize];
                if sid != NONE {
                    dl += tf;
                    counts[sid as usize] += 1;
                }
            }
            lengths.push(dl);
        }
    }
    // Postings, in doc order; two words of one stem in a doc ("Data",
    // "data") add up.
    let mut postings: Vec<Vec<(u32, u32)>> = counts
        .iter()
        .map(|&c| Vec::with_capacity(c as usize))
        .collect();
    let mut id = 0u32;
    for (c, map) in chunks.iter_mut().zip(&maps) {
        for d in &mut c.docs {
            for &(local, tf) in &d.words {
                let sid = map[local as usize];
                if sid == NONE {
                    continue;
                }
                let list = &mut postings[sid as usize];
                match list.last_mut() {
                    Some((doc, n)) if *doc == id => *n += tf,
                    _ => list.push((id, tf)),
                }
            }
            // The largest part of the index's memory (a 10,000-page build
            // holds its pages' render beside it): freed as soon as read.
            d.words = Vec::new();
            id += 1;
        }
    }
    drop(maps);
    let mut docs: Vec<Analysed> = chunks.into_iter().flat_map(|c| c.docs).collect();
    let n = docs.len();
    let avgdl = if n == 0 {
        0.0
    } else {
        lengths.iter().map(|&l| f64::from(l)).sum::<f64>() / n as f64
    };

    let norms: Vec<u8> = lengths
        .iter()
        .map(|&l| ALPHABET[norm_code(l) as usize])
        .collect();
    let encoded: Vec<String> = postings
        .par_iter()
        .map(|list| {
            let mut s = String::with_capacity(list.len() * 4);
            let mut prev = 0u32;
            for &(doc, tf) in list {
                push_varint(&mut s, doc - prev);
                prev = doc;
                push_varint(&mut s, tf);
                s.push(char::from(norms[doc as usize]));
            }
            s
        })
        .collect();
    drop(postings);

    // Every key of the index, in the client's string order: query words
    // whose stem differs (`w`) and stems (`p`).
    #[derive(Default)]
    struct Entry {
        word_of: Option<u32>,
        stem: Option<u32>,
    }
    let mut entries: HashMap<&str, Entry> = HashMap::with_capacity(keys.len() + stems.len());
    for (k, &sid) in &keys {
        if *k != stems[sid as usize] {
            entries.entry(k).or_default().word_of = Some(sid);
        }
    }
    for (sid, s) in stems.iter().enumerate() {
        entries.entry(s).or_default().stem = Some(sid as u32);
    }
    let mut entries: Vec<(&str, Entry)> = entries.into_iter().collect();
    entries.sort_unstable_by(|a, b| js_order(a.0, b.0));

    // Cut the key space into shards: (first key, `w` entries, `p` entries).
    // A word and its stem are kept in one shard where they are neighbours
    // (`meeting`, `meet`), so that most queries fetch one shard.
    let mut shards: Vec<(&str, String, String)> = Vec::new();
    let mut size = 0usize;
    let mut here: Vec<u32> = Vec::new();
    for (key, e) in &entries {
        let w = e.word_of.map(|sid| &stems[sid as usize]);
        let p = e.stem.map(|sid| &encoded[sid as usize]);
        let add = key.len() * 2 + w.map_or(0, |s| s.len() + 6) + p.map_or(0, |s| s.len() + 6);
        let related = e.word_of.is_some_and(|sid| here.contains(&sid))
            || e.stem.is_some_and(|sid| here.contains(&sid));
        if shards.is_empty() || (size + add > SHARD_BYTES && size > 0 && !related) {
            shards.push((key, String::new(), String::new()));
            size = 0;
            here.clear();
        }
        here.extend(e.word_of.iter().chain(&e.stem));
        let shard = shards.last_mut().expect("a shard");
        for (val, buf) in [(w, &mut shard.1), (p, &mut shard.2)] {
            if let Some(val) = val {
                if !buf.is_empty() {
                    buf.push(',');
                }
                // Keys and stems are letters and digits, postings are
                // ALPHABET: nothing to escape.
                let _ = write!(buf, "\"{key}\":\"{val}\"");
            }
        }
        size += add;
    }
    if shards.is_empty() {
        shards.push(("", String::new(), String::new()));
    }
    // The first shard starts at the beginning of the key space.
    shards[0].0 = "";

    let mut files: Vec<OutFile> = Vec::with_capacity(shards.len() + n + 1);
    let mut version = Fnv::new();
    for (i, (_, w, p)) in shards.iter().enumerate() {
        let bytes = format!("{{\"w\":{{{w}}},\"p\":{{{p}}}}}").into_bytes();
        version.write(&bytes);
        files.push(OutFile::new(format!("search/idx-{i}.json"), bytes));
    }
    for (g, group) in docs.chunks_mut(DOC_GROUP).enumerate() {
        let len = group.iter().map(|d| d.file.len() + 1).sum::<usize>() + 1;
        let mut bytes = Vec::with_capacity(len);
        for d in group {
            version.write(&d.hash.to_le_bytes());
            bytes.push(if bytes.is_empty() { b'[' } else { b',' });
            // Freed as it is copied: the excerpts are 25 MB at 10,000 pages.
            bytes.extend_from_slice(std::mem::take(&mut d.file).as_bytes());
        }
        bytes.push(b']');
        files.push(OutFile::new(format!("search/doc-{g}.json"), bytes));
    }

    let mut meta = String::with_capacity(1024);
    let _ = write!(
        meta,
        "{{\"format\":{FORMAT},\"version\":\"{:016x}\",\"n\":{n},\"group\":{DOC_GROUP},\"avgdl\":{avgdl:.3},\"k1\":{K1},\"b\":{B},\"norm\":{NORM_BASE},\"kinds\":{{",
        version.0
    );
    let mut first = true;
    for k in Kind::ALL {
        let ids: Vec<usize> = (0..n).filter(|&i| sources[i].kind == k).collect();
        if let (Some(&a), Some(&b)) = (ids.first(), ids.last()) {
            if !first {
                meta.push(',');
            }
            first = false;
            let _ = write!(meta, "\"{}\":[{a},{}]", k.as_str(), b + 1);
        }
    }
    meta.push_str("},\"phases\":[");
    for (pi, (a, b)) in phase_ranges.iter().enumerate() {
        if pi > 0 {
            meta.push(',');
        }
        let p = &hb.phases[pi];
        let _ = write!(
            meta,
            "{{\"slug\":{},\"title\":{},\"start\":{a},\"end\":{b}}}",
            json_str(&p.slug),
            json_str(&p.title)
        );
    }
    meta.push_str("],\"shards\":[");
    for (i, (k, _, _)) in shards.iter().enumerate() {
        if i > 0 {
            meta.push(',');
        }
        meta.push_str(&json_str(k));
    }
    meta.push_str("]}");
    files.push(OutFile::new("search/meta.json", meta.into_bytes()));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        let mut v = Vec::new();
        for_each_word(s, |w| v.push(w));
        v
    }

    /// Stems are numbered, and keys claimed by the first word to use
    /// them, in the order of the words' first use in the handbook; the
    /// chunks of the parallel pass are merged so that this order, and so
    /// the files, do not depend on how the documents were cut.
    #[test]
    fn the_index_does_not_depend_on_how_documents_are_cut() {
        let hb = crate::build::good_fixture();
        let files = |chunk| -> Vec<(String, String)> {
            build_index_in_chunks(&hb, chunk)
                .into_iter()
                .map(|f| (f.path, String::from_utf8(f.bytes).expect("UTF-8")))
                .collect()
        };
        let whole = files(usize::MAX);
        let groups = whole.iter().filter(|(p, _)| p.starts_with("search/doc-"));
        assert!(
            groups.count() > 2,
            "the fixture has several groups of documents ({} files)",
            whole.len()
        );
        assert!(
            whole
                .iter()
                .any(|(p, t)| p == "search/idx-0.json" && t.contains("\"w\":{\""))
        );
        for chunk in [1, 2, 3, 7] {
            assert_eq!(files(chunk), whole, "cut into runs of {chunk}");
        }
    }

    #[test]
    fn folds() {
        let mut s = String::new();
        fold("Kovač's", &mut s);
        assert_eq!(s, "kovacs");
        fold("Straße", &mut s);
        assert_eq!(s, "strasse");
        fold("ÉTÉ", &mut s);
        assert_eq!(s, "ete");
        let st = Stemmer::create(Algorithm::English);
        assert_eq!(
            keys_and_stem(&st, "Kovač"),
            Some(("kovac".into(), Some("kovač".into()), "kovac".into()))
        );
        assert_eq!(
            keys_and_stem(&st, "Meetings"),
            Some(("meetings".into(), None, "meet".into()))
        );
        assert_eq!(
            keys_and_stem(&st, "group's"),
            Some(("groups".into(), None, "group".into()))
        );
    }

    #[test]
    fn words_as_uax29() {
        let cases = [
            "Hello, world! It's 3,000.5 e.g. a:b a.1 1.a snake_case __ _x x_ 'quoted' end.",
            "Kovač's café—naïve “quotes” 北京市 ΑΘΗΝΑ don’t x.y.z 1;2 a;b ab12cd 12ab",
            "...a..b,,1,,2 :a: _:_ a_:b a'b' '1'2 1'2 1' ab.é é.ab ab:é a,é",
        ];
        for c in cases {
            let want: Vec<&str> = c.unicode_words().collect();
            assert_eq!(words(c), want, "{c}");
        }
        // Every short string over a tricky alphabet.
        let alphabet = [
            "a", "1", "_", ":", ".", "'", ",", ";", " ", "-", "é", "’", "北",
        ];
        let mut s = String::new();
        for n in 0..alphabet.len().pow(4) {
            s.clear();
            let mut k = n;
            for _ in 0..4 {
                s.push_str(alphabet[k % alphabet.len()]);
                k /= alphabet.len();
            }
            let want: Vec<&str> = s.unicode_words().collect();
            assert_eq!(words(&s), want, "{s:?}");
        }
    }

    #[test]
    fn swar_word_bytes() {
        for c in 0..=255u8 {
            let want = c.is_ascii_alphanumeric() || c == b'_';
            for pos in 0..8 {
                let mut bytes = [b' '; 8];
                bytes[pos] = c;
                let got = word_bytes(u64::from_le_bytes(bytes)) & (0x80 << (pos * 8)) != 0;
                assert_eq!(got, want, "{c} at {pos}");
            }
        }
        assert_eq!(word_run_end(b"abc_12Z9xyz de", 0), 11);
        assert_eq!(word_run_end("abcdefghé".as_bytes(), 0), 8);
    }

    #[test]
    fn word_table() {
        let mut m = WordTable::with_capacity(2);
        let words = [
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdefgh",
            "abcdefghi",
            "bacd",
            "abdc",
            "x",
        ];
        for w in words.iter().chain(&words) {
            *m.entry(w, word_hash(w), || 0) += 1;
        }
        assert_eq!(m.entries().count(), words.len());
        assert!(m.entries().all(|s| s.val == 2));
        assert_eq!(m.entries().next().map(|s| s.key), Some("a"));
        m.clear();
        assert_eq!(m.entries().count(), 0);
        *m.entry("x", word_hash("x"), || 5) += 1;
        assert_eq!(m.entries().map(|s| s.val).collect::<Vec<_>>(), [6]);
        assert!(!word_eq("abcd", "abdc"));
        assert!(word_eq("abcdefghij", "abcdefghij"));
        assert!(!word_eq("abcdefghij", "abcdefghik"));
    }

    #[test]
    fn varints() {
        let mut s = String::new();
        for v in [0, 31, 32, 1000, 40_000] {
            push_varint(&mut s, v);
        }
        let digit = |c: u8| ALPHABET.iter().position(|&a| a == c).expect("digit") as u32;
        let mut out = Vec::new();
        let (mut v, mut shift) = (0u32, 0);
        for c in s.bytes() {
            let d = digit(c);
            v |= (d & 31) << shift;
            if d < 32 {
                out.push(v);
                v = 0;
                shift = 0;
            } else {
                shift += 5;
            }
        }
        assert_eq!(out, [0, 31, 32, 1000, 40_000]);
    }

    #[test]
    fn json_chars() {
        let mut s = String::new();
        push_json_chars(&mut s, "a \"b\"\\c\n\td");
        assert_eq!(s, "a \\\"b\\\"\\\\c  d");
    }

    #[test]
    fn languages() {
        assert!(matches!(algorithm("fr-CA"), Algorithm::French));
        assert!(matches!(algorithm("en"), Algorithm::English));
        assert!(matches!(algorithm("xx"), Algorithm::English));
    }
}
