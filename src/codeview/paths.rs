//! File paths in diff headers: git's C-style quoting both ways, the `a/`
//! and `b/` prefixes, and `/dev/null`.
//!
//! Paths come out raw (unescaped): they choose a syntax. Making them safe to
//! show is the caller's job. Nothing here reads the file system.

use std::fmt::Write;

/// The path of a `---`/`+++` line; `None` for `/dev/null`.
pub(crate) fn header_path(rest: &str, prefix: &str) -> Option<String> {
    let path = if rest.starts_with('"') {
        unquote(rest).map(|(p, _)| p)?
    } else {
        // GNU diff puts a tab and a timestamp after the name.
        rest.split('\t').next().unwrap_or(rest).to_string()
    };
    if path == "/dev/null" {
        return None;
    }
    Some(strip(path, prefix))
}

/// The two paths of `diff --git a/x b/y`. Unquoted names with spaces are
/// ambiguous; the common case of one unchanged name is split exactly.
pub(crate) fn git_paths(rest: &str) -> Option<(String, String)> {
    if rest.starts_with('"') {
        let (old, tail) = unquote(rest)?;
        let new = tail.trim_start();
        let new = if new.starts_with('"') {
            unquote(new)?.0
        } else {
            new.to_string()
        };
        return Some((strip(old, "a/"), strip(new, "b/")));
    }
    if let Some((old, new)) = split_same_name(rest) {
        return Some((strip(old.to_string(), "a/"), strip(new.to_string(), "b/")));
    }
    let (old, new) = match rest.find(" \"") {
        Some(i) => (&rest[..i], unquote(&rest[i + 1..])?.0),
        None => {
            let i = rest.find(" b/")?;
            (&rest[..i], rest[i + 1..].to_string())
        }
    };
    Some((strip(old.to_string(), "a/"), strip(new, "b/")))
}

/// `a/P b/P`: split in the middle when both halves name the same path.
fn split_same_name(rest: &str) -> Option<(&str, &str)> {
    if rest.len() % 2 == 0 {
        return None;
    }
    let half = rest.len() / 2;
    let old = rest.get(..half)?;
    let new = rest.get(half..)?.strip_prefix(' ')?;
    (old.get(2..) == new.get(2..)).then_some((old, new))
}

fn strip(path: String, prefix: &str) -> String {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.to_string(),
        None => path,
    }
}

/// Undoes git's quoting of `"..."` (C escapes, octal bytes); returns the
/// path and what follows the closing quote.
pub(crate) fn unquote(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut bytes = Vec::with_capacity(body.len());
    let mut iter = body.char_indices();
    while let Some((i, c)) = iter.next() {
        match c {
            '"' => return Some((String::from_utf8_lossy(&bytes).into_owned(), &body[i + 1..])),
            '\\' => {
                let (_, e) = iter.next()?;
                let byte = match e {
                    'a' => 7,
                    'b' => 8,
                    't' => b'\t',
                    'n' => b'\n',
                    'v' => 11,
                    'f' => 12,
                    'r' => b'\r',
                    '0'..='7' => {
                        let digits = body.get(i + 1..i + 4)?;
                        iter.next();
                        iter.next();
                        u8::from_str_radix(digits, 8).ok()?
                    }
                    other => {
                        let mut buf = [0; 4];
                        bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                        continue;
                    }
                };
                bytes.push(byte);
            }
            _ => {
                let mut buf = [0; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    None
}

/// Quotes a path the way git does when it holds characters that would
/// break a header line, so `unquote` gives it back.
pub(crate) fn quote(path: &str) -> String {
    let needs = |c: char| c.is_control() || c == '"' || c == '\\';
    if !path.contains(needs) {
        return path.to_string();
    }
    let mut out = String::with_capacity(path.len() + 8);
    out.push('"');
    for c in path.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\{b:03o}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_header_splits_names_with_spaces() {
        assert_eq!(
            git_paths("a/my dir/x.tf b/my dir/x.tf"),
            Some(("my dir/x.tf".into(), "my dir/x.tf".into()))
        );
        assert_eq!(
            git_paths("a/old.tf b/new.tf"),
            Some(("old.tf".into(), "new.tf".into()))
        );
    }

    #[test]
    fn quoted_names_round_trip() {
        let hostile = "d\u{1b}[31m/é \"q\"\t\n.tf";
        let quoted = quote(hostile);
        assert!(!quoted.contains('\u{1b}') && !quoted.contains('\n'));
        assert_eq!(unquote(&quoted).map(|(p, _)| p), Some(hostile.to_string()));
        // git writes non-ASCII bytes in octal by default.
        assert_eq!(
            git_paths("\"a/t\\303\\251st.tf\" \"b/t\\303\\251st.tf\""),
            Some(("tést.tf".into(), "tést.tf".into()))
        );
    }

    #[test]
    fn header_paths_drop_prefix_timestamp_and_dev_null() {
        assert_eq!(header_path("a/main.tf", "a/"), Some("main.tf".into()));
        assert_eq!(
            header_path("old.tf\t2024-01-01 00:00:00", "a/"),
            Some("old.tf".into())
        );
        assert_eq!(header_path("/dev/null", "b/"), None);
    }
}
