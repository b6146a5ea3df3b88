#!/usr/bin/env bash
# Browser speed side by side (docs/benchmarks.md, "Front end in the browser"): Sori's log-mel front
# end vs Essentia.js vs Meyda on the same 60 s of corpus audio, plus Sori's full match of a 5 s clip,
# in one headless Chromium run. Prints markdown tables.
#
# Usage (any directory): tools/bench/frontend.sh [--reps N]     (default 10 timed runs, after 1 warm-up)
#   Builds the site first (`trunk build --release` into dist/), unless SORI_DIST names a built site
#   (whose sori.js must export logMel), e.g. SORI_DIST=/tmp/b6dist tools/bench/frontend.sh.
#   Installs the pinned npm packages (npm ci in tools/bench/frontend/) when missing.
#   Needs: ../shared/corpus (or SORI_CORPUS; skips when absent), sox, Debian chromium (or CHROMIUM).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=../env.sh
source tools/env.sh
chromium_bin=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium_bin" ] || { echo "skip: $chromium_bin missing (apt-get install chromium)"; exit 0; }
command -v sox >/dev/null || { echo "skip: sox missing (apt-get install sox)"; exit 0; }
if [ -z "${SORI_DIST:-}" ]; then
  echo "building the site (trunk build --release) ..." >&2
  trunk build --release >&2
  export SORI_DIST="$root/dist"
fi
bench="$root/tools/bench/frontend"
if [ ! -d "$bench/node_modules/playwright-core" ] || [ ! -d "$bench/node_modules/essentia.js" ] ||
  [ ! -d "$bench/node_modules/meyda" ]; then
  (cd "$bench" && npm ci --no-audit --no-fund >&2)
fi
exec node "$bench/run.mjs" "$@"
