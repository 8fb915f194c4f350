//! Route patterns of the original: a `:name` parameter (`[A-Za-z0-9_]+`) matches one or more
//! characters other than '/', everything else matches itself, and the whole path must match.
//! Routes are tried in registration order (the original's regex list). A routing crate such
//! as matchit picks the most specific route instead and refuses overlapping patterns that the
//! original accepts, so this small matcher keeps the original's semantics.

use crate::error::{Error, ErrorCode, Result};

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Param(String),
}

/// A compiled route pattern such as `/users/:id` or `/files/:name.txt`.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    /// The parts of each '/'-separated segment.
    segments: Vec<Vec<Part>>,
}

impl Pattern {
    /// Compiles a pattern; it must start with '/' and every ':' must begin a name.
    pub fn parse(text: &str) -> Result<Pattern> {
        let bad = |why: &str| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("route pattern '{text}': {why}"),
            )
        };
        let Some(rest) = text.strip_prefix('/') else {
            return Err(bad("must start with '/'"));
        };
        let mut segments = Vec::new();
        for segment in rest.split('/') {
            let mut parts = Vec::new();
            let mut literal = String::new();
            let mut chars = segment.chars().peekable();
            while let Some(c) = chars.next() {
                if c != ':' {
                    literal.push(c);
                    continue;
                }
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if !(n.is_ascii_alphanumeric() || n == '_') {
                        break;
                    }
                    name.push(n);
                    chars.next();
                }
                if name.is_empty() {
                    return Err(bad("':' must be followed by a parameter name"));
                }
                if matches!(parts.last(), Some(Part::Param(_))) && literal.is_empty() {
                    return Err(bad("two parameters need a literal between them"));
                }
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Part::Param(name));
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(literal));
            }
            segments.push(parts);
        }
        Ok(Pattern {
            text: text.to_string(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parameters when `path` matches (raw, not decoded), else None.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let rest = path.strip_prefix('/')?;
        let mut params = Vec::new();
        let mut given = rest.split('/');
        for parts in &self.segments {
            let segment = given.next()?;
            if !match_segment(parts, segment, &mut params) {
                return None;
            }
        }
        given.next().is_none().then_some(params)
    }
}

/// Matches one segment; a parameter takes as much as it can and gives back what a following
/// literal needs (the regex's greedy `[^/]+`).
fn match_segment(parts: &[Part], text: &str, params: &mut Vec<(String, String)>) -> bool {
    match parts.split_first() {
        None => text.is_empty(),
        Some((Part::Literal(l), rest)) => match text.strip_prefix(l.as_str()) {
            Some(t) => match_segment(rest, t, params),
            None => false,
        },
        Some((Part::Param(name), rest)) => {
            let ends: Vec<usize> = text.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
            for &end in ends.iter().rev() {
                let mark = params.len();
                params.push((name.clone(), text[..end].to_string()));
                if match_segment(rest, &text[end..], params) {
                    return true;
                }
                params.truncate(mark);
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn m(p: &str, path: &str) -> Option<Vec<(String, String)>> {
        Pattern::parse(p).expect("pattern").matches(path)
    }

    #[test]
    fn patterns_match_like_the_originals_regexes() {
        assert_eq!(m("/", "/"), Some(vec![]));
        assert_eq!(m("/users", "/users"), Some(vec![]));
        assert_eq!(m("/users", "/users/"), None);
        assert_eq!(m("/users", "/users/1"), None);
        assert_eq!(
            m("/users/:id", "/users/42"),
            Some(vec![("id".into(), "42".into())])
        );
        assert_eq!(m("/users/:id", "/users/"), None);
        assert_eq!(m("/users/:id", "/users/4/2"), None);
        assert_eq!(
            m("/files/:name.txt", "/files/a.b.txt"),
            Some(vec![("name".into(), "a.b".into())])
        );
        assert_eq!(
            m("/a/:x/b/:y", "/a/1/b/2"),
            Some(vec![("x".into(), "1".into()), ("y".into(), "2".into())])
        );
        assert_eq!(m("/v1.0/x", "/v1x0/x"), None, "a '.' is literal");
        assert_eq!(
            m("/p/:a-:b", "/p/x-y-z"),
            Some(vec![("a".into(), "x-y".into()), ("b".into(), "z".into())])
        );
    }

    #[test]
    fn bad_patterns_are_refused() {
        for p in ["users", "/a/:", "/a/:/b", "/a/:x:y"] {
            let e = Pattern::parse(p).expect_err(p);
            assert_eq!(e.code(), crate::error::ErrorCode::InvalidArgument);
        }
    }
}
