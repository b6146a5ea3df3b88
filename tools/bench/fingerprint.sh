#!/usr/bin/env bash
# Exact-fingerprint identification benchmark: Sori (examples/fingerprint_id.rs) and, when `fpcalc` is
# installed (Debian libchromaprint-tools), Chromaprint on the same queries (tools/bench/fpcalc_id.py).
# Usage (repo root): tools/bench/fingerprint.sh [QUERIES_PER_CELL]   (default 200; about 3-4 min on 2 cores)
# Query and reference WAVs are cut from corpus audio: they go to $B6FP_DIR (default /tmp/sori-fpbench),
# outside the repository, and are deleted at the end unless KEEP_WAVS=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200}; corpus=../shared/corpus; dir=${B6FP_DIR:-/tmp/sori-fpbench}
[ -f "$corpus/manifest.tsv" ] || { echo "skip: $corpus/manifest.tsv absent"; exit 0; }
case "$(realpath -m "$dir")" in "$(pwd)"/*) echo "refusing to write corpus audio inside the repo: $dir"; exit 1;; esac
cargo build --release --example fingerprint_id >&2
have_fpcalc=0; command -v fpcalc >/dev/null && have_fpcalc=1
rm -rf "$dir/wav"; mkdir -p "$dir"
[ "${KEEP_WAVS:-0}" = 1 ] || trap 'rm -rf "$dir/wav"' EXIT
wav_args=(); [ "$have_fpcalc" = 1 ] && wav_args=(--wav-dir "$dir/wav")
echo "## Sori"; echo
target/release/examples/fingerprint_id "$corpus" --per-cell "$n" "${wav_args[@]}" 2>"$dir/sori.log"
echo
if [ "$have_fpcalc" = 1 ]; then
  echo "## fpcalc"; echo
  python3 tools/bench/fpcalc_id.py "$dir/wav" 2>"$dir/fpcalc.log"
else
  echo "(fpcalc not installed: apt-get install -y libchromaprint-tools, then re-run for the Chromaprint table)"
fi
