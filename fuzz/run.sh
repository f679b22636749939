#!/usr/bin/env bash
# Fuzzes every parser of untrusted input, one target after another, each for
# SECONDS_PER_TARGET seconds (default 60), on one core. Seed corpora are built
# from tests/fixtures (and a few generated inputs) into fuzz/corpus/TARGET,
# which is kept between runs. Prints the executions of each target and exits
# non-zero when any target found a crash, a timeout or an out-of-memory
# (its input is in fuzz/artifacts/TARGET/, its log in fuzz/logs/TARGET.log).
#
# Environment: FUZZ_TARGETS="plan cost" runs only those; FUZZ_SANITIZER
# (default none: plandeck forbids unsafe code, and without AddressSanitizer
# a target runs several times faster; `address` for dependencies' unsafe).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac
sanitizer="${FUZZ_SANITIZER:-none}"
read -ra targets <<<"${FUZZ_TARGETS:-plan config codeowners audit cost unified_diff sanitize github}"

# cargo-fuzz needs nightly features; the stable toolchain allows them so.
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
export CARGO_TERM_COLOR=never
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

corpus=fuzz/corpus
seed() { # seed TARGET NAME < content
  mkdir -p "$corpus/$1"
  cat >"$corpus/$1/seed-$2"
}
seed_files() { # seed_files TARGET MAX_BYTES FILE...
  local target=$1 max=$2 f
  shift 2
  mkdir -p "$corpus/$target"
  for f in "$@"; do
    [ -f "$f" ] && [ "$(wc -c <"$f")" -le "$max" ] || continue
    cp "$f" "$corpus/$target/seed-$(basename "$f")"
  done
}

# plan: real plans, and plans followed by 0xff and a cost file.
fixtures=tests/fixtures/corpus
seed_files plan 65536 "$fixtures"/plans/*.json assets/sample/plan.json
{ cat assets/sample/plan.json; printf '\377'; cat assets/sample/infracost.json; } |
  seed plan sample-with-cost
{ cat assets/sample/plan.json; printf '\377'; cat "$fixtures"/cost/oiq-price-format-json-docs-example.json; } |
  seed plan sample-with-oiq

# github: artifact zips (first byte even) and review bodies (odd).
mkdir -p "$corpus/github"
python3 - "$corpus/github" <<'PY'
import io, sys, zipfile
out = sys.argv[1]
for name, files in [
    ("zip-plan", {"plan.json": open("assets/sample/plan.json", "rb").read()}),
    ("zip-all", {"plan.json": b"{}", "tfplan": b"PK", "infracost.json": b"{}"}),
]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in files.items():
            z.writestr(n, b)
    open(f"{out}/seed-{name}", "wb").write(b"\0" + buf.getvalue())
open(f"{out}/seed-review", "wb").write(
    b"\1plandeck: approve root=apps/web%20x digest=sha256:v2:ab\nplandeck-emergency: why\n\nok\n")
PY

# cost: Infracost and OpenInfraQuote files.
seed_files cost 65536 "$fixtures"/cost/*.json assets/sample/infracost.json

# config: the invalid fixtures, the example, and a few valid ones.
seed_files config 65536 tests/fixtures/config/*/*.toml config.example.toml
seed config windows <<'EOF'
[teams]
platform = ["ann@example.com", "bob@example.com"]

[environments.prod]
roots = ["envs/prod*", "prod/**"]
approvers = ["team:platform", "carol@example.com"]
required_approvals = 2
after = ["stage"]

[environments.prod.window]
days = ["mon", "tue", "wed", "thu"]
hours = "09:00-17:00"
time_zone = "Europe/Berlin"

[risk]
protected_addresses = ["module.db.*"]
data_bearing_types = ["aws_db_instance"]

[cost]
warn_monthly_delta = 10.0
critical_monthly_delta = 500.0

[display]
noise_attributes = ["tags_all"]
known_drift = ["aws_s3_bucket.logs*"]
EOF
seed config source <<'EOF'
[source]
request_pattern = "request/*"
base = "main"
roots = ["envs/*"]
remote = "origin"

[apply]
mode = "merge-then-apply"

[check]
fail_on = "high"
max_destructive = 3
EOF

# codeowners: files followed by 0xff and a path to look up.
{ printf '# owners\n*       @org/platform\n/envs/prod/ @org/sre ann@example.com\n'
  printf 'modules/**/db/ @dba\n*.tf @tf\ndocs/ \n[bad @x\n'
  printf '\377envs/prod/main.tf'; } | seed codeowners basic
printf '/apps/web @web\n!negated @x\n\\#escaped @y\n{a,b}/** @z\n' | seed codeowners globs

# audit: a well-formed chain of two entries (hashed as src/audit/record.rs
# defines), its head file after 0xff, and cut, edited and reordered copies.
audit_line() { # audit_line SEQ PREV AT AT_UTC ACTION DETAILS
  local body="{\"seq\":$1,\"prev\":\"$2\",\"at\":$3,\"at_utc\":\"$4\",\"who\":{\"name\":\"Ann\",\"email\":\"ann@example.com\"},\"action\":\"$5\",\"request\":\"request/x\",\"root\":\"envs/prod\",\"head\":\"0123abcd\",\"digest\":\"sha256:00ff\",\"comment\":null,\"details\":$6}"
  local hash
  hash="sha256:$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)"
  printf '%s,"hash":"%s"}\n' "${body%\}}" "$hash"
}
line1=$(audit_line 1 "" 1767225600 2026-01-01T00:00:00Z approve null)
hash1=$(printf '%s' "$line1" | sed 's/.*"hash":"\([^"]*\)"}$/\1/')
line2=$(audit_line 2 "$hash1" 1767229200 2026-01-01T01:00:00Z apply-failed '{"code":1}')
hash2=$(printf '%s' "$line2" | sed 's/.*"hash":"\([^"]*\)"}$/\1/')
printf '%s\n%s\n' "$line1" "$line2" | seed audit chain
{ printf '%s\n%s\n\377' "$line1" "$line2"; printf '{"seq":2,"hash":"%s"}\n' "$hash2"; } |
  seed audit chain-with-head
{ printf '%s\n\377' "$line1"; printf '{"seq":2,"hash":"%s"}\n' "$hash2"; } | seed audit removed-at-end
printf '%s\n%s' "$line1" "${line2:0:60}" | seed audit cut-short
printf '%s\n%s\n' "$line2" "$line1" | seed audit reordered
printf '%s\n' "$line1" | sed 's/"Ann"/"Eve"/' | seed audit edited

# unified_diff: git-style diffs of each kind the code view knows.
seed unified_diff git <<'EOF'
diff --git a/main.tf b/main.tf
index 70ac00b..a8756be 100644
--- a/main.tf
+++ b/main.tf
@@ -1,4 +1,5 @@ resource "aws_s3_bucket" "logs" {
 resource "aws_s3_bucket" "logs" {
-  bucket = "old"
+  bucket = "new"
+  tags   = { Team = "platform" }
 }
 
\ No newline at end of file
diff --git a/added.yaml b/added.yaml
new file mode 100644
--- /dev/null
+++ b/added.yaml
@@ -0,0 +1,2 @@
+key: value
+list: [1, 2]
diff --git a/gone.sh b/gone.sh
deleted file mode 100755
--- a/gone.sh
+++ /dev/null
@@ -1 +0,0 @@
-echo "$HOME"
diff --git a/logo.png b/logo.png
Binary files a/logo.png and b/logo.png differ
diff --git a/move.json b/moved.json
similarity index 90%
rename from move.json
rename to moved.json
diff --git "a/odd\033name.tf" "b/odd\033name.tf"
old mode 100644
new mode 100755
EOF
printf -- '--- a/x.md\n+++ b/x.md\n@@ -3 +3,2 @@\n-# Title\n+# \033[31mTitle\n+\t`code`\xe2\x80\xae\n' |
  seed unified_diff plain

# sanitize: text with every kind of character the sanitiser treats.
printf 'plain aws_s3_bucket.logs["eu"]' | seed sanitize plain
printf 'a\033[31mred\a\r\n\t"q"\\ \xc2\x9b \x7f' | seed sanitize controls
printf 'db\xe2\x80\xaeevil\xe2\x80\x8b\xef\xbb\xbf\xf3\xa0\x81\x81 <b>&amp;`|`</b>' | seed sanitize unicode

echo "fuzz: building the targets (sanitizer: $sanitizer)"
cargo fuzz build -s "$sanitizer"

mkdir -p fuzz/logs
max_len() {
  case "$1" in
    plan | cost) echo 65536 ;;
    codeowners) echo 2048 ;; # every line compiles a glob: keep inputs short
    *) echo 8192 ;;
  esac
}
failed=()
total=0
for target in "${targets[@]}"; do
  log="fuzz/logs/$target.log"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")"
    -print_final_stats=1)
  [ -f "fuzz/dict/$target.dict" ] && args+=(-dict="fuzz/dict/$target.dict")
  status=0
  cargo fuzz run -s "$sanitizer" "$target" -- "${args[@]}" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  runs=${runs:-0}
  total=$((total + runs))
  if [ "$status" -eq 0 ]; then
    printf 'fuzz: %-13s %12s executions in %ss: no crash\n' "$target" "$runs" "$seconds"
  else
    failed+=("$target")
    printf 'fuzz: %-13s %12s executions: FAILED (exit %s), log %s\n' "$target" "$runs" "$status" "$log"
    grep -E '^(==[0-9]+== ?ERROR|.*panicked at|SUMMARY:|artifact_prefix|Test unit written)' "$log" |
      head -n 12 | sed 's/^/    /' || true
  fi
done
printf 'fuzz: %s executions in all\n' "$total"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]} (reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run -s $sanitizer TARGET fuzz/artifacts/TARGET/FILE)" >&2
  exit 1
fi
