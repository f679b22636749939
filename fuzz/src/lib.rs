//! What the fuzz targets share: the terminal-safety property, written here
//! independently of `plandeck::sanitize` (a fuzzer checking the sanitiser
//! against its own table would find nothing), and a splitter for inputs
//! that carry two documents. It parses nothing itself.

/// Characters that must never reach a terminal raw: C0 controls, DEL, C1
/// controls, bidirectional formatting (marks, embeddings, overrides,
/// isolates) and invisible or zero-width characters.
pub fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        // Bidi marks, embeddings, overrides and isolates.
        | '\u{061c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        // Zero-width, invisible and line-breaking separators.
        | '\u{00ad}'
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
        | '\u{e0000}'..='\u{e007f}'
    )
}

/// Panics (so libFuzzer records a crash) when `text` holds a forbidden
/// character other than those in `allowed` (e.g. `'\n'` between lines).
pub fn assert_terminal_safe(what: &str, text: &str, allowed: &[char]) {
    if let Some((at, c)) = text
        .char_indices()
        .find(|&(_, c)| is_forbidden(c) && !allowed.contains(&c))
    {
        let from = text.floor_char_boundary(at.saturating_sub(40));
        let to = text.ceil_char_boundary(at.saturating_add(40));
        panic!(
            "{what}: raw {c:?} (U+{:04X}) at byte {at}, in {:?}",
            u32::from(c),
            &text[from..to]
        );
    }
}

/// Like [`assert_terminal_safe`] for bytes, which must be UTF-8.
pub fn assert_terminal_safe_bytes(what: &str, bytes: &[u8], allowed: &[char]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => assert_terminal_safe(what, text, allowed),
        Err(e) => panic!("{what}: not UTF-8: {e}"),
    }
}

/// Splits an input at its first `0xff` byte (never part of UTF-8 text):
/// the first document, and the second when there is one.
pub fn split_ff(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    }
}
