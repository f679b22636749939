//! Canonical JSON for the digest: object keys sorted, no whitespace,
//! strings in serde_json's escaping, numbers as written. The same scan
//! bounds the nesting depth of every value ([`MAX_VALUE_DEPTH`]), so a
//! hostile document is refused instead of overflowing a stack. This module
//! only writes bytes; what is hashed, and in which order, is `digest`'s.

use super::digest::{DigestError, MAX_VALUE_DEPTH};

pub(super) fn write_string(s: &str, buf: &mut Vec<u8>) {
    // serde_json's escaping is deterministic, hence canonical.
    let _ = serde_json::to_writer(&mut *buf, s);
}

/// Writes the canonical form of one JSON value (already validated by serde).
pub(super) fn write_canonical(
    text: &str,
    buf: &mut Vec<u8>,
    context: &dyn Fn() -> String,
) -> Result<(), DigestError> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
    };
    scanner.value(buf, 0).map_err(|kind| match kind {
        ScanError::TooDeep => DigestError::TooDeep(context()),
        ScanError::Malformed => DigestError::Malformed(context()),
    })
}

enum ScanError {
    TooDeep,
    Malformed,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), ScanError> {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(ScanError::Malformed)
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) -> Result<(), ScanError> {
        if depth > MAX_VALUE_DEPTH {
            return Err(ScanError::TooDeep);
        }
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(out, depth),
            Some(b'[') => self.array(out, depth),
            Some(b'"') => {
                let (start, end) = self.string_span()?;
                write_canonical_string(&self.bytes[start..end], out)
            }
            Some(_) => {
                let start = self.pos;
                while let Some(b) = self.bytes.get(self.pos) {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                        break;
                    }
                    self.pos += 1;
                }
                out.extend_from_slice(&self.bytes[start..self.pos]);
                Ok(())
            }
            None => Err(ScanError::Malformed),
        }
    }

    /// Returns the span of a string literal including its quotes.
    fn string_span(&mut self) -> Result<(usize, usize), ScanError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            let rest = self.bytes.get(self.pos..).ok_or(ScanError::Malformed)?;
            let i = memchr::memchr2(b'"', b'\\', rest).ok_or(ScanError::Malformed)?;
            if rest[i] == b'"' {
                self.pos += i + 1;
                return Ok((start, self.pos));
            }
            self.pos += i + 2;
        }
    }

    fn array(&mut self, out: &mut Vec<u8>, depth: usize) -> Result<(), ScanError> {
        self.pos += 1;
        out.push(b'[');
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            out.push(b']');
            return Ok(());
        }
        loop {
            self.value(out, depth + 1)?;
            if self.separator_or_close(out, b']')? {
                return Ok(());
            }
        }
    }

    /// After a member: writes a `,` (more follow, `false`) or `close` (the
    /// container ends, `true`); anything else is malformed.
    fn separator_or_close(&mut self, out: &mut Vec<u8>, close: u8) -> Result<bool, ScanError> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                out.push(b',');
                Ok(false)
            }
            Some(&b) if b == close => {
                self.pos += 1;
                out.push(close);
                Ok(true)
            }
            _ => Err(ScanError::Malformed),
        }
    }

    /// Writes an object. Terraform writes keys sorted, so members are first
    /// written in place; only an object whose keys are out of order is
    /// scanned again and sorted.
    fn object(&mut self, out: &mut Vec<u8>, depth: usize) -> Result<(), ScanError> {
        let (start_pos, start_len) = (self.pos, out.len());
        if self.object_in_order(out, depth)? {
            return Ok(());
        }
        self.pos = start_pos;
        out.truncate(start_len);
        self.object_sorted(out, depth)
    }

    /// Returns `false` (with partial output) at the first key out of order.
    fn object_in_order(&mut self, out: &mut Vec<u8>, depth: usize) -> Result<bool, ScanError> {
        self.pos += 1;
        out.push(b'{');
        let mut previous_key: Option<(usize, usize)> = None;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            out.push(b'}');
            return Ok(true);
        }
        loop {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(ScanError::Malformed);
            }
            let (start, end) = self.string_span()?;
            let key_start = out.len();
            write_canonical_string(&self.bytes[start..end], out)?;
            let key = (key_start, out.len());
            if let Some((a, b)) = previous_key {
                if out[a..b] >= out[key.0..key.1] {
                    return Ok(false);
                }
            }
            previous_key = Some(key);
            self.expect(b':')?;
            out.push(b':');
            self.value(out, depth + 1)?;
            if self.separator_or_close(out, b'}')? {
                return Ok(true);
            }
        }
    }

    fn object_sorted(&mut self, out: &mut Vec<u8>, depth: usize) -> Result<(), ScanError> {
        self.pos += 1;
        // Members are canonicalised one by one, then emitted in key order.
        let mut members: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            out.extend_from_slice(b"{}");
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(ScanError::Malformed);
            }
            let (start, end) = self.string_span()?;
            let mut key = Vec::with_capacity(end - start);
            write_canonical_string(&self.bytes[start..end], &mut key)?;
            self.expect(b':')?;
            let mut value = Vec::new();
            self.value(&mut value, depth + 1)?;
            members.push((key, value));
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(ScanError::Malformed),
            }
        }
        members.sort_by(|a, b| a.0.cmp(&b.0));
        out.push(b'{');
        for (i, (key, value)) in members.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            out.push(b':');
            out.extend_from_slice(value);
        }
        out.push(b'}');
        Ok(())
    }
}

/// A string literal in canonical escaping: copied when its escapes are
/// already the ones serde_json writes (`\"`, `\\`, `\n`, `\t`, `\r`, `\b`,
/// `\f`; valid JSON has no raw control characters), re-encoded otherwise.
fn write_canonical_string(literal: &[u8], out: &mut Vec<u8>) -> Result<(), ScanError> {
    if escapes_are_canonical(literal) {
        out.extend_from_slice(literal);
        return Ok(());
    }
    let decoded: String = serde_json::from_slice(literal).map_err(|_| ScanError::Malformed)?;
    write_string(&decoded, out);
    Ok(())
}

fn escapes_are_canonical(literal: &[u8]) -> bool {
    let mut rest = literal;
    while let Some(i) = memchr::memchr(b'\\', rest) {
        match rest.get(i + 1) {
            Some(b'"' | b'\\' | b'n' | b't' | b'r' | b'b' | b'f') => rest = &rest[i + 2..],
            _ => return false,
        }
    }
    true
}
