#!/usr/bin/env python3
"""Convert EfficientAT's mn04 AudioSet tagger to Sori's `mn04.sorim` and check it against the reference.

Input (read-only): `../shared/models/efficientat-mn04/` — `mn04_as_mAP_432.safetensors` (sha256 checked),
`LICENSE`, `class_labels_indices.csv` and `reference/` (the PyTorch activations of a 3 s synthetic clip).
No torch: numpy and safetensors only (`tools/requirements-efficientat.txt`).

    python3.11 -m venv tools/.venv-efficientat
    tools/.venv-efficientat/bin/pip install -r tools/requirements-efficientat.txt
    tools/.venv-efficientat/bin/python tools/convert_efficientat.py                 # model + fixtures + report
    tools/.venv-efficientat/bin/python tools/convert_efficientat.py --weights f32 --out /tmp/mn04-f32.sorim

Steps:
1. Check the safetensors file's sha256, then every tensor's name and shape against ARCH (the layer table read
   from `reference/architecture.txt`: kernel sizes, strides, expansion widths, squeeze-excitation, activations).
2. Fold each BatchNorm (eps 0.001) into its convolution: `w' = w * g / sqrt(var + eps)`,
   `b' = beta - mean * g / sqrt(var + eps)`; reorder weights to Sori's layout (time-major, channel last).
3. Run a float64 NumPy forward pass of the folded weights on `reference/mel_128xT.f32` and compare every stage with
   `reference/blocks/` (cosine; the f32 check must reach 0.99999 or the script fails).
4. Measure int8 (symmetric, per output channel) against f16 per layer group and keep int8 only where it costs
   nothing measurable (see QUANT_BUDGET); print the cosine table.
5. Write `assets/model/mn04.sorim` (format: `src/embed/efficientat/format.rs`), the licence, the label CSV, and
   `tests/fixtures/efficientat_ref/` (the reference input/mel/features/logits plus the exact float64 outputs of
   the shipped weights, which the Rust tests hold the Rust forward pass to).

Deterministic: every output is a pure function of the input files; a second run writes identical bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import shutil
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file


ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT.parent / "shared" / "models" / "efficientat-mn04"
WEIGHTS_FILE = "mn04_as_mAP_432.safetensors"
WEIGHTS_SHA256 = "d0d1b326089dc4293006af608c76270d60a5e3bd0616011e58f06884a5aaddc4"
MODEL_DIR = ROOT / "assets" / "model"
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "efficientat_ref"

MAGIC = b"SORIMN04"
FORMAT_VERSION = 1
KIND_CONV, KIND_DEPTHWISE, KIND_POINTWISE, KIND_DENSE = 1, 2, 3, 4
ACT_NONE, ACT_RELU, ACT_HARDSWISH, ACT_SIGMOID = 0, 1, 2, 3
ENC_INT8, ENC_F16, ENC_F32 = 0, 1, 2
BN_EPS = 1e-3

# The 15 inverted-residual blocks: (cin, expanded, cout, kernel, stride, squeeze-excitation, activation),
# exactly as `reference/architecture.txt` lists them. Block 1 has no expansion conv (expanded == cin).
ARCH = [
    (8, 8, 8, 3, 1, False, ACT_RELU),
    (8, 24, 16, 3, 2, False, ACT_RELU),
    (16, 32, 16, 3, 1, False, ACT_RELU),
    (16, 32, 16, 5, 2, True, ACT_RELU),
    (16, 48, 16, 5, 1, True, ACT_RELU),
    (16, 48, 16, 5, 1, True, ACT_RELU),
    (16, 96, 32, 3, 2, False, ACT_HARDSWISH),
    (32, 80, 32, 3, 1, False, ACT_HARDSWISH),
    (32, 72, 32, 3, 1, False, ACT_HARDSWISH),
    (32, 72, 32, 3, 1, False, ACT_HARDSWISH),
    (32, 192, 48, 3, 1, True, ACT_HARDSWISH),
    (48, 272, 48, 3, 1, True, ACT_HARDSWISH),
    (48, 272, 64, 5, 2, True, ACT_HARDSWISH),
    (64, 384, 64, 5, 1, True, ACT_HARDSWISH),
    (64, 384, 64, 5, 1, True, ACT_HARDSWISH),
]
SE_SQUEEZE = {32: 8, 48: 16, 192: 48, 272: 72, 384: 96}  # fc1 width per expanded width (checked vs shapes)
NUM_LABELS = 527

# Which layer groups are int8 (see `choose_encodings`): a group is free when quantising it alone (the others f32)
# leaves the pooled features and the logits at cosine >= 1 - FREE_COST to the f32 pass; the others go int8 in order
# of cost per weight until the file is at most SIZE_TARGET bytes gzipped (level 9); the rest stay f16.
FREE_COST = 1e-5
SIZE_TARGET = 1_200_000



def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def quantise(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per output channel (the last axis): q = round(w / scale) in -127..127.

    The scale of each channel is the one of `max|w| * r / 127`, r in 0.50..1.00 (26 steps), with the least
    squared error: clipping a few outliers buys finer steps for the rest.
    """
    flat = w.reshape(-1, w.shape[-1])
    amax = np.max(np.abs(flat), axis=0)
    amax = np.where(amax > 0, amax, 127.0)
    best_scale, best_err = None, None
    for r in np.linspace(0.5, 1.0, 26):
        scale = (amax * r / 127.0).astype(np.float32).astype(np.float64)
        err = ((np.clip(np.rint(flat / scale), -127, 127) * scale - flat) ** 2).sum(axis=0)
        if best_scale is None:
            best_scale, best_err = scale, err
        else:
            better = err < best_err
            best_scale = np.where(better, scale, best_scale)
            best_err = np.where(better, err, best_err)
    q = np.clip(np.rint(w / best_scale), -127, 127).astype(np.int8)
    return q, best_scale.astype(np.float32)

def log(msg: str) -> None:
    print(f"[convert] {msg}", file=sys.stderr, flush=True)


# -------------------------------------------------------------------------------------------------------------
# 1-2. Load, check, fold
# -------------------------------------------------------------------------------------------------------------


def expect(sd: dict, name: str, shape: tuple) -> np.ndarray:
    if name not in sd:
        sys.exit(f"missing tensor {name}")
    if tuple(sd[name].shape) != shape:
        sys.exit(f"{name}: shape {sd[name].shape}, expected {shape}")
    return sd[name].astype(np.float64)


def fold_conv(sd: dict, prefix: str, kind: int, k: int, stride: int, act: int, cin: int, cout: int) -> dict:
    """Conv `prefix.0` + BatchNorm `prefix.1` -> one record, weights in Sori's layout:
    conv `[kt][kf][cin][cout]`, depthwise `[kt][kf][c]`, pointwise `[cin][cout]` (PyTorch: `[cout][cin][kf][kt]`
    with the mel axis as height and time as width)."""
    w = expect(sd, f"{prefix}.0.weight", (cout, 1 if kind == KIND_DEPTHWISE else cin, k, k))
    g = expect(sd, f"{prefix}.1.weight", (cout,))
    beta = expect(sd, f"{prefix}.1.bias", (cout,))
    mean = expect(sd, f"{prefix}.1.running_mean", (cout,))
    var = expect(sd, f"{prefix}.1.running_var", (cout,))
    s = g / np.sqrt(var + BN_EPS)
    w = w * s[:, None, None, None]
    if kind == KIND_POINTWISE:
        w = w[:, :, 0, 0].T
    elif kind == KIND_DEPTHWISE:
        w = w[:, 0].transpose(2, 1, 0)  # [c][kf][kt] -> [kt][kf][c]
    else:
        w = w.transpose(3, 2, 1, 0)  # [cout][cin][kf][kt] -> [kt][kf][cin][cout]
    return dict(kind=kind, k=k, stride=stride, act=act, cin=cin, cout=cout, w=np.ascontiguousarray(w),
                b=beta - mean * s, name=prefix)


def dense(sd: dict, prefix: str, act: int, cin: int, cout: int) -> dict:
    w = expect(sd, f"{prefix}.weight", (cout, cin))
    b = expect(sd, f"{prefix}.bias", (cout,))
    return dict(kind=KIND_DENSE, k=1, stride=1, act=act, cin=cin, cout=cout, w=np.ascontiguousarray(w.T), b=b,
                name=prefix)


def folded_records() -> list[dict]:
    path = SRC / WEIGHTS_FILE
    digest = sha256_of(path)
    if digest != WEIGHTS_SHA256:
        sys.exit(f"sha256 mismatch for {path}: {digest} != {WEIGHTS_SHA256}")
    sd = load_file(str(path))
    log(f"{WEIGHTS_FILE}: sha256 ok, {len(sd)} tensors")
    recs = [fold_conv(sd, "features.0", KIND_CONV, 3, 2, ACT_HARDSWISH, 1, 8)]
    for i, (cin, exp, cout, k, stride, se, act) in enumerate(ARCH, start=1):
        p = f"features.{i}.block"
        j = 0
        if exp != cin:
            recs.append(fold_conv(sd, f"{p}.{j}", KIND_POINTWISE, 1, 1, act, cin, exp))
            j += 1
        recs.append(fold_conv(sd, f"{p}.{j}", KIND_DEPTHWISE, k, stride, act, exp, exp))
        j += 1
        if se:
            sq = SE_SQUEEZE[exp]
            se_p = f"{p}.{j}.conc_se_layers.0"
            recs.append(dense(sd, f"{se_p}.fc1", ACT_RELU, exp, sq))
            recs.append(dense(sd, f"{se_p}.fc2", ACT_SIGMOID, sq, exp))
            j += 1
        recs.append(fold_conv(sd, f"{p}.{j}", KIND_POINTWISE, 1, 1, ACT_NONE, exp, cout))
        if f"{p}.{j + 1}.0.weight" in sd:
            sys.exit(f"block {i} has more layers than ARCH says")
    recs.append(fold_conv(sd, "features.16", KIND_POINTWISE, 1, 1, ACT_HARDSWISH, 64, 384))
    recs.append(dense(sd, "classifier.2", ACT_HARDSWISH, 384, 512))
    recs.append(dense(sd, "classifier.5", ACT_NONE, 512, NUM_LABELS))
    used = {r["name"] for r in recs}
    unused = sorted(n for n in sd if not any(n.startswith(u + ".") for u in used))
    if unused:
        sys.exit(f"tensors not used by ARCH: {unused[:5]}…")
    log(f"architecture ok: {len(recs)} records, every tensor used")
    return recs


# -------------------------------------------------------------------------------------------------------------
# 3. NumPy forward pass (float64), layout [time][mel][channel]
# -------------------------------------------------------------------------------------------------------------


def activation(x: np.ndarray, act: int) -> np.ndarray:
    if act == ACT_RELU:
        return np.maximum(x, 0.0)
    if act == ACT_HARDSWISH:
        return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0
    if act == ACT_SIGMOID:
        return 1.0 / (1.0 + np.exp(-x))
    return x


def conv(x: np.ndarray, r: dict, w: np.ndarray) -> np.ndarray:
    """k x k convolution (full or depthwise), PyTorch padding k // 2 on every side, stride s."""
    k, s = r["k"], r["stride"]
    p = k // 2
    t, f, _ = x.shape
    ot, of = (t + 2 * p - k) // s + 1, (f + 2 * p - k) // s + 1
    xp = np.pad(x, ((p, p), (p, p), (0, 0)))
    acc = 0.0
    for kt in range(k):
        for kf in range(k):
            patch = xp[kt: kt + s * (ot - 1) + 1: s, kf: kf + s * (of - 1) + 1: s, :]
            acc = acc + (patch * w[kt, kf] if r["kind"] == KIND_DEPTHWISE else patch @ w[kt, kf])
    return acc


def forward(recs: list[dict], weights: list[np.ndarray], mel: np.ndarray):
    """mel `[128][T]` -> (17 stage outputs `[T'][F'][C]`, features 384, hidden 512, logits 527)."""
    it = iter(zip(recs, weights))
    r, w = next(it)
    x = activation(conv(mel.T[:, :, None].astype(np.float64), r, w) + r["b"], r["act"])
    stages = [x]
    for cin, exp, cout, _k, _s, se, _act in ARCH:
        inp = x
        if exp != cin:
            r, w = next(it)
            x = activation(x @ w + r["b"], r["act"])
        r, w = next(it)
        x = activation(conv(x, r, w) + r["b"], r["act"])
        if se:
            (r1, w1), (r2, w2) = next(it), next(it)
            z = activation(x.mean(axis=(0, 1)) @ w1 + r1["b"], r1["act"])
            x = x * activation(z @ w2 + r2["b"], r2["act"])
        r, w = next(it)
        x = x @ w + r["b"]
        if r["stride"] == 1 and cin == cout and inp.shape == x.shape:
            x = x + inp
        stages.append(x)
    r, w = next(it)
    x = activation(x @ w + r["b"], r["act"])
    stages.append(x)
    feats = x.mean(axis=(0, 1))
    r, w = next(it)
    hidden = activation(feats @ w + r["b"], r["act"])
    r, w = next(it)
    logits = hidden @ w + r["b"]
    return stages, feats, hidden, logits


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel(), b.ravel()
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def read_f32(path: Path) -> np.ndarray:
    return np.frombuffer(path.read_bytes(), dtype="<f4").astype(np.float64)


class Reference:
    def __init__(self):
        ref = SRC / "reference"
        self.mel = read_f32(ref / "mel_128xT.f32").reshape(128, -1)
        self.stages = []
        for p in sorted((ref / "blocks").glob("features.*.f32")):
            c, f, t = (int(v) for v in p.stem.split("_")[1].split("x"))
            self.stages.append(read_f32(p).reshape(c, f, t).transpose(2, 1, 0))  # -> [t][f][c]
        self.features = read_f32(ref / "features_384.f32")
        self.hidden = read_f32(ref / "hidden_512.f32")
        self.logits = read_f32(ref / "logits_527.f32")


# -------------------------------------------------------------------------------------------------------------
# 4. Quantisation
# -------------------------------------------------------------------------------------------------------------


def dequantised(r: dict, enc: int) -> np.ndarray:
    """The float weights the Rust loader will see for this record with this encoding."""
    if enc == ENC_F32:
        return r["w"].astype(np.float32).astype(np.float64)
    if enc == ENC_F16:
        return r["w"].astype(np.float16).astype(np.float64)
    q, scale = quantise(r["w"])
    return q.astype(np.float64) * scale.astype(np.float64)


def group_of(r: dict, i: int) -> str:
    """Layer groups measured separately: by kind and by depth (stem/blocks 1-6, blocks 7-12, blocks 13-15 +
    final conv), SE layers together, each classifier layer alone."""
    if r["kind"] == KIND_CONV:
        return "stem conv"
    if r["kind"] == KIND_DENSE:
        if r["name"].startswith("classifier"):
            return f"{r['name']} {r['cin']}->{r['cout']}"
        return "squeeze-excitation fc"
    block = int(r["name"].split(".")[1])
    depth = "blocks 1-6" if block <= 6 else "blocks 7-12" if block <= 12 else "blocks 13-15 + final"
    return f"{'depthwise' if r['kind'] == KIND_DEPTHWISE else 'pointwise'} {depth}"


def choose_encodings(recs: list[dict], ref: Reference, f32_out) -> tuple[list[int], list[str]]:
    """Measures int8 and f16 per layer group (that group alone, the others f32) on the reference clip; int8 for
    the free groups, then for the cheapest groups per weight until the file fits SIZE_TARGET gzipped, f16 for
    the rest. Returns the encodings and the report table (markdown)."""
    _, f_ref, _, l_ref = f32_out
    groups = {}
    for i, r in enumerate(recs):
        groups.setdefault(group_of(r, i), []).append(i)
    f32w = [dequantised(r, ENC_F32) for r in recs]
    cost, cells = {}, {}
    for name, idx in groups.items():
        cells[name] = []
        for e in (ENC_INT8, ENC_F16):
            ws = [dequantised(recs[i], e) if i in idx else f32w[i] for i in range(len(recs))]
            _, f, _, lg = forward(recs, ws, ref.mel)
            cf, cl = cosine(f, f_ref), cosine(lg, l_ref)
            cells[name] += [f"{cf:.7f}", f"{cl:.7f}"]
            if e == ENC_INT8:
                cost[name] = 1 - min(cf, cl)
    size = {n: sum(recs[i]["w"].size for i in idx) for n, idx in groups.items()}
    enc = [ENC_F16] * len(recs)

    def use_int8(name: str) -> None:
        for i in groups[name]:
            enc[i] = ENC_INT8

    for name in groups:
        if cost[name] <= FREE_COST:
            use_int8(name)
    for name in sorted((n for n in groups if cost[n] > FREE_COST), key=lambda n: (cost[n] / size[n], n)):
        if len(gzip.compress(encode(recs, enc), 9, mtime=0)) <= SIZE_TARGET:
            break
        use_int8(name)
    lines = ["| layer group | weights | int8 alone: features cos | logits cos | f16 alone: features cos | "
             "logits cos | shipped |", "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, idx in groups.items():
        shipped = "int8" if enc[idx[0]] == ENC_INT8 else "f16"
        lines.append(f"| {name} | {size[name]} | " + " | ".join(cells[name]) + f" | {shipped} |")
    return enc, lines


# -------------------------------------------------------------------------------------------------------------
# 5. Writing
# -------------------------------------------------------------------------------------------------------------


def encode(recs: list[dict], encs: list[int]) -> bytes:
    out = bytearray(MAGIC)
    out += struct.pack("<II", FORMAT_VERSION, len(recs))
    for r, e in zip(recs, encs):
        out += struct.pack("<BBBBBBBBII", r["kind"], r["k"], r["stride"], r["act"], e, 0, 0, 0, r["cin"], r["cout"])
        out += r["b"].astype("<f4").tobytes()
        if e == ENC_INT8:
            q, scale = quantise(r["w"])
            out += scale.astype("<f4").tobytes() + q.tobytes()
        elif e == ENC_F16:
            out += r["w"].astype("<f2").tobytes()
        else:
            out += r["w"].astype("<f4").tobytes()
    out += struct.pack("<I", zlib.crc32(bytes(out)) & 0xFFFFFFFF)
    return bytes(out)


def write_f32(path: Path, a: np.ndarray) -> None:
    path.write_bytes(np.ascontiguousarray(a, dtype="<f4").tobytes())


def report(tag: str, ref: Reference, out) -> None:
    stages, f, h, lg = out
    cos = [cosine(s, r) for s, r in zip(stages, ref.stages)]
    diff = [float(np.max(np.abs(s - r))) for s, r in zip(stages, ref.stages)]
    log(f"{tag}: stage cosines " + " ".join(f"{c:.6f}" for c in cos))
    log(f"{tag}: stage max |diff| " + " ".join(f"{d:.1e}" for d in diff))
    top = list(np.argsort(-lg)[:5])
    log(f"{tag}: features cos {cosine(f, ref.features):.7f}, hidden cos {cosine(h, ref.hidden):.7f}, "
        f"logits cos {cosine(lg, ref.logits):.7f}, max |logit diff| {np.max(np.abs(lg - ref.logits)):.2e}, "
        f"top-5 {top} (reference {list(np.argsort(-ref.logits)[:5])})")
    return min(cos), top


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", choices=["shipped", "f16", "f32"], default="shipped",
                    help="shipped: int8/f16 per layer group as measured (default); f16 or f32 everywhere")
    ap.add_argument("--out", type=Path, help="write the model here only (no licence, labels or fixtures)")
    args = ap.parse_args()

    recs = folded_records()
    ref = Reference()
    f32_out = forward(recs, [dequantised(r, ENC_F32) for r in recs], ref.mel)
    min_cos, top = report("f32 folded", ref, f32_out)
    if min_cos < 0.99999 or cosine(f32_out[3], ref.logits) < 0.99999:
        sys.exit("the f32 forward pass does not reproduce the reference: folding or architecture is wrong")

    if args.weights == "shipped":
        encs, lines = choose_encodings(recs, ref, f32_out)
        print("\n".join(lines))
    else:
        encs = [ENC_F16 if args.weights == "f16" else ENC_F32] * len(recs)
    shipped = forward(recs, [dequantised(r, e) for r, e in zip(recs, encs)], ref.mel)
    report(f"{args.weights} weights", ref, shipped)
    n8 = sum(r["w"].size for r, e in zip(recs, encs) if e == ENC_INT8)
    n16 = sum(r["w"].size for r, e in zip(recs, encs) if e == ENC_F16)
    log(f"weights: {n8} int8, {n16} f16, {sum(r['w'].size for r in recs) - n8 - n16} f32")
    blob = encode(recs, encs)
    out = args.out or MODEL_DIR / "mn04.sorim"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(blob)
    log(f"wrote {out} ({len(blob)} bytes, {len(gzip.compress(blob, 9, mtime=0))} gzipped, sha256 {hashlib.sha256(blob).hexdigest()[:16]}…)")
    if args.out:
        return
    shutil.copyfile(SRC / "LICENSE", MODEL_DIR / "LICENSE-EfficientAT-MIT.txt")
    shutil.copyfile(SRC / "class_labels_indices.csv", MODEL_DIR / "efficientat_class_labels.csv")
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    for name in ["input_32k.f32", "mel_128xT.f32", "features_384.f32", "logits_527.f32"]:
        shutil.copyfile(SRC / "reference" / name, FIXTURE_DIR / name)
    write_f32(FIXTURE_DIR / "features_sorim.f32", shipped[1])
    write_f32(FIXTURE_DIR / "logits_sorim.f32", shipped[3])
    log(f"wrote the licence, labels and {FIXTURE_DIR.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
