//! Keys as written in keymap files, hints and tests: a single character
//! (`j`, `G`, `/`), or a name in angle brackets with optional modifiers
//! (`<Enter>`, `<C-d>`, `<S-Tab>`, `<A-x>`). Parsing gives one normal form
//! (`KeyId`) so that `<c-d>` and `<C-d>`, `G` and `<S-g>` are the same key,
//! and one label to show for it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key as the keymap matches it: shift folded into the character.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyId {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyId {
    /// The key a terminal event means. Shift is implied by an upper-case
    /// character and by BackTab, so it is dropped there.
    pub fn of_event(event: &KeyEvent) -> Self {
        let modifiers = match event.code {
            KeyCode::Char(_) | KeyCode::BackTab => event.modifiers - KeyModifiers::SHIFT,
            _ => event.modifiers,
        };
        Self {
            code: event.code,
            modifiers,
        }
    }

    pub fn event(self) -> KeyEvent {
        KeyEvent::new(self.code, self.modifiers)
    }

    /// How the key is written in hints and by `plandeck keys`.
    pub fn label(self) -> String {
        let mut mods = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            mods.push_str("C-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            mods.push_str("A-");
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            mods.push_str("S-");
        }
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if mods.is_empty() => return c.to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            code => NAMED
                .iter()
                .find(|(_, c)| *c == code)
                .map_or_else(|| format!("{code:?}"), |(n, _)| (*n).to_string()),
        };
        format!("<{mods}{name}>")
    }
}

const NAMED: [(&str, KeyCode); 15] = [
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Backspace", KeyCode::Backspace),
    ("Delete", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
];

/// Parses `j`, `<Enter>`, `<C-d>`, `<S-Tab>`…; the error says what is wrong.
pub fn parse(text: &str) -> Result<KeyId, String> {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_control() {
            return Err(format!(
                "{text:?} is a control character: write it as <C-x>"
            ));
        }
        return Ok(KeyId {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::NONE,
        });
    }
    let inner = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            format!(
                "{text:?} is not a key: write one character (`j`) or a name (`<Enter>`, `<C-d>`)"
            )
        })?;
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = inner;
    // `<C-->` is Ctrl and minus: a modifier needs something after its dash.
    while rest.len() > 2 && rest.as_bytes()[1] == b'-' {
        let modifier = match rest.as_bytes()[0].to_ascii_uppercase() {
            b'C' => KeyModifiers::CONTROL,
            b'A' | b'M' => KeyModifiers::ALT,
            b'S' => KeyModifiers::SHIFT,
            _ => break,
        };
        modifiers |= modifier;
        rest = &rest[2..];
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) => KeyCode::Char(c),
        _ if rest.eq_ignore_ascii_case("space") => KeyCode::Char(' '),
        _ if rest.eq_ignore_ascii_case("lt") => KeyCode::Char('<'),
        _ => match NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(rest)) {
            Some((_, code)) => *code,
            None => match rest
                .strip_prefix(['F', 'f'])
                .and_then(|n| n.parse::<u8>().ok())
            {
                Some(n @ 1..=12) => KeyCode::F(n),
                _ => return Err(format!("{text:?}: unknown key name {rest:?}")),
            },
        },
    };
    Ok(normalize(code, modifiers))
}

/// Shift with a letter is the upper-case letter; Shift-Tab is BackTab.
fn normalize(code: KeyCode, mut modifiers: KeyModifiers) -> KeyId {
    let code = match code {
        KeyCode::Char(c) if modifiers.contains(KeyModifiers::SHIFT) => {
            modifiers -= KeyModifiers::SHIFT;
            KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
        }
        KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
            modifiers -= KeyModifiers::SHIFT;
            KeyCode::BackTab
        }
        KeyCode::BackTab => {
            modifiers -= KeyModifiers::SHIFT;
            KeyCode::BackTab
        }
        // Ctrl with a letter arrives lower-case from terminals.
        KeyCode::Char(c) if modifiers.contains(KeyModifiers::CONTROL) => {
            KeyCode::Char(c.to_ascii_lowercase())
        }
        other => other,
    };
    KeyId { code, modifiers }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyId {
        KeyId { code, modifiers }
    }

    #[test]
    fn spellings_of_one_key_are_one_key() {
        let ctrl_d = key(KeyCode::Char('d'), KeyModifiers::CONTROL);
        for text in ["<C-d>", "<c-d>", "<C-D>"] {
            assert_eq!(parse(text), Ok(ctrl_d), "{text}");
        }
        let big_g = key(KeyCode::Char('G'), KeyModifiers::NONE);
        assert_eq!(parse("G"), Ok(big_g));
        assert_eq!(parse("<S-g>"), Ok(big_g));
        let back_tab = key(KeyCode::BackTab, KeyModifiers::NONE);
        assert_eq!(parse("<S-Tab>"), Ok(back_tab));
        assert_eq!(parse("<BackTab>"), Ok(back_tab));
        assert_eq!(parse("<Space>"), parse(" "));
        assert_eq!(
            parse("<enter>"),
            Ok(key(KeyCode::Enter, KeyModifiers::NONE))
        );
        assert_eq!(parse("<F5>"), Ok(key(KeyCode::F(5), KeyModifiers::NONE)));
        assert_eq!(
            parse("<C-->"),
            Ok(key(KeyCode::Char('-'), KeyModifiers::CONTROL))
        );
    }

    #[test]
    fn labels_parse_back_to_the_same_key() {
        for text in [
            "j",
            "G",
            "/",
            "<Enter>",
            "<C-d>",
            "<BackTab>",
            "<Space>",
            "<A-x>",
            "<F12>",
            "<lt>",
        ] {
            let id = parse(text).expect("parses");
            assert_eq!(parse(&id.label()), Ok(id), "{text} -> {}", id.label());
        }
    }

    #[test]
    fn nonsense_is_refused_with_the_reason() {
        for text in ["", "jj", "<>", "<Nope>", "<F13>", "<C-", "\u{1b}"] {
            assert!(parse(text).is_err(), "{text:?}");
        }
        assert!(
            parse("<Nope>")
                .expect_err("refused")
                .contains("unknown key name")
        );
    }

    #[test]
    fn events_match_their_parsed_key() {
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyId::of_event(&shifted), parse("G").expect("G"));
        let back_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeyId::of_event(&back_tab), parse("<S-Tab>").expect("tab"));
    }
}
