//! The title of an apply workflow's run (its `run-name`), which carries
//! what it was dispatched with: the root, the request, the approved head
//! and digest. GitHub's runs API does not return a dispatch's inputs, so
//! the title is how a run is found again and how a successful one proves,
//! on GitHub's word, which plan of which head it applied. The shipped
//! workflow (`assets/github/plandeck-apply.yml`) writes exactly this.

/// `plandeck apply ROOT (request N, head SHA, digest D)`.
pub fn apply_run_title(root: &str, request: &str, head: &str, digest: &str) -> String {
    format!("plandeck apply {root} (request {request}, head {head}, digest {digest})")
}

/// What a run's title says it applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyRunTitle {
    pub root: String,
    /// The pull request number, digits only.
    pub request: String,
    pub head: String,
    pub digest: String,
}

/// Reads a title written by [`apply_run_title`], strictly: `None` for
/// anything else. A root or digest holding spaces or brackets is never a
/// title's (`plandeck ci apply` refuses such inputs, so no run of them
/// succeeds).
pub fn parse_apply_run_title(title: &str) -> Option<ApplyRunTitle> {
    let rest = title.strip_prefix("plandeck apply ")?;
    let (root, rest) = rest.split_once(" (request ")?;
    let (request, rest) = rest.split_once(", head ")?;
    let (head, rest) = rest.split_once(", digest ")?;
    let digest = rest.strip_suffix(')')?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && !b"(),".contains(&b))
    };
    let is_sha = head.len() == 40 && head.bytes().all(|b| b.is_ascii_hexdigit());
    let is_number =
        !request.is_empty() && request.len() <= 12 && request.bytes().all(|b| b.is_ascii_digit());
    (plain(root) && plain(digest) && is_sha && is_number).then(|| ApplyRunTitle {
        root: root.to_string(),
        request: request.to_string(),
        head: head.to_ascii_lowercase(),
        digest: digest.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn a_title_reads_back_as_written() {
        let title = apply_run_title("infra@prod", "42", HEAD, "sha256:ab");
        assert_eq!(
            parse_apply_run_title(&title),
            Some(ApplyRunTitle {
                root: "infra@prod".into(),
                request: "42".into(),
                head: HEAD.into(),
                digest: "sha256:ab".into(),
            })
        );
    }

    #[test]
    fn a_title_smuggling_another_root_or_a_short_head_is_none() {
        for title in [
            apply_run_title("stage (request 1, head x, digest y) prod", "42", HEAD, "d"),
            apply_run_title("stage", "42", "abc", "d"),
            apply_run_title("stage", "#42", HEAD, "d"),
            apply_run_title("stage", "42", HEAD, "d e"),
            apply_run_title("", "42", HEAD, "d"),
            format!("{} ", apply_run_title("stage", "42", HEAD, "d")),
            "Update README.md".into(),
        ] {
            assert_eq!(parse_apply_run_title(&title), None, "{title}");
        }
    }
}
