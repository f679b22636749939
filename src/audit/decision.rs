//! How a decision becomes an audit entry, and whether its proof holds.

use super::{AuditAction, AuditEntry, record_hash};
use crate::domain::{AuditProof, Decision, DecisionKind, ProofState};

impl AuditEntry {
    /// The reason of an emergency approval's entry (`details.emergency.reason`).
    pub fn emergency_reason(&self) -> Option<&str> {
        self.details
            .as_ref()?
            .get("emergency")?
            .get("reason")?
            .as_str()
    }
}

impl Decision {
    /// The audit entry this decision is recorded as.
    pub fn audit_entry(&self) -> AuditEntry {
        let action = match self.kind {
            DecisionKind::Approve => AuditAction::Approve,
            DecisionKind::Block => AuditAction::Block,
            DecisionKind::Unblock => AuditAction::Unblock,
            DecisionKind::ApplySucceeded => AuditAction::ApplySucceeded,
            DecisionKind::ApplyFailed => AuditAction::ApplyFailed,
            DecisionKind::ApplyChecked => AuditAction::ApplyChecked,
        };
        // Keys only when set: a decision without them keeps the entry (and
        // so the proof hash) it had before they existed.
        let mut details = serde_json::Map::new();
        if let Some(emergency) = &self.emergency {
            details.insert(
                "emergency".into(),
                serde_json::json!({ "reason": emergency.reason }),
            );
        }
        if !self.viewed_destructive.is_empty() {
            details.insert(
                "viewed_destructive".into(),
                serde_json::json!(self.viewed_destructive),
            );
        }
        if let Some(check) = &self.check {
            details.insert(
                "check".into(),
                serde_json::to_value(check).unwrap_or(serde_json::Value::Null),
            );
        }
        let details = (!details.is_empty()).then_some(serde_json::Value::Object(details));
        AuditEntry {
            who: self.who.clone(),
            at: self.at,
            action,
            request: self.request.clone(),
            root: Some(self.root.clone()),
            head: Some(self.head.clone()),
            digest: (!self.digest.is_empty()).then(|| self.digest.clone()),
            comment: self.comment.clone(),
            details,
        }
    }

    /// This decision with the proof of its entry at `seq` after `prev` in `log`.
    pub fn proven(mut self, log: &str, seq: u64, prev: &str) -> Self {
        let hash = record_hash(seq, prev, self.audit_entry());
        self.audit = Some(AuditProof {
            log: log.to_string(),
            seq,
            prev: prev.to_string(),
            hash,
        });
        self
    }

    /// Whether the proof names this decision's own audit record.
    /// A forge's attestation stands in for the proof when the decision is
    /// the forge's own account's (a review read back from the forge).
    pub fn proof_state(&self) -> ProofState {
        if let Some(attested) = &self.attested {
            return if !attested.provider.is_git()
                && attested.provider == self.who.provider
                && self.who.is_account()
            {
                ProofState::Matches
            } else {
                ProofState::Mismatch
            };
        }
        let Some(proof) = &self.audit else {
            return ProofState::Missing;
        };
        if record_hash(proof.seq, &proof.prev, self.audit_entry()) == proof.hash {
            ProofState::Matches
        } else {
            ProofState::Mismatch
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Emergency, Identity};

    fn approval() -> Decision {
        Decision {
            kind: DecisionKind::Approve,
            request: "request/1".into(),
            root: "apps/web/prod".into(),
            head: "1".repeat(40),
            digest: "sha256:v2:aa".into(),
            who: Identity::git("Bob", "bob@example.com"),
            at: 1_700_000_000,
            comment: None,
            viewed_destructive: vec!["null_resource.app".into()],
            emergency: None,
            audit: None,
            attested: None,
            check: None,
        }
    }

    #[test]
    fn the_proof_binds_the_emergency_flag_and_its_reason() {
        let normal = approval().proven("log", 3, "sha256:prev");
        assert_eq!(normal.proof_state(), ProofState::Matches);
        let mut promoted = normal.clone();
        promoted.emergency = Some(Emergency {
            reason: "outage".into(),
        });
        assert_eq!(promoted.proof_state(), ProofState::Mismatch);

        let mut emergency = approval();
        emergency.emergency = Some(Emergency {
            reason: "outage".into(),
        });
        let emergency = emergency.proven("log", 4, "sha256:prev");
        assert_eq!(emergency.proof_state(), ProofState::Matches);
        let mut reworded = emergency.clone();
        reworded.emergency = Some(Emergency {
            reason: "routine".into(),
        });
        assert_eq!(reworded.proof_state(), ProofState::Mismatch);
        let mut demoted = emergency;
        demoted.emergency = None;
        assert_eq!(demoted.proof_state(), ProofState::Mismatch);
    }

    #[test]
    fn a_decision_without_emergency_keeps_the_entry_it_had_before() {
        let decision = approval();
        let details = decision.audit_entry().details;
        assert_eq!(
            details,
            Some(serde_json::json!({ "viewed_destructive": ["null_resource.app"] }))
        );
        let mut bare = approval();
        bare.viewed_destructive.clear();
        assert_eq!(bare.audit_entry().details, None);
        // The stored note has no `emergency` key either.
        let line = serde_json::to_string(&bare).expect("json");
        assert!(!line.contains("emergency"), "{line}");
    }

    /// A forge's attestation exists only in memory: a note claiming one is
    /// read without it, and an attestation stands only for the forge's own
    /// account identity.
    #[test]
    fn no_note_can_claim_a_forge_attestation() {
        use crate::domain::{Attestation, Provider};
        let mut forged: serde_json::Value = serde_json::to_value(approval()).expect("json");
        forged["attested"] = serde_json::json!({"provider": "github", "id": "1"});
        forged["who"] = serde_json::json!({
            "name": "Bob", "email": "", "provider": "github", "account": "9001"
        });
        let read: Decision = serde_json::from_value(forged).expect("reads");
        assert_eq!(read.attested, None);
        assert_eq!(read.proof_state(), ProofState::Missing);
        let attested = Attestation {
            provider: Provider::GitHub,
            id: "80".into(),
        };
        let mut git_person = approval();
        git_person.attested = Some(attested.clone());
        assert_eq!(git_person.proof_state(), ProofState::Mismatch);
        let mut account = read;
        account.attested = Some(attested);
        assert_eq!(account.proof_state(), ProofState::Matches);
        assert!(
            !serde_json::to_string(&account)
                .expect("json")
                .contains("attested")
        );
    }
}
