#!/usr/bin/env bash
# Markdown table of every file the page transfers (everything under dist/), raw and gzip -9 bytes
# (brotli -q 11 too when the `brotli` CLI is installed), sorted by raw size, with a total row.
# Usage (repo root, after `trunk build --release`): tools/bench/sizes.sh
set -euo pipefail
dir=${1:-dist}
[ -d "$dir" ] || { echo "skip: $dir/ missing (run trunk build --release)"; exit 0; }
have_br=0; command -v brotli >/dev/null && have_br=1
if [ $have_br = 1 ]; then echo "| file | raw B | gzip -9 B | brotli B |"; echo "|---|---:|---:|---:|"
else echo "| file | raw B | gzip -9 B |"; echo "|---|---:|---:|"; fi
tr=0; tg=0; tb=0
while read -r raw f; do
  gz=$(gzip -9 -c "$f" | wc -c); tr=$((tr+raw)); tg=$((tg+gz))
  if [ $have_br = 1 ]; then br=$(brotli -q 11 -c "$f" | wc -c); tb=$((tb+br)); echo "| ${f#"$dir"/} | $raw | $gz | $br |"
  else echo "| ${f#"$dir"/} | $raw | $gz |"; fi
done < <(find "$dir" -type f -printf '%s %p\n' | sort -k1,1nr)
if [ $have_br = 1 ]; then echo "| **total** | **$tr** | **$tg** | **$tb** |"; else echo "| **total** | **$tr** | **$tg** |"; fi
