//! Reading a plan document: file or stdin, UTF-8 and size checks, version
//! check, then the typed sections. Every failure is one line that names the
//! cause and, where there is one, the line and column.

use super::{
    Change, ChangeKind, CheckResult, CheckStatus, DeferredChange, Mode, OutputChange, Plan,
    RawJson, RelevantAttribute, ResourceChange, wire,
};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// Plans larger than this are refused rather than read into memory.
pub const MAX_PLAN_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The plan format versions this build knows, oldest first.
pub const SUPPORTED_FORMAT_VERSIONS: &[&str] = &["0.1", "0.2", "1.0", "1.1", "1.2"];
const NEWEST_KNOWN_MINOR: u32 = 2;

/// Why a document is not a readable plan.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("empty file: no JSON document")]
    Empty,
    #[error("invalid UTF-8 at byte {0}")]
    InvalidUtf8(usize),
    #[error("file too large: {size} bytes (the limit is {MAX_PLAN_BYTES} bytes)")]
    TooLarge { size: u64 },
    #[error("{0}")]
    Json(String),
    #[error("not a plan: the document is {0}, expected a JSON object")]
    NotObject(&'static str),
    #[error("not a plan: {0}")]
    NotAPlan(&'static str),
    #[error(
        "unsupported plan format version {0:?}: this plandeck reads 0.1 to 1.x; upgrade plandeck"
    )]
    UnsupportedVersion(String),
    #[error("invalid format_version {0}: expected a string such as \"1.2\"")]
    BadVersion(String),
    #[error(transparent)]
    Value(#[from] super::DigestError),
}

/// A plan that could not be loaded, with the file it came from.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {error}")]
pub struct LoadError {
    pub source_name: String,
    pub error: PlanError,
}

impl LoadError {
    fn new(path: &Path, error: PlanError) -> Self {
        Self {
            source_name: path.display().to_string(),
            error,
        }
    }
}

/// Reads and parses a plan file; `-` reads standard input.
pub fn load_plan(path: &Path) -> Result<Plan, LoadError> {
    let bytes = read_bounded(path).map_err(|error| LoadError::new(path, error))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| LoadError::new(path, PlanError::InvalidUtf8(e.utf8_error().valid_up_to())))?;
    parse_plan(Arc::from(text)).map_err(|error| LoadError::new(path, error))
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, PlanError> {
    let io_error = |e: std::io::Error| PlanError::Json(io_message(&e));
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_PLAN_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io_error)?;
    } else {
        let file = std::fs::File::open(path).map_err(io_error)?;
        let size = file.metadata().map_err(io_error)?.len();
        if size > MAX_PLAN_BYTES {
            return Err(PlanError::TooLarge { size });
        }
        bytes.reserve_exact(usize::try_from(size).unwrap_or(0));
        file.take(MAX_PLAN_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io_error)?;
    }
    let size = bytes.len() as u64;
    if size > MAX_PLAN_BYTES {
        return Err(PlanError::TooLarge { size });
    }
    Ok(bytes)
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory, not a plan file".to_string(),
        _ => format!("cannot read: {e}"),
    }
}

/// Parses a plan document already in memory.
pub fn parse_plan(text: Arc<str>) -> Result<Plan, PlanError> {
    let Some(first) = text.trim_start().chars().next() else {
        return Err(PlanError::Empty);
    };
    if first != '{' {
        return Err(PlanError::NotObject(match first {
            '[' => "an array",
            '"' => "a string",
            't' | 'f' => "a boolean",
            'n' => "null",
            '-' | '0'..='9' => "a number",
            _ => return Err(PlanError::Json(json_error(&text, 0, &syntax_error(&text)))),
        }));
    }
    let top: wire::TopLevel =
        serde_json::from_str(&text).map_err(|e| PlanError::Json(json_error(&text, 0, &e)))?;
    Reader { text: &text }.plan(&top)
}

fn syntax_error(text: &str) -> serde_json::Error {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Err(e) => e,
        Ok(_) => serde_json::from_str::<()>("!").expect_err("'!' is never JSON"),
    }
}

struct Reader<'t> {
    text: &'t Arc<str>,
}

impl Reader<'_> {
    fn plan(&self, top: &wire::TopLevel) -> Result<Plan, PlanError> {
        let mut plan = Plan {
            format_version: None,
            ..Plan::default()
        };
        self.check_version(top.format_version, &mut plan)?;
        if top.resource_changes.is_none()
            && top.planned_values.is_none()
            && top.output_changes.is_none()
            && top.prior_state.is_none()
        {
            return Err(PlanError::NotAPlan(if top.values.is_some() {
                "this is a state document (show -json of a state), not a plan"
            } else {
                "none of resource_changes, planned_values, output_changes or prior_state is present"
            }));
        }
        plan.terraform_version = self
            .section::<Option<String>>(top.terraform_version, "terraform_version")?
            .flatten();
        plan.resource_changes = self.resource_changes(top.resource_changes, "resource_changes")?;
        plan.resource_drift = self.resource_changes(top.resource_drift, "resource_drift")?;
        plan.output_changes = self.output_changes(top.output_changes)?;
        self.mark_sensitive_outputs(
            &mut plan.output_changes,
            &[top.planned_values, top.configuration],
        )?;
        plan.relevant_attributes = self.relevant_attributes(top.relevant_attributes)?;
        plan.checks = self.checks(top.checks, top.condition_results)?;
        plan.deferred_changes = self.deferred(top.deferred_changes)?;
        plan.action_invocations = self
            .section::<Option<Vec<wire::ActionInvocation>>>(
                top.action_invocations,
                "action_invocations",
            )?
            .flatten()
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.address)
            .collect();
        plan.errored = self
            .section::<Option<bool>>(top.errored, "errored")?
            .flatten()
            .unwrap_or(false);
        plan.complete = self
            .section::<Option<bool>>(top.complete, "complete")?
            .flatten();
        plan.applyable = self
            .section::<Option<bool>>(top.applyable, "applyable")?
            .flatten();
        plan.digest = super::plan_digest(&plan)?;
        Ok(plan)
    }

    fn check_version(&self, raw: Option<&RawValue>, plan: &mut Plan) -> Result<(), PlanError> {
        let Some(raw) = raw else {
            plan.warnings
                .push("no format_version in the document; read as format 1.2".to_string());
            return Ok(());
        };
        let version: String = serde_json::from_str(raw.get())
            .map_err(|_| PlanError::BadVersion(raw.get().chars().take(40).collect()))?;
        let (major, minor) = version
            .split_once('.')
            .and_then(|(major, minor)| {
                Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?))
            })
            .ok_or_else(|| PlanError::BadVersion(format!("{version:?}")))?;
        match (major, minor) {
            (0, 1 | 2) | (1, 0..=NEWEST_KNOWN_MINOR) => {}
            (0 | 1, _) => plan.warnings.push(format!(
                "plan format version {version} is newer than this plandeck knows (up to 1.{NEWEST_KNOWN_MINOR}); \
                 fields added since are not shown"
            )),
            _ => return Err(PlanError::UnsupportedVersion(version)),
        }
        plan.format_version = Some(version);
        Ok(())
    }

    /// Parses one raw section, reporting errors at their place in the file.
    fn section<T: DeserializeOwned + Default>(
        &self,
        raw: Option<&RawValue>,
        name: &str,
    ) -> Result<Option<T>, PlanError> {
        let Some(raw) = raw else { return Ok(None) };
        serde_json::from_str(raw.get())
            .map(Some)
            .map_err(|e| self.section_error(raw, name, &e))
    }

    fn section_error(&self, raw: &RawValue, name: &str, e: &serde_json::Error) -> PlanError {
        PlanError::Json(format!(
            "in {name}: {}",
            json_error(self.text, self.offset(raw), e)
        ))
    }

    fn offset(&self, raw: &RawValue) -> usize {
        raw.get().as_ptr() as usize - self.text.as_ptr() as usize
    }

    fn raw(&self, raw: Option<&RawValue>) -> Option<RawJson> {
        let raw = raw?;
        let start = self.offset(raw);
        Some(RawJson::new(
            Arc::clone(self.text),
            start,
            start + raw.get().len(),
        ))
    }

    fn resource_changes(
        &self,
        raw: Option<&RawValue>,
        name: &str,
    ) -> Result<Vec<ResourceChange>, PlanError> {
        let Some(raw) = raw else {
            return Ok(Vec::new());
        };
        let wires: Option<Vec<wire::ResourceChange>> =
            serde_json::from_str(raw.get()).map_err(|e| self.section_error(raw, name, &e))?;
        Ok(wires
            .unwrap_or_default()
            .into_iter()
            .map(|w| self.resource_change(w))
            .collect())
    }

    fn resource_change(&self, w: wire::ResourceChange) -> ResourceChange {
        let mode = match w.mode.as_deref() {
            Some("data") => Mode::Data,
            Some(_) => Mode::Managed,
            None if w.address.starts_with("data.") || w.address.contains(".data.") => Mode::Data,
            None => Mode::Managed,
        };
        ResourceChange {
            previous_address: w.previous_address,
            module_address: w.module_address,
            mode,
            resource_type: w.resource_type.unwrap_or_default(),
            name: w.name.unwrap_or_default(),
            index: self.raw(w.index),
            provider_name: w.provider_name,
            deposed: w.deposed,
            action_reason: w.action_reason,
            change: self.change(w.change),
            address: w.address,
        }
    }

    fn change(&self, w: wire::Change) -> Change {
        Change {
            kind: ChangeKind::from_actions(&w.actions),
            actions: w.actions,
            before: self.raw(w.before),
            after: self.raw(w.after),
            after_unknown: self.raw(w.after_unknown),
            before_sensitive: self.raw(w.before_sensitive),
            after_sensitive: self.raw(w.after_sensitive),
            replace_paths: self.raw(w.replace_paths),
            importing: self.raw(w.importing),
            generated_config: w.generated_config,
        }
    }

    fn output_changes(&self, raw: Option<&RawValue>) -> Result<Vec<OutputChange>, PlanError> {
        let Some(raw) = raw else {
            return Ok(Vec::new());
        };
        let wires: Option<wire::OutputChanges> = serde_json::from_str(raw.get())
            .map_err(|e| self.section_error(raw, "output_changes", &e))?;
        Ok(wires
            .unwrap_or_default()
            .into_iter()
            .map(|(name, change)| OutputChange {
                name,
                change: self.change(change),
            })
            .collect())
    }

    /// Outputs declared sensitive in `planned_values` or `configuration` are
    /// sensitive on both sides, whatever `output_changes` says.
    fn mark_sensitive_outputs(
        &self,
        outputs: &mut [OutputChange],
        holders: &[Option<&RawValue>],
    ) -> Result<(), PlanError> {
        if outputs.is_empty() {
            return Ok(());
        }
        let mut sensitive = std::collections::BTreeSet::new();
        for (raw, name) in holders.iter().zip(["planned_values", "configuration"]) {
            let holder = self
                .section::<Option<wire::OutputsHolder>>(*raw, name)?
                .flatten();
            let holder = holder.map(|h| match h.root_module {
                Some(root) if h.outputs.is_none() => *root,
                _ => h,
            });
            for (output, declaration) in holder.and_then(|h| h.outputs).unwrap_or_default() {
                if declaration.sensitive == Some(true) {
                    sensitive.insert(output);
                }
            }
        }
        let flag = RawJson::from_value(&serde_json::Value::Bool(true));
        for output in outputs.iter_mut().filter(|o| sensitive.contains(&o.name)) {
            output.change.before_sensitive = Some(flag.clone());
            output.change.after_sensitive = Some(flag.clone());
        }
        Ok(())
    }

    fn relevant_attributes(
        &self,
        raw: Option<&RawValue>,
    ) -> Result<Vec<RelevantAttribute>, PlanError> {
        let Some(raw) = raw else {
            return Ok(Vec::new());
        };
        let wires: Option<Vec<wire::RelevantAttribute>> = serde_json::from_str(raw.get())
            .map_err(|e| self.section_error(raw, "relevant_attributes", &e))?;
        Ok(wires
            .unwrap_or_default()
            .into_iter()
            .filter_map(|w| {
                Some(RelevantAttribute {
                    resource: w.resource,
                    attribute: self.raw(Some(w.attribute))?,
                })
            })
            .collect())
    }

    fn checks(
        &self,
        checks: Option<&RawValue>,
        conditions: Option<&RawValue>,
    ) -> Result<Vec<CheckResult>, PlanError> {
        let mut results = Vec::new();
        let checks = self
            .section::<Option<Vec<wire::Check>>>(checks, "checks")?
            .flatten();
        for check in checks.unwrap_or_default() {
            let mut problems = Vec::new();
            for instance in &check.instances {
                problems.extend(
                    instance
                        .problems
                        .iter()
                        .map(|p| format!("{}: {}", instance.address.to_display, p.message)),
                );
                if instance.problems.is_empty()
                    && matches!(instance.status.as_str(), "fail" | "error")
                {
                    problems.push(format!(
                        "{}: {}",
                        instance.address.to_display, instance.status
                    ));
                }
            }
            results.push(CheckResult {
                address: check.address.to_display,
                kind: check.address.kind.unwrap_or_else(|| "check".to_string()),
                status: check_status(&check.status),
                problems,
            });
        }
        let conditions = self
            .section::<Option<Vec<wire::ConditionResult>>>(conditions, "condition_results")?
            .flatten();
        for condition in conditions.unwrap_or_default() {
            let status = match (condition.unknown, condition.result) {
                (true, _) | (false, None) => CheckStatus::Unknown,
                (false, Some(true)) => CheckStatus::Pass,
                (false, Some(false)) => CheckStatus::Fail,
            };
            results.push(CheckResult {
                address: condition.address,
                kind: condition
                    .condition_type
                    .unwrap_or_else(|| "condition".to_string()),
                status,
                problems: condition.error_message.into_iter().collect(),
            });
        }
        Ok(results)
    }

    fn deferred(&self, raw: Option<&RawValue>) -> Result<Vec<DeferredChange>, PlanError> {
        let Some(raw) = raw else {
            return Ok(Vec::new());
        };
        let wires: Option<Vec<wire::DeferredChange>> = serde_json::from_str(raw.get())
            .map_err(|e| self.section_error(raw, "deferred_changes", &e))?;
        Ok(wires
            .unwrap_or_default()
            .into_iter()
            .map(|w| DeferredChange {
                reason: w.reason,
                resource_change: self.resource_change(w.resource_change),
            })
            .collect())
    }
}

fn check_status(word: &str) -> CheckStatus {
    match word {
        "pass" => CheckStatus::Pass,
        "fail" => CheckStatus::Fail,
        "error" => CheckStatus::Error,
        _ => CheckStatus::Unknown,
    }
}

/// A serde_json error as one line, positioned in the whole document even when
/// the error came from parsing a section that starts at `offset`.
fn json_error(text: &str, offset: usize, e: &serde_json::Error) -> String {
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(cut) => &message[..cut],
        None => &message,
    };
    let prefix = &text[..offset.min(text.len())];
    let base_line = prefix.matches('\n').count() + 1;
    let base_column = prefix.len() - prefix.rfind('\n').map_or(0, |i| i + 1);
    let (line, column) = if e.line() <= 1 {
        (base_line, base_column + e.column())
    } else {
        (base_line + e.line() - 1, e.column())
    };
    let what = match e.classify() {
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "wrong type",
        serde_json::error::Category::Io => "read error",
    };
    if e.line() == 0 {
        return format!("{what}: {message}");
    }
    format!("{what}: {message} at line {line} column {column}")
}
