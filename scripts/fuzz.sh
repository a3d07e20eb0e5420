#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 60 s each; FUZZ_SECONDS to change), after
# installing cargo-fuzz when missing. Targets: sse, decision, role, markdown, config, audit (or name some).
# cargo-fuzz asks for a nightly compiler; RUSTC_BOOTSTRAP lets the stable one accept its flags.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sse decision role markdown config audit)
mkdir -p fuzz/logs
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  log="fuzz/logs/$target.log"
  echo "fuzz: $target for ${seconds}s (log: $log)" >&2
  if ! cargo fuzz run "$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    grep -E 'panicked|SUMMARY|==[0-9]+==ERROR' "$log" | head -5 >&2 || true
    echo "fuzz: $target FAILED; the crashing input is under fuzz/artifacts/$target/, the whole run in $log" >&2
    exit 1
  fi
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+' || true)
  echo "fuzz: $target: ${runs:-?} inputs in ${seconds}s, ${cov:-cov: ?}, corpus $(ls "fuzz/corpus/$target" | wc -l) files, no crash" >&2
done
echo "fuzz: every target ran ${seconds}s without a crash" >&2
