//! Terminal safety: the one place through which every string that came from a
//! plan, a forge or a subprocess passes before it is displayed.
//!
//! Control characters and escape sequences are shown escaped (`\x1b`), never
//! interpreted. Bidirectional overrides and invisible characters are shown as
//! `\u{202e}` and the string is *flagged*, so a renderer can put a warning
//! beside it: a hostile branch must not be able to hide a destroy or drive
//! the reviewer's terminal. This module does not colour or lay out anything.

use std::borrow::Cow;
use std::fmt::Write;

/// How a character must be treated on display.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Safe,
    /// A layout control that is ordinary in values (`\n`, `\t`): escaped, not flagged.
    Layout,
    /// A control character, a bidi override or an invisible character.
    Suspicious,
}

fn classify(c: char) -> Class {
    match c {
        '\n' | '\t' => Class::Layout,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => Class::Suspicious,
        // Bidirectional formatting.
        '\u{061c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => Class::Suspicious,
        // Invisible or zero-width characters and separators that break lines.
        '\u{00ad}'
        | '\u{034f}'
        | '\u{115f}'
        | '\u{1160}'
        | '\u{17b4}'
        | '\u{17b5}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200d}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{2060}'..='\u{2064}'
        | '\u{206a}'..='\u{206f}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}'
        | '\u{ffa0}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}' => Class::Suspicious,
        _ => Class::Safe,
    }
}

/// A string made safe for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escaped<'a> {
    pub text: Cow<'a, str>,
    /// It held control, bidi or invisible characters: show a warning.
    pub flagged: bool,
}

/// Escapes an untrusted string for an unquoted place (addresses, names).
pub fn escape(s: &str) -> Escaped<'_> {
    escape_with(s, false)
}

/// Escapes an untrusted string shown inside double quotes: also escapes `"`
/// and `\`, like Terraform's renderer does.
pub fn escape_quoted(s: &str) -> Escaped<'_> {
    escape_with(s, true)
}

fn escape_with(s: &str, quoted: bool) -> Escaped<'_> {
    let needs_work = |c: char| classify(c) != Class::Safe || (quoted && (c == '"' || c == '\\'));
    let Some(first) = s.find(needs_work) else {
        return Escaped {
            text: Cow::Borrowed(s),
            flagged: false,
        };
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    let mut flagged = false;
    for c in s[first..].chars() {
        match classify(c) {
            Class::Safe if quoted && (c == '"' || c == '\\') => {
                out.push('\\');
                out.push(c);
            }
            Class::Safe => out.push(c),
            Class::Layout => out.push_str(if c == '\n' { "\\n" } else { "\\t" }),
            Class::Suspicious => {
                flagged = true;
                push_escape(&mut out, c);
            }
        }
    }
    Escaped {
        text: Cow::Owned(out),
        flagged,
    }
}

fn push_escape(out: &mut String, c: char) {
    let code = u32::from(c);
    let _ = match c {
        '\r' => write!(out, "\\r"),
        _ if code < 0x80 => write!(out, "\\x{code:02x}"),
        _ => write!(out, "\\u{{{code:x}}}"),
    };
}

/// True when the string holds characters that `escape` would flag.
pub fn is_suspicious(s: &str) -> bool {
    s.chars().any(|c| classify(c) == Class::Suspicious)
}

/// Makes serialised JSON terminal-safe without changing its meaning: every
/// suspicious character that serde left raw (C1 controls, DEL, bidi and
/// invisible characters; they can only occur inside strings) becomes a
/// `\uXXXX` escape.
pub fn json_safe(json: String) -> String {
    // serde escapes C0 controls itself; raw ones here are JSON whitespace.
    let raw_suspicious = |c: char| c >= '\u{7f}' && classify(c) == Class::Suspicious;
    if !json.chars().any(raw_suspicious) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if !raw_suspicious(c) {
            out.push(c);
            continue;
        }
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            let _ = write!(out, "\\u{unit:04x}");
        }
    }
    out
}

/// Escapes text for Markdown/HTML prose (not code blocks): sanitised, then
/// `<`, `>` and `&` as entities so a value cannot open tags in a PR comment.
pub fn markdown_inline(s: &str) -> String {
    let escaped = escape(s);
    let mut out = String::with_capacity(escaped.text.len());
    for c in escaped.text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("&#96;"),
            '|' => out.push_str("&#124;"),
            _ => out.push(c),
        }
    }
    out
}

/// [`markdown_inline`], and no emphasis, strike-through, link or image
/// either (`*`, `_`, `~`, `[`, `]`, `\` as entities): for prose that
/// plandeck's own words must not be mistaken for, such as a pull request's
/// title in plandeck's comment.
pub fn markdown_text(s: &str) -> String {
    let inline = markdown_inline(s);
    let mut out = String::with_capacity(inline.len());
    for c in inline.chars() {
        match c {
            '*' => out.push_str("&#42;"),
            '_' => out.push_str("&#95;"),
            '~' => out.push_str("&#126;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '\\' => out.push_str("&#92;"),
            _ => out.push(c),
        }
    }
    out
}

/// A writer that escapes every line written through it (the newline kept),
/// for output assembled elsewhere from untrusted parts. Text that was
/// escaped already passes unchanged: escapes are plain characters.
///
/// The CLI writes all of its standard output through one of these (see
/// `cli::write_stdout`), so a message that forgot to escape a part is
/// escaped here. A *styled* escaper lets through plandeck's own colours
/// (SGR sequences of [`allowed_sgr`]) and escapes every other sequence.
pub struct LineEscaper<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
    styled: bool,
}

impl<W: std::io::Write> LineEscaper<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            styled: false,
        }
    }

    /// Like [`Self::new`], keeping colour sequences (SGR) of [`allowed_sgr`].
    pub fn styled(inner: W) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            styled: true,
        }
    }

    fn emit(&mut self, line: &[u8], newline: bool) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(line);
        if self.styled {
            self.inner.write_all(escape_keeping_sgr(&text).as_bytes())?;
        } else {
            self.inner.write_all(escape(&text).text.as_bytes())?;
        }
        if newline {
            self.inner.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// Writes one line to standard error through the terminal guard (every
/// line of plandeck's stderr goes here: `eprintln!` is denied).
pub fn warn_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = LineEscaper::new(std::io::stderr().lock());
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// The parameters of a colour sequence plandeck may write: reset, bold,
/// dim, italic, underline and their resets, foreground and background
/// colours. Not conceal (8), blink (5, 6), nor anything that moves the
/// cursor, sets a title or touches the clipboard (those are not SGR).
pub fn allowed_sgr(params: &str) -> bool {
    params.split(';').all(|p| match p.parse::<u8>() {
        Ok(n) => matches!(n, 0..=4 | 22..=24 | 27 | 30..=37 | 39..=47 | 49 | 90..=97 | 100..=107),
        Err(_) => p.is_empty(),
    })
}

/// [`escape`], but an SGR sequence `ESC [ params m` whose params pass
/// [`allowed_sgr`] is kept as it is.
pub fn escape_keeping_sgr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('\u{1b}') {
        out.push_str(&escape(&rest[..at]).text);
        let after = &rest[at + 1..];
        let sgr = after.strip_prefix('[').and_then(|body| {
            let end = body.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
            (body[end..].starts_with('m') && allowed_sgr(&body[..end])).then_some(end + 2)
        });
        match sgr {
            Some(len) => {
                out.push_str(&rest[at..at + 1 + len]);
                rest = &after[len..];
            }
            None => {
                out.push_str("\\x1b");
                rest = after;
            }
        }
    }
    out.push_str(&escape(rest).text);
    out
}

impl<W: std::io::Write> std::io::Write for LineEscaper<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(end) = memchr::memchr(b'\n', &self.pending) {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line[..end], true)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let partial = std::mem::take(&mut self.pending);
            self.emit(&partial, false)?;
        }
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for LineEscaper<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_and_unflagged() {
        let e = escape("aws_s3_bucket.logs[\"eu\"]");
        assert!(matches!(e.text, Cow::Borrowed(_)));
        assert!(!e.flagged);
    }

    #[test]
    fn escape_sequences_are_shown_not_interpreted() {
        let e = escape("a\u{1b}[31mred\u{7}\u{9b}x\r");
        assert_eq!(e.text, "a\\x1b[31mred\\x07\\u{9b}x\\r");
        assert!(e.flagged);
    }

    #[test]
    fn bidi_and_zero_width_are_flagged() {
        let e = escape("db\u{202e}evil\u{200b}");
        assert_eq!(e.text, "db\\u{202e}evil\\u{200b}");
        assert!(e.flagged);
    }

    #[test]
    fn a_line_escaper_escapes_each_line_and_keeps_escaped_text() {
        use std::io::Write;
        let mut out = Vec::new();
        {
            let mut w = LineEscaper::new(&mut out);
            write!(
                w,
                "request/1-\u{1b}]0;x\u{7}: applied\nalready \\x1b ok\npart"
            )
            .expect("write");
        }
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "request/1-\\x1b]0;x\\x07: applied\nalready \\x1b ok\npart"
        );
    }

    #[test]
    fn a_styled_escaper_keeps_plandecks_colours_only() {
        assert_eq!(
            escape_keeping_sgr("\u{1b}[1;97;41mdelete\u{1b}[0m x"),
            "\u{1b}[1;97;41mdelete\u{1b}[0m x"
        );
        // Conceal, a title (OSC), the clipboard (OSC 52), cursor moves: escaped.
        assert_eq!(escape_keeping_sgr("\u{1b}[8mhidden"), "\\x1b[8mhidden");
        assert_eq!(
            escape_keeping_sgr("\u{1b}]52;c;eA==\u{7}"),
            "\\x1b]52;c;eA==\\x07"
        );
        assert_eq!(escape_keeping_sgr("\u{1b}[2J\u{1b}[H"), "\\x1b[2J\\x1b[H");
        assert_eq!(escape_keeping_sgr("a\u{202e}b\u{1b}"), "a\\u{202e}b\\x1b");
    }

    #[test]
    fn newlines_are_escaped_but_not_flagged() {
        let e = escape_quoted("a\n\"b\\");
        assert_eq!(e.text, "a\\n\\\"b\\\\");
        assert!(!e.flagged);
    }

    #[test]
    fn json_safe_escapes_what_serde_leaves_raw() {
        let json = serde_json::to_string("x\u{202e}\u{9b}\u{1b}\u{e0041}").expect("serialises");
        let safe = json_safe(json);
        assert_eq!(safe, "\"x\\u202e\\u009b\\u001b\\udb40\\udc41\"");
        let back: String = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, "x\u{202e}\u{9b}\u{1b}\u{e0041}");
    }

    #[test]
    fn markdown_cannot_open_tags() {
        assert_eq!(
            markdown_inline("</details><img src=x>"),
            "&lt;/details&gt;&lt;img src=x&gt;"
        );
    }

    #[test]
    fn markdown_text_cannot_link_or_emphasise() {
        assert_eq!(
            markdown_text("[ok](https://x) *a* _b_ ~c~ \\`d` <i>\n"),
            "&#91;ok&#93;(https://x) &#42;a&#42; &#95;b&#95; &#126;c&#126; &#92;&#96;d&#96; \
             &lt;i&gt;&#92;n"
        );
    }
}
