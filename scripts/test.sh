#!/usr/bin/env bash
# Every check and test, as CI runs them: installs what is missing, fetches the local model for the
# real-model tests, then format, lints and the whole test suite (one build shared by all tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
scripts/fetch-model.sh
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --all-targets --locked
