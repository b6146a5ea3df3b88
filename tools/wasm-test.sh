#!/usr/bin/env bash
# Runs the wasm-bindgen tests (tests/wasm.rs) in headless Chromium through chromedriver.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/env.sh
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export WASM_BINDGEN_TEST_TIMEOUT=120
# webdriver.json (repo root) passes --headless --no-sandbox to Chromium (CI runs as root).
exec cargo test --release --locked --target wasm32-unknown-unknown --test wasm -- --nocapture
