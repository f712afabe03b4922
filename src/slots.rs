//! Large HTML fragments (the sidebar, Markdown bodies, the print page's
//! sections) stand in a template's context as short markers and are
//! spliced into the rendered page afterwards. tera would otherwise copy
//! each of them into its own values and again into its output: for the
//! print page of a 10,000-page handbook that is three copies of 40 MB at
//! once. Fragments can also be made only while splicing ([`Slots::later`]),
//! in parallel and a batch at a time, so that they are never all held;
//! work that needs what a fragment is made from is done beside it (the
//! documents' own pages, from the bodies the print page compiles).
//!
//! A theme's template may do anything with a value, including dropping or
//! filtering it; when a marker does not come out exactly once and intact,
//! [`Slots::splice`] says so and the caller renders the page again with
//! slots off (the fragments themselves in the context).

use rayon::prelude::*;
use std::cell::{Cell, RefCell};
use std::ops::Range;

/// Private-use characters: HTML escaping leaves them alone, so a marker
/// survives `| safe` and autoescaping alike.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';
const TAG: &str = "copbook-slot:";

/// How many deferred fragments are made at once while splicing.
const BATCH: usize = 256;

enum Part<K> {
    Html(String),
    /// Made while splicing; with an estimate of its length.
    Later(K, usize),
}

/// The fragments of one page being rendered.
pub struct Slots<K> {
    on: bool,
    parts: RefCell<Vec<Part<K>>>,
    /// The part made by [`Slots::shared`], whose place in the spliced page
    /// [`Slots::splice`] reports.
    shared: Cell<Option<usize>>,
}

/// A page with its fragments spliced in.
#[derive(Debug, PartialEq, Eq)]
pub struct Spliced<S> {
    pub html: String,
    /// What `make` gave besides each deferred fragment, in page order.
    pub side: Vec<S>,
    /// Where the fragment given to [`Slots::shared`] is in `html`.
    pub shared: Option<Range<usize>>,
}

impl<K: Copy + Send + Sync> Slots<K> {
    /// With `on` false, every fragment goes into the context as it is.
    pub fn new(on: bool) -> Self {
        Slots {
            on,
            parts: RefCell::new(Vec::new()),
            shared: Cell::new(None),
        }
    }

    fn marker(&self, part: Part<K>) -> String {
        let mut parts = self.parts.borrow_mut();
        let n = parts.len();
        parts.push(part);
        format!("{OPEN}{TAG}{n}{CLOSE}")
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    /// `html` itself, or a marker standing for it.
    pub fn html(&self, html: String) -> String {
        if self.on {
            self.marker(Part::Html(html))
        } else {
            html
        }
    }

    /// [`Slots::html`] for the one fragment of the page that many pages
    /// hold (the sidebar): [`Slots::splice`] says where it went.
    pub fn shared(&self, html: String) -> String {
        if self.on {
            self.shared.set(Some(self.parts.borrow().len()));
        }
        self.html(html)
    }

    /// A marker for a fragment made from `key` while splicing, or `None`
    /// when slots are off (the caller makes the fragment now). `estimate`
    /// is its expected length: the page is allocated once, at its full
    /// size, instead of doubling (and copying) as it grows. Reserved but
    /// unwritten memory costs nothing, so an estimate on the high side is
    /// the cheap error.
    pub fn later(&self, key: K, estimate: usize) -> Option<String> {
        self.on.then(|| self.marker(Part::Later(key, estimate)))
    }

    /// The rendered `page` with each marker replaced by its fragment
    /// (deferred ones made by `make`, in parallel batches), and what `make`
    /// gave besides each fragment, in page order: work that shares what a
    /// fragment is made from is done while it is at hand. `None` when the
    /// template did not output every marker exactly once (then `make` was
    /// not called).
    pub fn splice<S: Send>(
        self,
        page: &str,
        make: impl Fn(K) -> (String, S) + Sync,
    ) -> Option<Spliced<S>> {
        let parts = self.parts.into_inner();
        let shared_part = self.shared.get();
        if parts.is_empty() {
            return Some(Spliced {
                html: page.to_owned(),
                side: Vec::new(),
                shared: None,
            });
        }
        let found = find_markers(page, parts.len())?;
        let html_len: usize = parts
            .iter()
            .map(|p| match p {
                Part::Html(h) => h.len(),
                Part::Later(_, estimate) => *estimate,
            })
            .sum();
        let mut out = String::with_capacity(page.len() + html_len);
        let mut side = Vec::new();
        let mut pending: Vec<(&str, K)> = Vec::new();
        let flush = |out: &mut String, side: &mut Vec<S>, pending: &mut Vec<(&str, K)>| {
            let made: Vec<(String, S)> = pending.par_iter().map(|&(_, k)| make(k)).collect();
            for ((before, _), (html, s)) in pending.drain(..).zip(made) {
                out.push_str(before);
                out.push_str(&html);
                side.push(s);
            }
        };
        let mut pos = 0;
        let mut shared = None;
        for (start, end, n) in found {
            let before = &page[pos..start];
            pos = end;
            match &parts[n] {
                Part::Html(h) => {
                    flush(&mut out, &mut side, &mut pending);
                    out.push_str(before);
                    if shared_part == Some(n) {
                        shared = Some(out.len()..out.len() + h.len());
                    }
                    out.push_str(h);
                }
                Part::Later(k, _) => {
                    pending.push((before, *k));
                    if pending.len() >= BATCH {
                        flush(&mut out, &mut side, &mut pending);
                    }
                }
            }
        }
        flush(&mut out, &mut side, &mut pending);
        out.push_str(&page[pos..]);
        Some(Spliced {
            html: out,
            side,
            shared,
        })
    }
}

/// Every marker of `page` as (start, end, part), in page order, when each
/// of the `count` parts occurs exactly once.
fn find_markers(page: &str, count: usize) -> Option<Vec<(usize, usize, usize)>> {
    let first = OPEN.to_string();
    let first = first.as_bytes()[0];
    let b = page.as_bytes();
    let mut seen = vec![false; count];
    let mut found = Vec::with_capacity(count);
    let mut i = 0;
    while let Some(p) = memchr::memchr(first, &b[i..]) {
        let start = i + p;
        i = start + 1;
        let Some(rest) = page[start..]
            .strip_prefix(OPEN)
            .and_then(|r| r.strip_prefix(TAG))
        else {
            continue;
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = rest[..digits].parse().ok()?;
        if !rest[digits..].starts_with(CLOSE) || n >= count || seen[n] {
            return None;
        }
        seen[n] = true;
        let end = start + OPEN.len_utf8() + TAG.len() + digits + CLOSE.len_utf8();
        found.push((start, end, n));
        i = end;
    }
    seen.iter().all(|&s| s).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_fragments_in_place_and_refuses_a_lost_or_doubled_marker() {
        let slots: Slots<u32> = Slots::new(true);
        let a = slots.html("<p>A</p>".into());
        let b = slots.later(7, 10).expect("on");
        let c = slots.shared("<nav>N</nav>".into());
        let page = format!("<main>{a}<div>{b}</div>{c}</main>");
        let out = slots.splice(&page, |k| (format!("<i>{k}</i>"), k * 2));
        let html = "<main><p>A</p><div><i>7</i></div><nav>N</nav></main>";
        let at = html.find("<nav>").expect("spliced");
        assert_eq!(
            out,
            Some(Spliced {
                html: html.to_owned(),
                side: vec![14],
                shared: Some(at..at + "<nav>N</nav>".len()),
            })
        );

        let slots: Slots<u32> = Slots::new(true);
        let a = slots.html("x".into());
        let nothing = |_| (String::new(), ());
        assert_eq!(slots.splice(&format!("{a}{a}"), nothing), None);
        let slots: Slots<u32> = Slots::new(true);
        let _ = slots.html("x".into());
        assert_eq!(slots.splice("dropped", nothing), None);

        let off: Slots<u32> = Slots::new(false);
        assert_eq!(off.html("as is".into()), "as is");
        assert_eq!(off.shared("as is".into()), "as is");
        assert_eq!(off.later(1, 0), None);
    }
}
