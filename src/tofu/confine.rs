//! Nothing from outside the approved tree: Terraform reads only what the
//! approved commit holds. Before a root is planned, the root directory and
//! every symlink of the checked-out commit must resolve inside the
//! worktree; after `init`, so must every module directory Terraform
//! resolved (`modules.json`) and every symlink in those directories (a
//! downloaded module may also point into its own download directory).
//! A refusal names the path. Pure file-system checks: nothing is changed.

use std::path::{Component, Path, PathBuf};

/// Refuses a root directory or a symlink of `worktree` that leaves it.
pub fn check_tree(worktree: &Path, root: &str) -> Result<(), String> {
    let top = canonical(worktree)?;
    let root_dir = worktree.join(root);
    if let Ok(resolved) = root_dir.canonicalize() {
        if !resolved.starts_with(&top) {
            return Err(format!(
                "the root directory {root} resolves outside the approved tree (to {})",
                resolved.display()
            ));
        }
    }
    check_links(&top, worktree, &[top.as_path()])
}

/// After `init`: every module directory Terraform resolved, and the
/// symlinks in each, stay in the worktree or Terraform's data directory.
pub fn check_modules(worktree: &Path, root_dir: &Path) -> Result<(), String> {
    let top = canonical(worktree)?;
    let data_dir = match std::env::var_os("TF_DATA_DIR") {
        Some(dir) => root_dir.join(dir),
        None => root_dir.join(".terraform"),
    };
    let manifest = data_dir.join("modules").join("modules.json");
    let Ok(bytes) = std::fs::read(&manifest) else {
        // No module calls (or none installed): nothing to check.
        return Ok(());
    };
    let modules: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "{}: not Terraform's module manifest: {e}",
            manifest.display()
        )
    })?;
    let data = data_dir.canonicalize().unwrap_or(data_dir);
    let allowed = [top.as_path(), data.as_path()];
    for module in modules["Modules"].as_array().into_iter().flatten() {
        let Some(dir) = module["Dir"].as_str() else {
            continue;
        };
        let key = module["Key"].as_str().unwrap_or("");
        let path = root_dir.join(dir);
        let resolved = path.canonicalize().unwrap_or_else(|_| lexical(&path));
        if !allowed.iter().any(|a| resolved.starts_with(a)) {
            let name = if key.is_empty() { "the root" } else { key };
            return Err(format!(
                "module {name} (source {}) resolves outside the approved tree (to {})",
                module["Source"].as_str().unwrap_or("?"),
                resolved.display()
            ));
        }
        check_links(&top, &path, &allowed)?;
    }
    Ok(())
}

/// Not part of the approved tree: git's own link, and Terraform's data
/// directory (its provider links point into the CLI's configured mirror;
/// downloaded modules are checked one by one from the manifest).
const SKIPPED: [&str; 2] = [".git", ".terraform"];

/// Every symlink under `dir` (not followed) must resolve under one of `allowed`.
fn check_links(top: &Path, dir: &Path, allowed: &[&Path]) -> Result<(), String> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                let target = std::fs::read_link(&path).unwrap_or_default();
                let resolved = path
                    .canonicalize()
                    .unwrap_or_else(|_| lexical(&dir.join(&target)));
                if !allowed.iter().any(|a| resolved.starts_with(a)) {
                    let shown = path.strip_prefix(top).unwrap_or(&path);
                    return Err(format!(
                        "the symlink {} -> {} resolves outside the approved tree",
                        shown.display(),
                        target.display()
                    ));
                }
            } else if kind.is_dir() && !SKIPPED.iter().any(|s| entry.file_name() == *s) {
                pending.push(path);
            }
        }
    }
    Ok(())
}

fn canonical(path: &Path) -> Result<PathBuf, String> {
    path.canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `..` and `.` folded without touching the file system (for a dangling link).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_inside_pass_and_links_outside_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tree = dir.path().join("tree");
        std::fs::create_dir_all(tree.join("envs/prod")).expect("dirs");
        std::fs::create_dir_all(tree.join("modules/shared")).expect("dirs");
        std::fs::write(dir.path().join("outside.tf"), "").expect("file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink("../../modules/shared", tree.join("envs/prod/shared")).expect("link");
            assert_eq!(check_tree(&tree, "envs/prod"), Ok(()));
            symlink("../../../outside.tf", tree.join("envs/prod/x.tf")).expect("link");
            let err = check_tree(&tree, "envs/prod").expect_err("refused");
            assert!(
                err.contains("envs/prod/x.tf -> ../../../outside.tf"),
                "{err}"
            );
            std::fs::remove_file(tree.join("envs/prod/x.tf")).expect("rm");
            // Dangling, pointing out: refused too (it could appear later).
            symlink("/nonexistent/secret.tf", tree.join("envs/prod/y.tf")).expect("link");
            assert!(check_tree(&tree, "envs/prod").is_err());
            std::fs::remove_file(tree.join("envs/prod/y.tf")).expect("rm");
            // The root directory itself a link out of the tree.
            symlink(dir.path(), tree.join("envs/stage")).expect("link");
            let err = check_tree(&tree, "envs/stage").expect_err("refused");
            assert!(err.contains("root directory envs/stage"), "{err}");
        }
    }
}
