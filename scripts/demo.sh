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
exec target/debug/archbench --brief examples/briefs/multi_tenant_bookstore.md "$@"
