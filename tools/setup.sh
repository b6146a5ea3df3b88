#!/usr/bin/env bash
# Installs everything Sori needs on a fresh machine, using only the package registries
# (crates.io, npm, Debian apt) and rustup's targets. Idempotent: each step is skipped
# when what it installs is already there at the right version.
#
#   tools/setup.sh          site toolchain: wasm32 target, Trunk, wasm-bindgen-cli, wasm-opt
#   tools/setup.sh --test   the above plus Chromium, ChromeDriver, playwright-core, cargo-fuzz, and for the
#                           other engines: Firefox ESR + geckodriver, WebKitGTK's WebKitWebDriver + Xvfb,
#                           PulseAudio (a silent audio output for headless Firefox), selenium-webdriver
#
# Node tools go to .tools/ in the repo (gitignored); source tools/env.sh to put them on PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1

TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132.0.0"
CARGO_FUZZ_VERSION="0.13.2"
GECKODRIVER_VERSION="0.37.1"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
export PATH="$HOME/.cargo/bin:$PATH"

# The wasm-bindgen version is whatever Cargo.lock pins: the CLI must match it exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)"
[[ -n "$WASM_BINDGEN_VERSION" ]] || { echo "cannot read wasm-bindgen's version from Cargo.lock" >&2; exit 1; }

# 1. Rust: the wasm32 target and the crates (Trunk builds offline).
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi
say "fetching crates (cargo fetch --locked)"
cargo fetch --locked >/dev/null 2>&1 || cargo fetch --locked

# 2. Trunk, pinned (0.22 needs a newer rustc than this machine's).
if ! { have trunk && trunk --version | grep -q " $TRUNK_VERSION\$"; }; then
    say "installing trunk $TRUNK_VERSION (about 12 minutes on 2 cores)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# 3. wasm-bindgen-cli at exactly Cargo.lock's version. Its own lockfile pins webpki-roots 1.0.11,
#    which the registry lacks: install from the fetched source with that entry set to 1.0.10, still --locked.
if ! { have wasm-bindgen && wasm-bindgen --version | grep -q " $WASM_BINDGEN_VERSION\$"; }; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes)"
    work="$(mktemp -d)"
    mkdir -p "$work/fetch/src"
    printf '[package]\nname = "fetch-wbg"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nwasm-bindgen-cli = "=%s"\n' \
        "$WASM_BINDGEN_VERSION" >"$work/fetch/Cargo.toml"
    : >"$work/fetch/src/lib.rs"
    (cd "$work/fetch" && cargo fetch -q)
    src="$(ls -d "$HOME"/.cargo/registry/src/*/wasm-bindgen-cli-"$WASM_BINDGEN_VERSION" | head -n1)"
    cp -r "$src" "$work/cli"
    (cd "$work/cli" && { cargo update -q -p webpki-roots --precise 1.0.10 || true; } && cargo install --path . --locked)
    rm -rf "$work"
fi

# 4. wasm-opt from npm's binaryen (Debian's binaryen 108 cannot read current wasm-bindgen output).
mkdir -p .tools
if [[ ! -x .tools/node_modules/.bin/wasm-opt ]] || ! .tools/node_modules/.bin/wasm-opt --version | grep -q "version ${BINARYEN_VERSION%%.*}"; then
    say "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm into .tools/"
    npm install --silent --no-audit --no-fund --prefix .tools "binaryen@$BINARYEN_VERSION"
fi

if [[ $WITH_TEST == 1 ]]; then
    # 5. From Debian: Chromium and its driver (wasm-bindgen-test, end-to-end tests), sox (turns corpus
    #    clips into WAVs for the fake microphone) and a Korean font (readable screenshots).
    if ! have chromium || ! have chromedriver || ! have sox || ! dpkg -s fonts-nanum >/dev/null 2>&1; then
        say "installing Debian chromium, chromium-driver, sox, fonts-nanum"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq chromium chromium-driver sox fonts-nanum >/dev/null
    fi
    # 5b. The other engines, from Debian: Firefox ESR; WebKitGTK's WebDriver (with its MiniBrowser) and
    #     Xvfb to give it a display; PulseAudio for a null audio sink (headless Firefox's AudioContext
    #     runs only with an output device); sox's MP3 writer (the MP3 file tests).
    if ! have firefox-esr || ! have WebKitWebDriver || ! have xvfb-run || ! have pulseaudio \
        || ! dpkg -s libsox-fmt-mp3 >/dev/null 2>&1; then
        say "installing Debian firefox-esr, webkit2gtk-driver, xvfb, pulseaudio, libsox-fmt-mp3"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq firefox-esr webkit2gtk-driver xvfb libsox-fmt-mp3 >/dev/null
        apt-get install -y -qq --no-install-recommends pulseaudio >/dev/null
    fi
    # 5c. geckodriver, pinned, from crates.io (about 2 minutes on 2 cores).
    if ! { have geckodriver && geckodriver --version | head -n1 | grep -q " $GECKODRIVER_VERSION\b"; }; then
        say "installing geckodriver $GECKODRIVER_VERSION"
        cargo install --locked geckodriver --version "$GECKODRIVER_VERSION"
    fi
    # 6. playwright-core (never downloads a browser; drives Debian's chromium) and selenium-webdriver
    #    (drives Firefox and WebKit through the drivers above; its Selenium Manager is never used).
    if [[ ! -d tests/e2e/node_modules/playwright-core || ! -d tests/e2e/node_modules/selenium-webdriver ]]; then
        say "installing the end-to-end test dependencies (npm ci in tests/e2e)"
        (cd tests/e2e && npm ci --silent --no-audit --no-fund)
    fi
    # 7. cargo-fuzz, for the bounded fuzz run of the index reader.
    if ! { have cargo-fuzz && cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; }; then
        say "installing cargo-fuzz $CARGO_FUZZ_VERSION"
        cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
    fi
fi
say "toolchain ready"
