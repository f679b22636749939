//! A CODEOWNERS file (optionally followed by `0xff` and a path) parsed, then
//! asked for the owners of that path and of a few fixed ones.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plandeck::review::CodeOwners;
use plandeck_fuzz::split_ff;

fuzz_target!(|data: &[u8]| {
    let (file, path) = split_ff(data);
    let Ok(text) = std::str::from_utf8(file) else {
        return;
    };
    let owners = CodeOwners::parse(text);
    let path = path.map(String::from_utf8_lossy);
    let fixed = [
        "main.tf",
        "envs/prod/main.tf",
        "modules/db/",
        ".github/CODEOWNERS",
        "",
    ];
    for p in path.as_deref().into_iter().chain(fixed) {
        let _ = owners.owners_of(p);
    }
});
