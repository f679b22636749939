//! Roles to terminal styles. Only the 16 named colours and modifiers are
//! used, so the theme follows the terminal's own palette on dark and light
//! backgrounds; with `NO_COLOR` only modifiers (bold, reverse…) remain.

use crate::render::Role;
use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy, Debug)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    /// From the environment: `NO_COLOR` set and non-empty turns colour off.
    pub fn from_env() -> Self {
        Self::new(std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()))
    }

    fn paint(&self, fg: Color, modifiers: Modifier) -> Style {
        let style = Style::default().add_modifier(modifiers);
        if self.color { style.fg(fg) } else { style }
    }

    pub fn role(&self, role: Role) -> Style {
        match role {
            Role::Plain => Style::default(),
            Role::Muted => Style::default().add_modifier(Modifier::DIM),
            Role::Heading => Style::default().add_modifier(Modifier::BOLD),
            Role::Create | Role::CostDown => self.paint(Color::Green, Modifier::empty()),
            Role::Update => self.paint(Color::Yellow, Modifier::empty()),
            Role::Delete => self.paint(Color::Red, Modifier::empty()),
            Role::Replace => self.paint(Color::Magenta, Modifier::BOLD),
            Role::Read => self.paint(Color::Cyan, Modifier::empty()),
            Role::Unknown | Role::Sensitive => {
                Style::default().add_modifier(Modifier::DIM | Modifier::ITALIC)
            }
            Role::Critical => self.badge(Color::Red),
            Role::High => self.paint(Color::Red, Modifier::BOLD),
            Role::Warning | Role::CostUp => self.paint(Color::Yellow, Modifier::BOLD),
            Role::Flag => self.badge(Color::Magenta),
        }
    }

    /// Text on a coloured background; reverse video without colour.
    pub fn badge(&self, bg: Color) -> Style {
        if self.color {
            Style::default()
                .fg(Color::White)
                .bg(bg)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// The selected row.
    pub fn selection(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn title(&self) -> Style {
        self.paint(Color::Cyan, Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.paint(Color::Cyan, Modifier::BOLD)
    }
}

impl Theme {
    /// Syntax and diff roles of the code view.
    pub fn code(&self, role: crate::codeview::CodeRole) -> Style {
        use crate::codeview::CodeRole as C;
        match role {
            C::Plain | C::Punctuation | C::Operator => Style::default(),
            C::Comment => Style::default().add_modifier(Modifier::DIM | Modifier::ITALIC),
            C::String => self.paint(Color::Green, Modifier::empty()),
            C::Number | C::Constant => self.paint(Color::Magenta, Modifier::empty()),
            C::Keyword => self.paint(Color::Blue, Modifier::BOLD),
            C::Name => self.paint(Color::Cyan, Modifier::empty()),
            C::Function => self.paint(Color::Yellow, Modifier::empty()),
            C::Variable => self.paint(Color::Cyan, Modifier::ITALIC),
            C::Added => self.paint(Color::Green, Modifier::BOLD),
            C::Removed => self.paint(Color::Red, Modifier::BOLD),
            C::HunkHeader => self.paint(Color::Cyan, Modifier::DIM),
            C::FileHeader => Style::default().add_modifier(Modifier::BOLD),
            C::Meta => Style::default().add_modifier(Modifier::DIM),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_keeps_only_modifiers() {
        let plain = Theme::new(false);
        for role in [
            Role::Create,
            Role::Delete,
            Role::Critical,
            Role::Flag,
            Role::Warning,
        ] {
            let style = plain.role(role);
            assert_eq!((style.fg, style.bg), (None, None), "{role:?}");
        }
        assert!(
            plain
                .role(Role::Critical)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert_eq!(Theme::new(true).role(Role::Create).fg, Some(Color::Green));
    }
}
