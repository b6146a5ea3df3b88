#!/usr/bin/env python3
"""Evaluation report: `sori eval --json` lines -> robustness table (markdown, stdout) + plots.

Usage: plots.py EVAL_JSONL [--out-dir docs/img]

Input: one JSON object per line, as printed by `sori eval --json` (one per condition; fields of
`EvalReport` in src/build/eval.rs: condition, groups {many, few, zero_shot: counts of clips, top1,
top3, right, wrong, unknown, maybe_right, maybe_wrong}, other {clips, accepted, maybe},
uncovered_clips, per_class, confusion, curve [{threshold, other_accepted, right {group: n}}]).

Output:
- stdout: the robustness table, one row per condition and group: top-1, top-3, the share of class
  clips with the right verdict and answered `unknown`, and the false-accept rate of `other` clips
  (two numbers, never blended);
- OUT_DIR/confusion.png: confusion matrix of the `clean` condition (rows = truth, normalised to
  1; cells annotated with counts; columns = verdicts, including `unknown`);
- OUT_DIR/open_set.png: right verdicts per group against the false-accept rate of `other` clips,
  from the curve swept over one threshold on the best trained class (clean condition), with the
  shipped operating point (the index's calibrated thresholds, zero-shot classes and all) marked.
"""

import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


GROUPS = [("many", "≥ 10 recordings"), ("few", "1–9 recordings"), ("zero_shot", "zero-shot")]


def pct(n, d):
    return 100.0 * n / d if d else 0.0


def table(reports):
    clean = next((r for r in reports if r["condition"] == "clean"), None)
    lines = [
        "| condition | classes | clips | top-1 | top-3 | right verdict | `unknown` | false accepts of `other` | "
        "top-1 change vs clean |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        other = r["other"]
        for key, label in GROUPS:
            g = r["groups"].get(key)
            if not g or not g["clips"]:
                continue
            n = g["clips"]
            base = clean["groups"].get(key) if clean else None
            delta = (
                "—"
                if base is None or r is clean
                else f"{pct(g['top1'], n) - pct(base['top1'], base['clips']):+.1f} pt"
            )
            lines.append(
                f"| {r['condition']} | {label} | {n} | {pct(g['top1'], n):.1f}% | {pct(g['top3'], n):.1f}% | "
                f"{pct(g['right'], n):.1f}% | {pct(g['unknown'], n):.1f}% | "
                f"{pct(other['accepted'], other['clips']):.1f}% | {delta} |"
            )
    first = reports[0]
    lines.append("")
    lines.append(f"{first['other']['clips']} `other` clips per condition.")
    return "\n".join(lines)


def confusion_plot(report, path):
    conf = report["confusion"]
    rows = sorted(k for k in conf if k != "other") + (["other"] if "other" in conf else [])
    verdicts = {v for row in conf.values() for v in row}
    # Columns: the truth classes in row order, then any other verdict (zero-shot classes,
    # `unknown`, `silence`) sorted, with `unknown` last.
    extra = sorted(v for v in verdicts if v not in rows and v != "unknown")
    cols = [r for r in rows if r != "other"] + extra + (["unknown"] if "unknown" in verdicts else [])
    counts = np.array([[conf[r].get(c, 0) for c in cols] for r in rows], dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    norm = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)

    fig, ax = plt.subplots(figsize=(0.55 * len(cols) + 3.5, 0.45 * len(rows) + 2.5))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            n = int(counts[i, j])
            if n:
                ax.text(
                    j, i, str(n), ha="center", va="center", fontsize=8,
                    color="white" if norm[i, j] > 0.55 else "black",
                )
    ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), [f"{r} ({int(t)})" for r, t in zip(rows, totals[:, 0])], fontsize=8)
    ax.set_xlabel("verdict")
    ax.set_ylabel("truth (clips)")
    ax.set_title(
        f"Confusion, {report['condition']} (rows normalised; numbers = clips)\n"
        + ", ".join(
            f"{label}: top-1 {pct(g['top1'], g['clips']):.1f}%, right verdict {pct(g['right'], g['clips']):.1f}%"
            for key, label in GROUPS[:2]
            if (g := report["groups"].get(key)) and g["clips"]
        )
        + f"; false accepts {pct(report['other']['accepted'], report['other']['clips']):.1f}%"
    )
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="share of the row")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def open_set_plot(report, path):
    other = report["other"]["clips"]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for (key, label), color in zip(GROUPS[:2], ["tab:blue", "tab:green"]):
        g = report["groups"].get(key)
        if not g or not g["clips"]:
            continue
        pts = sorted(
            (pct(p["other_accepted"], other), pct(p["right"].get(key, 0), g["clips"]), p["threshold"])
            for p in report["curve"]
        )
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "-o", ms=3, color=color,
                label=f"classes with {label}: right verdicts (sweep of one threshold)")
        ax.plot([pct(report["other"]["accepted"], other)], [pct(g["right"], g["clips"])], "*", ms=14,
                color=color, label=f"shipped thresholds, {label}")
    ax.axvline(5, color="grey", ls=":", lw=1, label="5% false accepts")
    ax.set_xlabel("false-accept rate of \"other\" clips (%)")
    ax.set_ylabel("class clips with the right verdict (%)")
    ax.set_xlim(-2, 102)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.set_title(f"Open set, {report['condition']}: {other} other clips")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description="sori eval --json -> table + plots")
    ap.add_argument("eval_jsonl")
    ap.add_argument("--out-dir", default="docs/img")
    args = ap.parse_args()
    reports = load(args.eval_jsonl)
    if not reports:
        sys.exit(f"no JSON report in {args.eval_jsonl}")
    print(table(reports))
    clean = next((r for r in reports if r["condition"] == "clean"), None)
    if clean is None:
        print("(no clean condition: plots not drawn)", file=sys.stderr)
        return
    os.makedirs(args.out_dir, exist_ok=True)
    confusion_plot(clean, os.path.join(args.out_dir, "confusion.png"))
    open_set_plot(clean, os.path.join(args.out_dir, "open_set.png"))
    print(f"wrote {args.out_dir}/confusion.png and {args.out_dir}/open_set.png", file=sys.stderr)


if __name__ == "__main__":
    main()
