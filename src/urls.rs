//! Slugs and site-relative URLs. A page's URL is a path relative to the site
//! root ending in `/` (`define/purpose/`), or empty for the home page; every
//! link in the output is made relative from one such URL to another, so the
//! same build works at `/` and under any sub-path.

/// A file or folder name as a URL segment: `Été plan` -> `ete-plan`.
pub fn slugify(name: &str) -> String {
    let folded = deunicode::deunicode(name);
    let mut out = String::with_capacity(folded.len());
    let mut dash = false;
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

/// Whether `s` is already a slug (what `copbook new` and ids accept).
pub fn is_slug(s: &str) -> bool {
    !s.is_empty() && slugify(s) == s
}

/// Splits a `NN-` ordering prefix off a folder name: `01-define` -> (1, "define").
pub fn split_order_prefix(name: &str) -> (Option<i64>, &str) {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits < 10 && name[digits..].starts_with('-') && name.len() > digits + 1 {
        (name[..digits].parse().ok(), &name[digits + 1..])
    } else {
        (None, name)
    }
}

/// Decodes `%XX` escapes (an invalid escape is kept as written); borrows
/// when there is nothing to decode, as for almost every link.
pub fn percent_decode(s: &str) -> std::borrow::Cow<'_, str> {
    if memchr::memchr(b'%', s.as_bytes()).is_none() {
        return std::borrow::Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// How many folders deep a page URL sits.
fn depth(url: &str) -> usize {
    url.bytes().filter(|&b| b == b'/').count()
}

/// The prefix that leads from a page at `from` back to the site root.
pub fn root_prefix(from: &str) -> String {
    "../".repeat(depth(from))
}

/// A relative link from the page at `from` to the site path `to`.
pub fn relative(from: &str, to: &str) -> String {
    relative_at(from, to, "")
}

/// [`relative`], then `#anchor` unless `anchor` is empty, in the same
/// allocation.
pub fn relative_at(from: &str, to: &str, anchor: &str) -> String {
    let up = depth(from);
    let fragment = if anchor.is_empty() {
        0
    } else {
        1 + anchor.len()
    };
    // One allocation: pages make hundreds of thousands of these.
    let mut s = String::with_capacity(3 * up + to.len().max(2) + fragment);
    if up == 0 && to.is_empty() {
        s.push_str("./");
    }
    for _ in 0..up {
        s.push_str("../");
    }
    s.push_str(to);
    if fragment > 0 {
        s.push('#');
        s.push_str(anchor);
    }
    s
}

/// The file a URL is written to: `define/purpose/` -> `define/purpose/index.html`.
pub fn output_file(url: &str) -> String {
    if url.is_empty() || url.ends_with('/') {
        format!("{url}index.html")
    } else {
        url.to_owned()
    }
}

/// Normalises `site-url`: a path (`/repo`) or a full URL
/// (`https://org.github.io/repo`) becomes one ending in `/`.
pub fn normalize_site_url(s: &str) -> String {
    let s = s.trim();
    // Only http(s) URLs are URLs: anything else (`javascript://…`) is a
    // path, so that it can never become a link that runs script.
    let lower = s.to_ascii_lowercase();
    let url = lower.starts_with("https://") || lower.starts_with("http://");
    let mut out = if url || s.starts_with('/') {
        s.to_owned()
    } else {
        format!("/{s}")
    };
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_urls_other_than_http_are_paths() {
        assert_eq!(
            normalize_site_url("https://e.org/cop"),
            "https://e.org/cop/"
        );
        assert_eq!(normalize_site_url("HTTP://e.org"), "HTTP://e.org/");
        assert_eq!(normalize_site_url("/cop"), "/cop/");
        assert_eq!(normalize_site_url("cop"), "/cop/");
        assert_eq!(
            normalize_site_url("javascript://%0aalert(1)"),
            "/javascript://%0aalert(1)/"
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Été plan"), "ete-plan");
        assert_eq!(slugify("Kovač"), "kovac");
        assert_eq!(slugify("  a--b  "), "a-b");
        assert_eq!(slugify("Ana"), "ana");
        assert!(is_slug("subject-expert"));
        assert!(!is_slug("Subject Expert"));
    }

    #[test]
    fn prefixes() {
        assert_eq!(split_order_prefix("01-define"), (Some(1), "define"));
        assert_eq!(split_order_prefix("define"), (None, "define"));
        assert_eq!(split_order_prefix("2024"), (None, "2024"));
    }

    #[test]
    fn relative_links() {
        assert_eq!(relative("", "members/"), "members/");
        assert_eq!(
            relative("define/purpose/", "members/amara/"),
            "../../members/amara/"
        );
        assert_eq!(relative("members/", ""), "../");
        assert_eq!(relative("", ""), "./");
        assert_eq!(output_file("define/purpose/"), "define/purpose/index.html");
        assert_eq!(output_file("404.html"), "404.html");
        assert_eq!(normalize_site_url("repo"), "/repo/");
        assert_eq!(
            normalize_site_url("https://o.github.io/r"),
            "https://o.github.io/r/"
        );
    }
}
