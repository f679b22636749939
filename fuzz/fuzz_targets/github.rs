//! What GitHub hands plandeck that anyone can shape: a plan artifact's zip
//! (read within small limits here) and a review body (its machine line).
//! The first byte chooses which. Nothing may panic; a body that parses
//! must write back to a body that parses to the same decision. The text is
//! also taken as a pull request's `html_url`: one that may go to a browser
//! is plain http(s), printable ASCII only.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plandeck::source::github::{artifact, reviews};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    if which % 2 == 0 {
        if let Ok(files) = artifact::read_within(rest, "fuzz", 1 << 20, 1 << 20) {
            assert!(files.plan_json.len() <= 1 << 20);
        }
        return;
    }
    let Ok(body) = std::str::from_utf8(rest) else {
        return;
    };
    if plandeck::domain::is_web_url(body) {
        assert!(body.starts_with("https://") || body.starts_with("http://"));
        assert!(body.bytes().all(|b| b.is_ascii_graphic()));
    }
    if let Some((kind, root, digest, _, _)) = reviews::parse_body(body) {
        let decision = plandeck::domain::Decision {
            kind,
            request: "pull/1".into(),
            root: root.clone(),
            head: String::new(),
            digest: digest.clone(),
            who: plandeck::domain::Identity::git("f", "f@x"),
            at: 0,
            comment: None,
            viewed_destructive: Vec::new(),
            emergency: None,
            audit: None,
            attested: None,
            check: None,
        };
        let again = reviews::parse_body(&reviews::review_body(&decision)).expect("round trip");
        assert_eq!((again.0, again.1, again.2), (kind, root, digest));
    }
});
