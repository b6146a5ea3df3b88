#!/usr/bin/env python3
"""Chromaprint (`fpcalc`) side of the fingerprint identification benchmark.

Input: the folder written by `cargo run --release --example fingerprint_id -- CORPUS --wav-dir DIR`
(`refs.tsv`, `queries.tsv`, 16 kHz WAVs). Output: a markdown table on stdout, in the same
cells as the Sori table (query length x condition).

Chromaprint compares whole-file fingerprints, so the identification is built here, the way
AcoustID-style matchers compare raw fingerprints:

1. `fpcalc -raw -json FILE` on every reference and every query (one process per file; with
   several files fpcalc 1.5.1 stops after the first "End of file" decoder message).
2. A query's raw fingerprint (m 32-bit items, one per 1365/11025 s = 0.124 s) is slid over
   every reference fingerprint (n items) at every alignment where at least `--min-overlap`
   (default 0.75) of the query's items overlap the reference. The bit error rate (BER) of an
   alignment is the share of differing bits over the overlapping items.
3. The query's answer is the reference and alignment with the lowest BER, accepted when the
   BER is below a threshold. It is *identified* when the reference is the clip the query was
   cut from and the alignment is within +-0.5 s of the true cut position (as for Sori).

Thresholds (reported side by side):
- calibrated: per query length, the largest threshold that keeps the false-positive rate at
  or under `--target-fp` (default 1 %) on *calibration* negatives: cuts of train-side clips
  that are not indexed (roles other/near; `kind = cal` in queries.tsv). The held-out
  negatives that the table reports are never used to choose it.
- fixed: BER < `--fixed` (default 0.35), a common rule of thumb for chromaprint matching.

Stdlib only: the fingerprints are packed into Python integers so that one XOR + bit_count
compares a whole alignment.
"""

import argparse
import concurrent.futures
import csv
import json
import math
import os
import subprocess
import sys
import time

ITEM_SECONDS = 1365 / 11025  # chromaprint hop (4096-sample frames, 2/3 overlap, 11025 Hz)
OFFSET_TOLERANCE_S = 0.5


def fingerprint(path):
    """Raw chromaprint items of one file ([] when fpcalc finds no fingerprint) and wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["fpcalc", "-raw", "-json", path], capture_output=True, text=True, check=False
    )
    dt = time.perf_counter() - t0
    try:
        items = json.loads(proc.stdout)["fingerprint"]
    except (ValueError, KeyError):
        items = []  # "ERROR: Empty fingerprint" (too short) or a decode failure
    return items, dt


def pack(items):
    """Items as one integer, item k in bits 32k..32k+32."""
    v = 0
    for k, it in enumerate(items):
        v |= (it & 0xFFFFFFFF) << (32 * k)
    return v


def best_match(q_items, refs, min_overlap):
    """(ber, ref index, alignment in items) of the best alignment over all references."""
    m = len(q_items)
    if m == 0:
        return (math.inf, -1, 0)
    q = pack(q_items)
    need = max(1, math.ceil(min_overlap * m))
    best = (math.inf, -1, 0)
    for ri, (r, n) in enumerate(refs):
        for o in range(need - m, n - need + 1):
            qs = max(0, -o)
            qe = min(m, n - o)
            length = qe - qs
            if length < need:
                continue
            mask = (1 << (32 * length)) - 1
            diff = ((q >> (32 * qs)) ^ (r >> (32 * (qs + o)))) & mask
            ber = diff.bit_count() / (32 * length)
            if ber < best[0]:
                best = (ber, ri, o)
    return best


def threshold_for(bers, target):
    """Largest t such that the share of `bers` below t is at most `target`."""
    finite = sorted(bers)
    allowed = math.floor(target * len(finite) + 1e-9)
    if not finite or allowed >= len(finite):
        return 1.0
    return finite[allowed]


def pct(a, b):
    return "—" if b == 0 else f"{100 * a / b:.1f}% ({a}/{b})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("wav_dir")
    ap.add_argument("--jobs", type=int, default=2, help="parallel fpcalc processes (default 2)")
    ap.add_argument("--target-fp", type=float, default=0.01)
    ap.add_argument("--fixed", type=float, default=0.35)
    ap.add_argument("--min-overlap", type=float, default=0.75)
    args = ap.parse_args()

    def read_tsv(name):
        with open(os.path.join(args.wav_dir, name), newline="") as f:
            return list(csv.DictReader(f, delimiter="\t"))

    refs = read_tsv("refs.tsv")
    queries = read_tsv("queries.tsv")
    paths = [r["path"] for r in refs] + [q["path"] for q in queries]
    print(f"fpcalc on {len(paths)} files ...", file=sys.stderr)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(fingerprint, paths))
    call_ms = 1000 * sum(dt for _, dt in results) / max(1, len(results))
    ref_fps = [(pack(items), len(items)) for items, _ in results[: len(refs)]]
    empty_refs = sum(1 for _, n in ref_fps if n == 0)
    q_items = [items for items, _ in results[len(refs):]]

    print("matching ...", file=sys.stderr)
    t0 = time.perf_counter()
    matches = [best_match(items, ref_fps, args.min_overlap) for items in q_items]
    match_ms = 1000 * (time.perf_counter() - t0) / max(1, len(matches))

    lengths = sorted({int(q["length_s"]) for q in queries})
    conditions = list(dict.fromkeys(q["condition"] for q in queries))
    thresholds = {}
    for length in lengths:
        cal = [
            mt[0]
            for q, mt in zip(queries, matches)
            if q["kind"] == "cal" and int(q["length_s"]) == length
        ]
        thresholds[length] = (threshold_for(cal, args.target_fp), len(cal))

    print(
        f"fpcalc (Chromaprint {fpcalc_version()}): {len(refs)} references "
        f"({empty_refs} without a fingerprint); best-BER alignment with >= {args.min_overlap:.0%} "
        f"overlap; identified = right clip and offset within ±{OFFSET_TOLERANCE_S} s. "
        f"Mean fpcalc call (process, decode, fingerprint): {call_ms:.1f} ms; "
        f"mean matching time per query (Python): {match_ms:.1f} ms."
    )
    print()
    for length in lengths:
        t, n = thresholds[length]
        if math.isinf(t):
            print(f"{length} s queries: fpcalc gives no fingerprint for any of the {n} calibration cuts.")
            continue
        print(
            f"{length} s queries: calibrated threshold BER < {t:.3f} "
            f"(≤ {args.target_fp:.0%} false positives on {n} calibration cuts, all conditions)."
        )
    print()
    print(
        "| query | condition | no fingerprint | identified (calibrated) | wrong answer | "
        f"false positives (held out) | identified (BER < {args.fixed}) | "
        f"false positives (BER < {args.fixed}) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for length in lengths:
        for cond in conditions:
            cell = [
                (q, mt, qi)
                for q, mt, qi in zip(queries, matches, q_items)
                if int(q["length_s"]) == length and q["condition"] == cond
            ]
            pos = [(q, mt, qi) for q, mt, qi in cell if q["kind"] == "pos"]
            neg = [(q, mt, qi) for q, mt, qi in cell if q["kind"] == "neg"]
            if not pos and not neg:
                continue
            t_cal = thresholds[length][0]

            def right(q, mt):
                ber, ri, o = mt
                return (
                    ri >= 0
                    and refs[ri]["name"] == q["truth"]
                    and abs(o * ITEM_SECONDS - float(q["truth_offset_s"])) <= OFFSET_TOLERANCE_S
                )

            def score(t):
                ident = sum(1 for q, mt, _ in pos if mt[0] < t and right(q, mt))
                wrong = sum(1 for q, mt, _ in pos if mt[0] < t and not right(q, mt))
                fp = sum(1 for _, mt, _ in neg if mt[0] < t)
                return ident, wrong, fp

            ident, wrong, fp = score(t_cal)
            ident_f, _, fp_f = score(args.fixed)
            empty = sum(1 for _, _, qi in pos + neg if not qi)
            print(
                f"| {length} s | {cond} | {pct(empty, len(pos) + len(neg))} | "
                f"{pct(ident, len(pos))} | {pct(wrong, len(pos))} | {pct(fp, len(neg))} | "
                f"{pct(ident_f, len(pos))} | {pct(fp_f, len(neg))} |"
            )


def fpcalc_version():
    try:
        out = subprocess.run(["fpcalc", "-version"], capture_output=True, text=True).stdout
        return out.split()[2]
    except (OSError, IndexError):
        return "?"


if __name__ == "__main__":
    main()
