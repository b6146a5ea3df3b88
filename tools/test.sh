#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing (tools/setup.sh --test), then
#   1. formatting and clippy on the native and wasm32 targets
#   2. native tests (cargo test: unit, integration, doc tests; release-mode for model-heavy ones)
#   3. wasm-bindgen-test in headless Chromium (wasm vs native features)
#   4. the release site (trunk build --release) and end-to-end tests in headless Chromium, then the same
#      build in Firefox ESR (headless) and WebKitGTK (under Xvfb) over WebDriver, one browser at a time
#   5. bounded fuzz runs of the index reader and the taught-sound pack reader
# Prints a final "N passed, N failed" line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
tools/setup.sh --test
source tools/env.sh
export CARGO_TERM_COLOR=never

passed=0
failed=0
failures=()
stage() {
    local name="$1"; shift
    local t0=$SECONDS
    echo "::: $name"
    if "$@"; then
        passed=$((passed + 1)); echo "::: $name: ok ($((SECONDS - t0)) s)"
    else
        failed=$((failed + 1)); failures+=("$name"); echo "::: $name: FAILED ($((SECONDS - t0)) s)"
    fi
}

stage "cargo fmt --check" cargo fmt --check
stage "clippy (native)" cargo clippy --all-targets --locked -- -D warnings
stage "clippy (wasm32)" cargo clippy --lib --target wasm32-unknown-unknown --locked -- -D warnings
stage "native tests" cargo test --release --locked
stage "wasm tests (headless Chromium)" tools/wasm-test.sh
stage "site build (trunk build --release)" trunk build --release
stage "end-to-end tests (headless Chromium)" bash -c 'cd tests/e2e && node --test --test-concurrency=1'
stage "end-to-end tests (Firefox, WebDriver)" bash -c 'cd tests/e2e && node --test --test-concurrency=1 engines/firefox.spec.mjs'
stage "end-to-end tests (WebKit, WebDriver)" bash -c 'cd tests/e2e && xvfb-run -a node --test --test-concurrency=1 engines/webkit.spec.mjs'
stage "fuzz the index and pack readers (bounded)" tools/fuzz.sh 500000 45

echo
if ((failed > 0)); then
    printf 'failed stage: %s\n' "${failures[@]}"
fi
echo "stages: $passed passed, $failed failed"
((failed == 0))
