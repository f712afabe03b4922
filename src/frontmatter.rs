//! Splits a file into its `+++` TOML front matter and Markdown body.

use crate::diag::Diagnostic;
use crate::source::Source;

/// Byte ranges into the source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// The TOML between the `+++` lines, when the file has front matter.
    pub front: Option<std::ops::Range<usize>>,
    pub body: std::ops::Range<usize>,
}

fn is_fence(line: &str) -> bool {
    line.trim_end() == "+++"
}

/// A file has front matter when its first line is `+++`. The block ends at
/// the next line that is `+++` alone (trailing white space and CR allowed).
pub fn split(src: &Source) -> Result<Split, Diagnostic> {
    let text = src.text.as_str();
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if !is_fence(&text[..first_end]) {
        return Ok(Split {
            front: None,
            body: 0..text.len(),
        });
    }
    let mut pos = first_end;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        if is_fence(&text[pos..end]) {
            return Ok(Split {
                front: Some(first_end..pos),
                body: end..text.len(),
            });
        }
        pos = end;
    }
    Err(
        Diagnostic::at(src, 0, "front matter opened with `+++` is never closed").with_hint(Some(
            "add a closing `+++` line after the last front matter line".into(),
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(t: &str) -> Source {
        Source::new("x.md".into(), t.into())
    }

    #[test]
    fn splits_with_crlf() {
        let s = src("+++\r\ntitle = \"a\"\r\n+++\r\nbody\r\n");
        let sp = split(&s).unwrap();
        assert_eq!(&s.text[sp.front.unwrap()], "title = \"a\"\r\n");
        assert_eq!(&s.text[sp.body], "body\r\n");
    }

    #[test]
    fn no_front_matter_is_all_body() {
        let s = src("# Hi\n");
        assert_eq!(split(&s).unwrap().front, None);
    }

    #[test]
    fn unclosed_is_an_error() {
        let e = split(&src("+++\ntitle = 1\n")).unwrap_err();
        assert_eq!(e.loc.line, 1);
        assert!(e.hint.unwrap().contains("closing"));
    }

    #[test]
    fn front_matter_only() {
        let s = src("+++\ntitle = \"a\"\n+++");
        let sp = split(&s).unwrap();
        assert!(sp.body.is_empty());
    }
}
