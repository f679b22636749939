//! Every style of the terminal UI from one role table (`Theme::style`), in
//! a dark and a light palette. Mostly the 16 named colours, so the theme
//! follows the terminal's own palette; the light palette trades yellow and
//! cyan (unreadable on white in most palettes) for a dark orange and blue.
//! With `NO_COLOR` only modifiers remain (bold, dim, reverse for badges).
//! Pure: choosing `auto` asks the terminal in `background`, at start.

pub mod background;

use crate::codeview::CodeRole;
use crate::config::ThemeChoice;
use crate::render::Role;
use ratatui::style::{Color, Modifier, Style};

/// Colours for a dark or a light terminal background.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Palette {
    #[default]
    Dark,
    Light,
}

/// An environment's badge colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvKind {
    Prod,
    Stage,
    Dev,
    Other,
}

impl EnvKind {
    pub fn of(env: &str) -> Self {
        match env {
            "prod" | "production" => Self::Prod,
            "stage" | "staging" => Self::Stage,
            "dev" | "development" => Self::Dev,
            _ => Self::Other,
        }
    }
}

/// Everything the UI styles: the plan engine's roles, the code view's, and
/// the UI's own parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Plan(Role),
    Code(CodeRole),
    Title,
    Key,
    Selection,
    /// The border of a pane without the focus, and of the one with it.
    Border,
    FocusedBorder,
    Env(EnvKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    palette: Palette,
    color: bool,
}

/// (foreground, background, modifiers) of a part: the table itself.
type Spec = (Option<Color>, Option<Color>, Modifier);

const NONE: Modifier = Modifier::empty();
const BOLD: Modifier = Modifier::BOLD;
const DIM: Modifier = Modifier::DIM;

impl Theme {
    /// The dark palette, with or without colour.
    pub fn new(color: bool) -> Self {
        Self::with_palette(Palette::Dark, color)
    }

    pub fn with_palette(palette: Palette, color: bool) -> Self {
        Self { palette, color }
    }

    /// Whether `NO_COLOR` is set and non-empty.
    pub fn no_color_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// The dark palette, plain under `NO_COLOR`.
    pub fn from_env() -> Self {
        Self::new(!Self::no_color_env())
    }

    /// The configured theme; `auto` takes the palette `ask` finds (the
    /// terminal's background), dark when it finds none.
    pub fn choose(choice: ThemeChoice, color: bool, ask: impl FnOnce() -> Option<Palette>) -> Self {
        let palette = match choice {
            ThemeChoice::Dark => Palette::Dark,
            ThemeChoice::Light => Palette::Light,
            // Without colour the palette does not matter: do not ask.
            ThemeChoice::Auto if !color => Palette::Dark,
            ThemeChoice::Auto => ask().unwrap_or(Palette::Dark),
        };
        Self::with_palette(palette, color)
    }

    pub fn palette(&self) -> Palette {
        self.palette
    }

    /// The role table.
    fn spec(&self, part: Part) -> Spec {
        let light = self.palette == Palette::Light;
        // Yellow and cyan read well on black, badly on white.
        let yellow = if light {
            Color::Indexed(130)
        } else {
            Color::Yellow
        };
        let cyan = if light { Color::Blue } else { Color::Cyan };
        let fg = |c: Color, m: Modifier| (Some(c), None, m);
        let badge = |bg: Color, text: Color| (Some(text), Some(bg), BOLD);
        match part {
            Part::Plan(role) => match role {
                Role::Plain => (None, None, NONE),
                Role::Muted => (None, None, DIM),
                Role::Heading => (None, None, BOLD),
                Role::Create | Role::CostDown => fg(Color::Green, NONE),
                Role::Update => fg(yellow, NONE),
                Role::Delete => fg(Color::Red, NONE),
                Role::Replace => fg(Color::Magenta, BOLD),
                Role::Read => fg(cyan, NONE),
                Role::Unknown | Role::Sensitive => (None, None, DIM | Modifier::ITALIC),
                Role::Critical => badge(Color::Red, Color::White),
                Role::High => fg(Color::Red, BOLD),
                Role::Warning | Role::CostUp => fg(yellow, BOLD),
                Role::Flag => badge(Color::Magenta, Color::White),
            },
            Part::Code(role) => match role {
                CodeRole::Plain | CodeRole::Punctuation | CodeRole::Operator => (None, None, NONE),
                CodeRole::Comment => (None, None, DIM | Modifier::ITALIC),
                CodeRole::String => fg(Color::Green, NONE),
                CodeRole::Number | CodeRole::Constant => fg(Color::Magenta, NONE),
                CodeRole::Keyword => fg(Color::Blue, BOLD),
                CodeRole::Name => fg(cyan, NONE),
                CodeRole::Function => fg(yellow, NONE),
                CodeRole::Variable => fg(cyan, Modifier::ITALIC),
                CodeRole::Added => fg(Color::Green, BOLD),
                CodeRole::Removed => fg(Color::Red, BOLD),
                CodeRole::HunkHeader => fg(cyan, DIM),
                CodeRole::FileHeader => (None, None, BOLD),
                CodeRole::Meta => (None, None, DIM),
            },
            Part::Title | Part::Key | Part::FocusedBorder => fg(cyan, BOLD),
            Part::Selection => (None, None, Modifier::REVERSED),
            Part::Border => (None, None, DIM),
            Part::Env(env) => match env {
                EnvKind::Prod => badge(Color::Red, Color::White),
                EnvKind::Stage => badge(Color::Yellow, Color::Black),
                EnvKind::Dev => badge(Color::Green, Color::Black),
                EnvKind::Other => badge(Color::Blue, Color::White),
            },
        }
    }

    /// The style of a part. Without colour, a badge (a part with a
    /// background) is reverse video, so it still stands out.
    pub fn style(&self, part: Part) -> Style {
        let (fg, bg, modifiers) = self.spec(part);
        let style = Style::default().add_modifier(modifiers);
        match (self.color, fg, bg) {
            (false, _, Some(_)) => style.add_modifier(Modifier::REVERSED | BOLD),
            (false, _, None) => style,
            (true, fg, bg) => {
                let style = fg.map_or(style, |c| style.fg(c));
                bg.map_or(style, |c| style.bg(c))
            }
        }
    }

    pub fn role(&self, role: Role) -> Style {
        self.style(Part::Plan(role))
    }

    /// Syntax and diff roles of the code view.
    pub fn code(&self, role: CodeRole) -> Style {
        self.style(Part::Code(role))
    }

    /// An environment's badge.
    pub fn env(&self, env: &str) -> Style {
        self.style(Part::Env(EnvKind::of(env)))
    }

    /// The selected row.
    pub fn selection(&self) -> Style {
        self.style(Part::Selection)
    }

    pub fn title(&self) -> Style {
        self.style(Part::Title)
    }

    pub fn key(&self) -> Style {
        self.style(Part::Key)
    }

    /// A pane's border, brighter when the pane has the focus.
    pub fn border(&self, focused: bool) -> Style {
        self.style(if focused {
            Part::FocusedBorder
        } else {
            Part::Border
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: [Role; 16] = [
        Role::Plain,
        Role::Muted,
        Role::Heading,
        Role::Create,
        Role::Update,
        Role::Delete,
        Role::Replace,
        Role::Read,
        Role::Unknown,
        Role::Sensitive,
        Role::Critical,
        Role::High,
        Role::Warning,
        Role::Flag,
        Role::CostUp,
        Role::CostDown,
    ];

    fn parts() -> Vec<Part> {
        let mut parts: Vec<Part> = ROLES.into_iter().map(Part::Plan).collect();
        parts.extend([
            Part::Title,
            Part::Key,
            Part::Selection,
            Part::Border,
            Part::FocusedBorder,
        ]);
        parts.extend([EnvKind::Prod, EnvKind::Stage, EnvKind::Dev, EnvKind::Other].map(Part::Env));
        parts
    }

    #[test]
    fn no_color_keeps_only_modifiers_in_both_palettes() {
        for palette in [Palette::Dark, Palette::Light] {
            let plain = Theme::with_palette(palette, false);
            for part in parts() {
                let style = plain.style(part);
                assert_eq!((style.fg, style.bg), (None, None), "{palette:?} {part:?}");
            }
            assert!(
                plain
                    .role(Role::Critical)
                    .add_modifier
                    .contains(Modifier::REVERSED)
            );
            assert!(plain.env("prod").add_modifier.contains(Modifier::REVERSED));
        }
        assert_eq!(Theme::new(true).role(Role::Create).fg, Some(Color::Green));
    }

    #[test]
    fn the_light_palette_avoids_yellow_and_cyan_text() {
        let light = Theme::with_palette(Palette::Light, true);
        for part in parts() {
            let fg = light.style(part).fg;
            // Badges set their own background, so their text is chosen for it.
            if light.style(part).bg.is_none() {
                assert!(
                    !matches!(fg, Some(Color::Yellow | Color::Cyan | Color::White)),
                    "{part:?}: {fg:?} on a light background"
                );
            }
        }
        let dark = Theme::new(true);
        assert_ne!(dark.role(Role::Update), light.role(Role::Update));
        assert_eq!(dark.role(Role::Delete), light.role(Role::Delete));
    }

    #[test]
    fn auto_asks_the_terminal_and_falls_back_to_dark() {
        let light = Theme::choose(ThemeChoice::Auto, true, || Some(Palette::Light));
        assert_eq!(light.palette(), Palette::Light);
        let silent = Theme::choose(ThemeChoice::Auto, true, || None);
        assert_eq!(silent.palette(), Palette::Dark);
        let fixed = Theme::choose(ThemeChoice::Light, true, || panic!("not asked"));
        assert_eq!(fixed.palette(), Palette::Light);
        let plain = Theme::choose(ThemeChoice::Auto, false, || {
            panic!("not asked without colour")
        });
        assert_eq!(plain.role(Role::Create).fg, None);
    }
}
