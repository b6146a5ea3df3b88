#!/usr/bin/env bash
# Builds the release site with the committed default index and serves it on 127.0.0.1.
#   tools/serve.sh [PORT]      (default 8080)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
tools/setup.sh
source tools/env.sh
trunk build --release
exec node tools/serve.mjs dist "${1:-8080}"
