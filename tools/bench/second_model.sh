#!/usr/bin/env bash
# Would a second pretrained embedding (aiSFX, CC BY 4.0, from the PyPI wheel aisfx==0.1.2) close issue 4's
# accuracy gap? Dumps YAMNet clip evidence, runs aiSFX in numpy on the same clips, and compares
# cross-validated heads on each and on both (see tools/bench/second_model.py).
# Usage (repo root): tools/bench/second_model.sh [OUT_DIR]   (~10 min on 2 cores; creates tools/.venv-bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=../shared/corpus
[ -f "$corpus/manifest.tsv" ] || { echo "skip: $corpus/manifest.tsv absent"; exit 0; }
venv=tools/.venv-bench
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy==2.4.6 scipy==1.17.1 scikit-learn==1.9.1 librosa==0.11.0 soundfile==0.14.0
fi
wheel_sha=bfe219950715af179e9a1653e7117cc1852baef267cd6596c42cad74afe1d194
cache=$venv/cache
wheel=$cache/aisfx-0.1.2-py2.py3-none-any.whl
[ -f "$wheel" ] || "$venv/bin/pip" download -q --no-deps -d "$cache" aisfx==0.1.2
echo "$wheel_sha  $wheel" | sha256sum -c --quiet
[ -f "$cache/aisfx/models/checkpoint.pth" ] || (cd "$cache" && unzip -q -o "$(basename "$wheel")" 'aisfx/models/checkpoint.pth')
out=${1:-$(mktemp -d)}
[ $# -ge 1 ] || trap 'rm -rf "$out"' EXIT
cargo run --release --example dump_embeddings -- "$corpus" "$out" >&2
"$venv/bin/python" tools/bench/second_model.py "$corpus" "$out" "$cache/aisfx/models/checkpoint.pth"
