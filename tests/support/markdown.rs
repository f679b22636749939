//! Checks on plandeck's Markdown for the character-limit and comment tests:
//! each `<details>` block closed with its code fence inside it, the lines
//! saying what was cut, and the text a reader sees outside code.

/// Characters, as the limits count them.
pub fn chars(text: &str) -> usize {
    text.chars().count()
}

/// What a summary's Markdown is made of, read line by line.
#[derive(Debug, Default)]
pub struct Shape {
    /// The lines saying what was cut (`<sub>… … cut to stay within …`).
    pub cut_lines: Vec<String>,
    /// Per full-plan block, how many lines its fence holds.
    pub blocks: Vec<usize>,
    /// The lines of destructive-change lists (`- **RISK** …`).
    pub destructive: Vec<String>,
    /// The lines saying how many items of a list were left out.
    pub notes: Vec<String>,
    pub digests: usize,
}

/// Reads `md`, panicking (with the Markdown) when a block or fence is not
/// closed, is opened inside another, or a fence line is not ours.
pub fn shape(md: &str) -> Shape {
    let mut shape = Shape::default();
    let mut in_details = false;
    let mut fence: Option<&str> = None;
    for line in md.lines() {
        if let Some(ticks) = fence {
            if line == ticks {
                fence = None;
            } else {
                assert!(
                    !line.starts_with(ticks),
                    "a plan line looks like the fence:\n{line}"
                );
                *shape.blocks.last_mut().expect("a block") += 1;
            }
            continue;
        }
        if line.starts_with("<details>") {
            assert!(!in_details, "<details> inside <details>:\n{md}");
            assert!(line.starts_with("<details><summary>Full plan"), "{line}");
            in_details = true;
            shape.blocks.push(0);
        } else if line.starts_with('`') {
            assert!(in_details, "a fence outside <details>:\n{md}");
            let ticks = line.strip_suffix("diff").expect("a diff fence");
            assert!(
                ticks.len() >= 3 && ticks.chars().all(|c| c == '`'),
                "{line}"
            );
            fence = Some(ticks);
        } else if line == "</details>" {
            assert!(in_details, "</details> without <details>:\n{md}");
            in_details = false;
        } else if ["<details", "</details"]
            .iter()
            .any(|tag| without_code_spans(line).contains(tag))
        {
            panic!("a details tag that is not plandeck's:\n{line}");
        } else if line.starts_with("<sub>… ") {
            assert!(line.ends_with("</sub>"), "{line}");
            shape.cut_lines.push(line.to_string());
        } else if line.starts_with("<sub>digest <code>") {
            shape.digests += 1;
        } else if line.starts_with("- **") {
            shape.destructive.push(line.to_string());
        } else if line.starts_with("- … ") {
            shape.notes.push(line.to_string());
        }
    }
    assert!(fence.is_none(), "a code fence left open:\n{md}");
    assert!(!in_details, "<details> left open:\n{md}");
    shape
}

/// The Markdown without its fenced blocks and inline code spans: what
/// GitHub would read as Markdown and HTML.
pub fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        if let Some(ticks) = &fence {
            if line == ticks {
                fence = None;
            }
            continue;
        }
        if line.starts_with("```") {
            fence = Some(line.trim_end_matches("diff").to_string());
            continue;
        }
        out.push_str(&without_code_spans(line));
        out.push('\n');
    }
    out
}

/// A line with each code span (a run of n backticks up to the next run of
/// exactly n) removed; an unmatched run is text.
fn without_code_spans(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let run = |from: usize| chars[from..].iter().take_while(|c| **c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run(i);
        let mut j = i + n;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let m = run(j);
                if m == n {
                    close = Some(j + m);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => i = end,
            None => {
                out.extend(&chars[i..i + n]);
                i += n;
            }
        }
    }
    out
}

/// The numbers of a cut line's "K of N THING" phrase, if it names THING.
pub fn cut_count(cut_line: &str, thing: &str) -> Option<(usize, usize)> {
    let at = cut_line.find(thing)?;
    let words: Vec<&str> = cut_line[..at].split_whitespace().collect();
    let [.., k, of, n] = words.as_slice() else {
        return None;
    };
    assert_eq!(*of, "of", "{cut_line}");
    let number = |s: &str| s.trim_matches(',').replace(',', "").parse().ok();
    Some((number(k)?, number(n)?))
}
