//! Reading the last line of the log backwards, so an append costs the same
//! however long the log is. It only reads; judging the line is the caller's.

use super::MAX_LINE_BYTES;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// Tail reads go backwards in chunks of this size.
const TAIL_CHUNK: u64 = 16 * 1024;

/// The end of the log as an append sees it.
pub(super) enum Tail {
    Empty,
    Unterminated,
    TooLong,
    /// The last line, without its `\n`.
    Line(Vec<u8>),
}

/// Reads the last line backwards in chunks, so an append costs the same
/// however long the log is.
pub(super) fn last_line(file: &mut File) -> io::Result<Tail> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(Tail::Empty);
    }
    let mut last = [0u8];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] != b'\n' {
        return Ok(Tail::Unterminated);
    }
    let mut pos = len - 1;
    let mut line: Vec<u8> = Vec::new();
    while pos > 0 {
        if line.len() > MAX_LINE_BYTES {
            return Ok(Tail::TooLong);
        }
        let step = TAIL_CHUNK.min(pos);
        pos -= step;
        let mut chunk = vec![0u8; usize::try_from(step).unwrap_or(0)];
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            chunk.drain(..=i);
            chunk.append(&mut line);
            return Ok(Tail::Line(chunk));
        }
        chunk.append(&mut line);
        line = chunk;
    }
    Ok(Tail::Line(line))
}
