#!/usr/bin/env bash
# Whole-process wall time and peak RSS of `sori match --json` on the first N (default 100) clips of
# ../shared/corpus/manifest.tsv (in manifest order), plus hyperfine on one 5 s clip if installed.
# Usage (repo root): tools/bench/native_match.sh [N]
set -euo pipefail
n=${1:-100}; bin=target/release/sori; corpus=../shared/corpus
[ -f "$corpus/manifest.tsv" ] || { echo "skip: $corpus/manifest.tsv absent"; exit 0; }
[ -x "$bin" ] || { echo "skip: $bin missing (cargo build --release)"; exit 0; }
[ -x /usr/bin/time ] || { echo "skip: /usr/bin/time missing (apt-get install time)"; exit 0; }
mapfile -t clips < <(tail -n +2 "$corpus/manifest.tsv" | head -n "$n" | cut -f1 | sed "s|^|$corpus/|")
log=$(mktemp); trap 'rm -f "$log"' EXIT
/usr/bin/time -v "$bin" match --json "${clips[@]}" >/dev/null 2>"$log"
wall=$(grep 'Elapsed (wall' "$log" | awk '{print $NF}')
secs=$(awk -F: '{s=0; for(i=1;i<=NF;i++) s=s*60+$i; print s}' <<<"$wall")
rss=$(grep 'Maximum resident' "$log" | awk '{print $NF}')
usr=$(grep 'User time' "$log" | awk '{print $NF}'); sys=$(grep 'System time' "$log" | awk '{print $NF}')
echo "| measure | value |"; echo "|---|---:|"
echo "| clips | ${#clips[@]} |"
echo "| wall time (whole process) | ${secs} s |"
echo "| user + sys CPU | ${usr} s + ${sys} s |"
echo "| per-clip mean wall | $(awk -v s="$secs" -v n="${#clips[@]}" 'BEGIN{printf "%.1f", 1000*s/n}') ms |"
echo "| peak RSS | $((rss/1024)) MiB |"
if command -v hyperfine >/dev/null; then
  echo; echo "hyperfine, single clip ${clips[0]#"$corpus"/}:"; echo
  md=$(mktemp); hyperfine -N -w 1 -r 10 --export-markdown "$md" "$bin match --json ${clips[0]}" >/dev/null; cat "$md"; rm -f "$md"
else echo; echo "(hyperfine not installed: apt-get install hyperfine)"; fi
