//! `display.theme = "auto"`: asks the terminal for its background colour
//! (OSC 11, `ESC ] 11 ; ? ESC \`) and picks the light palette on a light
//! background. A Device Attributes query (`ESC [ c`) follows it: every
//! terminal answers that one, and in order, so a terminal that ignores
//! OSC 11 is known at once instead of after the timeout. The replies are
//! read from the terminal in raw mode; nothing else is consumed after the
//! DA reply, and at most `timeout` is spent.

use super::Palette;
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use std::io::Write;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

/// How long plandeck waits for a terminal that answers nothing.
pub const TIMEOUT: Duration = Duration::from_millis(150);

const QUERY: &[u8] = b"\x1b]11;?\x1b\\\x1b[c";

/// Asks the terminal on `output` and reads its answer from `input` (raw
/// mode: the answer is not echoed and arrives byte by byte).
pub fn query(input: impl AsFd, output: &mut dyn Write, timeout: Duration) -> Option<Palette> {
    output.write_all(QUERY).ok()?;
    output.flush().ok()?;
    let reply = read_reply(input.as_fd(), timeout);
    palette_of(&reply)
}

/// Reads until the Device Attributes reply ends (`ESC [ ? … c`), 512
/// bytes, or the timeout.
fn read_reply(input: std::os::fd::BorrowedFd<'_>, timeout: Duration) -> Vec<u8> {
    let deadline = Instant::now() + timeout;
    let mut reply = Vec::new();
    let mut buf = [0u8; 1];
    while reply.len() < 512 && !da_reply_ended(&reply) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let wait = Timespec {
            tv_sec: i64::try_from(left.as_secs()).unwrap_or(0),
            tv_nsec: i64::from(left.subsec_nanos()),
        };
        let mut fds = [PollFd::new(&input, PollFlags::IN)];
        match poll(&mut fds, Some(&wait)) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        // One byte at a time (the replies are a few dozen bytes), so a key
        // typed after the DA reply stays for the UI.
        match rustix::io::read(input, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
        }
    }
    reply
}

fn da_reply_ended(reply: &[u8]) -> bool {
    reply
        .windows(3)
        .position(|w| w == b"\x1b[?")
        .is_some_and(|at| reply[at..].contains(&b'c'))
}

/// The palette for the background in an OSC 11 reply
/// (`ESC ] 11 ; rgb:RRRR/GGGG/BBBB` ended by BEL or `ESC \`), if any.
pub fn palette_of(reply: &[u8]) -> Option<Palette> {
    let text = std::str::from_utf8(reply).ok()?;
    let start = text.find("\x1b]11;")? + 5;
    let body = &text[start..];
    let end = body.find(['\x07', '\x1b'])?;
    let (r, g, b) = parse_rgb(&body[..end])?;
    // Relative luminance (sRGB weights) of the background.
    let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    Some(if luminance > 0.5 {
        Palette::Light
    } else {
        Palette::Dark
    })
}

/// `rgb:R/G/B` with 1 to 4 hex digits per channel (X11 colour syntax),
/// each channel scaled to 0..=1.
fn parse_rgb(text: &str) -> Option<(f64, f64, f64)> {
    let channels: Vec<f64> = text
        .strip_prefix("rgb:")?
        .split('/')
        .map(|c| {
            if c.is_empty() || c.len() > 4 {
                return None;
            }
            let value = u32::from_str_radix(c, 16).ok()?;
            let max = (1u32 << (4 * c.len() as u32)) - 1;
            Some(f64::from(value) / f64::from(max))
        })
        .collect::<Option<_>>()?;
    match channels[..] {
        [r, g, b] => Some((r, g, b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_of_real_terminals_give_their_palette() {
        // xterm (ST), rxvt (BEL), two-digit channels, and a DA reply after.
        let cases: [(&[u8], Option<Palette>); 6] = [
            (
                b"\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[?62;22c",
                Some(Palette::Light),
            ),
            (b"\x1b]11;rgb:0000/0000/0000\x07", Some(Palette::Dark)),
            (b"\x1b]11;rgb:fd/f6/e3\x1b\\", Some(Palette::Light)),
            (b"\x1b]11;rgb:1e1e/1e1e/2e2e\x1b\\", Some(Palette::Dark)),
            (b"\x1b[?62;22c", None),
            (b"\x1b]11;rgb:zz/00/00\x07", None),
        ];
        for (reply, want) in cases {
            assert_eq!(
                palette_of(reply),
                want,
                "{:?}",
                String::from_utf8_lossy(reply)
            );
        }
    }

    #[test]
    fn a_terminal_that_answers_is_read_and_one_that_does_not_times_out() {
        let (read, write) = rustix::pipe::pipe().expect("pipe");
        let mut terminal = std::fs::File::from(write);
        // The "terminal" answers OSC 11 and DA, then the user types `j`.
        terminal
            .write_all(b"\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[?62c")
            .expect("write");
        terminal.write_all(b"j").expect("write");
        let mut sent = Vec::new();
        assert_eq!(query(&read, &mut sent, TIMEOUT), Some(Palette::Light));
        assert_eq!(sent, QUERY, "asked OSC 11 then DA");
        let mut rest = [0u8; 4];
        let n = rustix::io::read(&read, &mut rest).expect("read");
        assert_eq!(&rest[..n], b"j", "the key typed after the reply is left");
        // Silence: no palette, within about the timeout.
        let started = Instant::now();
        assert_eq!(
            query(&read, &mut Vec::new(), Duration::from_millis(50)),
            None
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        // A terminal that only answers DA: known at once.
        terminal.write_all(b"\x1b[?1;2c").expect("write");
        let started = Instant::now();
        assert_eq!(query(&read, &mut Vec::new(), Duration::from_secs(5)), None);
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "did not wait for the timeout"
        );
    }
}
