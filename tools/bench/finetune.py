"""Does fine-tuning YAMNet's last blocks beat a head on frozen embeddings? (issue 4's open question)

Run by tools/bench/finetune.sh, which first dumps the log-mel patches `sori build` would analyse
(examples/dump_patches.rs: same split by recording, augmentations, windows and loudness normalisation).

For each setting this trains, on the training split's patches (clean + augmented copies), a softmax
head over "other" + the 13 trained classes on top of YAMNet's last `--blocks` blocks (weights from
assets/model/yamnet.sorim, the int8 model Sori ships), either frozen or trainable, then scores each
held-out clip by the mean of its patches' probabilities. Same data, same head, same schedule: the only
difference between "frozen" and "fine-tuned" rows is whether the blocks' weights move.

Figures: top-1 and top-3 over the held-out class clips; open-set accuracy at the best threshold that
accepts at most 5% of held-out `other` clips (an oracle threshold, for comparing settings only).
"""

import argparse
import os
import struct
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from heldout_metrics import label, load_meta, metrics  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PATCH = (96, 64, 1)


def read_sorim(path: Path) -> list[dict]:
    """Layers of a .sorim model (format in src/embed/mod.rs), dequantised to f32."""
    b = path.read_bytes()
    assert b[:8] == b"SORIYAMN", "not a .sorim model"
    _version, count = struct.unpack_from("<II", b, 8)
    off, layers = 16, []
    for _ in range(count):
        kind, stride, _act, enc = b[off : off + 4]
        kh, kw, cin, cout = struct.unpack_from("<IIII", b, off + 4)
        off += 20
        shape = {1: (kh, kw, cin, cout), 2: (kh, kw, cin), 3: (cin, cout), 4: (cin, cout)}[kind]
        n = int(np.prod(shape))
        bias = np.frombuffer(b, "<f4", cout, off).copy()
        off += 4 * cout
        if enc == 0:
            scale = np.frombuffer(b, "<f4", cout, off)
            off += 4 * cout
            w = np.frombuffer(b, "i1", n, off).astype(np.float32).reshape(shape) * scale
            off += n
        else:
            w = np.frombuffer(b, "<f2", n, off).astype(np.float32).reshape(shape)
            off += 2 * n
        layers.append(dict(kind=kind, stride=stride, w=w, b=bias))
    return layers


def blocks(x, layers: list[dict], first: int, last: int):
    """YAMNet blocks first..=last (1..=13: depthwise + pointwise, ReLU) as Keras layers on `x`."""
    for k in range(first, last + 1):
        dw, pw = layers[2 * k - 1], layers[2 * k]
        x = tf.keras.layers.DepthwiseConv2D(
            3, strides=dw["stride"], padding="same", activation="relu",
            weights=[dw["w"][..., None], dw["b"]])(x)
        x = tf.keras.layers.Conv2D(
            pw["w"].shape[1], 1, activation="relu", weights=[pw["w"][None, None], pw["b"]])(x)
    return x


def trunk(layers: list[dict], last_block: int) -> tf.keras.Model:
    """The frozen part: first conv and blocks 1..=last_block."""
    inp = tf.keras.Input(PATCH)
    c = layers[0]
    x = tf.keras.layers.Conv2D(32, 3, strides=c["stride"], padding="same", activation="relu",
                               weights=[c["w"], c["b"]])(inp)
    return tf.keras.Model(inp, blocks(x, layers, 1, last_block))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("patches", type=Path, help="output folder of examples/dump_patches.rs")
    ap.add_argument("--blocks", default="1,2", help="last blocks to fine-tune, e.g. 1,2")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate when fine-tuning")
    ap.add_argument("--head-lr", type=float, default=1e-3, help="Adam learning rate, frozen blocks")
    ap.add_argument("--head-epochs", type=int, default=6)
    ap.add_argument("--other-weight", type=float, default=2.0)
    a = ap.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(os.cpu_count() or 2)
    layers = read_sorim(ROOT / "assets/model/yamnet.sorim")
    rows, n = load_meta(a.patches)
    patches = np.memmap(a.patches / "patches.f32", dtype="<f4", mode="r", shape=(n,) + PATCH)
    classes = sorted({label(r) for r in rows})
    cidx = {c: i for i, c in enumerate(classes)}
    train = [r for r in rows if r["split"] == "train" and r["hi"] > r["lo"]]
    test = [r for r in rows if r["split"] == "test" and r["role"] != "Near" and r["hi"] > r["lo"]]
    idx = np.concatenate([np.arange(r["lo"], r["hi"]) for r in train])
    y = np.repeat([cidx[label(r)] for r in train], [r["hi"] - r["lo"] for r in train])
    counts = np.bincount(y, minlength=len(classes)).astype(float)
    cw = np.where(np.arange(len(classes)) == 0, a.other_weight, 1.0) / counts
    cw *= len(y) / (cw * counts).sum()
    print(f"{len(train)} training clip variants ({len(y)} patches), {len(test)} held-out clips "
          f"({sum(label(r) != 0 for r in test)} of trained classes)")
    print("| blocks | weights | seed | top-1 | top-3 | open @ <=5% FA (oracle) | train s |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for nb in [int(b) for b in a.blocks.split(",")]:
        t0 = time.time()
        base = trunk(layers, 13 - nb)
        feats = np.concatenate([base.predict(np.asarray(patches[i:i + 1024]), verbose=0)
                                for i in range(0, n, 1024)]).astype(np.float16)
        print(f"(trunk to block {13 - nb}: {time.time() - t0:.0f} s)", file=sys.stderr)
        xtr = feats[idx].astype(np.float32)
        for seed in [int(s) for s in a.seeds.split(",")]:
            for finetune in (False, True):
                tf.keras.utils.set_random_seed(seed)
                inp = tf.keras.Input(feats.shape[1:])
                emb = tf.keras.layers.GlobalAveragePooling2D()(blocks(inp, layers, 14 - nb, 13))
                out = tf.keras.layers.Dense(len(classes), activation="softmax")(
                    tf.keras.layers.Dropout(0.3)(emb))
                m = tf.keras.Model(inp, out)
                if not finetune:
                    for layer in m.layers[1:1 + 2 * nb]:
                        layer.trainable = False
                lr, epochs = (a.lr, a.epochs) if finetune else (a.head_lr, a.head_epochs)
                m.compile(tf.keras.optimizers.Adam(lr), "sparse_categorical_crossentropy")
                t0 = time.time()
                m.fit(xtr, y, batch_size=128, epochs=epochs, sample_weight=cw[y], verbose=0)
                secs = time.time() - t0
                P = np.array([m.predict(feats[r["lo"]:r["hi"]].astype(np.float32), verbose=0).mean(0)
                              for r in test])
                top1, top3, op, _ = metrics(P, np.array([label(r) for r in test]), classes)
                print(f"| {nb} | {'fine-tuned' if finetune else 'frozen'} | {seed} | {100 * top1:.1f}% | "
                      f"{100 * top3:.1f}% | {100 * op:.1f}% | {secs:.0f} |", flush=True)


if __name__ == "__main__":
    main()
