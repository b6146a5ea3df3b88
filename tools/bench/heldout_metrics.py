"""Reading `dump_patches` / `dump_embeddings` output and scoring held-out clip probabilities: shared by the
bench experiments (finetune.py, second_model.py). numpy only."""
import csv
from pathlib import Path

import numpy as np


def load_meta(d):
    """Rows of `d/meta.tsv`, each with `lo`/`hi`: its windows' rows in the dump's binary file; and their total."""
    rows = list(csv.DictReader(open(Path(d) / "meta.tsv"), delimiter="\t"))
    off = 0
    for r in rows:
        n = int(r["windows"])
        r["lo"], r["hi"] = off, off + n
        off += n
    return rows, off


def label(r) -> int:
    """Class id of a meta row; 0 for `other`."""
    return int(r["class"]) if r["role"] == "Class" else 0


def metrics(P, Y, classes, steps=201):
    """Top-1 and top-3 over the trained classes' clips (column 0 of `P`, "other", never ranked), and the best
    accuracy with `unknown` (verdict = best trained class if its probability reaches a threshold) over `steps`
    thresholds in [0, 1] that accept at most 5 % of `other` clips (an oracle threshold, for comparing settings),
    with that threshold's false-accept rate."""
    cl = np.array(classes)
    known = Y != 0
    Pk = P.copy()
    Pk[:, 0] = -1
    order = np.argsort(-Pk, 1)
    pred = cl[order[:, 0]]
    top1 = (pred == Y)[known].mean()
    top3 = np.array([Y[i] in cl[order[i, :3]] for i in range(len(Y))])[known].mean()
    best = Pk.max(1)
    open_best, open_fa = 0.0, 0.0
    for t in np.linspace(0, 1, steps):
        v = np.where(best >= t, pred, 0)
        fa, acc = (v[~known] != 0).mean(), (v == Y).mean()
        if fa <= 0.05 and acc > open_best:
            open_best, open_fa = acc, fa
    return top1, top3, open_best, open_fa
