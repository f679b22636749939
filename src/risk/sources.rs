//! Module sources that can move: code fetched at `init` that need not be
//! the code the plan was made from. A git source must name a full commit
//! (`?ref=` with 40 or 64 hex digits), a registry module one exact version
//! (`1.2.3` or `= 1.2.3`); local paths (`./`, `../`) are part of the
//! reviewed commit. Anything else (archives over HTTP, S3, GCS, Mercurial,
//! absolute paths, sources plandeck does not know) can change between plan
//! and apply. Each such call is a critical finding. This module only judges:
//! its reasons are plandeck's own words (the untrusted source string is kept
//! apart, for the caller to escape), and it never prints.

use crate::plan::Configuration;
use serde::Serialize;

/// A module call whose source can move.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MovingSource {
    /// The module call's configuration address (`module.app.module.db`).
    pub module: String,
    /// As written in the configuration (untrusted).
    pub source: Option<String>,
    /// As written in the configuration (untrusted).
    pub version_constraint: Option<String>,
    /// Why it can move, in plandeck's words.
    pub why: &'static str,
}

/// Every module call of the configuration whose source can move, by address.
pub fn moving_sources(configuration: &Configuration) -> Vec<MovingSource> {
    configuration
        .module_calls
        .iter()
        .filter_map(|call| {
            let why = why_it_moves(call.source.as_deref(), call.version_constraint.as_deref())?;
            Some(MovingSource {
                module: call.address.clone(),
                source: call.source.clone(),
                version_constraint: call.version_constraint.clone(),
                why,
            })
        })
        .collect()
}

/// Why code from `source` (with `version`) can differ at apply, or `None`
/// when it cannot.
pub fn why_it_moves(source: Option<&str>, version: Option<&str>) -> Option<&'static str> {
    let Some(source) = source.map(str::trim) else {
        return Some("no source in the plan: where its code comes from is unknown");
    };
    if ["./", "../", ".\\", "..\\"]
        .iter()
        .any(|p| source.starts_with(p))
    {
        return None;
    }
    match kind(source) {
        Kind::Git(rest) => git_ref_moves(rest),
        Kind::Registry => registry_version_moves(version),
        Kind::Other(why) => Some(why),
    }
}

enum Kind<'a> {
    /// A git source; the part after any `git::` prefix.
    Git(&'a str),
    Registry,
    Other(&'static str),
}

/// Which getter Terraform uses for `source`, as Terraform decides it: a
/// forced getter (`git::`, `hg::`, `s3::`, `gcs::`, …) first, then a
/// registry address, then the shorthands (GitHub, Bitbucket, `git@`).
fn kind(source: &str) -> Kind<'_> {
    if let Some((getter, rest)) = source.split_once("::") {
        return match getter {
            "git" => Kind::Git(rest),
            _ => Kind::Other(
                "a source fetched by another getter (hg, s3, gcs, http, …): what it serves can \
                 change between plan and apply",
            ),
        };
    }
    if is_registry(source) {
        return Kind::Registry;
    }
    let lower = source.to_ascii_lowercase();
    if lower.starts_with("github.com/")
        || lower.starts_with("bitbucket.org/")
        || lower.starts_with("git@")
    {
        return Kind::Git(source);
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Kind::Other("an HTTP source: what it serves can change between plan and apply");
    }
    if source.starts_with('/') || source.starts_with('~') || source.get(1..3) == Some(":\\") {
        return Kind::Other("an absolute path: code outside the reviewed repository");
    }
    Kind::Other("a source plandeck does not know: it cannot tell that it is pinned")
}

/// `NAMESPACE/NAME/PROVIDER` or `HOST/NAMESPACE/NAME/PROVIDER`, with an
/// optional `//subdir` (Terraform's registry address syntax).
fn is_registry(source: &str) -> bool {
    let address = source.split_once("//").map_or(source, |(a, _)| a);
    let parts: Vec<&str> = address.split('/').collect();
    let label = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let host = |s: &str| {
        let lower = s.to_ascii_lowercase();
        (s.contains('.') || lower.starts_with("localhost"))
            && !matches!(lower.as_str(), "github.com" | "bitbucket.org")
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b))
    };
    match parts.as_slice() {
        [namespace, name, provider] => label(namespace) && label(name) && label(provider),
        [hostname, namespace, name, provider] => {
            host(hostname) && label(namespace) && label(name) && label(provider)
        }
        _ => false,
    }
}

/// A git source moves unless every `ref` it names is a full commit.
fn git_ref_moves(url: &str) -> Option<&'static str> {
    let Some((_, query)) = url.split_once('?') else {
        return Some("a git source without ?ref=: the default branch's newest commit is used");
    };
    let refs: Vec<Option<String>> = query
        .split('&')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key).as_deref() == Some("ref")).then(|| {
                // go-getter takes a `//subdir` out of the query too.
                let value = value.split_once("//").map_or(value, |(v, _)| v);
                percent_decode(value)
            })
        })
        .collect();
    if refs.is_empty() {
        return Some("a git source without ?ref=: the default branch's newest commit is used");
    }
    let is_commit = |r: &Option<String>| {
        r.as_deref()
            .is_some_and(|r| matches!(r.len(), 40 | 64) && r.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    if refs.iter().all(is_commit) {
        None
    } else {
        Some("a git ref that is not a full commit SHA: branches and tags can move")
    }
}

/// A registry module moves unless its constraint is one exact version.
fn registry_version_moves(version: Option<&str>) -> Option<&'static str> {
    let Some(version) = version.map(str::trim).filter(|v| !v.is_empty()) else {
        return Some("a registry module without a version: the newest version is used");
    };
    let exact = version.strip_prefix('=').unwrap_or(version).trim_start();
    if is_exact_version(exact) {
        None
    } else {
        Some("a registry module whose version constraint is not one exact version")
    }
}

/// `1.2.3`, `v1.2.3`, `1.2.3-rc.1`, `1.2.3+build`.
fn is_exact_version(text: &str) -> bool {
    let text = text.strip_prefix('v').unwrap_or(text);
    let (core, suffix) = match text.find(['-', '+']) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, "0"),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && !suffix.is_empty()
        && suffix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.+".contains(&b))
}

/// `%XX` escapes and `+` decoded as a URL query is; `None` when malformed.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::why_it_moves;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn pinned_and_local_sources_do_not_move() {
        let git = format!("git::https://example.com/net.git//modules/vpc?ref={SHA}");
        let github = format!("github.com/org/repo?ref={SHA}");
        let ssh = format!("git@github.com:org/repo.git?depth=1&ref={SHA}");
        let subdir_after = format!("git::https://example.com/net.git?ref={SHA}//modules/vpc");
        let sha256 = format!("git::file:///srv/m?ref={}", "a".repeat(64));
        let cases: [(&str, Option<&str>); 10] = [
            ("./modules/app", None),
            ("../shared", None),
            (&git, None),
            (&github, None),
            (&ssh, None),
            (&subdir_after, None),
            (&sha256, None),
            ("hashicorp/consul/aws", Some("0.1.0")),
            ("hashicorp/consul/aws//modules/cluster", Some("= 1.2.3")),
            ("app.terraform.io/org/vpc/aws", Some("v2.0.0-rc.1")),
        ];
        for (source, version) in cases {
            assert_eq!(why_it_moves(Some(source), version), None, "{source}");
        }
    }

    #[test]
    fn moving_sources_say_why() {
        let short = format!("git::https://example.com/x.git?ref={}", &SHA[..12]);
        let twice = format!("git::https://example.com/x.git?ref={SHA}&ref=main");
        let cases: [(&str, Option<&str>, &str); 16] = [
            (
                "git::file:///tmp/modrepo?ref=main",
                None,
                "not a full commit",
            ),
            ("git::https://example.com/x.git", None, "without ?ref="),
            (
                "git::https://example.com/x.git?depth=1",
                None,
                "without ?ref=",
            ),
            ("github.com/org/repo", None, "without ?ref="),
            (
                "git@github.com:org/repo.git?ref=v1.2.0",
                None,
                "not a full commit",
            ),
            (&short, None, "not a full commit"),
            (&twice, None, "not a full commit"),
            (
                "git::https://e.com/x.git?ref=%zz",
                None,
                "not a full commit",
            ),
            ("hashicorp/consul/aws", None, "without a version"),
            (
                "hashicorp/consul/aws",
                Some("~> 1.0"),
                "not one exact version",
            ),
            (
                "hashicorp/consul/aws",
                Some(">= 1.2.3"),
                "not one exact version",
            ),
            ("hashicorp/consul/aws", Some("1.2"), "not one exact version"),
            ("https://example.com/vpc.zip", None, "an HTTP source"),
            (
                "s3::https://s3.amazonaws.com/b/vpc.zip",
                None,
                "another getter",
            ),
            ("/srv/modules/vpc", None, "absolute path"),
            ("example.com/org/repo", None, "does not know"),
        ];
        for (source, version, why) in cases {
            let found = why_it_moves(Some(source), version);
            assert!(
                found.is_some_and(|w| w.contains(why)),
                "{source}: {found:?}"
            );
        }
        assert!(why_it_moves(None, None).is_some_and(|w| w.contains("no source")));
    }
}
