#!/usr/bin/env bash
# Criterion benches of the features, embed and fingerprint stages -> markdown table (stdout):
# bench name, median time with its 95% confidence interval, criterion throughput if the bench sets one,
# and the real-time factor for benches whose audio duration is known (listed below).
# Usage (repo root): tools/bench/criterion.sh   (loads both cores for several minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
stamp=$(mktemp); trap 'rm -f "$stamp"' EXIT
cargo bench --bench features --bench embed --bench fingerprint >&2
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
python3 - "$stamp" <<'PY'
import glob, json, os, sys
since = os.path.getmtime(sys.argv[1])
# Seconds of audio per iteration (from benches/*.rs), for the real-time factor = audio s / wall s.
AUDIO_S = {
    "logmel_60s": 60.0,
    "resample_5s_44k1_to_16k": 5.0,
    "stream_resample_128_48k": 128 / 48000,
    "mn04_5s_frontend_and_network": 5.0,
    "mn04_5s_frontend": 5.0,
    "mn04_5s_network": 5.0,
    "extract_landmarks 5 s (reference)": 5.0,
    "extract_query_landmarks 5 s": 5.0,
    "query 5 s against 650 x 5 s": 5.0,
    "extract + query 5 s against 650 x 5 s": 5.0,
}
def fmt(ns):
    for unit, k in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= k:
            return f"{ns / k:.3g} {unit}"
    return f"{ns:.3g} ns"
rows = []
for est in glob.glob("target/criterion/**/new/estimates.json", recursive=True):
    if os.path.getmtime(est) < since:
        continue  # not from this run
    d = os.path.dirname(est)
    with open(est) as f:
        e = json.load(f)
    with open(os.path.join(d, "benchmark.json")) as f:
        b = json.load(f)
    med = e["median"]["point_estimate"]
    ci = e["median"]["confidence_interval"]
    tp = b.get("throughput")
    if tp:
        kind, n = next(iter(tp.items()))
        tp = f"{n / (med / 1e9):.3g} {kind.lower()}/s"
    name = b.get("full_id") or b.get("function_id") or d
    rt = AUDIO_S.get(name)
    rows.append((name, f"{fmt(med)} ({fmt(ci['lower_bound'])} – {fmt(ci['upper_bound'])})",
                 tp or "—", f"{rt / (med / 1e9):.0f}× real time" if rt else "—"))
print("| bench | median (95% CI) | throughput | speed |")
print("|---|---:|---:|---:|")
for r in sorted(rows):
    print("| " + " | ".join(r) + " |")
PY
