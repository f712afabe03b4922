//! Source files as read from disk, with the line index that turns byte
//! offsets into the `line:col` positions every diagnostic carries.

use serde::Serialize;
use std::sync::OnceLock;

/// A 1-based line and column (columns count characters, as editors do).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Loc {
    pub line: u32,
    pub col: u32,
}

impl Loc {
    pub const START: Loc = Loc { line: 1, col: 1 };
}

/// A value from a source file together with where it was written, so that a
/// later stage (resolve) can still point at the exact spot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Spanned<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Spanned { value, loc }
    }
}

/// One file of the handbook. `path` is relative to the book root with `/`
/// separators, as diagnostics print it.
#[derive(Debug)]
pub struct Source {
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
    /// The number of characters before each block of `BLOCK` bytes, so
    /// that a column on a very long line costs O(BLOCK), not O(line).
    /// Made on the first such column: most files have none, and counting
    /// every file's characters was 1% of a build.
    char_blocks: OnceLock<Vec<usize>>,
}

const BLOCK: usize = 256;

/// Characters in `bytes`: every byte that is not a UTF-8 continuation byte.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

impl Source {
    /// Takes the file's text; a leading BOM is dropped so that offsets and
    /// columns match what an editor shows.
    pub fn new(path: String, text: String) -> Source {
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        };
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Source {
            path,
            text,
            line_starts,
            char_blocks: OnceLock::new(),
        }
    }

    /// The number of characters in `text[..offset]`.
    fn chars_before(&self, offset: usize) -> usize {
        let blocks = self.char_blocks.get_or_init(|| {
            let mut v = Vec::with_capacity(self.text.len() / BLOCK + 2);
            let mut chars = 0;
            for block in self.text.as_bytes().chunks(BLOCK) {
                v.push(chars);
                chars += count_chars(block);
            }
            v.push(chars);
            v
        });
        let b = offset / BLOCK;
        blocks[b] + count_chars(&self.text.as_bytes()[b * BLOCK..offset])
    }

    /// The line and column of a byte offset (clamped to the text).
    pub fn loc(&self, offset: usize) -> Loc {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        // A short line is counted as it is; a long one by blocks.
        let col = if end - start < BLOCK {
            count_chars(&self.text.as_bytes()[start..end])
        } else {
            self.chars_before(end) - self.chars_before(start)
        } + 1;
        Loc {
            line: line as u32 + 1,
            col: col as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines_and_char_columns() {
        let s = Source::new("a.md".into(), "\u{feff}ab\r\nÉté x\n".into());
        assert_eq!(s.loc(0), Loc { line: 1, col: 1 });
        assert_eq!(s.loc(4), Loc { line: 2, col: 1 });
        // "Été " is 6 bytes, 4 chars: x is column 5.
        assert_eq!(s.loc(10), Loc { line: 2, col: 5 });
        assert_eq!(s.loc(999), Loc { line: 3, col: 1 });
    }

    #[test]
    fn columns_on_long_lines_with_multibyte_characters() {
        let line = "é€a😀".repeat(300);
        let s = Source::new("a.md".into(), format!("x\n{line}\n{line}"));
        for (offset, _) in s.text.char_indices() {
            let naive = {
                let start = s.text[..offset].rfind('\n').map_or(0, |i| i + 1);
                s.text[start..offset].chars().count() as u32 + 1
            };
            assert_eq!(s.loc(offset).col, naive, "offset {offset}");
        }
        // Inside a character: the column of that character.
        assert_eq!(s.loc(3).col, 1);
        assert_eq!(s.loc(4).col, 2);
    }
}
