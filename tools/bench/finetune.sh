#!/usr/bin/env bash
# Fine-tuning YAMNet's last blocks vs a head on frozen embeddings (issue 4's open question): dumps the
# log-mel patches `sori build` analyses (held-out split by recording, 4 augmentations per class clip), then
# tools/bench/finetune.py trains the same patch-level head with the last 1 or 2 blocks frozen or trainable.
# Usage (repo root): tools/bench/finetune.sh [OUT_DIR]   (~20 min on 2 cores; needs tools/.venv from
# tools/README.md, i.e. tensorflow-cpu 2.15.1; writes ~1.1 GB of patches to OUT_DIR, default a temp dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=../shared/corpus
[ -f "$corpus/manifest.tsv" ] || { echo "skip: $corpus/manifest.tsv absent"; exit 0; }
[ -x tools/.venv/bin/python ] || { echo "tools/.venv missing: see tools/README.md" >&2; exit 1; }
out=${1:-$(mktemp -d)}
[ $# -ge 1 ] || trap 'rm -rf "$out"' EXIT
cargo run --release --example dump_patches -- "$corpus" "$out" 4 >&2
tools/.venv/bin/python tools/bench/finetune.py "$out"
