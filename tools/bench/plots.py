#!/usr/bin/env python3
"""Evaluation report: `sori eval --json` lines -> robustness table (markdown, stdout) + plots.

Usage: plots.py EVAL_JSONL [--out-dir docs/img]

Input: one JSON object per line, as printed by `sori eval --json` (one per condition; fields of
`EvalReport` in src/build/eval.rs: condition, class_clips, other_clips, top1, top3,
open_accuracy, false_accept_rate, class_rejected, per_class_recall, confusion, curve).

Output:
- stdout: the robustness table, one row per condition;
- OUT_DIR/confusion.png: confusion matrix of the `clean` condition (rows = truth, normalised to
  1; cells annotated with counts; columns = verdicts, including `unknown`);
- OUT_DIR/open_set.png: open-set accuracy against the false-accept rate of `other` clips, from
  the curve swept over the unknown threshold (clean condition), with the shipped operating
  point (the index's calibrated threshold, zero-shot classes and all) marked.
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


def table(reports):
    clean = next((r for r in reports if r["condition"] == "clean"), None)
    lines = [
        "| condition | top-1 | top-3 | accuracy with `unknown` | false accepts of `other` | "
        "class clips answered `unknown` | top-1 change vs clean |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        delta = "—" if clean is None or r is clean else f"{100 * (r['top1'] - clean['top1']):+.1f} pt"
        lines.append(
            f"| {r['condition']} | {100 * r['top1']:.1f}% | {100 * r['top3']:.1f}% | "
            f"{100 * r['open_accuracy']:.1f}% | {100 * r['false_accept_rate']:.1f}% | "
            f"{100 * r['class_rejected']:.1f}% | {delta} |"
        )
    first = reports[0]
    lines.append("")
    lines.append(
        f"{first['class_clips']} held-out clips of trained classes and {first['other_clips']} "
        "`other` clips per condition."
    )
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
        f"top-1 {100 * report['top1']:.1f}%, accuracy with unknown {100 * report['open_accuracy']:.1f}%"
    )
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="share of the row")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def open_set_plot(report, path):
    curve = sorted(report["curve"], key=lambda p: (p[2], p[1]))
    thr = [p[0] for p in curve]
    acc = [100 * p[1] for p in curve]
    fa = [100 * p[2] for p in curve]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.plot(fa, acc, "-o", ms=3, color="tab:blue", label="sweep of the unknown threshold (labels: threshold)")
    for t, x, y in zip(thr, fa, acc):
        if abs(t * 10 - round(t * 10)) < 1e-6:  # label thresholds 0.0, 0.1, ...
            ax.annotate(f"{t:.1f}", (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    op_fa, op_acc = 100 * report["false_accept_rate"], 100 * report["open_accuracy"]
    ax.plot([op_fa], [op_acc], "*", ms=14, color="tab:red",
            label=f"shipped operating point ({op_fa:.1f}% FA, {op_acc:.1f}% acc.)")
    ax.axvline(5, color="grey", ls=":", lw=1, label="5% false accepts")
    ax.set_xlabel("false-accept rate of \"other\" clips (%)")
    ax.set_ylabel("open-set accuracy (%)")
    ax.set_xlim(-2, 102)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.set_title(
        f"Open set, {report['condition']}: {report['class_clips']} class clips, "
        f"{report['other_clips']} other clips"
    )
    ax.legend(fontsize=8, loc="lower right")
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
