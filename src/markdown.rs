//! Markdown: one pass at load time finds the headings (with GitHub-style
//! ids and whether anything is written under them) and the links; a second
//! pass at render time writes HTML with links rewritten.
//!
//! Analysis runs without smart punctuation so that heading text and ids are
//! computed from what the author typed, exactly as GitHub does; rendering
//! turns it on. Both passes see the same headings in the same order.
//!
//! A body is shown on its own page and again on the print page, each with
//! other links and ids. Parsing is most of the cost of rendering, so the
//! second pass is split: [`compile`] parses and writes the HTML once,
//! noting where it depends on the page (ids, link targets, marks after
//! headings, prose that may gain glossary links), and [`Compiled::fill`]
//! writes it for one page's [`RenderHooks`]. [`render`] is the two in a
//! row: there is one renderer. The places are found by counting what
//! pulldown-cmark's writer has written when it takes each event, not by
//! markers in the text, so a body may contain any character.

use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

fn base_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_WIKILINKS
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    /// Plain text of the heading as written.
    pub text: String,
    /// Anchor id, unique within the document.
    pub id: String,
    /// The text as questions are matched against it (`normalize_question`).
    pub key: String,
    /// Byte offset of the heading in the body.
    pub offset: usize,
    /// Whether content (not white space, not an HTML comment) follows it
    /// before the next heading of the same or a higher level.
    pub has_content: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// `[[target]]` (wiki) or the destination of `[text](target)`.
    pub target: String,
    pub wiki: bool,
    /// Byte offset of the link in the body.
    pub offset: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    pub headings: Vec<Heading>,
    /// Wiki links, relative links (to `.md` pages or to files such as
    /// images) and `#anchor` links: the ones copbook checks and rewrites.
    pub links: Vec<Link>,
    /// Links and images to other sites (`http:` and `https:`), which
    /// `copbook check --external` checks over the network.
    pub external: Vec<Link>,
    /// The headings by id and by question key, so that looking one up
    /// does not scan them all: 100,000 links to anchors stay linear.
    index: HeadingIndex,
    /// A hash of the analysed text itself: serve's fingerprints stand a
    /// body by it, hashed once when the file is read rather than on every
    /// rebuild (at 10,000 pages, 30 MB of Markdown each time).
    pub body_hash: u64,
}

/// Heading numbers sorted by what they are looked up by, rather than
/// maps holding copies of the strings: two tables and a string per heading
/// fewer for every body loaded (about 1% of a build at 10,000 pages).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct HeadingIndex {
    /// Sorted by the heading's id (ids are unique within a body).
    by_id: Vec<u32>,
    /// Sorted by question key, then by number: the first of a key first.
    by_key: Vec<u32>,
}

impl HeadingIndex {
    fn of(headings: &[Heading]) -> HeadingIndex {
        let n = u32::try_from(headings.len()).unwrap_or(u32::MAX);
        let at = |i: &u32| &headings[*i as usize];
        let mut by_id: Vec<u32> = (0..n).collect();
        by_id.sort_unstable_by(|x, y| at(x).id.cmp(&at(y).id));
        let mut by_key: Vec<u32> = (0..n).collect();
        by_key.sort_unstable_by(|x, y| (&at(x).key, x).cmp(&(&at(y).key, y)));
        HeadingIndex { by_id, by_key }
    }
}

impl Analysis {
    pub fn has_anchor(&self, id: &str) -> bool {
        (self.index.by_id)
            .binary_search_by(|&i| self.headings[i as usize].id.as_str().cmp(id))
            .is_ok()
    }

    /// Whether two analyses differ only in where things are: same headings
    /// (text, ids, answered) and same links. An edit that keeps the shape
    /// changes no other page than its own.
    pub fn same_shape(&self, other: &Analysis) -> bool {
        let h = |a: &Heading, b: &Heading| {
            a.level == b.level && a.id == b.id && a.text == b.text && a.has_content == b.has_content
        };
        let l = |a: &Link, b: &Link| a.target == b.target && a.wiki == b.wiki;
        self.headings.len() == other.headings.len()
            && self.links.len() == other.links.len()
            && self
                .headings
                .iter()
                .zip(&other.headings)
                .all(|(a, b)| h(a, b))
            && self.links.iter().zip(&other.links).all(|(a, b)| l(a, b))
    }

    /// The heading that asks `question`, if the body has one.
    pub fn question_heading(&self, question: &str) -> Option<&Heading> {
        let key = normalize_question(question);
        let by_key = &self.index.by_key;
        let first = by_key.partition_point(|&i| self.headings[i as usize].key < key);
        let h = &self.headings[*by_key.get(first)? as usize];
        (h.key == key).then_some(h)
    }
}

/// GitHub's heading id rule: lower case, punctuation other than `-` and `_`
/// dropped, spaces become `-`.
pub fn github_id(text: &str) -> String {
    let text = text.trim();
    if text.is_ascii() {
        // Most headings: one pass over the bytes, no case tables.
        let mut id = Vec::with_capacity(text.len());
        for b in text.bytes() {
            match b {
                b' ' => id.push(b'-'),
                b'-' | b'_' => id.push(b),
                b if b.is_ascii_alphanumeric() => id.push(b.to_ascii_lowercase()),
                _ => {}
            }
        }
        // ASCII in, ASCII out: never the empty fallback.
        return String::from_utf8(id).unwrap_or_default();
    }
    text.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// Hands out unique ids: repeats get `-1`, `-2`, as on GitHub.
#[derive(Default)]
pub struct IdGen {
    seen: crate::Map<String, usize>,
}

impl IdGen {
    pub fn unique(&mut self, base: String) -> String {
        let base = if base.is_empty() {
            "section".to_owned()
        } else {
            base
        };
        let Some(&n) = self.seen.get(&base) else {
            self.seen.insert(base.clone(), 0);
            return base;
        };
        let mut n = n;
        loop {
            n += 1;
            let candidate = format!("{base}-{n}");
            if !self.seen.contains_key(&candidate) {
                self.seen.insert(base, n);
                self.seen.insert(candidate.clone(), 0);
                return candidate;
            }
        }
    }
}

/// Case, surrounding and repeated white space and typographic quotes are
/// ignored when a heading is matched to a question.
pub fn normalize_question(s: &str) -> String {
    if s.is_ascii() {
        // Most questions: one pass over the bytes. White space as
        // `split_whitespace` sees it in ASCII: space and \t to \r.
        let mut key = Vec::with_capacity(s.len());
        let mut gap = false;
        for b in s.bytes() {
            if b == b' ' || (b'\t'..=b'\r').contains(&b) {
                gap = true;
                continue;
            }
            if gap && !key.is_empty() {
                key.push(b' ');
            }
            gap = false;
            key.push(b.to_ascii_lowercase());
        }
        // ASCII in, ASCII out: never the empty fallback.
        return String::from_utf8(key).unwrap_or_default();
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.is_ascii() {
            // Most questions: no table lookups per character.
            let start = out.len();
            out.push_str(word);
            out[start..].make_ascii_lowercase();
            continue;
        }
        for c in word.chars() {
            match c {
                '\u{2018}' | '\u{2019}' => out.push('\''),
                '\u{201c}' | '\u{201d}' => out.push('"'),
                c => out.extend(c.to_lowercase()),
            }
        }
    }
    out
}

/// Counts the characters of `html` outside comments, carrying the
/// in-comment state across events (a comment may span several).
fn html_has_content(html: &str, in_comment: &mut bool) -> bool {
    let mut rest = html;
    let mut found = false;
    loop {
        if *in_comment {
            match rest.find("-->") {
                Some(i) => {
                    *in_comment = false;
                    rest = &rest[i + 3..];
                }
                None => return found,
            }
        } else {
            match rest.find("<!--") {
                Some(i) => {
                    found |= !rest[..i].trim().is_empty();
                    *in_comment = true;
                    rest = &rest[i + 4..];
                }
                None => return found || !rest.trim().is_empty(),
            }
        }
    }
}

fn is_checked_link(dest: &str) -> bool {
    if dest.starts_with('#') {
        return true;
    }
    if dest.contains("://")
        || dest.starts_with("//")
        || dest.starts_with('/')
        || dest.starts_with("mailto:")
    {
        return false;
    }
    // Any other relative link: a page (`.md`) or a file beside it.
    !dest.is_empty() && !dest.contains(':')
}

/// A link to another site, for `check --external`.
fn is_external_link(dest: &str) -> bool {
    let d = dest.trim_start().as_bytes();
    let starts = |p: &[u8]| d.len() >= p.len() && d[..p.len()].eq_ignore_ascii_case(p);
    starts(b"https://") || starts(b"http://")
}

fn level_num(l: HeadingLevel) -> u8 {
    l as u8
}

pub fn analyze(body: &str) -> Analysis {
    let mut a = Analysis {
        // foldhash's quality hasher with a fixed seed: the same text
        // always gets the same hash, at a fraction of SipHash's cost.
        body_hash: std::hash::BuildHasher::hash_one(
            &foldhash::quality::FixedState::with_seed(0x636f_7062_6f6f_6b00),
            body,
        ),
        ..Analysis::default()
    };
    let mut ids = IdGen::default();
    // Headings still "open": content marks each of them answered.
    let mut open: Vec<usize> = Vec::new();
    let mut in_heading: Option<(u8, usize, Option<String>, String)> = None;
    let mut in_comment = false;
    let mut wiki_depth = 0usize;
    for (ev, range) in Parser::new_ext(body, base_options()).into_offset_iter() {
        let mut content = false;
        match &ev {
            Event::Start(Tag::Heading { level, id, .. }) => {
                let level = level_num(*level);
                while open.last().is_some_and(|&i| a.headings[i].level >= level) {
                    open.pop();
                }
                in_heading = Some((
                    level,
                    range.start,
                    id.as_ref().map(|s| s.to_string()),
                    String::new(),
                ));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, offset, custom, text)) = in_heading.take() {
                    let id = ids.unique(custom.unwrap_or_else(|| github_id(&text)));
                    // The heading's own text is content of the headings above it.
                    for &i in &open {
                        a.headings[i].has_content = true;
                    }
                    open.push(a.headings.len());
                    let key = normalize_question(&text);
                    a.headings.push(Heading {
                        level,
                        key,
                        text: text.trim().to_owned(),
                        id,
                        offset,
                        has_content: false,
                    });
                }
                continue;
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                let wiki = matches!(link_type, LinkType::WikiLink { .. });
                if wiki {
                    wiki_depth += 1;
                }
                if wiki || is_checked_link(dest_url) {
                    a.links.push(Link {
                        target: dest_url.to_string(),
                        wiki,
                        offset: range.start,
                    });
                } else if is_external_link(dest_url) {
                    a.external.push(Link {
                        target: dest_url.trim().to_string(),
                        wiki: false,
                        offset: range.start,
                    });
                }
                content = wiki;
            }
            Event::End(TagEnd::Link) => {
                wiki_depth = wiki_depth.saturating_sub(1);
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                if is_checked_link(dest_url) {
                    a.links.push(Link {
                        target: dest_url.to_string(),
                        wiki: false,
                        offset: range.start,
                    });
                } else if is_external_link(dest_url) {
                    a.external.push(Link {
                        target: dest_url.trim().to_string(),
                        wiki: false,
                        offset: range.start,
                    });
                }
                content = true;
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, _, text)) = in_heading.as_mut() {
                    text.push_str(t);
                }
                content = !t.trim().is_empty();
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                content = html_has_content(h, &mut in_comment);
            }
            Event::InlineMath(_)
            | Event::DisplayMath(_)
            | Event::Rule
            | Event::TaskListMarker(_)
            | Event::FootnoteReference(_) => content = true,
            _ => {}
        }
        if content && in_heading.is_none() {
            for &i in &open {
                a.headings[i].has_content = true;
            }
        }
    }
    a.index = HeadingIndex::of(&a.headings);
    a
}

/// What a link in the body turns into when rendered.
pub struct ResolvedLink {
    /// Relative to the page being rendered.
    pub href: String,
    /// The target's title, used as the text of `[[id]]` links.
    pub title: String,
}

/// How the renderer learns about the world outside the Markdown.
pub trait RenderHooks {
    /// Resolves the `index`-th link found by `analyze` (written `target`);
    /// `None` leaves it as written.
    fn link(&self, index: usize, target: &str, wiki: bool) -> Option<ResolvedLink>;
    /// HTML to insert after the n-th heading (e.g. an "unanswered" mark).
    fn after_heading(&self, index: usize, heading: &Heading) -> Option<String>;
    /// Prefix for heading ids, so that several documents can share one
    /// page (the print page).
    fn id_prefix(&self) -> &str {
        ""
    }
    /// HTML to write instead of a run of prose text (never called inside
    /// a heading, link, image or code block), e.g. glossary links; `None`
    /// keeps the text as it is. It ends with a line break when the text
    /// does: what follows was written as after the text.
    fn text(&self, _text: &str) -> Option<String> {
        None
    }
}

/// Renders a body to HTML. `analysis` must come from `analyze(body)`.
pub fn render(body: &str, analysis: &Analysis, hooks: &dyn RenderHooks, out: &mut String) {
    compile(body, analysis).fill(hooks, out);
}

/// A body parsed and written once, to be filled in for any number of
/// pages ([`Compiled::fill`]): its HTML, and where that HTML depends on
/// the hooks.
pub struct Compiled<'a> {
    analysis: &'a Analysis,
    html: String,
    /// In the order of `html`; none inside another.
    holes: Vec<Hole<'a>>,
}

/// `html[at..end]` is what the hole holds when the hooks leave it as it
/// is (empty for a place where something may be inserted).
struct Hole<'a> {
    at: usize,
    end: usize,
    kind: HoleKind<'a>,
}

enum HoleKind<'a> {
    /// Where the id prefix goes: in a heading's id and its permalink.
    Prefix,
    /// After the `index`-th heading. `newline`: the block that follows
    /// was written as after a line break, which inserted HTML not ending
    /// in one must then supply (pulldown-cmark's writer tracks this).
    AfterHeading { index: usize, newline: bool },
    /// A run of prose, escaped.
    Text(CowStr<'a>),
    /// The escaped destination of the `index`-th checked link or image.
    Href {
        index: usize,
        target: CowStr<'a>,
        wiki: bool,
    },
    /// An unlabelled wiki link from `<a` to before `</a>`, whose text is
    /// the target's title when it resolves; inside an image's alt text
    /// (`alt`), only its text, dropped when it resolves.
    Whole {
        index: usize,
        target: CowStr<'a>,
        alt: bool,
    },
}

/// How a hole is found in the HTML written for its events.
enum Place {
    /// After `id="` in the heading's start tag.
    HeadingId,
    /// This many bytes into the event's HTML.
    Offset(usize),
    /// From the event's HTML to the start of event `end`'s.
    Span(Option<usize>),
    /// The URL of a link or image tag (after `mailto:` for an e-mail).
    Dest { email: bool },
}

struct Mark<'a> {
    event: usize,
    place: Place,
    kind: HoleKind<'a>,
}

const ANCHOR_OPEN: &str = " <a class=\"anchor\" href=\"#";

/// A `fmt::Write` into a string that tells how much is written so far:
/// pulldown-cmark writes each event's HTML before it asks for the next
/// event, so the length when an event is handed over is where its HTML
/// starts.
struct Counting<'c> {
    out: String,
    len: &'c std::cell::Cell<usize>,
}

impl std::fmt::Write for Counting<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.out.push_str(s);
        self.len.set(self.out.len());
        Ok(())
    }
}

/// Whether pulldown-cmark's writer starts this event's HTML with a line
/// break when what it wrote last did not end with one.
fn starts_block(ev: &Event<'_>) -> bool {
    matches!(
        ev,
        Event::Rule
            | Event::Start(
                Tag::Paragraph
                    | Tag::Heading { .. }
                    | Tag::BlockQuote(_)
                    | Tag::CodeBlock(_)
                    | Tag::List(_)
                    | Tag::Item
                    | Tag::DefinitionList
                    | Tag::DefinitionListTitle
                    | Tag::DefinitionListDefinition
                    | Tag::FootnoteDefinition(_)
            )
    )
}

/// How deep `ev` leaves the text, from `depth` before it, in what is not
/// prose: headings, links, images, code blocks, and raw HTML links, code
/// and terms (no links in links). Text at depth 0 is prose, which the
/// text hook (the glossary) may rewrite.
fn prose_depth(depth: usize, ev: &Event<'_>) -> usize {
    match ev {
        Event::Start(
            Tag::Heading { .. } | Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_),
        ) => depth + 1,
        Event::End(TagEnd::Heading(_) | TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock) => {
            depth.saturating_sub(1)
        }
        Event::InlineHtml(h) => match raw_tag(h) {
            Some(true) => depth + 1,
            Some(false) => depth.saturating_sub(1),
            None => depth,
        },
        _ => depth,
    }
}

/// Parses and writes a body once, leaving holes where its HTML depends on
/// the hooks. `analysis` must come from `analyze(body)`.
pub fn compile<'a>(body: &'a str, analysis: &'a Analysis) -> Compiled<'a> {
    let parser = Parser::new_ext(body, base_options() | Options::ENABLE_SMART_PUNCTUATION);
    let mut heading_index = 0usize;
    // Links are counted as `analyze` lists them.
    let mut link_index = 0usize;
    let mut events: Vec<Event<'a>> = Vec::new();
    let mut marks: Vec<Mark<'a>> = Vec::new();
    // Inside a heading, link, image or code block: no `hooks.text`.
    let mut not_prose = 0usize;
    // Inside an image, whose content pulldown-cmark writes as alt text.
    let mut alt = 0usize;
    // The mark of the unlabelled wiki link being written.
    let mut whole: Option<usize> = None;
    for ev in parser {
        not_prose = prose_depth(not_prose, &ev);
        let here = events.len();
        match ev {
            Event::Start(Tag::Heading {
                level,
                id: _,
                classes,
                attrs,
            }) => {
                let id = match analysis.headings.get(heading_index) {
                    Some(h) => {
                        marks.push(Mark {
                            event: here,
                            place: Place::HeadingId,
                            kind: HoleKind::Prefix,
                        });
                        CowStr::Borrowed(h.id.as_str())
                    }
                    None => CowStr::Borrowed(""),
                };
                events.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(id),
                    classes,
                    attrs,
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some(h) = analysis.headings.get(heading_index) {
                    marks.push(Mark {
                        event: here,
                        place: Place::Offset(ANCHOR_OPEN.len()),
                        kind: HoleKind::Prefix,
                    });
                    events.push(Event::Html(CowStr::from(format!(
                        "{ANCHOR_OPEN}{}\" aria-label=\"Permalink to this section\">#</a>",
                        escape_attr(&h.id)
                    ))));
                    events.push(Event::End(TagEnd::Heading(level)));
                    marks.push(Mark {
                        event: here + 2,
                        place: Place::Offset(0),
                        kind: HoleKind::AfterHeading {
                            index: heading_index,
                            newline: false,
                        },
                    });
                } else {
                    events.push(Event::End(TagEnd::Heading(level)));
                }
                heading_index += 1;
            }
            Event::Start(Tag::Link {
                link_type,
                ref dest_url,
                ..
            }) => {
                let wiki = matches!(link_type, LinkType::WikiLink { .. });
                if wiki || is_checked_link(dest_url) {
                    link_index += 1;
                    let (index, target) = (link_index - 1, dest_url.clone());
                    if matches!(link_type, LinkType::WikiLink { has_pothole: false }) {
                        whole = Some(marks.len());
                        marks.push(Mark {
                            event: here,
                            place: Place::Span(None),
                            kind: HoleKind::Whole {
                                index,
                                target,
                                alt: alt > 0,
                            },
                        });
                    } else if alt == 0 {
                        marks.push(Mark {
                            event: here,
                            place: Place::Dest {
                                email: link_type == LinkType::Email,
                            },
                            kind: HoleKind::Href {
                                index,
                                target,
                                wiki,
                            },
                        });
                    }
                }
                events.push(ev);
            }
            Event::End(TagEnd::Link) => {
                if let Some(m) = whole.take() {
                    marks[m].place = Place::Span(Some(here));
                }
                events.push(Event::End(TagEnd::Link));
            }
            Event::Start(Tag::Image { ref dest_url, .. }) => {
                if is_checked_link(dest_url) {
                    link_index += 1;
                    // Inside alt text no tag is written, so nothing to fill.
                    if alt == 0 {
                        marks.push(Mark {
                            event: here,
                            place: Place::Dest { email: false },
                            kind: HoleKind::Href {
                                index: link_index - 1,
                                target: dest_url.clone(),
                                wiki: false,
                            },
                        });
                    }
                }
                alt += 1;
                events.push(ev);
            }
            Event::End(TagEnd::Image) => {
                alt = alt.saturating_sub(1);
                events.push(Event::End(TagEnd::Image));
            }
            Event::Text(t) if not_prose == 0 => {
                marks.push(Mark {
                    event: here,
                    place: Place::Span(Some(here + 1)),
                    kind: HoleKind::Text(t.clone()),
                });
                events.push(Event::Text(t));
            }
            other => events.push(other),
        }
    }
    for m in &mut marks {
        if let HoleKind::AfterHeading { newline, .. } = &mut m.kind {
            *newline = events.get(m.event).is_some_and(starts_block);
        }
    }
    // Where each event's HTML starts, and where the last one ends.
    let len = std::cell::Cell::new(0);
    let mut starts = Vec::with_capacity(events.len() + 1);
    let mut writer = Counting {
        out: String::new(),
        len: &len,
    };
    let counted = events.into_iter().inspect(|_| starts.push(len.get()));
    // Writing into a string does not fail.
    let _ = pulldown_cmark::html::write_html_fmt(&mut writer, counted);
    starts.push(len.get());
    let html = writer.out;
    let holes = marks
        .into_iter()
        .filter_map(|m| {
            let start = *starts.get(m.event)?;
            let rest = html.get(start..)?;
            let (at, end) = match m.place {
                Place::HeadingId => {
                    let at = start + rest.find(" id=\"")? + 5;
                    (at, at)
                }
                Place::Offset(n) => (start + n, start + n),
                Place::Span(end) => (start, *starts.get(end?)?),
                Place::Dest { email } => {
                    // `<a href="` or `<img src="`; the URL, escaped, has no `"`.
                    let at = start + rest.find('"')? + 1 + if email { 7 } else { 0 };
                    (at, at + html.get(at..)?.find('"')?)
                }
            };
            Some(Hole {
                at,
                end,
                kind: m.kind,
            })
        })
        .collect();
    Compiled {
        analysis,
        html,
        holes,
    }
}

impl Compiled<'_> {
    /// Writes the body as `render` would with `hooks`.
    pub fn fill(&self, hooks: &dyn RenderHooks, out: &mut String) {
        let html = self.html.as_str();
        out.reserve(html.len());
        let prefix = escape_attr(hooks.id_prefix());
        // Written up to here.
        let mut pos = 0;
        for h in &self.holes {
            if h.at < pos {
                continue;
            }
            let put = |out: &mut String, pos: &mut usize| {
                out.push_str(&html[*pos..h.at]);
                *pos = h.end;
            };
            match &h.kind {
                HoleKind::Prefix => {
                    if !prefix.is_empty() {
                        put(out, &mut pos);
                        out.push_str(&prefix);
                    }
                }
                HoleKind::AfterHeading { index, newline } => {
                    let after = self
                        .analysis
                        .headings
                        .get(*index)
                        .and_then(|heading| hooks.after_heading(*index, heading));
                    if let Some(after) = after {
                        put(out, &mut pos);
                        out.push_str(&after);
                        if *newline && !after.is_empty() && !after.ends_with('\n') {
                            out.push('\n');
                        }
                    }
                }
                HoleKind::Text(text) => {
                    if let Some(linked) = hooks.text(text) {
                        put(out, &mut pos);
                        out.push_str(&linked);
                    }
                }
                HoleKind::Href {
                    index,
                    target,
                    wiki,
                } => {
                    if let Some(r) = hooks.link(*index, target, *wiki) {
                        put(out, &mut pos);
                        // Writing into a string does not fail.
                        let _ = pulldown_cmark_escape::escape_href(&mut *out, &r.href);
                    }
                }
                HoleKind::Whole { index, target, alt } => {
                    if let Some(r) = hooks.link(*index, target, true) {
                        put(out, &mut pos);
                        if !alt {
                            out.push_str("<a href=\"");
                            escape_into(out, &r.href);
                            out.push_str("\">");
                            escape_into(out, &r.title);
                        }
                    }
                }
            }
        }
        out.push_str(&html[pos..]);
    }
}

/// Whether inline HTML opens (`Some(true)`) or closes (`Some(false)`) an
/// element whose text must not be rewritten: `a`, `code`, `abbr`, `dfn`.
fn raw_tag(html: &str) -> Option<bool> {
    let h = html.trim_start().to_ascii_lowercase();
    let (open, rest) = match h.strip_prefix("</") {
        Some(r) => (false, r),
        None => (true, h.strip_prefix('<')?),
    };
    let name_end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let self_closing = h.trim_end().ends_with("/>");
    (["a", "code", "abbr", "dfn", "kbd", "samp"].contains(&&rest[..name_end]) && !self_closing)
        .then_some(open)
}

/// `[build] sanitize = true`: the HTML of a rendered body through ammonia.
/// Scripts, styles, event handlers and `javascript:` URLs go; what copbook
/// itself writes stays: heading ids, classes, permalink anchors (with their
/// `aria-label`), task-list checkboxes and table alignment.
pub fn sanitize(html: &str) -> String {
    static CLEANER: std::sync::OnceLock<ammonia::Builder<'static>> = std::sync::OnceLock::new();
    CLEANER
        .get_or_init(|| {
            let mut b = ammonia::Builder::default();
            b.add_generic_attributes(["id", "class"])
                .add_tag_attributes("a", ["aria-label"])
                .add_tags(["input"])
                .add_tag_attributes("input", ["type", "checked", "disabled"])
                .add_tag_attributes("th", ["style"])
                .add_tag_attributes("td", ["style"])
                .attribute_filter(|element, attribute, value| match (element, attribute) {
                    ("input", "type") if value != "checkbox" => None,
                    (_, "style")
                        if !matches!(
                            value,
                            "text-align: left" | "text-align: center" | "text-align: right"
                        ) =>
                    {
                        None
                    }
                    _ => Some(value.into()),
                })
                .link_rel(None);
            b
        })
        .clean(html)
        .to_string()
}

pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

pub fn escape_attr(s: &str) -> String {
    escape_text(s)
}

/// Writes `s` into `out` with `&`, `<`, `>`, `"` and `'` escaped, byte for
/// byte as tera's autoescape writes it (the same function, from
/// pulldown-cmark-escape), so that HTML made in Rust for the built-in
/// templates equals what the templates would give.
pub fn escape_into(out: &mut String, s: &str) {
    // Writing into a string does not fail.
    let _ = pulldown_cmark_escape::escape_html(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_ids() {
        assert_eq!(
            github_id("What is your group's primary purpose?"),
            "what-is-your-groups-primary-purpose"
        );
        assert_eq!(github_id("A -- b_c"), "a----b_c");
        // The ASCII fast path and the general rule agree on every ASCII
        // character, alone and beside a non-ASCII one (the general path).
        for b in 0u8..128 {
            let c = b as char;
            let fast = github_id(&format!("x{c}Y"));
            let general = github_id(&format!("x{c}Yé"));
            assert_eq!(format!("{fast}é"), general, "{b:#x}");
        }
        assert_eq!(github_id("Été à Kyiv"), "été-à-kyiv");
        // The same for question keys: every ASCII character, the fast
        // path against the general one.
        for b in 0u8..128 {
            let c = b as char;
            let fast = normalize_question(&format!(" {c}A{c}{c}b {c}"));
            let general = normalize_question(&format!(" {c}A{c}{c}b {c}é"));
            assert_eq!(
                format!("{fast}é").replace(" é", "é"),
                general.replace(" é", "é"),
                "{b:#x}"
            );
        }
        let mut g = IdGen::default();
        assert_eq!(g.unique("a".into()), "a");
        assert_eq!(g.unique("a".into()), "a-1");
        assert_eq!(g.unique("a".into()), "a-2");
    }

    #[test]
    fn headings_are_found_by_id_and_by_question() {
        let a = analyze("## Why? {#z}\n\nx\n\n## Ask me\n\n## why?\n\n## ASK me\ny\n");
        let ids: Vec<_> = a.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["z", "ask-me", "why", "ask-me-1"]);
        for id in ids {
            assert!(a.has_anchor(id), "{id}");
        }
        assert!(!a.has_anchor("ask") && !a.has_anchor("why-1") && !a.has_anchor(""));
        // The first heading of a question wins, whatever its id.
        assert_eq!(a.question_heading("why?").map(|h| h.id.as_str()), Some("z"));
        let ask = a.question_heading("  ask me ").expect("asked");
        assert_eq!((ask.id.as_str(), ask.has_content), ("ask-me", false));
        assert!(a.question_heading("Ask").is_none());
        assert!(analyze("").question_heading("x").is_none());
    }

    #[test]
    fn answered_rule() {
        let a = analyze(
            "## Q1\n\n<!-- todo -->\n\n## Q2\nYes.\n\n## Q3\n### Sub\n\n## Q4\n<!--\nmulti\n-->\n   \n# Top\n",
        );
        let got: Vec<_> = a
            .headings
            .iter()
            .map(|h| (h.text.as_str(), h.has_content))
            .collect();
        assert_eq!(
            got,
            [
                ("Q1", false),
                ("Q2", true),
                ("Q3", true),
                ("Sub", false),
                ("Q4", false),
                ("Top", false)
            ]
        );
    }

    #[test]
    fn finds_links() {
        let a = analyze(
            "See [[amara]], [[norm:decisions|how]] and [x](../roles/c.md#a), [y](https://e.org) `[[no]]`\n",
        );
        let t: Vec<_> = a
            .links
            .iter()
            .map(|l| (l.target.as_str(), l.wiki))
            .collect();
        assert_eq!(
            t,
            [
                ("amara", true),
                ("norm:decisions", true),
                ("../roles/c.md#a", false)
            ]
        );
        assert_eq!(a.links[1].offset, 15);
    }

    #[test]
    fn finds_external_links() {
        let a = analyze(
            "[a](https://e.org/x) <http://e.org/auto> ![i](HTTPS://e.org/i.png)\n\n[r]: https://e.org/ref\n\n[ref][r] [m](mailto:x@e.org) [l](../roles/c.md) `https://code.example`\n",
        );
        let t: Vec<_> = a
            .external
            .iter()
            .map(|l| (l.target.as_str(), l.offset))
            .collect();
        assert_eq!(
            t,
            [
                ("https://e.org/x", 0),
                ("http://e.org/auto", 21),
                ("HTTPS://e.org/i.png", 41),
                ("https://e.org/ref", 92),
            ]
        );
        assert_eq!(a.links.len(), 1);
    }

    #[test]
    fn wiki_anchor_dest() {
        let a = analyze("[[01-define/purpose#what-is-it]]\n");
        assert_eq!(a.links[0].target, "01-define/purpose#what-is-it");
    }

    /// The renderer before bodies were compiled once for several pages:
    /// one parse per call, the hooks applied to the events. `compile` and
    /// `fill` must write exactly what it wrote.
    fn reference_render(
        body: &str,
        analysis: &Analysis,
        hooks: &dyn RenderHooks,
        out: &mut String,
    ) {
        let parser = Parser::new_ext(body, base_options() | Options::ENABLE_SMART_PUNCTUATION);
        let mut heading_index = 0usize;
        // Links are counted as `analyze` lists them.
        let mut link_index = 0usize;
        let mut pending_after: Option<String> = None;
        // Inside an un-labelled wiki link whose text we replaced.
        let mut skipping = false;
        let mut events: Vec<Event<'_>> = Vec::new();
        // Inside a heading, link, image or code block: no `hooks.text`.
        let mut not_prose = 0usize;
        for ev in parser {
            not_prose = prose_depth(not_prose, &ev);
            if skipping {
                if matches!(ev, Event::End(TagEnd::Link)) {
                    skipping = false;
                    events.push(Event::Html(CowStr::Borrowed("</a>")));
                }
                continue;
            }
            match ev {
                Event::Start(Tag::Heading {
                    level,
                    id: _,
                    classes,
                    attrs,
                }) => {
                    let id = analysis
                        .headings
                        .get(heading_index)
                        .map(|h| format!("{}{}", hooks.id_prefix(), h.id))
                        .unwrap_or_default();
                    events.push(Event::Start(Tag::Heading {
                        level,
                        id: Some(CowStr::from(id)),
                        classes,
                        attrs,
                    }));
                }
                Event::End(TagEnd::Heading(level)) => {
                    if let Some(h) = analysis.headings.get(heading_index) {
                        events.push(Event::Html(CowStr::from(format!(
                            " <a class=\"anchor\" href=\"#{}{}\" aria-label=\"Permalink to this section\">#</a>",
                            escape_attr(hooks.id_prefix()),
                            escape_attr(&h.id)
                        ))));
                        pending_after = hooks.after_heading(heading_index, h);
                    }
                    heading_index += 1;
                    events.push(Event::End(TagEnd::Heading(level)));
                    if let Some(html) = pending_after.take() {
                        events.push(Event::Html(CowStr::from(html)));
                    }
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let wiki = matches!(link_type, LinkType::WikiLink { .. });
                    let resolved = if wiki || is_checked_link(&dest_url) {
                        link_index += 1;
                        hooks.link(link_index - 1, &dest_url, wiki)
                    } else {
                        None
                    };
                    match resolved {
                        Some(r)
                            if matches!(link_type, LinkType::WikiLink { has_pothole: false }) =>
                        {
                            events.push(Event::Html(CowStr::from(format!(
                                "<a href=\"{}\">{}",
                                escape_attr(&r.href),
                                escape_text(&r.title)
                            ))));
                            skipping = true;
                        }
                        Some(r) => events.push(Event::Start(Tag::Link {
                            link_type,
                            dest_url: CowStr::from(r.href),
                            title,
                            id,
                        })),
                        None => events.push(Event::Start(Tag::Link {
                            link_type,
                            dest_url,
                            title,
                            id,
                        })),
                    }
                }
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let checked = is_checked_link(&dest_url);
                    link_index += usize::from(checked);
                    let dest_url = match checked
                        .then(|| hooks.link(link_index - 1, &dest_url, false))
                        .flatten()
                    {
                        Some(r) => CowStr::from(r.href),
                        None => dest_url,
                    };
                    events.push(Event::Start(Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }));
                }
                Event::Text(t) if not_prose == 0 => match hooks.text(&t) {
                    Some(html) => events.push(Event::InlineHtml(CowStr::from(html))),
                    None => events.push(Event::Text(t)),
                },
                other => events.push(other),
            }
        }
        pulldown_cmark::html::push_html(out, events.into_iter());
    }

    /// Hooks that exercise every hole: links resolved (or not, by index),
    /// HTML after headings (with or without a line break at its end),
    /// prose rewritten, an id prefix with characters to escape.
    struct TestHooks {
        resolve: fn(usize) -> bool,
        after: Option<&'static str>,
        prefix: &'static str,
        text: bool,
    }

    impl RenderHooks for TestHooks {
        fn link(&self, index: usize, target: &str, wiki: bool) -> Option<ResolvedLink> {
            (self.resolve)(index).then(|| ResolvedLink {
                href: format!("../to/{index}/{target}?a&b='c' \u{e000}"),
                title: format!("T<{index}> {wiki} & 'x'"),
            })
        }
        fn after_heading(&self, index: usize, h: &Heading) -> Option<String> {
            let after = self.after?;
            (index % 2 == 0).then(|| format!("{after}{}", escape_text(&h.id)))
        }
        fn id_prefix(&self) -> &str {
            self.prefix
        }
        fn text(&self, text: &str) -> Option<String> {
            (self.text && text.contains("data"))
                .then(|| escape_text(text).replace("data", "<b>data</b>"))
        }
    }

    const BODIES: &[&str] = &[
        "# Title\n\nSome data here, \"quoted\" -- and 'single'.\n",
        "## A\n## A\n### B {#custom .cls key=val}\ntext\n# C\n",
        "## H\n| a | b |\n|:-|-:|\n| [[x]] | data |\n\n## H2\n- item data\n  - nested\n\n## H3\n```\ncode [[x]]\n```\n## H4\n***\n## H5\n<div>raw</div>\n\n## H6\n> q\n\n## H7\n1. one\n## H8\n[^n]\n\n[^n]: note data\n\n## Last",
        "See [[amara]], [[role:c|label]], [[a#b]] and [t](p.md \"ti'tle\") [e](https://e.org) [m](mailto:x@y) <me@example.org> <https://e.org/x>.\n",
        "![alt *em* `c` [l](p.md)](i.png \"t\") and [![in](i.png)](p.md) and ![[w.png]] and ![e](https://e.org/i.png)\n",
        "![a [[w]] b](i.png) ![[[w]]](i.png) [[x|]] [[]] [[ ]] [a]: p.md\n\n[ref][a] [[p&q\"r]]\n",
        "Marker chars \u{e000}\u{e001} &#xE000; \u{e000}copbook-slot:0\u{e001} in text\n\n## \u{e000} head \u{e001}\n\n[\u{e000}](\u{e000}.md) [[\u{e001}]]\n",
        "<a href=\"x\">raw data <code>data</code></a> data <dfn>data</dfn> <abbr/> data\n\n<!-- c\n\n## in comment?\n-->\nafter data\n",
        "- tight data\n- [ ] task data\n- [x] done\n\nterm\n: def\n\n~~del data~~ *data* **data**\nline  \nbreak\\\nx\n",
        "",
        "no headings, no links, just data\n",
        "## Q\n## Q\n",
        "# A\n    indented\n# B\n",
    ];

    #[test]
    fn fill_writes_what_the_renderer_wrote() {
        let hooks = [
            TestHooks {
                resolve: |_| true,
                after: Some("<p>after</p>\n"),
                prefix: "p\"x'--",
                text: true,
            },
            TestHooks {
                resolve: |_| false,
                after: Some("<i>no line break</i>"),
                prefix: "",
                text: false,
            },
            TestHooks {
                resolve: |i| i % 2 == 1,
                after: None,
                prefix: "doc--",
                text: true,
            },
        ];
        for body in BODIES {
            let analysis = analyze(body);
            let compiled = compile(body, &analysis);
            for (n, h) in hooks.iter().enumerate() {
                let mut want = String::new();
                reference_render(body, &analysis, h, &mut want);
                let mut got = String::new();
                compiled.fill(h, &mut got);
                assert_eq!(got, want, "hooks {n}, body {body:?}");
                // Filling again gives the same.
                let mut again = String::new();
                compiled.fill(h, &mut again);
                assert_eq!(again, want);
            }
        }
    }

    #[test]
    fn marker_like_characters_in_a_body_are_kept() {
        let body = "\u{e000}copbook-slot:0\u{e001} [[a]] \u{e000}\n\n## \u{e001}x\n";
        let analysis = analyze(body);
        let mut out = String::new();
        render(
            body,
            &analysis,
            &TestHooks {
                resolve: |_| true,
                after: None,
                prefix: "",
                text: false,
            },
            &mut out,
        );
        assert_eq!(
            out,
            "<p>\u{e000}copbook-slot:0\u{e001} <a href=\"../to/0/a?a&amp;b=&#39;c&#39; \u{e000}\">T&lt;0&gt; true &amp; &#39;x&#39;</a> \u{e000}</p>\n<h2 id=\"x\">\u{e001}x <a class=\"anchor\" href=\"#x\" aria-label=\"Permalink to this section\">#</a></h2>\n"
        );
    }
}
