#!/usr/bin/env bash
# Evaluation report: `sori eval --json` on the held-out split under 7 conditions -> robustness table
# (markdown, stdout) + docs/img/confusion.png and docs/img/open_set.png (clean condition).
# Usage (repo root): tools/bench/eval_report.sh [INDEX]   (default: assets/default.idx; a few minutes on 2 cores)
# matplotlib comes from PyPI into .tools/bench-venv (git-ignored), created on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=../shared/corpus; venv=.tools/bench-venv
conditions=clean,pink20,pink10,pink5,phone,gain-20,gain+6
[ -f "$corpus/manifest.tsv" ] || { echo "skip: $corpus/manifest.tsv absent"; exit 0; }
if ! "$venv/bin/python" -c "import matplotlib, numpy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q matplotlib >&2
fi
cargo build --release --bin sori >&2
index_args=(); [ $# -ge 1 ] && index_args=(--index "$1")
json=$(mktemp); trap 'rm -f "$json"' EXIT
target/release/sori eval --manifest "$corpus/manifest.tsv" "${index_args[@]}" \
  --conditions "$conditions" --json >"$json"
"$venv/bin/python" tools/bench/plots.py "$json" --out-dir docs/img
