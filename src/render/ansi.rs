//! Styled lines to text: ANSI SGR colours or plain. The only escape
//! sequences plandeck ever writes are the SGR codes produced here.

use super::{Line, Role};
use std::io::{self, Write};

/// The SGR parameters for a role, or `None` for the terminal default.
fn sgr(role: Role) -> Option<&'static str> {
    Some(match role {
        Role::Plain => return None,
        Role::Muted => "2",
        Role::Heading => "1",
        Role::Create | Role::CostDown => "32",
        Role::Update => "33",
        Role::Delete => "31",
        Role::Replace => "1;35",
        Role::Read => "36",
        Role::Unknown | Role::Sensitive => "2;3",
        Role::Critical => "1;97;41",
        Role::High => "1;31",
        Role::Warning | Role::CostUp => "1;33",
        Role::Flag => "1;97;45",
    })
}

/// Writes lines, coloured or not, each ending in a newline.
pub fn write_lines<W: Write + ?Sized>(out: &mut W, lines: &[Line], color: bool) -> io::Result<()> {
    for line in lines {
        write_line(out, line, color)?;
    }
    Ok(())
}

pub fn write_line<W: Write + ?Sized>(out: &mut W, line: &Line, color: bool) -> io::Result<()> {
    for span in &line.spans {
        match sgr(span.role).filter(|_| color) {
            Some(code) => write!(out, "\x1b[{code}m{}\x1b[0m", span.text)?,
            None => out.write_all(span.text.as_bytes())?,
        }
    }
    out.write_all(b"\n")
}
