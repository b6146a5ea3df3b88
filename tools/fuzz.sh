#!/usr/bin/env bash
# Bounded fuzz runs of the index reader (`Index::from_bytes`, fuzz/fuzz_targets/index_reader.rs)
# and of the taught-sound pack reader (`Pack::from_bytes`, fuzz/fuzz_targets/pack_reader.rs), one
# after the other, each with the given bounds.
# Installs cargo-fuzz from crates.io if it is missing. Only stable rustc is available, so the
# sanitizer build uses RUSTC_BOOTSTRAP=1; if the address sanitizer cannot build, it retries
# with `-s none`. Seeds the corpus with the golden tiny index (and assets/default.idx if present).
#
#   tools/fuzz.sh               20000 runs, at most 60 s, per target
#   tools/fuzz.sh RUNS SECONDS  e.g. tools/fuzz.sh -1 30  (-1 runs = unlimited, time-bounded)
#   FUZZ_TARGETS=pack_reader tools/fuzz.sh   one target only
#
# Exits non-zero if the fuzzer finds a crash (the input is kept in fuzz/artifacts/<target>/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-20000}"
SECONDS_MAX="${2:-60}"
CARGO_FUZZ_VERSION="0.13.2"
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "[fuzz] installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

ARGS=(-runs="$RUNS" -max_total_time="$SECONDS_MAX" -max_len=65536 -rss_limit_mb=2048)
for TARGET in ${FUZZ_TARGETS:-index_reader pack_reader}; do
    CORPUS="fuzz/corpus/$TARGET"
    mkdir -p "$CORPUS"
    case "$TARGET" in
        index_reader) SEEDS=(tests/golden/tiny.idx assets/default.idx) ;;
        *) SEEDS=(tests/golden/tiny.pack) ;;
    esac
    for seed in "${SEEDS[@]}"; do
        [[ -f "$seed" ]] && cp "$seed" "$CORPUS/seed-$(basename "$seed")"
    done
    start=$(date +%s)
    if ! cargo fuzz build "$TARGET" >/dev/null 2>&1; then
        echo "[fuzz] sanitizer build failed, using -s none" >&2
        SAN=(-s none)
    else
        SAN=()
    fi
    cargo fuzz run "${SAN[@]}" "$TARGET" "$CORPUS" -- "${ARGS[@]}"
    echo "[fuzz] $TARGET: ${RUNS} runs / ${SECONDS_MAX}s cap finished in $(( $(date +%s) - start ))s" >&2
done
