//! Syntax highlighting as semantic roles: syntect parses, this module maps
//! the resulting scopes to [`CodeRole`]s.
//!
//! No theme is involved, so there are no RGB colours to go wrong on a light
//! terminal or under NO_COLOR; the front end styles roles. This module does
//! not escape text (see `text`) and does not know about diffs.

use super::CodeRole;
use super::text::RawSpans;
use syntect::parsing::{
    ParseState, Scope, ScopeStack, SyntaxDefinition, SyntaxReference, SyntaxSet,
};

/// Our HCL grammar; syntect's defaults have none.
const HCL_SYNTAX: &str = include_str!("../../assets/syntaxes/hcl.sublime-syntax");

/// Scope prefixes and their roles. A token's role comes from its innermost
/// scope that matches an entry; among entries, the first match wins, so more
/// specific prefixes come first.
const SCOPE_ROLES: &[(&str, CodeRole)] = &[
    ("comment", CodeRole::Comment),
    ("punctuation.definition.comment", CodeRole::Comment),
    ("punctuation.definition.string", CodeRole::String),
    ("punctuation.section.interpolation", CodeRole::Punctuation),
    ("punctuation.section.embedded", CodeRole::Punctuation),
    ("punctuation", CodeRole::Punctuation),
    ("string", CodeRole::String),
    ("markup.raw", CodeRole::String),
    ("constant.numeric", CodeRole::Number),
    ("constant", CodeRole::Constant),
    ("support.constant", CodeRole::Constant),
    ("keyword.operator", CodeRole::Operator),
    ("keyword", CodeRole::Keyword),
    ("storage", CodeRole::Keyword),
    ("markup.heading", CodeRole::Keyword),
    ("entity.name.function", CodeRole::Function),
    ("support.function", CodeRole::Function),
    ("variable.function", CodeRole::Function),
    ("meta.function-call", CodeRole::Function),
    ("entity.name", CodeRole::Name),
    ("entity.other.attribute-name", CodeRole::Name),
    ("support.type", CodeRole::Name),
    ("support.class", CodeRole::Name),
    ("variable", CodeRole::Variable),
];

/// The syntax set (syntect's defaults plus ours) and the role table, built
/// once and shared by every file of every diff.
pub(crate) struct Syntaxes {
    set: SyntaxSet,
    roles: Vec<(Scope, CodeRole)>,
}

impl Syntaxes {
    /// Never fails: if our grammar did not load (a unit test guards against
    /// that) HCL files are shown plain and everything else still works.
    pub(crate) fn load() -> Self {
        let mut builder = SyntaxSet::load_defaults_newlines().into_builder();
        if let Ok(hcl) = SyntaxDefinition::load_from_str(HCL_SYNTAX, true, Some("HCL")) {
            builder.add(hcl);
        }
        let roles = SCOPE_ROLES
            .iter()
            .filter_map(|&(name, role)| Scope::new(name).ok().map(|scope| (scope, role)))
            .collect();
        Self {
            set: builder.build(),
            roles,
        }
    }

    /// The syntax for a path, by file name (`Makefile`) or extension; `None`
    /// for plain text, which needs no parsing at all.
    pub(crate) fn for_path(&self, path: &str) -> Option<&SyntaxReference> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map_or("", |(_, ext)| ext);
        self.set
            .find_syntax_by_extension(name)
            .or_else(|| self.set.find_syntax_by_extension(ext))
            .filter(|s| s.name != "Plain Text")
    }

    fn role(&self, stack: &ScopeStack) -> CodeRole {
        for scope in stack.as_slice().iter().rev() {
            if let Some(&(_, role)) = self.roles.iter().find(|(p, _)| p.is_prefix_of(*scope)) {
                return role;
            }
        }
        CodeRole::Plain
    }
}

/// Only this many characters of a line are highlighted, the rest is plain:
/// some grammars (YAML, Markdown) take time quadratic in a line's length,
/// and a long line is generated text nobody reads closely. (delta does the
/// same, at 400.)
pub const MAX_HIGHLIGHT_CHARS: usize = 400;

/// The byte length of the part of `line` to highlight.
fn highlighted_len(line: &str) -> usize {
    if line.len() <= MAX_HIGHLIGHT_CHARS {
        return line.len();
    }
    line.char_indices()
        .nth(MAX_HIGHLIGHT_CHARS)
        .map_or(line.len(), |(i, _)| i)
}

/// The parser state of one side (old or new) of a hunk.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Side {
    parse: ParseState,
    stack: ScopeStack,
}

impl Side {
    pub(crate) fn new(syntax: &SyntaxReference) -> Self {
        Self {
            parse: ParseState::new(syntax),
            stack: ScopeStack::new(),
        }
    }

    /// Highlights one line (without its newline) into `out`, advancing the
    /// state. On a parser error the line is plain and the state starts over,
    /// so one odd line cannot stop the rest of the file from showing.
    pub(crate) fn highlight(
        &mut self,
        syntaxes: &Syntaxes,
        syntax: &SyntaxReference,
        line: &str,
        buf: &mut String,
        out: &mut RawSpans,
    ) {
        let head = highlighted_len(line);
        // Our syntaxes are the "newlines" kind: they expect the `\n`.
        buf.clear();
        buf.push_str(&line[..head]);
        buf.push('\n');
        let mark = out.len();
        if self.highlight_ops(syntaxes, buf, head, out).is_none() {
            out.truncate(mark);
            out.push(CodeRole::Plain, 0..head);
            *self = Side::new(syntax);
        }
        out.push(CodeRole::Plain, head..line.len());
    }

    fn highlight_ops(
        &mut self,
        syntaxes: &Syntaxes,
        buf: &str,
        end: usize,
        out: &mut RawSpans,
    ) -> Option<()> {
        let ops = self.parse.parse_line(buf, &syntaxes.set).ok()?;
        let mut pos = 0;
        for (at, op) in ops {
            let at = at.min(end);
            if at > pos {
                out.push(syntaxes.role(&self.stack), pos..at);
                pos = at;
            }
            self.stack.apply(&op).ok()?;
        }
        if end > pos {
            out.push(syntaxes.role(&self.stack), pos..end);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_prefix_parses() {
        let syntaxes = Syntaxes::load();
        assert_eq!(syntaxes.roles.len(), SCOPE_ROLES.len());
    }

    #[test]
    fn our_hcl_grammar_loads_and_is_found_by_extension() {
        let syntaxes = Syntaxes::load();
        for path in ["main.tf", "prod.tfvars", "x/.terraform.lock.hcl", "a.tofu"] {
            let found = syntaxes.for_path(path).map(|s| s.name.as_str());
            assert_eq!(found, Some("HCL"), "{path}");
        }
        assert!(syntaxes.for_path("notes.txt").is_none());
        assert!(syntaxes.for_path("LICENSE").is_none());
    }

    #[test]
    fn innermost_known_scope_decides() {
        let syntaxes = Syntaxes::load();
        let stack = |names: &[&str]| {
            let mut s = ScopeStack::new();
            for n in names {
                s.push(Scope::new(n).expect("scope"));
            }
            s
        };
        let role = |names: &[&str]| syntaxes.role(&stack(names));
        assert_eq!(role(&["source.hcl"]), CodeRole::Plain);
        assert_eq!(
            role(&[
                "source.hcl",
                "string.quoted.double.hcl",
                "meta.interpolation.hcl"
            ]),
            CodeRole::String
        );
        assert_eq!(
            role(&["source.hcl", "meta.interpolation.hcl", "variable.other.hcl"]),
            CodeRole::Variable
        );
        assert_eq!(
            role(&["source.json", "constant.numeric.json"]),
            CodeRole::Number
        );
        assert_eq!(
            role(&["source.x", "keyword.operator.assignment.x"]),
            CodeRole::Operator
        );
    }
}
