#!/usr/bin/env bash
# The quick start: installs what is missing, fetches the local model, builds, and opens the
# workbench on a sample brief with the database architect role and the embedded model.
# Ctrl-S runs the agent, F1 lists every key.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
scripts/fetch-model.sh
cargo build --bin archbench
# The 135M demo model often answers this long brief in a few words; with seed 2 it writes a full,
# structured answer, which shows the live rendering. Any other flag or seed can follow.
exec target/debug/archbench --brief examples/briefs/multi_tenant_bookstore.md --seed 2 "$@"
