//! `plandeck keys`: the terminal UI's effective key map, view by view:
//! each action with its keys and description, and where a binding came
//! from when the user's config set it. The same keymap the UI runs with,
//! so this never disagrees with the help overlay.

use super::Failure;
use crate::tui::Keymap;
use crate::tui::keymap_names::{VIEWS, View, name};
use std::io::Write;

pub(super) fn run(keymap: &Keymap) -> Result<i32, Failure> {
    super::write_stdout(|out| write_map(out, keymap))?;
    Ok(0)
}

fn write_map(out: &mut dyn Write, keymap: &Keymap) -> std::io::Result<()> {
    let mut first = true;
    for (view_name, view) in VIEWS {
        let View::Layer(layer) = view else {
            continue;
        };
        if !first {
            writeln!(out)?;
        }
        first = false;
        writeln!(out, "[{view_name}]")?;
        // One line per action, with all its keys, in binding order.
        let mut rows: Vec<(crate::tui::Action, Vec<&str>, &str, Vec<String>)> = Vec::new();
        for b in keymap.bindings(layer) {
            let origin = b
                .origin
                .as_ref()
                .filter(|(file, _)| !file.starts_with("assets/"))
                .map(|(file, line)| format!("{file}:{line}"));
            match rows.iter_mut().find(|(a, ..)| *a == b.action) {
                Some((_, keys, _, origins)) => {
                    keys.push(&b.label);
                    origins.extend(origin);
                }
                None => rows.push((
                    b.action,
                    vec![&b.label],
                    &b.desc,
                    origin.into_iter().collect(),
                )),
            }
        }
        for (action, keys, desc, origins) in rows {
            let from = if origins.is_empty() {
                String::new()
            } else {
                format!("  (from {})", origins.join(", "))
            };
            writeln!(
                out,
                "  {:<22} {:<20} {desc}{from}",
                keys.join(" "),
                name(action)
            )?;
        }
    }
    Ok(())
}
