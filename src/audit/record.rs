//! The stored form of a record: one line of compact JSON, and its hash.
//!
//! # What is hashed
//!
//! `hash` is `sha256:` and the lowercase hex SHA-256 of the UTF-8 bytes of the
//! record serialised by serde_json as compact JSON (no whitespace), *without*
//! the `hash` field, with exactly these fields in this order:
//!
//! `seq, prev, at, at_utc, who {name, email[, provider, account]}, action,
//! request, root, head, digest, comment, details`
//!
//! `who.provider` and `who.account` are written only for a forge account
//! (a git identity is `{name, email}`, as before forges existed).
//!
//! An absent optional field is written as `null`, never left out. `details`
//! is serde_json's own rendering of the value (object keys sorted, as
//! serde_json's default map keeps them). The stored line is that same JSON
//! with `,"hash":"sha256:…"` inserted before the final `}`, plus `\n`: an
//! outside checker can cut the hash off the line and hash what remains.
//!
//! This module does no file I/O.

use super::{AuditAction, AuditEntry, AuditRecord};
use crate::domain::Identity;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A stored line starts with this: how a cut-short line is told from garbage.
pub(super) const LINE_START: &[u8] = b"{\"seq\":";

#[derive(Serialize)]
struct WhoRef<'a> {
    name: &'a str,
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    /// A forge account's login(s): who it was known as then.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    aliases: &'a [String],
}

/// The record as written; the field order is the hash definition.
#[derive(Serialize)]
struct WireRef<'a> {
    seq: u64,
    prev: &'a str,
    at: i64,
    at_utc: &'a str,
    who: WhoRef<'a>,
    action: AuditAction,
    request: &'a str,
    root: Option<&'a str>,
    head: Option<&'a str>,
    digest: Option<&'a str>,
    comment: Option<&'a str>,
    details: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhoOwned {
    name: String,
    email: String,
    #[serde(default)]
    provider: Option<crate::domain::Provider>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

/// The record as read. Unknown fields are refused: an added field would
/// otherwise change the meaning of a line without changing its hash.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WireOwned {
    seq: u64,
    prev: String,
    at: i64,
    at_utc: String,
    who: WhoOwned,
    action: AuditAction,
    request: String,
    root: Option<String>,
    head: Option<String>,
    digest: Option<String>,
    comment: Option<String>,
    details: Option<Value>,
    hash: String,
}

impl From<WireOwned> for AuditRecord {
    fn from(w: WireOwned) -> Self {
        let mut who = Identity::git(&w.who.name, &w.who.email);
        if let (Some(provider), Some(account)) = (w.who.provider, w.who.account) {
            who.provider = provider;
            who.account = Some(account);
            who.aliases = w.who.aliases;
        }
        let entry = AuditEntry {
            who,
            at: w.at,
            action: w.action,
            request: w.request,
            root: w.root,
            head: w.head,
            digest: w.digest,
            comment: w.comment,
            details: w.details,
        };
        Self {
            seq: w.seq,
            prev: w.prev,
            at_utc: w.at_utc,
            entry,
            hash: w.hash,
        }
    }
}

impl AuditRecord {
    fn wire<'a>(&'a self, hash: Option<&'a str>) -> WireRef<'a> {
        let e = &self.entry;
        WireRef {
            seq: self.seq,
            prev: &self.prev,
            at: e.at,
            at_utc: &self.at_utc,
            who: WhoRef {
                name: &e.who.name,
                email: &e.who.email,
                provider: e.who.is_account().then(|| e.who.provider.word()),
                account: e.who.account.as_deref().filter(|_| e.who.is_account()),
                aliases: if e.who.is_account() {
                    &e.who.aliases
                } else {
                    &[]
                },
            },
            action: e.action,
            request: &e.request,
            root: e.root.as_deref(),
            head: e.head.as_deref(),
            digest: e.digest.as_deref(),
            comment: e.comment.as_deref(),
            details: e.details.as_ref(),
            hash,
        }
    }

    /// The hash this record's content should have (see the module docs),
    /// whatever its `hash` field says.
    pub fn content_hash(&self) -> String {
        // Serialising plain strings, numbers and a `Value` cannot fail.
        let bytes = serde_json::to_vec(&self.wire(None)).unwrap_or_default();
        format!("sha256:{}", hex(&Sha256::digest(&bytes)))
    }

    /// Its content matches its `hash`.
    pub fn is_intact(&self) -> bool {
        self.content_hash() == self.hash
    }

    /// The stored line, `\n` included.
    pub(super) fn to_line(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut line = serde_json::to_vec(&self.wire(Some(&self.hash)))?;
        line.push(b'\n');
        Ok(line)
    }
}

/// Records serialise as their stored line: the JSON output is the log itself.
impl Serialize for AuditRecord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.wire(Some(&self.hash)).serialize(s)
    }
}

/// The line (without its `\n`) is exactly what the writer wrote for this
/// record: JSON that parses the same but differs in whitespace, key order or
/// escapes was edited by hand, though its content still hashes the same.
pub(super) fn is_canonical(record: &AuditRecord, line: &[u8]) -> bool {
    record
        .to_line()
        .is_ok_and(|l| l.strip_suffix(b"\n") == Some(line))
}

/// Parses one line (without its `\n`); the error is a one-line cause.
pub(super) fn parse_line(line: &[u8]) -> Result<AuditRecord, String> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err("empty line".into());
    }
    serde_json::from_slice::<WireOwned>(line)
        .map(AuditRecord::from)
        .map_err(|e| format!("not an audit entry: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
