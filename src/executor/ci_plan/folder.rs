//! The artifact folders `ci plan` writes: `OUT/<artifact name>/` holding
//! `plan.json`, `tfplan` and, with a cost estimate, `cost.json`. An
//! artifact name comes from a root's path (the pull request's files) and
//! `[github] plan_artifact`, so it must be one plain file name before
//! anything is written: a hostile root never writes outside OUT. Each
//! folder is written whole under a staging name and then renamed into
//! place, so a folder is either complete or absent.

use crate::sanitize;
use std::path::{Component, Path, PathBuf};

/// What GitHub's artifact names may not hold, and path separators.
const FORBIDDEN: [char; 9] = ['/', '\\', ':', '<', '>', '|', '*', '?', '"'];
/// A file name's limit on common filesystems, in bytes.
const MAX_NAME_BYTES: usize = 255;

/// `name` when it is one plain file name: not empty, not hidden (staging
/// folders are), without separators, GitHub's forbidden characters or
/// control and invisible characters.
pub fn checked_name(name: &str) -> Result<&str, String> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= MAX_NAME_BYTES
        && !name.contains(FORBIDDEN)
        && !name.chars().any(char::is_control)
        && !sanitize::is_suspicious(name)
        && matches!(
            Path::new(name).components().collect::<Vec<_>>().as_slice(),
            [Component::Normal(n)] if *n == name
        );
    if plain {
        Ok(name)
    } else {
        Err(format!(
            "artifact name \"{}\" is not one plain file name (at most {MAX_NAME_BYTES} bytes, \
             not starting with `.`, without / \\ : < > | * ? \" or control characters)",
            sanitize::escape_quoted(name).text
        ))
    }
}

/// The `--out` directory.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
}

impl OutDir {
    /// `dir`, made when missing; a symbolic link (the checkout could hold
    /// one) or a file is refused.
    pub fn open(dir: &Path) -> Result<Self, String> {
        let name = || {
            sanitize::escape(&dir.display().to_string())
                .text
                .into_owned()
        };
        match std::fs::symlink_metadata(dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!(
                    "--out {}: a symbolic link; name a directory",
                    name()
                ));
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(format!("--out {}: not a directory", name()));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("--out {}: cannot create: {e}", name()))?;
            }
            Err(e) => return Err(format!("--out {}: {e}", name())),
        }
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// Writes folder `name` with `files` (name, bytes), replacing a folder
    /// (or link, or file) of that name; returns its path.
    pub fn write(&self, name: &str, files: &[(&str, &[u8])]) -> Result<PathBuf, String> {
        let name = checked_name(name)?;
        let target = self.dir.join(name);
        let shown = || {
            sanitize::escape(&target.display().to_string())
                .text
                .into_owned()
        };
        let staging = self
            .dir
            .join(format!(".plandeck-staging-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let written = write_folder(&staging, files).and_then(|()| {
            // An earlier run's folder, or whatever the checkout put there,
            // is removed, never followed.
            match std::fs::symlink_metadata(&target) {
                Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&target)?,
                Ok(_) => std::fs::remove_file(&target)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            std::fs::rename(&staging, &target)
        });
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(format!("{}: cannot write: {e}", shown()));
        }
        Ok(target)
    }
}

/// A new private directory holding `files`, each created new.
fn write_folder(dir: &Path, files: &[(&str, &[u8])]) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    for (file, bytes) in files {
        use std::io::Write as _;
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(file))?;
        out.write_all(bytes)?;
        out.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_names_are_artifact_names() {
        assert!(checked_name("plandeck-plan-apps__web__prod@eu").is_ok());
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "a/b",
            "a\\b",
            "a:b",
            "a\nb",
            "a\u{1b}b",
            "a\u{202e}b",
        ] {
            assert!(checked_name(bad).is_err(), "{bad:?}");
        }
        assert!(checked_name(&"x".repeat(256)).is_err());
    }

    #[test]
    fn a_folder_replaces_an_earlier_one_and_a_link_is_not_followed() {
        let temp = tempfile::tempdir().expect("temp");
        let out = OutDir::open(&temp.path().join("plans")).expect("out");
        out.write("a", &[("plan.json", b"1"), ("old", b"x")])
            .expect("first");
        let folder = out.write("a", &[("plan.json", b"2")]).expect("second");
        assert_eq!(std::fs::read(folder.join("plan.json")).expect("read"), b"2");
        assert!(!folder.join("old").exists());
        #[cfg(unix)]
        {
            let elsewhere = temp.path().join("elsewhere");
            std::fs::create_dir(&elsewhere).expect("dir");
            std::os::unix::fs::symlink(&elsewhere, temp.path().join("plans/b")).expect("link");
            out.write("b", &[("plan.json", b"3")]).expect("third");
            assert!(std::fs::read_dir(&elsewhere).expect("dir").next().is_none());
            let link = temp.path().join("link");
            std::os::unix::fs::symlink(&elsewhere, &link).expect("link");
            assert!(OutDir::open(&link).is_err());
        }
    }
}
