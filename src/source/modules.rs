//! Local module calls in configuration text, and the repository paths they
//! name: what a root reads besides its own directory.
//!
//! HCL (`.tf`, `.tofu`) is parsed with `hcl-edit`, so comments, heredocs and
//! strings that merely look like a `module` block do not count. A file it
//! cannot parse (Terraform would refuse it, or it nests deeper than the
//! parser's limit) falls back to a scan that keeps every
//! `source = "./…"`-shaped string, commented or not: a file that might
//! call a module is taken to call it. JSON syntax (`.tf.json`) is read with
//! serde_json, with the same fallback.
//!
//! Paths are repository-relative and `/`-separated; a path that would leave
//! the repository is never returned. Pure functions: no git, no I/O.

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;

/// The `source` strings of the module calls in one configuration file
/// (`path` decides the syntax), local or not, in file order.
pub fn module_sources(path: &str, text: &str) -> Vec<String> {
    let parsed = if path.ends_with(".json") {
        json_sources(text)
    } else {
        hcl_sources(text)
    };
    parsed.unwrap_or_else(|| scan_sources(text))
}

/// The directory a local module `source` (`./…` or `../…`) names, called
/// from directory `dir`: `None` for a registry, git or URL source, or a
/// path that leaves the repository.
pub fn local_target(dir: &str, source: &str) -> Option<String> {
    if !(source.starts_with("./") || source.starts_with("../")) {
        return None;
    }
    join(dir, source)
}

/// `relative` resolved against directory `dir` (`.` for the top) and
/// normalised (`.`, `..` and empty segments removed); `None` when it climbs
/// above the top or is absolute.
pub fn join(dir: &str, relative: &str) -> Option<String> {
    if relative.starts_with('/') {
        return None;
    }
    let mut segments: Vec<&str> = dir
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    for segment in relative.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            name => segments.push(name),
        }
    }
    Some(if segments.is_empty() {
        ".".to_string()
    } else {
        segments.join("/")
    })
}

fn hcl_sources(text: &str) -> Option<Vec<String>> {
    let body: Body = text.parse().ok()?;
    Some(
        body.get_blocks("module")
            .filter_map(|block| block.body.get_attribute("source"))
            .filter_map(|attribute| match &attribute.value {
                Expression::String(s) => Some(s.value().to_string()),
                // Terraform accepts only a literal string here.
                _ => None,
            })
            .collect(),
    )
}

/// `{"module": {"name": {"source": "…"}}}`, where every block level may
/// also be an array of objects (Terraform's JSON syntax).
fn json_sources(text: &str) -> Option<Vec<String>> {
    use serde_json::Value;
    fn objects(value: &Value) -> Vec<&serde_json::Map<String, Value>> {
        match value {
            Value::Object(map) => vec![map],
            Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        }
    }
    let root: Value = serde_json::from_str(text).ok()?;
    let mut sources = Vec::new();
    for top in objects(&root) {
        for modules in top.get("module").map(objects).unwrap_or_default() {
            for call in modules.values().flat_map(objects) {
                if let Some(Value::String(source)) = call.get("source") {
                    sources.push(source.clone());
                }
            }
        }
    }
    Some(sources)
}

/// Every `source = "…"` (or `"source": "…"`) string in the text, wherever
/// it stands: the fallback for a file that does not parse.
fn scan_sources(text: &str) -> Vec<String> {
    let mut sources = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("source") {
        rest = &rest[at + "source".len()..];
        let after = rest.trim_start_matches('"').trim_start();
        let Some(after) = after.strip_prefix(['=', ':']) else {
            continue;
        };
        let Some(quoted) = after.trim_start().strip_prefix('"') else {
            continue;
        };
        if let Some(end) = quoted.find(['"', '\n']) {
            sources.push(quoted[..end].to_string());
        }
    }
    sources
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRICKY: &str = r#"
# module "hash" { source = "../hash" }
// module "slashes" { source = "../slashes" }
/* module "block" {
  source = "../block"
} */
locals {
  script = <<-EOT
    module "heredoc" { source = "../heredoc" }
  EOT
  text = "module \"string\" { source = \"../string\" }"
}
module "real" {
  source = "../../modules/shared" # a comment after it
  for_each = { for k, v in var.x : k => v if v != "" }
}
module "registry" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}
module "escaped" {
  source = "\u002e/escaped"
}
resource "null_resource" "r" {
  source = "../not-a-module"
}
"#;

    #[test]
    fn only_real_module_blocks_count() {
        assert_eq!(
            module_sources("main.tf", TRICKY),
            [
                "../../modules/shared",
                "terraform-aws-modules/vpc/aws",
                "./escaped"
            ]
        );
    }

    #[test]
    fn an_unparsable_file_keeps_every_source_shaped_string() {
        let broken = "module \"a\" {\n  source = \"./a\"\n}\n# source = \"../b\"\nresource \"x\" \"y\" {\n  v =\n";
        assert_eq!(module_sources("main.tf", broken), ["./a", "../b"]);
        let deep = format!(
            "x = {}{}\nmodule \"m\" {{ source = \"../m\" }}\n",
            "[".repeat(100),
            "]".repeat(100)
        );
        assert_eq!(module_sources("deep.tf", &deep), ["../m"]);
    }

    #[test]
    fn json_syntax_objects_and_arrays() {
        let json = r#"{"module": {"a": {"source": "./a"}, "b": [{"source": "../b"}]},
                       "resource": {"x": {"y": {"source": "../no"}}}}"#;
        assert_eq!(module_sources("main.tf.json", json), ["./a", "../b"]);
        let listed = r#"[{"module": [{"c": {"source": "./c"}}]}]"#;
        assert_eq!(module_sources("c.tf.json", listed), ["./c"]);
        assert_eq!(
            module_sources("bad.tf.json", "{\"source\": \"./d\""),
            ["./d"]
        );
    }

    #[test]
    fn local_sources_resolve_inside_the_repository_only() {
        let t = |dir, source| local_target(dir, source);
        assert_eq!(
            t("envs/prod", "../../modules/shared").as_deref(),
            Some("modules/shared")
        );
        assert_eq!(
            t("envs/prod", "./child/").as_deref(),
            Some("envs/prod/child")
        );
        assert_eq!(
            t("envs/prod", "./a/../b//c/.").as_deref(),
            Some("envs/prod/b/c")
        );
        assert_eq!(t("examples/x", "../..").as_deref(), Some("."));
        assert_eq!(t(".", "./modules/x").as_deref(), Some("modules/x"));
        assert_eq!(t("envs/prod", "../../../x"), None);
        assert_eq!(t("envs/prod", "../../modules/../../x"), None);
        assert_eq!(t(".", "../x"), None);
        assert_eq!(t("envs/prod", "modules/shared"), None);
        assert_eq!(t("envs/prod", "/abs/path"), None);
        assert_eq!(t("envs/prod", "git::https://example.com/m.git"), None);
        assert_eq!(join("envs/prod/files", "/etc/passwd"), None);
        assert_eq!(
            join("envs/prod/files", "../../shared/x").as_deref(),
            Some("envs/shared/x")
        );
    }
}
