//! Configuration text through the loader (`load_str`: parse, validate,
//! compile the risk rules), then what a loaded config is asked: the
//! environment of a root and its approval window.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plandeck::config::load_str;
use std::path::PathBuf;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let loaded = match load_str(text, PathBuf::from("config.toml")) {
        Ok(loaded) => loaded,
        Err(e) => {
            // Documented: a configuration problem is one line.
            let message = e.to_string();
            assert!(
                !message.contains('\n'),
                "a config error of two lines: {message:?}"
            );
            return;
        }
    };
    for root in ["prod/network", "stage", "envs/dev-eu", "a/b/c", ""] {
        let _ = loaded.config.environment_of(root);
    }
    for env in loaded.config.environments.values() {
        if let Some(window) = &env.window {
            let window = window.compile().expect("validated by load_str");
            for now in [0, 1_700_000_000, -86_400, i64::MAX / 2] {
                let _ = window.contains(now);
            }
        }
    }
});
