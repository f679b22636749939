//! Reading a plan document: file or stdin, UTF-8 and size checks, version
//! check, then the typed sections. Every failure is one line that names the
//! cause and, where there is one, the line and column.

use super::digest::ResourceHash;
use super::{
    Change, ChangeKind, CheckResult, CheckStatus, DeferredChange, Mode, OutputChange, Plan,
    RawJson, RelevantAttribute, ResourceChange, wire,
};
use serde_json::value::RawValue;
use std::collections::BTreeSet;
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
    #[error(
        "invalid JSON: lone surrogate escape {escape} (half of a UTF-16 pair, not Unicode) at line {line} column {column}"
    )]
    LoneSurrogate {
        escape: String,
        line: usize,
        column: usize,
    },
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
    // Arc<String> shares the buffer without copying 100 MB into an Arc<str>.
    parse_plan_text(Arc::new(text)).map_err(|error| LoadError::new(path, error))
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
        if size >= PARALLEL_READ_FROM {
            return read_in_halves(&file, size).map_err(io_error);
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

/// Big files are read by two threads, each half on its own: copying from
/// the page cache and faulting in fresh pages is much of a summary's time.
const PARALLEL_READ_FROM: u64 = 16 * 1024 * 1024;

#[cfg(unix)]
fn read_in_halves(file: &std::fs::File, size: u64) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let len = usize::try_from(size).map_err(std::io::Error::other)?;
    let mut bytes = vec![0u8; len];
    let middle = len / 2;
    let (first, second) = bytes.split_at_mut(middle);
    std::thread::scope(|scope| {
        let helper = scope.spawn(|| file.read_exact_at(second, middle as u64));
        file.read_exact_at(first, 0)?;
        helper
            .join()
            .map_err(|_| std::io::Error::other("a reading thread failed"))?
    })?;
    // A file that grew while it was read is refused, not read half-way.
    let mut probe = [0u8; 1];
    if file.read_at(&mut probe, size)? != 0 {
        return Err(std::io::Error::other("the file changed while it was read"));
    }
    Ok(bytes)
}

#[cfg(not(unix))]
fn read_in_halves(file: &std::fs::File, size: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_PLAN_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// An I/O error in the words every file error uses: `no such file`, …
pub(crate) fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory, not a plan file".to_string(),
        _ => format!("cannot read: {e}"),
    }
}

/// Parses a plan document already in memory.
///
/// One typed pass reads a well-formed document. When that fails, a second,
/// slower path checks the version first and then each section on its own,
/// so the error names the real cause and its place in the file.
pub fn parse_plan(text: Arc<str>) -> Result<Plan, PlanError> {
    parse_plan_text(Arc::new(text.to_string()))
}

/// Parses a plan document, sharing `text` with the plan's values. A leading
/// UTF-8 byte order mark (as Windows shells write) is ignored, as in cost
/// files. A failure caused by a lone surrogate escape (`"\ud800"`, not
/// Unicode) says so, with its place.
pub fn parse_plan_text(text: Arc<String>) -> Result<Plan, PlanError> {
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => Arc::new(rest.to_string()),
        None => text,
    };
    parse_document(&text).map_err(|error| match lone_surrogate(&text) {
        Some((offset, escape)) => {
            let (line, column) = line_column(&text, offset);
            PlanError::LoneSurrogate {
                escape,
                line,
                column,
            }
        }
        None => error,
    })
}

/// The first `\uXXXX` escape in `text` that is half of a surrogate pair
/// without its other half: its byte offset and the escape as written.
/// Backslashes occur in JSON only inside strings, so no string tracking is
/// needed.
fn lone_surrogate(text: &str) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    let hex_at = |i: usize| -> Option<u16> {
        let digits = text.get(i + 2..i + 6)?;
        (bytes.get(i + 1) == Some(&b'u'))
            .then(|| u16::from_str_radix(digits, 16).ok())
            .flatten()
    };
    let mut i = 0;
    while let Some(found) = memchr::memchr(b'\\', &bytes[i..]) {
        let at = i + found;
        match hex_at(at) {
            Some(0xD800..=0xDBFF) => match hex_at(at + 6) {
                Some(0xDC00..=0xDFFF) if bytes.get(at + 6) == Some(&b'\\') => i = at + 12,
                _ => return Some((at, text[at..at + 6].to_string())),
            },
            Some(0xDC00..=0xDFFF) => return Some((at, text[at..at + 6].to_string())),
            _ => i = at + 2,
        }
        if i >= bytes.len() {
            break;
        }
    }
    None
}

/// 1-based line and column (in bytes) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let prefix = &text[..offset.min(text.len())];
    let line = prefix.matches('\n').count() + 1;
    let column = prefix.len() - prefix.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

fn parse_document(text: &Arc<String>) -> Result<Plan, PlanError> {
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
            _ => return Err(PlanError::Json(json_error(text, 0, &syntax_error(text)))),
        }));
    }
    let reader = Reader {
        text,
        warnings: std::sync::Mutex::default(),
    };
    if text.len() >= PIPELINE_FROM {
        let read = |raw| reader.read_change(raw);
        if let Some((sections, changes)) = super::pipeline::read(text, &read) {
            return reader.plan(sections, Some(changes));
        }
    }
    match serde_json::from_str::<wire::Sections>(text) {
        Ok(sections) => reader.plan(sections, None),
        Err(_) => reader.plan(reader.sections_one_by_one()?, None),
    }
}

/// The address Terraform would have written: `module.m.` prefix,
/// `data.` for data sources, `TYPE.NAME`, then `[INDEX]`.
fn derived_address(w: &wire::ResourceChange) -> String {
    let mut address = String::new();
    if let Some(module) = w.module_address.as_deref().filter(|m| !m.is_empty()) {
        address.push_str(module);
        address.push('.');
    }
    if w.mode.as_deref() == Some("data") {
        address.push_str("data.");
    }
    address.push_str(w.resource_type.as_deref().unwrap_or("unknown"));
    address.push('.');
    address.push_str(w.name.as_deref().unwrap_or("unknown"));
    if let Some(index) = w.index {
        address.push('[');
        address.push_str(index.get());
        address.push(']');
    }
    address
}

/// `line L column C` of a byte offset.
fn position(text: &str, offset: usize) -> String {
    let (line, column) = line_column(text, offset);
    format!("line {line} column {column}")
}

/// Documents from this size on are read by the multi-threaded pipeline.
const PIPELINE_FROM: usize = 1024 * 1024;

fn syntax_error(text: &str) -> serde_json::Error {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Err(e) => e,
        Ok(_) => serde_json::from_str::<()>("!").expect_err("'!' is never JSON"),
    }
}

struct Reader<'t> {
    text: &'t Arc<String>,
    /// What a tolerant read of a secondary section skipped or derived.
    warnings: std::sync::Mutex<Vec<String>>,
}

impl<'t> Reader<'t> {
    /// The slow path: version first, then each section, errors positioned.
    fn sections_one_by_one(&self) -> Result<wire::Sections<'t>, PlanError> {
        let text: &'t str = self.text;
        let top: wire::TopLevel<'t> =
            serde_json::from_str(text).map_err(|e| PlanError::Json(json_error(text, 0, &e)))?;
        check_version(top.format_version)?;
        Ok(wire::Sections {
            format_version: top.format_version,
            terraform_version: self.section(top.terraform_version, "terraform_version")?,
            resource_changes: self.section(top.resource_changes, "resource_changes")?,
            output_changes: self.section(top.output_changes, "output_changes")?,
            resource_drift: self.tolerant(top.resource_drift, "resource_drift"),
            relevant_attributes: self.tolerant(top.relevant_attributes, "relevant_attributes"),
            checks: self.tolerant(top.checks, "checks"),
            condition_results: self.tolerant(top.condition_results, "condition_results"),
            deferred_changes: self.tolerant(top.deferred_changes, "deferred_changes"),
            action_invocations: self.tolerant(top.action_invocations, "action_invocations"),
            planned_values: top.planned_values,
            configuration: top.configuration,
            prior_state: top.prior_state,
            values: top.values,
            errored: self.section(top.errored, "errored")?,
            complete: self.section(top.complete, "complete")?,
            applyable: self.section(top.applyable, "applyable")?,
        })
    }

    /// A secondary section read entry by entry: an entry that does not
    /// read (a missing or unexpected field) is skipped with a warning naming
    /// the section and the entry, and a section that is no list is ignored
    /// with one. Only `resource_changes` or the document refuse a plan.
    fn tolerant<T: serde::Deserialize<'t>>(
        &self,
        raw: Option<&'t RawValue>,
        name: &str,
    ) -> Option<Vec<T>> {
        let raw = raw?;
        let entries = match serde_json::from_str::<Option<Vec<&'t RawValue>>>(raw.get()) {
            Ok(entries) => entries?,
            Err(e) => {
                self.warn(format!(
                    "{name} is not a list ({}): ignored",
                    json_error(self.text, self.offset(raw), &e)
                ));
                return None;
            }
        };
        let mut read = Vec::with_capacity(entries.len());
        for (i, entry) in entries.into_iter().enumerate() {
            match serde_json::from_str::<T>(entry.get()) {
                Ok(value) => read.push(value),
                Err(e) => self.warn(format!(
                    "{name} entry {}: {}: skipped",
                    i + 1,
                    json_error(self.text, self.offset(entry), &e)
                )),
            }
        }
        Some(read)
    }

    /// Outputs `planned_values` declares sensitive; a section that does not
    /// read is a warning.
    fn sensitive_outputs(&self, section: Option<&'t RawValue>) -> BTreeSet<String> {
        let mut sensitive = BTreeSet::new();
        let Some(raw) = section else { return sensitive };
        let holder = match serde_json::from_str::<Option<wire::OutputsHolder>>(raw.get()) {
            Ok(holder) => holder,
            Err(e) => {
                self.warn(format!(
                    "planned_values: {}: its output declarations ignored",
                    json_error(self.text, self.offset(raw), &e)
                ));
                return sensitive;
            }
        };
        if let Some(holder) = holder {
            let holder = match holder.root_module {
                Some(root) if holder.outputs.is_none() => *root,
                _ => holder,
            };
            if let Some(outputs) = &holder.outputs {
                super::configuration::sensitive_declarations(
                    outputs,
                    "planned_values",
                    self,
                    &mut sensitive,
                );
            }
        }
        sensitive
    }

    fn warn(&self, warning: String) {
        if let Ok(mut warnings) = self.warnings.lock() {
            warnings.push(warning);
        }
    }

    /// Parses one raw section (null reads as absent), reporting errors at
    /// their place in the file.
    fn section<T: serde::Deserialize<'t>>(
        &self,
        raw: Option<&'t RawValue>,
        name: &str,
    ) -> Result<Option<T>, PlanError> {
        let Some(raw) = raw else { return Ok(None) };
        serde_json::from_str::<Option<T>>(raw.get()).map_err(|e| {
            PlanError::Json(format!(
                "in {name}: {}",
                json_error(self.text, self.offset(raw), &e)
            ))
        })
    }

    /// Builds the plan. `read_changes` are the resource changes already read
    /// by the pipeline; without them they are read here from the sections.
    fn plan(
        &self,
        sections: wire::Sections<'t>,
        read_changes: Option<Result<Vec<(ResourceChange, ResourceHash)>, PlanError>>,
    ) -> Result<Plan, PlanError> {
        let mut plan = Plan {
            format_version: check_version(sections.format_version)?,
            ..Plan::default()
        };
        if sections.format_version.is_none() {
            plan.warnings
                .push("no format_version in the document; read as format 1.2".into());
        }
        if let Some(version) = plan
            .format_version
            .as_deref()
            .filter(|v| is_newer_than_known(v))
        {
            plan.warnings.push(format!(
                "plan format version {version} is newer than this plandeck knows (up to \
                 1.{NEWEST_KNOWN_MINOR}); fields added since are not shown"
            ));
        }
        if sections.resource_changes.is_none()
            && sections.planned_values.is_none()
            && sections.output_changes.is_none()
            && sections.prior_state.is_none()
        {
            return Err(PlanError::NotAPlan(if sections.values.is_some() {
                "this is a state document (show -json of a state), not a plan"
            } else {
                "none of resource_changes, planned_values, output_changes or prior_state is present"
            }));
        }
        let changes = |list: Option<Vec<wire::ResourceChange<'t>>>| {
            list.unwrap_or_default()
                .into_iter()
                .map(|w| self.resource_change(w))
                .collect()
        };
        plan.terraform_version = sections.terraform_version;
        let (resource_changes, hashes) = match read_changes {
            Some(read) => read?.into_iter().unzip(),
            None => self.resource_changes(sections.resource_changes.unwrap_or_default())?,
        };
        plan.resource_changes = resource_changes;
        type_mismatch_warnings(&mut plan);
        plan.resource_drift = changes(sections.resource_drift);
        plan.output_changes = sections
            .output_changes
            .unwrap_or_default()
            .into_iter()
            .map(|(name, change)| OutputChange {
                name,
                change: self.change(change),
            })
            .collect();
        let configuration = super::configuration::read(sections.configuration, self);
        let mut sensitive = self.sensitive_outputs(sections.planned_values);
        sensitive.extend(configuration.sensitive_outputs);
        mark_sensitive_outputs(&mut plan.output_changes, &sensitive);
        plan.configuration = configuration.configuration;
        plan.relevant_attributes = sections
            .relevant_attributes
            .unwrap_or_default()
            .into_iter()
            .map(|w| RelevantAttribute {
                resource: w.resource,
                attribute: self.raw(w.attribute),
            })
            .collect();
        plan.checks = checks(sections.checks, sections.condition_results);
        plan.deferred_changes = sections
            .deferred_changes
            .unwrap_or_default()
            .into_iter()
            .map(|w| DeferredChange {
                reason: w.reason,
                resource_change: self.resource_change(w.resource_change),
            })
            .collect();
        plan.action_invocations = sections
            .action_invocations
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.address)
            .collect();
        plan.errored = sections.errored.unwrap_or(false);
        plan.complete = sections.complete;
        plan.applyable = sections.applyable;
        if let Ok(mut warnings) = self.warnings.lock() {
            plan.warnings.append(&mut warnings);
        }
        plan.digest = super::digest::combine(&plan, &hashes)?;
        Ok(plan)
    }

    /// Reads resource changes and hashes each, on two threads for big plans.
    fn resource_changes(
        &self,
        raws: Vec<&'t RawValue>,
    ) -> Result<(Vec<ResourceChange>, Vec<ResourceHash>), PlanError> {
        const PARALLEL_FROM: usize = 512;
        let read =
            |chunk: &[&'t RawValue]| -> Result<Vec<(ResourceChange, ResourceHash)>, PlanError> {
                chunk.iter().map(|raw| self.read_change(raw)).collect()
            };
        let read_pairs = if raws.len() < PARALLEL_FROM {
            read(&raws)?
        } else {
            let (first, second) = raws.split_at(raws.len() / 2);
            let (a, b) = std::thread::scope(|scope| {
                let helper = scope.spawn(|| read(second));
                (read(first), helper.join())
            });
            let mut pairs = a?;
            pairs.extend(b.map_err(|_| PlanError::Json("a reading thread failed".into()))??);
            pairs
        };
        Ok(read_pairs.into_iter().unzip())
    }

    /// One resource change read into the model and hashed.
    fn read_change(&self, raw: &'t RawValue) -> Result<(ResourceChange, ResourceHash), PlanError> {
        let wire: wire::ResourceChange = serde_json::from_str(raw.get()).map_err(|e| {
            PlanError::Json(format!(
                "in resource_changes: {}",
                json_error(self.text, self.offset(raw), &e)
            ))
        })?;
        if wire.address.is_empty() {
            return Err(PlanError::Json(format!(
                "in resource_changes: an entry has no `address` (at {})",
                position(self.text, self.offset(raw))
            )));
        }
        let rc = self.resource_change(wire);
        let hash = super::digest::resource_hash(&rc)?;
        Ok((rc, hash))
    }

    fn offset(&self, raw: &RawValue) -> usize {
        raw.get().as_ptr() as usize - self.text.as_ptr() as usize
    }

    fn raw(&self, raw: &RawValue) -> RawJson {
        let start = self.offset(raw);
        RawJson::new(Arc::clone(self.text), start, start + raw.get().len())
    }

    fn resource_change(&self, mut w: wire::ResourceChange) -> ResourceChange {
        if w.address.is_empty() {
            w.address = derived_address(&w);
            self.warn(format!(
                "an entry without `address` read as {} (from its module, mode, type, name and index)",
                w.address
            ));
        }
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
            index: w.index.map(|r| self.raw(r)),
            provider_name: w.provider_name,
            deposed: w.deposed,
            action_reason: w.action_reason,
            change: self.change(w.change),
            address: w.address,
        }
    }

    fn change(&self, w: wire::Change) -> Change {
        let raw = |r: Option<&RawValue>| r.map(|r| self.raw(r));
        Change {
            kind: ChangeKind::from_actions(&w.actions),
            actions: w.actions,
            before: raw(w.before),
            after: raw(w.after),
            after_unknown: raw(w.after_unknown),
            before_sensitive: raw(w.before_sensitive),
            after_sensitive: raw(w.after_sensitive),
            replace_paths: raw(w.replace_paths),
            importing: raw(w.importing),
            generated_config: w.generated_config,
        }
    }
}

impl super::configuration::Spans for Reader<'_> {
    fn raw(&self, raw: &RawValue) -> RawJson {
        Reader::raw(self, raw)
    }

    fn describe(&self, raw: &RawValue, error: &serde_json::Error) -> String {
        json_error(self.text, self.offset(raw), error)
    }

    fn warn(&self, warning: String) {
        Reader::warn(self, warning);
    }
}

/// Reads and judges `format_version`: refused when unknown, `None` when absent.
fn check_version(raw: Option<&RawValue>) -> Result<Option<String>, PlanError> {
    let Some(raw) = raw else { return Ok(None) };
    let version: String = serde_json::from_str(raw.get())
        .map_err(|_| PlanError::BadVersion(raw.get().chars().take(40).collect()))?;
    let (major, _) =
        version_numbers(&version).ok_or_else(|| PlanError::BadVersion(format!("{version:?}")))?;
    if major > 1 {
        return Err(PlanError::UnsupportedVersion(version));
    }
    Ok(Some(version))
}

fn version_numbers(version: &str) -> Option<(u32, u32)> {
    let (major, minor) = version.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn is_newer_than_known(version: &str) -> bool {
    match version_numbers(version) {
        Some((0, minor)) => minor > 2,
        Some((1, minor)) => minor > NEWEST_KNOWN_MINOR,
        _ => false,
    }
}

/// Resource changes whose `type` field disagrees with the type their
/// address names: only a hand-edited document does that (e.g. a database
/// presented as a `null_resource`). Five are named, the rest counted.
fn type_mismatch_warnings(plan: &mut Plan) {
    const NAMED: usize = 5;
    let mismatched: Vec<(&str, &str, &str)> = plan
        .resource_changes
        .iter()
        .filter_map(|rc| {
            let named = rc.address_type()?;
            (named != rc.resource_type).then_some((
                rc.address.as_str(),
                rc.resource_type.as_str(),
                named,
            ))
        })
        .collect();
    let mut warnings: Vec<String> = mismatched
        .iter()
        .take(NAMED)
        .map(|(address, claimed, named)| {
            format!(
                "{address}: its type field says {claimed:?} but its address names {named}; \
                 risk is judged by both"
            )
        })
        .collect();
    if mismatched.len() > NAMED {
        warnings.push(format!(
            "… and {} more resource changes whose type field disagrees with their address",
            mismatched.len() - NAMED
        ));
    }
    plan.warnings.extend(warnings);
}

/// The outputs `planned_values` declares sensitive.
/// Outputs declared sensitive in `planned_values` or `configuration` are
/// sensitive on both sides, whatever `output_changes` says (older formats
/// flag them only there).
fn mark_sensitive_outputs(outputs: &mut [OutputChange], sensitive: &BTreeSet<String>) {
    let flag = RawJson::from_value(&serde_json::Value::Bool(true));
    for output in outputs.iter_mut().filter(|o| sensitive.contains(&o.name)) {
        output.change.before_sensitive = Some(flag.clone());
        output.change.after_sensitive = Some(flag.clone());
    }
}

fn checks(
    checks: Option<Vec<wire::Check>>,
    conditions: Option<Vec<wire::ConditionResult>>,
) -> Vec<CheckResult> {
    let mut results = Vec::new();
    for check in checks.unwrap_or_default() {
        let mut problems = Vec::new();
        for instance in &check.instances {
            let at = &instance.address.to_display;
            problems.extend(
                instance
                    .problems
                    .iter()
                    .map(|p| format!("{at}: {}", p.message)),
            );
            if instance.problems.is_empty() && matches!(instance.status.as_str(), "fail" | "error")
            {
                problems.push(format!("{at}: {}", instance.status));
            }
        }
        results.push(CheckResult {
            address: check.address.to_display,
            kind: check.address.kind.unwrap_or_else(|| "check".to_string()),
            status: check_status(&check.status),
            problems,
        });
    }
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
    results
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

#[cfg(test)]
mod tests {
    use super::*;

    fn slow_path(text: &Arc<String>) -> Result<Plan, PlanError> {
        let reader = Reader {
            text,
            warnings: std::sync::Mutex::default(),
        };
        reader.plan(reader.sections_one_by_one()?, None)
    }

    #[test]
    fn the_pipeline_reads_what_the_section_reader_reads() {
        let text = Arc::new(crate::genplan::plan_string(1_200, 5));
        assert!(text.len() >= PIPELINE_FROM);
        let fast = parse_plan_text(Arc::clone(&text)).expect("pipeline");
        let slow = slow_path(&text).expect("slow path");
        assert_eq!(fast.digest, slow.digest);
        let addresses = |p: &Plan| {
            p.resource_changes
                .iter()
                .map(|rc| rc.address.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(addresses(&fast), addresses(&slow), "same order");
        assert_eq!(fast.output_changes.len(), slow.output_changes.len());
        assert_eq!(fast.resource_drift.len(), slow.resource_drift.len());
    }

    #[test]
    fn a_broken_change_in_a_big_plan_is_reported_at_its_place() {
        let mut text = crate::genplan::plan_string(1_200, 5);
        let at = text.find("\"actions\": [").expect("an actions list");
        text.replace_range(at..at + "\"actions\": [".len(), "\"actions\": 7, \"x\": [");
        let line = text[..at].matches('\n').count() + 1;
        let error = parse_plan_text(Arc::new(text)).expect_err("broken");
        let message = error.to_string();
        assert!(
            message.starts_with("in resource_changes: wrong type: invalid type: integer `7`"),
            "{message}"
        );
        assert!(
            message.contains(&format!("at line {line} column")),
            "{message}"
        );
    }
}
