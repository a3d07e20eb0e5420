#!/usr/bin/env bash
# The workbench beside aichat 0.30 (issue 13: M3, M4): the same generated markdown answer from
# the bench's loopback server (`archbench bench --serve`), shown in the same tmux terminal size
# (200x60), highlighting on in both. For each case, five runs of each program; the medians of
# CPU (user + system) and of peak memory are printed as a markdown table.
#   cases: 10k and 100k tokens at the unlimited rate (M3), 3k tokens at 100 tokens/s and 10k at
#   1,000 tokens/s (M4).
# aichat is installed from crates.io into the cache folder on first use. A benchmark, not a
# test: it waits in real time (about ten minutes). Usage: scripts/bench-side-by-side.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cache=${ARCHBENCH_BENCH_CACHE:-$HOME/.cache/archbench-bench}
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
if [ ! -x "$cache/aichat/bin/aichat" ]; then
  echo "installing aichat 0.30.0 into $cache/aichat" >&2
  cargo install --quiet --locked aichat --version 0.30.0 --root "$cache/aichat"
fi
aichat=$cache/aichat/bin/aichat
. scripts/bench-common.sh
mkdir -p "$work/aichat"
export AICHAT_CONFIG_DIR=$work/aichat
echo "Design the data layer." >"$work/brief.md"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# serve TOKENS [RATE], and aichat configured for it.
serve_both() {
  serve "$@"
  cat >"$work/aichat/config.yaml" <<YAML
model: bench:bench
stream: true
highlight: true
save: false
clients:
  - type: openai-compatible
    name: bench
    api_base: $url
    api_key: none
    models:
      - name: bench
        max_input_tokens: 1000000
YAML
}

runs_started=0
start() { # command, in a tmux server of its own (a killed server can still be exiting)
  tmux -L "$socket" kill-server 2>/dev/null || true
  runs_started=$((runs_started + 1))
  socket="archbench-side-$$-$runs_started"
  TERM=xterm-256color COLORTERM=truecolor tmux -L "$socket" -f /dev/null new-session -d -x 200 -y 60 "$1"
}

# aichat prints the answer and exits; the wrapper writes what it used.
aichat_once() {
  rm -f "$work/used"
  start "$bin bench --measure $work/used -- $aichat 'Design the data layer.'; sleep 600"
  until [ -s "$work/used" ]; do sleep 0.1; done
  cat "$work/used"
}

# The workbench runs the brief at start and stays: its CPU is read once the decision shows.
archbench_once() {
  start "exec $bin --provider openai --base-url $url --model bench --brief $work/brief.md --run --outbox $work/outbox"
  local pid deadline=$((SECONDS + 900))
  pid=$(tmux -L "$socket" display-message -p -t 0 '#{pane_pid}')
  until screen | grep -qF "Decision:"; do
    [ $SECONDS -lt $deadline ] || { echo "archbench never finished" >&2; exit 1; }
    sleep 0.1
  done
  local ticks hz
  ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  hz=$(getconf CLK_TCK)
  echo "$(awk -v t="$ticks" -v h="$hz" 'BEGIN { printf "%.3f", t / h }') $(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")"
}

echo "| stream | aichat CPU | archbench CPU | ratio | aichat peak | archbench peak |"
echo "|---|---|---|---|---|---|"
IFS=, read -r -a cases <<<"${CASES:-10000,100000,3000 100,10000 1000}"
for case in "${cases[@]}"; do
  read -r tokens rate <<<"$case"
  serve_both "$tokens" ${rate:+"$rate"}
  : >"$work/a" ; : >"$work/b"
  for _ in $(seq "$runs"); do
    aichat_once >>"$work/a"
    archbench_once >>"$work/b"
  done
  a_cpu=$(cut -d' ' -f1 "$work/a" | median); b_cpu=$(cut -d' ' -f1 "$work/b" | median)
  a_mem=$(cut -d' ' -f2 "$work/a" | median); b_mem=$(cut -d' ' -f2 "$work/b" | median)
  label="$tokens tokens${rate:+ at $rate tokens/s}"
  printf "| %s | %.2f s | %.2f s | %.2fx | %d MB | %d MB |\n" "$label" "$a_cpu" "$b_cpu" \
    "$(awk -v a="$a_cpu" -v b="$b_cpu" 'BEGIN { print b / a }')" $((a_mem / 1024)) $((b_mem / 1024))
done
echo "Command: scripts/bench-side-by-side.sh $runs (medians of $runs runs each)"
