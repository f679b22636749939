//! The head file: the last entry's `seq` and `hash`, kept beside the log
//! (its name plus `.head`) and replaced atomically after every append. The
//! chain alone cannot show entries removed from the end; comparing the log
//! with its head file can.
//!
//! The head is written after the entry is durable, so after a crash between
//! the two the log may be one entry *ahead* of its head: that is allowed
//! (the head's entry must still be in the log, unchanged). A log *behind*
//! its head has lost entries. A missing head file (a log older than this
//! file) is not checked.

use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

/// The head file of the log at `log`.
pub fn path_of(log: &Path) -> PathBuf {
    let mut name = log.to_path_buf().into_os_string();
    name.push(".head");
    PathBuf::from(name)
}

/// The head, `None` when there is no head file; the error is one line.
pub fn read(path: &Path) -> Result<Option<Head>, String> {
    match fs::read(path) {
        Ok(bytes) => parse(&bytes)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: cannot read: {e}", path.display())),
    }
}

/// Parses a head file's bytes; the error is one line.
pub fn parse(bytes: &[u8]) -> Result<Head, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not a head file: {e}"))
}

/// Writes the head to a temporary file, syncs it and renames it over the
/// old one, so a reader sees the old head or the new one, never half.
pub fn write(path: &Path, head: &Head) -> io::Result<()> {
    let mut tmp = path.to_path_buf().into_os_string();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut line = serde_json::to_vec(head).map_err(io::Error::other)?;
    line.push(b'\n');
    let result = File::create(&tmp)
        .and_then(|mut f| f.write_all(&line).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
