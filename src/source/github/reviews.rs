//! Decisions as pull request reviews. plandeck writes one review per
//! decision, bound to the head (`commit_id`), whose body starts with a
//! machine line: `plandeck: approve root=ROOT digest=DIGEST` (APPROVE),
//! `plandeck: block …` (REQUEST_CHANGES, and the `plandeck:blocked` label)
//! or `plandeck: unblock …` (COMMENT; the label goes once no block is
//! left). Reading them back, GitHub is the authority on who wrote a review
//! and on which commit, so a review counts without a local audit proof
//! (`Decision::attested`); a machine line whose review state does not say
//! the same (an "approve" line in a comment), a dismissed or pending
//! review, or one without a commit is not a decision.

use super::api::{MAX_PAGES, Mutation};
use super::pulls::timestamp;
use super::wire::Review;
use super::{Shared, encode};
use crate::backend::BackendError;
use crate::domain::{Attestation, Decision, DecisionKind, Emergency, Identity, Provider, Request};
use serde_json::json;

/// The label a block puts on its pull request.
pub const BLOCKED_LABEL: &str = "plandeck:blocked";

const PREFIX: &str = "plandeck: ";
const EMERGENCY: &str = "plandeck-emergency: ";

/// The review body of a decision: the machine line, the emergency reason,
/// then the comment.
pub fn review_body(decision: &Decision) -> String {
    let mut body = format!(
        "{PREFIX}{} root={} digest={}\n",
        decision.kind.word(),
        escape_value(&decision.root),
        escape_value(&decision.digest)
    );
    if let Some(emergency) = &decision.emergency {
        body.push_str(&format!("{EMERGENCY}{}\n", one_line(&emergency.reason)));
    }
    if let Some(comment) = decision.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        body.push('\n');
        body.push_str(comment);
        body.push('\n');
    }
    body
}

/// The decision a review body states: (kind, root, digest, emergency
/// reason, comment), when its first line is a machine line.
pub fn parse_body(body: &str) -> Option<(DecisionKind, String, String, Option<String>, String)> {
    let mut lines = body.lines();
    let first = lines.next()?.trim_end_matches('\r');
    let rest = first.strip_prefix(PREFIX)?;
    let mut words = rest.split(' ');
    let kind = match words.next()? {
        "approve" => DecisionKind::Approve,
        "block" => DecisionKind::Block,
        "unblock" => DecisionKind::Unblock,
        _ => return None,
    };
    let (mut root, mut digest) = (None, None);
    for word in words {
        let (key, value) = word.split_once('=')?;
        let slot = match key {
            "root" => &mut root,
            "digest" => &mut digest,
            _ => return None,
        };
        if slot.replace(unescape_value(value)?).is_some() {
            return None;
        }
    }
    let mut emergency = None;
    let mut comment = Vec::new();
    for line in lines {
        match line.strip_prefix(EMERGENCY) {
            Some(reason) if emergency.is_none() && comment.is_empty() => {
                emergency = Some(reason.trim().to_string())
            }
            _ => comment.push(line),
        }
    }
    let comment = comment.join("\n").trim().to_string();
    Some((kind, root?, digest?, emergency, comment))
}

/// The review state that must carry a machine line of `kind`.
fn state_of(kind: DecisionKind) -> Option<&'static str> {
    match kind {
        DecisionKind::Approve => Some("APPROVED"),
        DecisionKind::Block => Some("CHANGES_REQUESTED"),
        DecisionKind::Unblock => Some("COMMENTED"),
        DecisionKind::ApplySucceeded | DecisionKind::ApplyFailed | DecisionKind::ApplyChecked => {
            None
        }
    }
}

fn event_of(kind: DecisionKind) -> Option<&'static str> {
    match kind {
        DecisionKind::Approve => Some("APPROVE"),
        DecisionKind::Block => Some("REQUEST_CHANGES"),
        DecisionKind::Unblock => Some("COMMENT"),
        DecisionKind::ApplySucceeded | DecisionKind::ApplyFailed | DecisionKind::ApplyChecked => {
            None
        }
    }
}

/// GitHub's own review state among `reviews` (oldest first): each
/// account's latest APPROVED or CHANGES_REQUESTED review, a dismissal
/// clearing it, as GitHub shows it on the pull request.
fn forge_state(reviews: &[Review]) -> crate::backend::ForgeReviews {
    let mut latest: Vec<(u64, String, &str)> = Vec::new();
    for review in reviews {
        let Some(user) = review.user.as_ref().filter(|u| u.is_account()) else {
            continue;
        };
        let state = match review.state.as_str() {
            "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED" => review.state.as_str(),
            _ => continue,
        };
        latest.retain(|(id, _, _)| *id != user.id);
        latest.push((user.id, user.login.clone(), state));
    }
    let pick = |wanted: &str| {
        latest
            .iter()
            .filter(|(_, _, s)| *s == wanted)
            .map(|(_, login, _)| login.clone())
            .collect()
    };
    crate::backend::ForgeReviews {
        approved: pick("APPROVED"),
        changes_requested: pick("CHANGES_REQUESTED"),
    }
}

/// Who may decide: accounts with access to the repository. On a public
/// repository any account can submit a review; a stranger's approval (or a
/// sock puppet's) must not be a second person, nor may a stranger block.
const DECIDING_ASSOCIATIONS: [&str; 3] = ["OWNER", "MEMBER", "COLLABORATOR"];

/// The decision a review is, if it is one.
pub(super) fn decision_of(review: &Review, number: u64) -> Option<Decision> {
    let user = review.user.as_ref().filter(|u| u.is_account())?;
    let association = review.author_association.as_deref()?;
    if !DECIDING_ASSOCIATIONS.contains(&association) {
        return None;
    }
    let submitted = review.submitted_at.as_deref()?;
    let head = review.commit_id.clone().filter(|c| !c.is_empty())?;
    let (kind, root, digest, emergency, comment) = parse_body(review.body.as_deref()?)?;
    if state_of(kind) != Some(review.state.as_str()) {
        return None;
    }
    Some(Decision {
        kind,
        request: format!("pull/{number}"),
        root,
        head,
        digest,
        who: Identity::forge(Provider::GitHub, &user.id.to_string(), &user.login, ""),
        at: timestamp(submitted, number).ok()?,
        comment: (!comment.is_empty()).then_some(comment),
        viewed_destructive: Vec::new(),
        emergency: emergency.map(|reason| Emergency { reason }),
        audit: None,
        attested: Some(Attestation {
            provider: Provider::GitHub,
            id: review.id.to_string(),
        }),
        check: None,
    })
}

impl Shared {
    /// The decisions among the reviews of `request`, oldest first.
    pub(super) async fn decisions(&self, request: &Request) -> Result<Vec<Decision>, BackendError> {
        self.decisions_of(number_of(&request.id)?).await
    }

    /// The decisions of `request` and GitHub's own review state, from one
    /// reading of its reviews.
    pub(super) async fn decisions_and_forge_reviews(
        &self,
        request: &Request,
    ) -> Result<(Vec<Decision>, crate::backend::ForgeReviews), BackendError> {
        let number = number_of(&request.id)?;
        let reviews = self.reviews_of(number).await?;
        let forge = forge_state(&reviews);
        Ok((self.decisions_among(&reviews, number).await?, forge))
    }

    async fn reviews_of(&self, number: u64) -> Result<Vec<Review>, BackendError> {
        let path = format!("/repos/{}/pulls/{number}/reviews?per_page=100", self.repo);
        self.all::<Vec<Review>>(path, &format!("the reviews of #{number}"), MAX_PAGES)
            .await
    }

    async fn decisions_of(&self, number: u64) -> Result<Vec<Decision>, BackendError> {
        let reviews = self.reviews_of(number).await?;
        self.decisions_among(&reviews, number).await
    }

    async fn decisions_among(
        &self,
        reviews: &[Review],
        number: u64,
    ) -> Result<Vec<Decision>, BackendError> {
        let mut decisions: Vec<Decision> = reviews
            .iter()
            .filter_map(|r| decision_of(r, number))
            .collect();
        // Where applies run on Actions, GitHub's successful apply runs are
        // the apply results (promotion order reads them).
        if self.config.apply.executor == crate::config::ApplyExecutor::GithubActions {
            decisions.extend(self.applied_by_runs(number).await?);
        }
        decisions.sort_by_key(|d| d.at);
        for decision in decisions.iter_mut() {
            decision.who.forge_teams = self.teams_of(&decision.who).await?;
        }
        Ok(decisions)
    }

    /// GitHub's own review state: each account's latest APPROVED or
    /// CHANGES_REQUESTED review (a dismissed one clears it), as GitHub
    /// shows it on the pull request.
    pub(super) async fn forge_reviews(
        &self,
        number: u64,
    ) -> Result<crate::backend::ForgeReviews, BackendError> {
        Ok(forge_state(&self.reviews_of(number).await?))
    }

    /// The GitHub teams (`org/slug`) named by the policy's `team:org/slug`
    /// approvers that `who` is an active member of; asked once per team
    /// and login.
    async fn teams_of(&self, who: &Identity) -> Result<Vec<String>, BackendError> {
        let Some(login) = who.aliases.first().filter(|_| who.is_account()) else {
            return Ok(Vec::new());
        };
        let mut teams: Vec<String> = self
            .config
            .environments
            .values()
            .flat_map(|e| &e.approvers)
            .filter_map(|a| a.strip_prefix("team:"))
            .filter(|t| t.contains('/'))
            .map(String::from)
            .collect();
        teams.sort();
        teams.dedup();
        let mut member_of = Vec::new();
        for team in teams {
            let key = (team.clone(), login.to_ascii_lowercase());
            let known = self
                .memberships
                .lock()
                .ok()
                .and_then(|m| m.get(&key).copied());
            let member = match known {
                Some(member) => member,
                None => {
                    let member = self.is_member(&team, login).await?;
                    if let Ok(mut cache) = self.memberships.lock() {
                        cache.insert(key, member);
                    }
                    member
                }
            };
            if member {
                member_of.push(team);
            }
        }
        Ok(member_of)
    }

    async fn is_member(&self, team: &str, login: &str) -> Result<bool, BackendError> {
        let Some((org, slug)) = team.split_once('/') else {
            return Ok(false);
        };
        let path = format!(
            "/orgs/{}/teams/{}/memberships/{}",
            encode(org),
            encode(slug),
            encode(login)
        );
        match self.api.get(&path, super::api::JSON).await {
            Ok(page) => {
                let membership: super::wire::Membership =
                    super::wire::parse(&page.body, "a team membership")?;
                Ok(membership.state == "active")
            }
            Err(BackendError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Records `decision` as a review of its head; a block labels the
    /// pull request, an unblock that leaves no block takes the label off.
    pub(super) async fn record(&self, decision: Decision) -> Result<(), BackendError> {
        let Some(event) = event_of(decision.kind) else {
            return Err(BackendError::Invalid(format!(
                "recording an {} result on GitHub is not supported yet",
                decision.kind.word()
            )));
        };
        let number = number_of(&decision.request)?;
        let path = format!("/repos/{}/pulls/{number}/reviews", self.repo);
        let body = json!({
            "commit_id": decision.head,
            "body": review_body(&decision),
            "event": event,
        });
        self.api.send(Mutation::Post, &path, Some(body)).await?;
        let labels = format!("/repos/{}/issues/{number}/labels", self.repo);
        match decision.kind {
            DecisionKind::Block => {
                let body = json!({ "labels": [BLOCKED_LABEL] });
                self.api.send(Mutation::Post, &labels, Some(body)).await?;
            }
            DecisionKind::Unblock => {
                let left = self.decisions_of(number).await?;
                if !still_blocked(&left) {
                    let one = format!("{labels}/{}", encode(BLOCKED_LABEL));
                    match self.api.send(Mutation::Delete, &one, None).await {
                        Ok(_) | Err(BackendError::NotFound(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Whether any (root, person) still has a block not lifted by a later
/// unblock of theirs.
fn still_blocked(decisions: &[Decision]) -> bool {
    let mut blocks: Vec<&Decision> = Vec::new();
    for d in decisions {
        match d.kind {
            DecisionKind::Block => blocks.push(d),
            DecisionKind::Unblock => {
                blocks.retain(|b| !(b.root == d.root && crate::review::same_person(&b.who, &d.who)))
            }
            _ => {}
        }
    }
    !blocks.is_empty()
}

/// The number of `pull/N`.
fn number_of(id: &str) -> Result<u64, BackendError> {
    id.strip_prefix("pull/")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| BackendError::Invalid(format!("{id:?} is not a pull request")))
}

/// A value of the machine line: `%`, `=`, whitespace and controls
/// percent-encoded, so it stays one word.
fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c == '%' || c == '=' || c.is_whitespace() || c.is_control() {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn unescape_value(value: &str) -> Option<String> {
    crate::source::store::percent_decode(value).filter(|s| !s.is_empty())
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(kind: DecisionKind, root: &str) -> Decision {
        Decision {
            kind,
            request: "pull/7".into(),
            root: root.into(),
            head: "a".repeat(40),
            digest: format!("sha256:{}", "b".repeat(64)),
            who: Identity::forge(Provider::GitHub, "9001", "bob", ""),
            at: 0,
            comment: Some("looks right\nsecond line".into()),
            viewed_destructive: Vec::new(),
            emergency: Some(Emergency {
                reason: "outage\nnow".into(),
            }),
            audit: None,
            attested: None,
            check: None,
        }
    }

    #[test]
    fn a_body_reads_back_as_the_decision_it_was_written_for() {
        for root in ["apps/web/prod", "odd root=%x\tname", "é/ü"] {
            let d = decision(DecisionKind::Approve, root);
            let body = review_body(&d);
            assert!(body.starts_with("plandeck: approve root="), "{body}");
            let (kind, read_root, digest, emergency, comment) =
                parse_body(&body).expect("machine line");
            assert_eq!(kind, DecisionKind::Approve);
            assert_eq!(read_root, root);
            assert_eq!(digest, d.digest);
            assert_eq!(emergency.as_deref(), Some("outage now"));
            assert_eq!(comment, "looks right\nsecond line");
        }
    }

    #[test]
    fn only_a_well_formed_first_line_is_a_decision() {
        let digest = format!("sha256:{}", "b".repeat(64));
        let refused = [
            format!("LGTM\nplandeck: approve root=a digest={digest}"),
            format!("plandeck: merge root=a digest={digest}"),
            "plandeck: approve root=a".to_string(),
            format!("plandeck: approve root=a root=b digest={digest}"),
            format!("plandeck: approve root=a digest={digest} extra=1"),
            format!("plandeck: approve root=%zz digest={digest}"),
            format!("plandeck: approve root= digest={digest}"),
        ];
        for body in refused {
            assert!(parse_body(&body).is_none(), "{body}");
        }
    }

    #[test]
    fn a_review_counts_only_in_the_state_its_line_says() {
        let d = decision(DecisionKind::Approve, "apps/web/prod");
        let review = |state: &str, commit: Option<&str>, submitted: Option<&str>| Review {
            id: 80,
            user: Some(crate::source::github::wire::User {
                login: "bob".into(),
                id: 9001,
                name: None,
            }),
            body: Some(review_body(&d)),
            state: state.into(),
            commit_id: commit.map(String::from),
            submitted_at: submitted.map(String::from),
            author_association: Some("COLLABORATOR".into()),
        };
        let at = Some("2026-11-17T17:43:43Z");
        let head = Some(d.head.as_str());
        let read = decision_of(&review("APPROVED", head, at), 7).expect("counts");
        assert_eq!(read.who.stable_id(), "github:9001");
        assert_eq!(read.head, d.head);
        assert_eq!(read.proof_state(), crate::domain::ProofState::Matches);
        // A stranger to the repository (any account can review a public
        // one) decides nothing, nor does a review without its association.
        for association in [Some("NONE"), Some("CONTRIBUTOR"), Some("FIRST_TIMER"), None] {
            let stranger = Review {
                author_association: association.map(String::from),
                ..review("APPROVED", head, at)
            };
            assert!(decision_of(&stranger, 7).is_none(), "{association:?}");
        }
        for association in ["OWNER", "MEMBER"] {
            let member = Review {
                author_association: Some(association.into()),
                ..review("APPROVED", head, at)
            };
            assert!(decision_of(&member, 7).is_some(), "{association}");
        }
        for (state, commit, submitted) in [
            ("COMMENTED", head, at),
            ("DISMISSED", head, at),
            ("PENDING", head, None),
            ("APPROVED", None, at),
        ] {
            assert!(
                decision_of(&review(state, commit, submitted), 7).is_none(),
                "{state} {commit:?} {submitted:?}"
            );
        }
    }

    #[test]
    fn the_label_stays_while_anyone_still_blocks() {
        let bob_blocks = decision(DecisionKind::Block, "r");
        let mut ann_blocks = bob_blocks.clone();
        ann_blocks.who = Identity::forge(Provider::GitHub, "583231", "ann", "");
        let bob_lifts = decision(DecisionKind::Unblock, "r");
        assert!(still_blocked(std::slice::from_ref(&bob_blocks)));
        assert!(!still_blocked(&[bob_blocks.clone(), bob_lifts.clone()]));
        assert!(still_blocked(&[bob_blocks, ann_blocks, bob_lifts]));
    }
}
