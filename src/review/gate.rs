//! The gate: one pure function from a request's root, its plan, the
//! decisions on the request, the environment's policy and the time to a
//! report listing every check with pass or fail and why. An apply may start
//! only when every check passes; the same report is shown before approving.

use super::codeowners::{CodeOwners, is_login, is_owner_identity};
use super::{Decision, DecisionKind, ProofState, may_be_same_person, same_person};
use crate::config::{Config, Teams, Window, default_required_approvals};
use crate::domain::{Identity, Request};
use serde::Serialize;

/// The policy of one environment, resolved from the configuration.
#[derive(Clone, Debug)]
pub struct EnvironmentPolicy {
    pub environment: String,
    pub required_approvals: usize,
    /// Emails allowed to approve (teams expanded); empty means anyone.
    pub approvers: Vec<String>,
    pub require_code_owners: bool,
    pub window: Option<Window>,
    pub after: Vec<String>,
    pub auto_apply: bool,
    pub teams: Teams,
    /// N approvals from each of these teams, on top of the total.
    pub groups: Vec<GroupPolicy>,
    /// An emergency approval may waive the deployment window.
    pub allow_emergency: bool,
}

/// One `required_groups` entry with its team's members resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupPolicy {
    pub team: String,
    /// Member emails, from `[teams]`.
    pub members: Vec<String>,
    pub count: usize,
}

impl GroupPolicy {
    fn has(&self, who: &Identity) -> bool {
        self.members
            .iter()
            .any(|m| m.eq_ignore_ascii_case(&who.email))
    }
}

impl EnvironmentPolicy {
    /// The policy for an environment name (defaults by name when unconfigured).
    pub fn from_config(config: &Config, environment: &str) -> Self {
        let env = config
            .environments
            .get(environment)
            .cloned()
            .unwrap_or_default();
        let approvers = env
            .approvers
            .iter()
            .flat_map(|a| match a.strip_prefix("team:") {
                // A forge team stays a name: the forge says who is in it.
                Some(team) if team.contains('/') => vec![a.clone()],
                Some(team) => config.teams.get(team).cloned().unwrap_or_default(),
                None => vec![a.clone()],
            })
            .collect();
        Self {
            environment: environment.to_string(),
            required_approvals: env
                .required_approvals
                .unwrap_or_else(|| default_required_approvals(environment)),
            approvers,
            require_code_owners: env.require_code_owners,
            // Validated when the configuration was loaded.
            window: env.window.as_ref().and_then(|w| w.compile().ok()),
            after: env.after.clone(),
            auto_apply: env.auto_apply,
            teams: config.teams.clone(),
            groups: env
                .required_groups
                .iter()
                .map(|g| GroupPolicy {
                    team: g.team.clone(),
                    members: config.teams.get(&g.team).cloned().unwrap_or_default(),
                    count: g.count,
                })
                .collect(),
            allow_emergency: env.allow_emergency,
        }
    }

    fn may_approve(&self, who: &Identity) -> bool {
        self.approvers.is_empty()
            || self.approvers.iter().any(|a| {
                a.eq_ignore_ascii_case(&who.email)
                    || is_login(a, who)
                    || a.strip_prefix("team:")
                        .is_some_and(|team| who.forge_teams.iter().any(|t| t == team))
            })
    }
}

/// What the gate needs to know about the root's current plan.
#[derive(Clone, Debug)]
pub struct PlanFacts {
    pub digest: String,
    /// The head commit it was made from.
    pub head: String,
    /// Addresses of its deletes and replacements.
    pub destructive: Vec<String>,
    /// Addresses of module calls whose source can move: each must be
    /// acknowledged, as each destructive change must be viewed.
    pub moving_sources: Vec<String>,
}

pub struct GateInput<'a> {
    pub request: &'a Request,
    pub root: &'a str,
    pub policy: &'a EnvironmentPolicy,
    pub plan: Option<&'a PlanFacts>,
    /// Every decision on the request (all roots, all heads).
    pub decisions: &'a [Decision],
    pub code_owners: Option<&'a CodeOwners>,
    /// Environments of the request's other roots: (root, environment).
    pub roots: &'a [(String, String)],
    pub now: i64,
}

/// Why an approval counts or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum ApprovalState {
    Counted,
    /// For another head commit or plan digest: shown, never counted.
    Stale(String),
    /// Valid in time but not counted (author, not an approver, duplicate).
    NotCounted(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct ApprovalStatus {
    pub decision: Decision,
    pub state: ApprovalState,
}

/// How far one required group is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupStatus {
    pub team: String,
    pub required: usize,
    /// Emails of the counted approvers who are members.
    pub approvers: Vec<String>,
    /// Approvals still needed from the team (0 when satisfied).
    pub missing: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct GateCheck {
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct GateReport {
    pub request: String,
    pub root: String,
    pub environment: String,
    /// The changed local modules the root is affected through; empty when
    /// its own files changed.
    pub via: Vec<String>,
    pub digest: Option<String>,
    pub checks: Vec<GateCheck>,
    pub approvals: Vec<ApprovalStatus>,
    /// Blocks in force.
    pub blocks: Vec<Decision>,
    /// Each required group with its counted approvals; empty when the
    /// environment requires none.
    pub groups: Vec<GroupStatus>,
    pub counted: usize,
    pub required: usize,
    pub passed: bool,
    /// The emergency approval that waives a closed deployment window, if
    /// one does (the window check then passes, marked EMERGENCY).
    pub emergency: Option<EmergencyWaiver>,
}

/// Who waived the window by an emergency approval, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EmergencyWaiver {
    pub by: Identity,
    pub reason: String,
}

/// Evaluates every check of the gate.
pub fn evaluate(input: &GateInput<'_>) -> GateReport {
    let approvals = approval_statuses(input);
    let blocks = active_blocks(input);
    let counted: Vec<&ApprovalStatus> = approvals
        .iter()
        .filter(|a| a.state == ApprovalState::Counted)
        .collect();
    let required = input.policy.required_approvals;
    let mut checks = vec![plan_check(input), block_check(&blocks)];
    let stale = approvals
        .iter()
        .filter(|a| matches!(a.state, ApprovalState::Stale(_)))
        .count();
    checks.push(GateCheck {
        name: "approvals",
        passed: counted.len() >= required,
        detail: format!(
            "{}/{required} approvals in {}{}",
            counted.len(),
            input.policy.environment,
            if stale > 0 {
                format!(" ({stale} stale, not counted)")
            } else {
                String::new()
            }
        ),
    });
    let groups = group_statuses(input.policy, &counted);
    if !groups.is_empty() {
        checks.push(group_check(&groups));
    }
    if input.policy.require_code_owners {
        checks.push(code_owner_check(input, &counted));
    }
    let mut emergency = None;
    if let Some(window) = &input.policy.window {
        let (check, waiver) = window_check(input, window, &counted);
        checks.push(check);
        emergency = waiver;
    }
    if !input.policy.after.is_empty() {
        checks.push(promotion_check(input));
    }
    GateReport {
        request: input.request.id.clone(),
        root: input.root.to_string(),
        environment: input.policy.environment.clone(),
        via: input
            .request
            .roots
            .iter()
            .find(|r| r.path == input.root)
            .map(|r| r.via.clone())
            .unwrap_or_default(),
        digest: input.plan.map(|p| p.digest.clone()),
        passed: checks.iter().all(|c| c.passed),
        checks,
        counted: counted.len(),
        required,
        approvals,
        blocks,
        groups,
        emergency,
    }
}

/// The deployment window. A closed one is waived when the environment
/// allows emergencies and a counted approval (so not an author's, not
/// stale, proven, by an allowed approver) is an emergency one: one such
/// approval suffices, as one approver's judgement is what break-glass asks
/// for; the others still count for the total and the groups as usual.
fn window_check(
    input: &GateInput<'_>,
    window: &Window,
    counted: &[&ApprovalStatus],
) -> (GateCheck, Option<EmergencyWaiver>) {
    let check = |passed, detail| GateCheck {
        name: "window",
        passed,
        detail,
    };
    if window.contains(input.now) {
        return (check(true, format!("open: {}", window.description)), None);
    }
    let closed = format!("closed: applies only {}", window.description);
    // The latest: a person's later approval supersedes an earlier one.
    let Some((decision, emergency)) = counted
        .iter()
        .rev()
        .find_map(|a| Some((&a.decision, a.decision.emergency.as_ref()?)))
    else {
        return (check(false, closed), None);
    };
    if !input.policy.allow_emergency {
        return (
            check(
                false,
                format!(
                    "{closed}; the emergency approval of {} does not waive it: \
                     allow_emergency is off for {}",
                    decision.who, input.policy.environment
                ),
            ),
            None,
        );
    }
    let waiver = EmergencyWaiver {
        by: decision.who.clone(),
        reason: emergency.reason.clone(),
    };
    (
        check(
            true,
            format!(
                "EMERGENCY: {closed}, waived by the emergency approval of {}: {}",
                waiver.by, waiver.reason
            ),
        ),
        Some(waiver),
    )
}

/// Each required group: its members among the counted approvals. One
/// approval counts for every group its author is in; counted approvals are
/// already one per person, so no person counts twice within a group.
fn group_statuses(policy: &EnvironmentPolicy, counted: &[&ApprovalStatus]) -> Vec<GroupStatus> {
    policy
        .groups
        .iter()
        .map(|group| {
            let approvers: Vec<String> = counted
                .iter()
                .filter(|a| group.has(&a.decision.who))
                .map(|a| a.decision.who.handle())
                .collect();
            GroupStatus {
                team: group.team.clone(),
                required: group.count,
                missing: group.count.saturating_sub(approvers.len()),
                approvers,
            }
        })
        .collect()
}

/// `staff 1/1, client 0/1: missing 1 approval from team client`.
fn group_check(groups: &[GroupStatus]) -> GateCheck {
    let tally: Vec<String> = groups
        .iter()
        .map(|g| {
            format!(
                "{} {}/{}",
                g.team,
                g.approvers.len().min(g.required),
                g.required
            )
        })
        .collect();
    let missing: Vec<String> = groups
        .iter()
        .filter(|g| g.missing > 0)
        .map(|g| {
            let noun = if g.missing == 1 {
                "approval"
            } else {
                "approvals"
            };
            format!("{} {noun} from team {}", g.missing, g.team)
        })
        .collect();
    GateCheck {
        name: "groups",
        passed: missing.is_empty(),
        detail: if missing.is_empty() {
            tally.join(", ")
        } else {
            format!("{}: missing {}", tally.join(", "), missing.join(" and "))
        },
    }
}

fn is_author(request: &Request, who: &Identity) -> bool {
    request
        .authors
        .iter()
        .chain(&request.committers)
        .any(|a| may_be_same_person(a, who))
}

fn plan_check(input: &GateInput<'_>) -> GateCheck {
    let (passed, detail) = match input.plan {
        None => (
            false,
            "no plan for this head yet (`plandeck plan`, `import-plan` or a CI plan artifact)"
                .to_string(),
        ),
        Some(plan) if plan.head != input.request.head => (
            false,
            format!(
                "the plan was made from {}, the request is at {}: plan again",
                short(&plan.head),
                short(&input.request.head)
            ),
        ),
        Some(plan) => (
            true,
            format!(
                "plan {} of head {}",
                short_digest(&plan.digest),
                short(&plan.head)
            ),
        ),
    };
    GateCheck {
        name: "plan",
        passed,
        detail,
    }
}

fn block_check(blocks: &[Decision]) -> GateCheck {
    let detail = match blocks.first() {
        None => "no block".to_string(),
        Some(b) => format!(
            "blocked by {}{}",
            b.who,
            b.comment
                .as_deref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        ),
    };
    GateCheck {
        name: "blocks",
        passed: blocks.is_empty(),
        detail,
    }
}

/// Each approval of this root with why it counts or not; one identity
/// counts once (its latest approval).
fn approval_statuses(input: &GateInput<'_>) -> Vec<ApprovalStatus> {
    let mut statuses: Vec<ApprovalStatus> = Vec::new();
    let approvals = input.decisions.iter().filter(|d| {
        d.kind == DecisionKind::Approve && d.root == input.root && d.request == input.request.id
    });
    for decision in approvals {
        let state = if decision.head != input.request.head {
            ApprovalState::Stale(format!(
                "approved head {}, request is at {}",
                short(&decision.head),
                short(&input.request.head)
            ))
        } else if let Some(change) = input
            .plan
            .filter(|p| crate::plan::scheme_change(&p.digest).is_none())
            .and_then(|_| crate::plan::scheme_change(&decision.digest))
        {
            // The same plan has another digest now: say why, or the
            // approver looks for a change that is not there.
            ApprovalState::Stale(format!("approved under {change}: approve again"))
        } else if input.plan.is_none_or(|p| p.digest != decision.digest) {
            ApprovalState::Stale(format!(
                "approved plan {}, the plan changed",
                short_digest(&decision.digest)
            ))
        } else if let Some(why) = unproven(decision) {
            ApprovalState::NotCounted(why.into())
        } else if is_author(input.request, &decision.who) {
            ApprovalState::NotCounted("authored or committed the request".into())
        } else if !input.policy.may_approve(&decision.who) {
            ApprovalState::NotCounted(format!("not an approver for {}", input.policy.environment))
        } else {
            ApprovalState::Counted
        };
        // A later approval by the same person replaces an earlier counted one.
        if state == ApprovalState::Counted {
            for earlier in statuses
                .iter_mut()
                .filter(|s| may_be_same_person(&s.decision.who, &decision.who))
            {
                if earlier.state == ApprovalState::Counted {
                    earlier.state =
                        ApprovalState::NotCounted("superseded by a later approval".into());
                }
            }
        }
        statuses.push(ApprovalStatus {
            decision: decision.clone(),
            state,
        });
    }
    statuses
}

/// Blocks of this root on the current plan not lifted by their author.
fn active_blocks(input: &GateInput<'_>) -> Vec<Decision> {
    let digest = input.plan.map(|p| p.digest.as_str());
    let mut blocks: Vec<Decision> = Vec::new();
    let mine = input
        .decisions
        .iter()
        .filter(|d| d.root == input.root && d.request == input.request.id);
    for decision in mine {
        match decision.kind {
            // A new plan supersedes blocks on older ones. A block digested
            // under an older scheme cannot be told from one on this plan:
            // it holds for its head commit.
            DecisionKind::Block
                if digest.is_none_or(|d| d == decision.digest)
                    || (crate::plan::scheme_change(&decision.digest).is_some()
                        && decision.head == input.request.head) =>
            {
                blocks.push(decision.clone())
            }
            DecisionKind::Unblock => blocks.retain(|b| !same_person(&b.who, &decision.who)),
            _ => {}
        }
    }
    blocks
}

fn code_owner_check(input: &GateInput<'_>, counted: &[&ApprovalStatus]) -> GateCheck {
    let Some(owners) = input.code_owners else {
        return GateCheck {
            name: "code owners",
            passed: false,
            detail: "required, but the base branch has no CODEOWNERS".into(),
        };
    };
    // A file outside every root of the request (a shared module, CI, the
    // CODEOWNERS file itself) can change what every root does: its owners
    // must approve each root. So must the owners of the changed modules
    // this root reads, even where a module directory is a root too.
    let this = input.request.roots.iter().find(|r| r.path == input.root);
    let via = this.map_or(&[][..], |r| r.via.as_slice());
    let dir = this.map_or(input.root, |r| r.dir());
    let files = input.request.changed_files.iter().filter(|f| {
        in_root(f, dir)
            || via.iter().any(|m| in_root(f, m))
            || !input.request.roots.iter().any(|r| in_root(f, r.dir()))
    });
    let mut missing = Vec::new();
    for file in files {
        let file_owners = owners.owners_of(file);
        let approved = file_owners.is_empty()
            || counted.iter().any(|a| {
                file_owners
                    .iter()
                    .any(|o| is_owner_identity(o, &a.decision.who, &input.policy.teams))
            });
        if !approved {
            missing.push(format!("{file} ({})", file_owners.join(" ")));
        }
    }
    GateCheck {
        name: "code owners",
        passed: missing.is_empty(),
        detail: if missing.is_empty() {
            "every changed file approved by an owner".into()
        } else {
            format!("no approval from an owner of {}", missing.join(", "))
        },
    }
}

fn in_root(file: &str, root: &str) -> bool {
    root == "."
        || file
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Why a decision that counts toward the gate (an approval, an apply
/// result) cannot count: it has no audit entry, or not its own. Blocks
/// count either way (the safe side).
fn unproven(decision: &Decision) -> Option<&'static str> {
    match decision.proof_state() {
        ProofState::Matches => None,
        ProofState::Missing => {
            Some("no audit entry: it was not recorded through plandeck (a hand-written note?)")
        }
        ProofState::Mismatch => {
            Some("its audit proof does not match it: the note was edited after it was audited")
        }
    }
}

fn promotion_check(input: &GateInput<'_>) -> GateCheck {
    let mut waiting = Vec::new();
    for env in &input.policy.after {
        for (root, _) in input
            .roots
            .iter()
            .filter(|(r, e)| e == env && r != input.root)
        {
            let applied = input.decisions.iter().any(|d| {
                d.kind == DecisionKind::ApplySucceeded
                    && d.root == *root
                    && d.head == input.request.head
                    && unproven(d).is_none()
            });
            // Its latest proven check after the apply: a failed, blocking
            // verify holds the later environments back.
            let held_back = input
                .decisions
                .iter()
                .filter(|d| {
                    d.kind == DecisionKind::ApplyChecked
                        && d.root == *root
                        && d.head == input.request.head
                        && unproven(d).is_none()
                })
                .max_by_key(|d| d.at)
                .and_then(|d| d.check.as_ref())
                .is_some_and(|c| c.holds_back());
            if !applied {
                waiting.push(format!("{root} ({env})"));
            } else if held_back {
                waiting.push(format!("{root} ({env}: applied, its verify failed)"));
            }
        }
    }
    let after = input.policy.after.join(", ");
    GateCheck {
        name: "promotion",
        passed: waiting.is_empty(),
        detail: if waiting.is_empty() {
            format!("{after} applied first (or not part of this request)")
        } else {
            format!("must apply first: {}", waiting.join(", "))
        },
    }
}

/// Why an emergency approval of this root is refused, if it is: the
/// environment does not allow emergencies, or has no window to waive. The
/// ordinary refusals ([`approval_refusal`]) apply besides.
pub fn emergency_refusal(policy: &EnvironmentPolicy, reason: &str) -> Option<String> {
    let env = &policy.environment;
    if !policy.allow_emergency {
        return Some(format!(
            "emergency approvals are not allowed in {env}: set allow_emergency = true in \
             [environments.{env}] to allow them, or approve normally"
        ));
    }
    if policy.window.is_none() {
        return Some(format!(
            "{env} has no deployment window: an emergency approval waives only the window, \
             so approve normally"
        ));
    }
    reason
        .trim()
        .is_empty()
        .then(|| "an emergency approval needs a reason (--reason TEXT)".to_string())
}

/// Why `who` may not approve this root now, if they may not. `viewed` are
/// the addresses the approver marked viewed or acknowledged.
pub fn approval_refusal(
    input: &GateInput<'_>,
    who: &Identity,
    viewed: &[String],
) -> Option<String> {
    refusal(input, who, viewed, None)
}

/// Why `who` may not make an emergency approval of this root with
/// `reason` now: every refusal of a normal approval, then
/// [`emergency_refusal`]. A normal approval of the same plan by `who` does
/// not refuse it (the emergency one supersedes it); an emergency one does.
pub fn emergency_approval_refusal(
    input: &GateInput<'_>,
    who: &Identity,
    viewed: &[String],
    reason: &str,
) -> Option<String> {
    refusal(input, who, viewed, Some(reason)).or_else(|| emergency_refusal(input.policy, reason))
}

/// `emergency`: the reason of an emergency approval, `None` for a normal one.
fn refusal(
    input: &GateInput<'_>,
    who: &Identity,
    viewed: &[String],
    emergency: Option<&str>,
) -> Option<String> {
    let Some(plan) = input.plan else {
        return Some(format!(
            "no plan for {}: run `plandeck plan {}` first",
            input.root, input.request.id
        ));
    };
    if plan.head != input.request.head {
        return Some(format!(
            "the plan of {} was made from an older head: plan again before approving",
            input.root
        ));
    }
    if is_author(input.request, who) {
        return Some(format!(
            "{who} authored or committed this request: a second engineer must approve"
        ));
    }
    if !input.policy.may_approve(who) {
        return Some(format!(
            "{who} is not an approver for {}",
            input.policy.environment
        ));
    }
    let unviewed: Vec<&String> = plan
        .destructive
        .iter()
        .filter(|a| !viewed.contains(a))
        .collect();
    if !unviewed.is_empty() {
        let list: Vec<String> = unviewed
            .iter()
            .take(3)
            .map(|a| crate::sanitize::escape(a).text.into_owned())
            .collect();
        return Some(format!(
            "{} of {} destructive changes not marked viewed (e.g. {}): view each before approving",
            unviewed.len(),
            plan.destructive.len(),
            list.join(", ")
        ));
    }
    let unacknowledged: Vec<&String> = plan
        .moving_sources
        .iter()
        .filter(|m| !viewed.contains(m))
        .collect();
    if let Some(first) = unacknowledged.first() {
        return Some(format!(
            "{} module source(s) can move and were not acknowledged (e.g. {}): the code \
             fetched at apply may not be the code reviewed; acknowledge each (--ack {}) or pin it",
            unacknowledged.len(),
            crate::sanitize::escape(first).text,
            crate::sanitize::escape(first).text
        ));
    }
    let already = input.decisions.iter().any(|d| {
        d.kind == DecisionKind::Approve
            && d.root == input.root
            && d.digest == plan.digest
            && d.head == plan.head
            && same_person(&d.who, who)
            && (emergency.is_none() || d.emergency.is_some())
    });
    if already {
        let what = if emergency.is_some() {
            "made an emergency approval of"
        } else {
            "approved"
        };
        return Some(format!("{who} already {what} this plan of {}", input.root));
    }
    group_refusal(input, who)
}

/// An approval that cannot move the gate: the total is reached, what is
/// missing are approvals from groups `who` is not in. Code owners are not
/// known here (the approval could be an owner's), so with
/// `require_code_owners` nothing is refused for groups.
fn group_refusal(input: &GateInput<'_>, who: &Identity) -> Option<String> {
    if input.policy.groups.is_empty() || input.policy.require_code_owners {
        return None;
    }
    let statuses = approval_statuses(input);
    let others: Vec<&ApprovalStatus> = statuses
        .iter()
        .filter(|a| a.state == ApprovalState::Counted && !may_be_same_person(&a.decision.who, who))
        .collect();
    if others.len() < input.policy.required_approvals {
        return None;
    }
    let short: Vec<GroupStatus> = group_statuses(input.policy, &others)
        .into_iter()
        .filter(|g| g.missing > 0)
        .collect();
    let helps = input
        .policy
        .groups
        .iter()
        .any(|g| g.has(who) && short.iter().any(|s| s.team == g.team));
    if short.is_empty() || helps {
        return None;
    }
    let missing: Vec<String> = short
        .iter()
        .map(|g| format!("{} from team {}", g.missing, g.team))
        .collect();
    Some(format!(
        "{}/{} approvals in {} are in; what is missing is {}, and {who} is in none of those \
         teams: this approval would not move the gate",
        others.len(),
        input.policy.required_approvals,
        input.policy.environment,
        missing.join(" and ")
    ))
}

fn short(commit: &str) -> &str {
    commit.get(..8).unwrap_or(commit)
}

fn short_digest(digest: &str) -> &str {
    crate::plan::short_digest(digest)
}
