//! Answers in the shapes of GitHub's OpenAPI description: each is one of
//! its examples (assets/github/openapi) with the fields the emulator knows
//! set, so a client meets every field GitHub sends, not only those it reads.

use super::state::{Account, ArtifactSpec, CommentSpec, CommitSpec, Pull, ReviewSpec, RunSpec};
use serde_json::{Value, json};
use std::sync::OnceLock;

macro_rules! examples {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../assets/github/openapi/", $name)))),*]
    };
}

const EXAMPLES: [(&str, &str); 17] = examples!(
    "artifact.json",
    "branch.json",
    "commit-comparison.json",
    "commit.json",
    "diff-entry.json",
    "git-tree.json",
    "issue-comment.json",
    "job.json",
    "label.json",
    "private-user.json",
    "pull-request-merge-result.json",
    "pull-request-review.json",
    "pull-request-simple.json",
    "status.json",
    "team-membership.json",
    "workflow-dispatch-response.json",
    "workflow-run.json",
);

/// An OpenAPI example, parsed once per process.
pub(crate) fn example(name: &str) -> Value {
    static PARSED: OnceLock<Vec<(&'static str, Value)>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        EXAMPLES
            .iter()
            .map(|(name, text)| (*name, serde_json::from_str(text).unwrap_or(Value::Null)))
            .collect()
    });
    parsed
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(Value::Null, |(_, value)| value.clone())
}

pub(crate) fn account_json(user: &(u64, String)) -> Value {
    let mut value = example("private-user.json");
    if let Some(object) = value.as_object_mut() {
        // A simple-user has no profile fields.
        for key in ["name", "company", "blog", "location", "email", "bio"] {
            object.remove(key);
        }
    }
    value["id"] = json!(user.0);
    value["login"] = json!(user.1);
    value
}

fn user_json(account: Account) -> Value {
    account_json(&(account.0, account.1.to_string()))
}

pub(super) fn private_user_json(user: &(u64, String, String)) -> Value {
    let mut value = example("private-user.json");
    value["id"] = json!(user.0);
    value["login"] = json!(user.1);
    value["name"] = json!(user.2);
    value
}

/// A pull request of `repo` whose page is on `web_origin`.
pub(super) fn pull_json(pull: &Pull, repo: &str, web_origin: &str) -> Value {
    let mut value = example("pull-request-simple.json");
    value["number"] = json!(pull.number);
    value["html_url"] = json!(format!("{web_origin}/{repo}/pull/{}", pull.number));
    value["title"] = json!(pull.title);
    value["state"] = json!(pull.state);
    value["draft"] = json!(pull.draft);
    value["user"] = user_json(pull.author);
    value["head"]["ref"] = json!(pull.head_ref);
    value["head"]["sha"] = json!(pull.head_sha);
    value["base"]["ref"] = json!(pull.base_ref);
    let name = repo.rsplit('/').next().unwrap_or(repo);
    value["head"]["repo"]["full_name"] = json!(if pull.from_fork {
        format!("forker/{name}")
    } else {
        repo.to_string()
    });
    value["base"]["repo"]["full_name"] = json!(repo);
    value["merged_at"] = match &pull.merged {
        Some(_) => json!(pull.updated_at),
        None => Value::Null,
    };
    value["merge_commit_sha"] = json!(pull.merged.as_ref().map(|m| m.sha.clone()));
    value["updated_at"] = json!(pull.updated_at);
    let label = value["labels"][0].clone();
    value["labels"] = pull
        .labels
        .iter()
        .map(|name| {
            let mut l = label.clone();
            l["name"] = json!(name);
            l
        })
        .collect();
    value
}

pub(super) fn label_json(name: &str) -> Value {
    let mut value = example("label.json");
    value["name"] = json!(name);
    value
}

pub(super) fn file_json(file: &(String, String, Option<String>, Option<String>)) -> Value {
    let mut value = example("diff-entry.json");
    value["filename"] = json!(file.0);
    value["status"] = json!(file.1);
    if let Some(old) = &file.2 {
        value["previous_filename"] = json!(old);
    }
    set_or_remove(&mut value, "patch", file.3.as_deref());
    value
}

/// Sets `key` to `text`, or leaves it out as GitHub does for a missing value.
fn set_or_remove(value: &mut Value, key: &str, text: Option<&str>) {
    match text {
        Some(text) => value[key] = json!(text),
        None => {
            if let Some(object) = value.as_object_mut() {
                object.remove(key);
            }
        }
    }
}

pub(super) fn commit_json(commit: &CommitSpec) -> Value {
    let mut value = example("commit.json");
    value["author"] = commit.author.map_or(Value::Null, user_json);
    // GitHub answers `{}` for some commits whose email is no account's.
    value["committer"] = commit.committer.map_or(json!({}), user_json);
    for who in ["author", "committer"] {
        value["commit"][who]["name"] = json!(commit.name);
        value["commit"][who]["email"] = json!(commit.email);
    }
    value
}

pub(super) fn review_json(review: &ReviewSpec, outsiders: &[String]) -> Value {
    let mut value = example("pull-request-review.json");
    if outsiders.contains(&review.user.1) {
        value["author_association"] = json!("NONE");
    }
    value["id"] = json!(review.id);
    value["user"] = account_json(&review.user);
    value["body"] = json!(review.body);
    value["state"] = json!(review.state);
    value["commit_id"] = json!(review.commit_id);
    set_or_remove(&mut value, "submitted_at", review.submitted_at.as_deref());
    value
}

pub(super) fn comment_json(comment: &CommentSpec) -> Value {
    let mut value = example("issue-comment.json");
    value["id"] = json!(comment.id);
    value["user"] = account_json(&comment.user);
    value["body"] = json!(comment.body);
    value
}

pub(super) fn run_json(run: &RunSpec) -> Value {
    let mut value = example("workflow-run.json");
    value["id"] = json!(run.id);
    value["head_sha"] = json!(run.head_sha);
    value["status"] = json!(run.status);
    value["conclusion"] = json!(run.conclusion);
    value["created_at"] = json!(run.created_at);
    value
}

pub(super) fn artifact_json(artifact: &ArtifactSpec, run: &RunSpec) -> Value {
    let mut value = example("artifact.json");
    value["id"] = json!(artifact.id);
    value["name"] = json!(artifact.name);
    value["expired"] = json!(artifact.expired);
    value["size_in_bytes"] = json!(artifact.zip.len());
    value["workflow_run"]["id"] = json!(run.id);
    value["workflow_run"]["head_sha"] = json!(run.head_sha);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_an_object() {
        for (name, _) in EXAMPLES {
            assert!(example(name).is_object(), "{name}");
        }
    }
}
