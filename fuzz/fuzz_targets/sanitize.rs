//! The sanitiser's promises, as properties: after `escape`,
//! `escape_quoted` and `markdown_inline` no control (C0 including `\n` and
//! `\t`, which are shown as `\n`/`\t`), DEL, C1, bidi or invisible
//! character is left raw; `flagged` and `is_suspicious` agree; `json_safe`
//! leaves none raw either and keeps the JSON's meaning; Markdown output
//! cannot open a tag, a code span or a table cell.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plandeck::sanitize::{escape, escape_quoted, is_suspicious, json_safe, markdown_inline};
use plandeck_fuzz::{assert_terminal_safe, is_forbidden};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let plain = escape(&s);
    assert_terminal_safe("escape", &plain.text, &[]);
    assert_eq!(
        plain.flagged,
        is_suspicious(&s),
        "flagged vs is_suspicious: {s:?}"
    );
    // Flagged exactly when a forbidden character other than layout was there.
    let hidden = s.chars().any(|c| is_forbidden(c) && c != '\n' && c != '\t');
    assert_eq!(plain.flagged, hidden, "flagged: {s:?}");
    if !s.chars().any(is_forbidden) {
        assert_eq!(plain.text, s, "safe text changed");
    }

    let quoted = escape_quoted(&s);
    assert_terminal_safe("escape_quoted", &quoted.text, &[]);
    assert_eq!(quoted.flagged, plain.flagged);
    // Every `"` is escaped: the text cannot close the quotes it is shown in.
    let mut backslashes = 0;
    for c in quoted.text.chars() {
        if c == '"' {
            assert!(backslashes % 2 == 1, "raw quote in {:?}", quoted.text);
        }
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
    }

    let md = markdown_inline(&s);
    assert_terminal_safe("markdown_inline", &md, &[]);
    for c in ['<', '>', '`', '|'] {
        assert!(!md.contains(c), "raw {c:?} in Markdown {md:?}");
    }
    for (i, _) in md.match_indices('&') {
        let rest = &md[i..];
        assert!(
            ["&lt;", "&gt;", "&amp;", "&#96;", "&#124;"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "raw & in Markdown {md:?}"
        );
    }

    let json = serde_json::to_string(s.as_ref()).expect("a string serialises");
    let safe = json_safe(json);
    assert_terminal_safe("json_safe", &safe, &[]);
    let back: String = serde_json::from_str(&safe).expect("json_safe output is JSON");
    assert_eq!(back, s, "json_safe changed the meaning");
});
