#!/usr/bin/env bash
# The workbench measured from outside, as a person runs it (issue 13: M1, M2, M5): the release
# binary in tmux at 200x60, a remote provider (the bench's loopback server, `archbench bench
# --serve`), its own home. Prints
#   M1  whole-process peak resident memory (VmHWM) at idle, no answer;
#   M5  wakeups a second while idle (context switches of every thread over 10 s);
#   M2  VmHWM and VmRSS after a TOKENS-token answer (default 100000) streamed and rendered.
# A benchmark, not a test: it waits in real time. Usage: scripts/bench-lean.sh [TOKENS]
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${1:-100000}
. scripts/bench-common.sh
serve "$tokens"

wait_for() {
  local deadline=$((SECONDS + ${2:-120}))
  until screen | grep -qF -- "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "never saw: $1" >&2; screen >&2; exit 1; }
    sleep 0.2
  done
}
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
switches() {
  cat /proc/"$pid"/task/*/status | awk '/ctxt_switches/ { n += $2 } END { print n }'
}

TERM=xterm-256color tmux -L "$socket" -f /dev/null new-session -d -x 200 -y 60 \
  "exec $bin --provider openai --base-url $url --model bench --outbox $work/outbox"
pid=$(tmux -L "$socket" display-message -p -t 0 '#{pane_pid}')
wait_for "No answer yet"
sleep 2
echo "M1 idle, no answer: VmHWM $(status VmHWM) kB, VmRSS $(status VmRSS) kB, threads $(status Threads)"
before=$(switches)
sleep 10
after=$(switches)
echo "M5 idle wakeups: $(( (after - before) / 10 )) a second ($((after - before)) context switches in 10 s)"

tmux -L "$socket" send-keys -t 0 -l "Design the data layer."
tmux -L "$socket" send-keys -t 0 C-s
wait_for "Decision:" 600
sleep 1
echo "M2 after a $tokens-token answer: VmHWM $(status VmHWM) kB, VmRSS $(status VmRSS) kB"
echo "Command: scripts/bench-lean.sh $tokens"
