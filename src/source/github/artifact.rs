//! A plan artifact's zip, read without trusting it: `plan.json` (required),
//! the binary plan (`tfplan` or `plan.tfplan`) and a cost file (`cost.json`,
//! or Infracost's / OpenInfraQuote's under their usual names), each found
//! at the top of the archive. Every entry is read through a size limit, so
//! a zip bomb fails with a message instead of filling the disk or memory;
//! nothing is written anywhere here.

use crate::backend::BackendError;
use std::io::Read;

/// A plan JSON larger than this is refused (the biggest real plans are a
/// few hundred MB).
pub const MAX_PLAN_BYTES: u64 = 1 << 30;
/// Binary plans and cost files are smaller still.
pub const MAX_OTHER_BYTES: u64 = 512 << 20;

const PLAN_NAMES: [&str; 1] = ["plan.json"];
const PLAN_FILE_NAMES: [&str; 2] = ["tfplan", "plan.tfplan"];
const COST_NAMES: [&str; 4] = [
    "cost.json",
    "infracost.json",
    "openinfraquote.json",
    "oiq.json",
];

/// What a plan artifact holds.
#[derive(Debug, Default)]
pub struct ArtifactFiles {
    pub plan_json: Vec<u8>,
    pub plan_file: Option<Vec<u8>>,
    pub cost_json: Option<Vec<u8>>,
}

/// Reads the files of a plan artifact's zip named `what` (for messages).
pub fn read(zip_bytes: &[u8], what: &str) -> Result<ArtifactFiles, BackendError> {
    read_within(zip_bytes, what, MAX_PLAN_BYTES, MAX_OTHER_BYTES)
}

/// [`read`] with other limits for the plan and the other parts.
pub fn read_within(
    zip_bytes: &[u8],
    what: &str,
    max_plan: u64,
    max_other: u64,
) -> Result<ArtifactFiles, BackendError> {
    let bad = |message: String| BackendError::Parse(format!("{what}: {message}"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes))
        .map_err(|e| bad(format!("not a zip archive ({e})")))?;
    let mut plan_json = None;
    let mut plan_file = None;
    let mut cost_json = None;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| bad(format!("entry {index}: {e}")))?;
        if !entry.is_file() {
            continue;
        }
        // Only names at the top: `dir/plan.json` or `../plan.json` is not ours.
        let name = entry
            .name()
            .map_err(|e| bad(format!("entry {index}: {e}")))?
            .to_string();
        let (slot, limit) = if PLAN_NAMES.contains(&name.as_str()) {
            (&mut plan_json, max_plan)
        } else if PLAN_FILE_NAMES.contains(&name.as_str()) {
            (&mut plan_file, max_other)
        } else if COST_NAMES.contains(&name.as_str()) {
            (&mut cost_json, max_other)
        } else {
            continue;
        };
        if slot.is_some() {
            return Err(bad(format!("holds two files for one part ({name:?})")));
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        if bytes.len() as u64 > limit {
            return Err(bad(format!("{name} is larger than {} MiB", limit >> 20)));
        }
        *slot = Some(bytes);
    }
    let plan_json = plan_json.ok_or_else(|| bad("has no plan.json at its top".into()))?;
    Ok(ArtifactFiles {
        plan_json,
        plan_file,
        cost_json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in files {
            out.start_file(*name, options).expect("entry");
            out.write_all(bytes).expect("write");
        }
        out.finish().expect("zip").into_inner()
    }

    #[test]
    fn the_parts_are_found_by_name_at_the_top() {
        let bytes = zip_of(&[
            ("plan.json", b"{}"),
            ("tfplan", b"PK-binary"),
            ("infracost.json", b"{\"x\":1}"),
            ("nested/plan.json", b"ignored"),
            ("README", b"ignored"),
        ]);
        let files = read(&bytes, "artifact").expect("reads");
        assert_eq!(files.plan_json, b"{}");
        assert_eq!(files.plan_file.as_deref(), Some(&b"PK-binary"[..]));
        assert_eq!(files.cost_json.as_deref(), Some(&b"{\"x\":1}"[..]));
    }

    #[test]
    fn what_is_not_a_plan_artifact_is_refused_in_one_line() {
        let cases: [(Vec<u8>, &str); 4] = [
            (b"not a zip".to_vec(), "not a zip archive"),
            (zip_of(&[("cost.json", b"{}")]), "has no plan.json"),
            (zip_of(&[("dir/plan.json", b"{}")]), "has no plan.json"),
            (
                zip_of(&[("cost.json", b"{}"), ("infracost.json", b"{}")]),
                "two files for one part",
            ),
        ];
        for (bytes, expected) in cases {
            let error = read(&bytes, "artifact plandeck-plan-x").expect_err("refused");
            let text = error.to_string();
            assert!(text.contains(expected), "{text}");
            assert!(text.starts_with("artifact plandeck-plan-x: "), "{text}");
            assert!(!text.contains('\n'), "{text}");
        }
    }

    #[test]
    fn a_zip_bomb_stops_at_the_limit() {
        // 6 MiB of zeros compress to a few KiB; the limits are 4 MiB here.
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        out.start_file("plan.json", options).expect("entry");
        out.start_file("cost.json", options).expect("entry");
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..6 {
            out.write_all(&zeros).expect("write");
        }
        let bytes = out.finish().expect("zip").into_inner();
        assert!(bytes.len() < 64 << 10, "{}", bytes.len());
        let error = read_within(&bytes, "artifact", 4 << 20, 4 << 20).expect_err("refused");
        assert!(
            error.to_string().contains("cost.json is larger than 4 MiB"),
            "{error}"
        );
        let files = read_within(&bytes, "artifact", 4 << 20, 8 << 20).expect("fits");
        assert_eq!(files.cost_json.map(|c| c.len()), Some(6 << 20));
    }
}
