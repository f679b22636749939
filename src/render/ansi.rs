//! Styled lines to text: ANSI SGR colours or plain. The only escape
//! sequences plandeck ever writes are the SGR codes produced here.

use super::sections::{self, is_shown};
use super::{Line, RenderContext, ResourceView, Role, resource_lines};
use crate::plan::{Plan, ResourceChange};
use crate::summary::Summary;
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

/// Resource changes rendered per unit of parallel work.
const BATCH: usize = 256;

/// Writes a whole plan as `show` prints it. Resource changes are rendered
/// two batches at a time, one on a scoped helper thread, and written in
/// order: output is identical to rendering them one by one.
pub fn write_plan<W: Write + ?Sized>(
    out: &mut W,
    plan: &Plan,
    summary: &Summary,
    ctx: &RenderContext<'_>,
    color: bool,
) -> io::Result<()> {
    write_lines(out, &sections::plan_header_lines(summary), color)?;
    write_lines(out, &sections::drift_lines(plan, ctx), color)?;
    let shown: Vec<&ResourceChange> = plan
        .resource_changes
        .iter()
        .filter(|rc| is_shown(rc))
        .collect();
    for pair in shown.chunks(2 * BATCH) {
        let (first, second) = pair.split_at(pair.len().min(BATCH));
        let (a, b) = std::thread::scope(|scope| {
            let helper = scope.spawn(|| render_batch(second, ctx, color));
            (render_batch(first, ctx, color), helper.join())
        });
        out.write_all(&a?)?;
        out.write_all(&b.map_err(|_| io::Error::other("a rendering thread failed"))??)?;
    }
    write_lines(out, &sections::outputs_lines(plan, ctx), color)?;
    write_lines(out, &sections::deferred_lines(plan, ctx), color)?;
    write_lines(out, &sections::checks_lines(plan), color)
}

fn render_batch(
    changes: &[&ResourceChange],
    ctx: &RenderContext<'_>,
    color: bool,
) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(changes.len() * 2048);
    for rc in changes {
        bytes.push(b'\n');
        write_lines(
            &mut bytes,
            &resource_lines(rc, ResourceView::Planned, ctx),
            color,
        )?;
    }
    Ok(bytes)
}
