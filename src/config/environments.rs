//! Which environment a root is in, and how its state is chosen.
//!
//! An environment selects roots by directory globs (`roots`), by the base
//! branch a request merges into (`base`), or both. Several environments may
//! share one directory when each keeps its own state (`var_files`,
//! `backend_config` or `workspace`): such a root is named `DIR@ENV`
//! everywhere (plans, approvals, locks, drift reports, applies), so
//! approving one environment never approves another. A root in one
//! environment keeps its plain directory name.

use super::{Config, path_matcher};

/// Separates a shared directory from its environment in a root's name.
pub const ENV_SEPARATOR: char = '@';

/// A root to plan and apply: its directory and its environment's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RootTarget {
    /// The root's name: `DIR`, or `DIR@ENV` for a shared directory.
    pub key: String,
    /// The directory, relative to the repository.
    pub dir: String,
    pub environment: Option<String>,
    /// `-var-file` arguments, relative to the directory.
    pub var_files: Vec<String>,
    /// `init -backend-config` files, relative to the directory.
    pub backend_config: Vec<String>,
    /// The Terraform workspace to select (created when missing).
    pub workspace: Option<String>,
}

/// One environment of a root in a request: its name in the request and
/// its environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootEnvironment {
    pub key: String,
    pub environment: Option<String>,
}

impl Config {
    /// The base branches requests merge into: `[source] base` first (the
    /// policy's branch), then those of `[[source.requests]]`; on GitHub,
    /// `[github] bases`.
    pub fn bases(&self) -> Vec<String> {
        if self.source.kind == super::SourceKind::GitHub && !self.github.bases.is_empty() {
            return self.github.bases.clone();
        }
        let mut bases = vec![self.source.base.clone()];
        for route in self.source.routes() {
            if !bases.contains(&route.base) {
                bases.push(route.base);
            }
        }
        bases
    }

    /// The branch a root's policy and drift default to: `[source] base`,
    /// or on GitHub the first of `[github] bases`.
    pub fn primary_base(&self) -> String {
        self.bases().swap_remove(0)
    }

    /// Configured environments selecting `dir` for a request into `base`
    /// (any base when `None`): each has a selector, and all of its
    /// selectors match.
    fn selecting(&self, dir: &str, base: Option<&str>) -> Vec<&String> {
        self.environments
            .iter()
            .filter(|(_, env)| !env.roots.is_empty() || env.base.is_some())
            .filter(|(_, env)| {
                env.roots.is_empty()
                    || env
                        .roots
                        .iter()
                        .any(|g| path_matcher(g).is_ok_and(|g| g.is_match(dir)))
            })
            .filter(|(_, env)| match (base, &env.base) {
                (Some(base), Some(wanted)) => base == wanted,
                _ => true,
            })
            .map(|(name, _)| name)
            .collect()
    }

    /// Whether `dir` is in more than one environment across all bases, so
    /// its roots are named `DIR@ENV`.
    pub fn is_shared_dir(&self, dir: &str) -> bool {
        self.selecting(dir, None).len() > 1
    }

    /// The environment of a root in one environment (compatibility with
    /// callers that know no base): see [`Config::root_environments`].
    pub fn environment_of(&self, root: &str) -> Result<Option<String>, String> {
        let base = self.primary_base();
        let mut all = self.root_environments(root, &base)?;
        Ok(all.pop().and_then(|r| r.environment))
    }

    /// The environments of `dir` in a request into `base`, one per
    /// environment that selects it, else one inferred from the directory
    /// name (`prod…` → prod, `stag…` → stage, `dev…` → dev). Any change
    /// in a shared directory touches all of its environments, even one to
    /// a single environment's var file or backend config: such a file can
    /// point that environment at another's state or account, so the
    /// request merges only once every one of them approved. Several
    /// environments for one request are refused unless each keeps its own
    /// state: sharing one state, they would plan and apply over each other,
    /// and guessing a root's policy could pick the weaker one.
    pub fn root_environments(&self, dir: &str, base: &str) -> Result<Vec<RootEnvironment>, String> {
        let matching = self.selecting(dir, Some(base));
        if matching.is_empty() {
            return Ok(vec![RootEnvironment {
                key: self.key_of(dir, None),
                environment: inferred(dir),
            }]);
        }
        if matching.len() > 1 {
            if let Some(without) = matching
                .iter()
                .find(|name| !self.environments[name.as_str()].has_own_state())
            {
                let names: Vec<&str> = matching.iter().map(|n| n.as_str()).collect();
                return Err(format!(
                    "root {dir:?} matches the roots of more than one environment ({}) and {without} keeps no \
                     state of its own: make environments.*.roots disjoint, or give each of them \
                     var_files, backend_config or a workspace",
                    names.join(" and ")
                ));
            }
            if dir.contains(ENV_SEPARATOR) {
                return Err(format!(
                    "root {dir:?} is shared by environments but its name holds {ENV_SEPARATOR:?}, \
                     which names a root's environment (DIR{ENV_SEPARATOR}ENV)"
                ));
            }
        }
        Ok(matching
            .into_iter()
            .map(|name| RootEnvironment {
                key: self.key_of(dir, Some(name)),
                environment: Some(name.clone()),
            })
            .collect())
    }

    fn key_of(&self, dir: &str, environment: Option<&str>) -> String {
        match environment {
            Some(env) if self.is_shared_dir(dir) => format!("{dir}{ENV_SEPARATOR}{env}"),
            _ => dir.to_string(),
        }
    }

    /// What planning root `key` takes: its directory and its environment's
    /// var files, backend config and workspace. `DIR@ENV` names a shared
    /// directory's environment; a shared directory without `@ENV` is
    /// refused (which of its states is meant?).
    pub fn target(&self, key: &str) -> Result<RootTarget, String> {
        if let Some((dir, env)) = key.rsplit_once(ENV_SEPARATOR) {
            if self.is_shared_dir(dir) {
                if !self.selecting(dir, None).iter().any(|n| n.as_str() == env) {
                    return Err(format!(
                        "root {key:?}: {dir} is not in environment {env:?} (it is in {})",
                        self.shared_names(dir)
                    ));
                }
                return Ok(self.target_in(key, dir, Some(env)));
            }
        }
        if self.is_shared_dir(key) {
            return Err(format!(
                "root {key:?} is in several environments: name one ({})",
                self.shared_names(key)
            ));
        }
        let environment = self.selecting(key, None).first().map(|n| n.to_string());
        Ok(match environment {
            Some(env) => self.target_in(key, key, Some(&env)),
            None => RootTarget {
                key: key.to_string(),
                dir: key.to_string(),
                environment: inferred(key),
                ..RootTarget::default()
            },
        })
    }

    fn shared_names(&self, dir: &str) -> String {
        self.selecting(dir, None)
            .iter()
            .map(|env| format!("{dir}{ENV_SEPARATOR}{env}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn target_in(&self, key: &str, dir: &str, environment: Option<&str>) -> RootTarget {
        let env = environment.and_then(|e| self.environments.get(e));
        RootTarget {
            key: key.to_string(),
            dir: dir.to_string(),
            environment: environment.map(String::from),
            var_files: env.map(|e| e.var_files.clone()).unwrap_or_default(),
            backend_config: env.map(|e| e.backend_config.clone()).unwrap_or_default(),
            workspace: env.and_then(|e| e.workspace.clone()),
        }
    }

    /// The base whose head a root's drift is checked at: its environment's
    /// `base`, else the primary base.
    pub fn drift_base(&self, key: &str) -> String {
        self.target(key)
            .ok()
            .and_then(|t| t.environment)
            .and_then(|e| self.environments.get(&e).and_then(|e| e.base.clone()))
            .unwrap_or_else(|| self.primary_base())
    }
}

impl super::EnvironmentConfig {
    /// Whether this environment chooses a state of its own in a shared directory.
    pub fn has_own_state(&self) -> bool {
        !self.var_files.is_empty() || !self.backend_config.is_empty() || self.workspace.is_some()
    }
}

/// The environment a directory's name suggests.
fn inferred(dir: &str) -> Option<String> {
    let leaf = dir.rsplit('/').next().unwrap_or(dir).to_ascii_lowercase();
    [("prod", "prod"), ("stag", "stage"), ("dev", "dev")]
        .into_iter()
        .find(|(needle, _)| leaf.contains(needle))
        .map(|(_, env)| env.to_string())
}

/// A var file, backend config file or workspace name that is safe to pass
/// to the binary: a relative path inside the root's directory, or a plain
/// workspace name. The error says why not.
pub fn check_state_setting(key: &str, value: &str, is_path: bool) -> Result<(), String> {
    if value.is_empty() || value.chars().any(char::is_control) {
        return Err(format!(
            "key `{key}`: {value:?} is empty or holds control characters"
        ));
    }
    if is_path {
        if value.starts_with('/') || value.split('/').any(|part| part == "..") {
            return Err(format!(
                "key `{key}`: {value:?} must be a path inside the root's directory \
                 (relative, without `..`): a file outside it is not part of what a request changes"
            ));
        }
        if value.starts_with('-') {
            return Err(format!("key `{key}`: {value:?} must not start with `-`"));
        }
    } else if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || value.starts_with('-')
    {
        return Err(format!(
            "key `{key}`: workspace {value:?} must be letters, digits, `-`, `_` or `.`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        crate::config::parse(text, std::path::Path::new("c.toml")).expect("config")
    }

    const GITFLOW: &str = r#"
[environments.stage]
base = "develop"
var_files = ["env/stage.tfvars"]
[environments.prod]
base = "main"
var_files = ["env/prod.tfvars"]
"#;

    #[test]
    fn the_base_picks_the_environment_and_shared_roots_are_named_by_it() {
        let config = config(GITFLOW);
        let stage = config.root_environments("infra", "develop").expect("ok");
        assert_eq!(stage[0].key, "infra@stage");
        assert_eq!(stage[0].environment.as_deref(), Some("stage"));
        let prod = config.root_environments("infra", "main").expect("ok");
        assert_eq!(prod.len(), 1);
        assert_eq!(prod[0].key, "infra@prod");
        let target = config.target("infra@prod").expect("ok");
        assert_eq!(target.dir, "infra");
        assert_eq!(target.var_files, ["env/prod.tfvars"]);
        assert!(
            config
                .target("infra")
                .expect_err("refused")
                .contains("infra@stage")
        );
        assert!(config.target("infra@dev").is_err());
        assert_eq!(config.drift_base("infra@stage"), "develop");
    }

    #[test]
    fn a_shared_directory_needs_a_state_per_environment() {
        let shared = config(
            "[environments.stage]\nroots = [\"infra\"]\nworkspace = \"stage\"\n\
             [environments.prod]\nroots = [\"infra\"]\n",
        );
        let e = shared
            .root_environments("infra", "main")
            .expect_err("refused");
        assert!(e.contains("prod keeps no state of its own"), "{e}");
    }

    #[test]
    fn unshared_roots_keep_their_plain_names() {
        let config = config("[environments.prod]\nroots = [\"live/*\"]\n");
        let roots = config.root_environments("live/eu", "main").expect("ok");
        assert_eq!(roots[0].key, "live/eu");
        assert_eq!(config.target("live/eu").expect("ok").dir, "live/eu");
        assert_eq!(
            config.root_environments("apps/dev1", "main").expect("ok")[0]
                .environment
                .as_deref(),
            Some("dev")
        );
    }

    #[test]
    fn state_settings_stay_inside_the_root() {
        assert!(check_state_setting("k", "env/prod.tfvars", true).is_ok());
        assert!(check_state_setting("k", "../prod.tfvars", true).is_err());
        assert!(check_state_setting("k", "/etc/passwd", true).is_err());
        assert!(check_state_setting("k", "-var=x", true).is_err());
        assert!(check_state_setting("k", "prod", false).is_ok());
        assert!(check_state_setting("k", "prod; rm", false).is_err());
    }
}
