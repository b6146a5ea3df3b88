"""Would a second pretrained embedding close issue 4's accuracy gap? (a one-off check, not part of the build)

Compares, on the corpus's class and `other` clips (clean audio, `near` left out), 5 folds by recording:
  - YAMNet: mean||max of the patch embeddings `sori` computes (read from `dump_embeddings` output),
  - aiSFX (Ma & Lerch, ISMIR 2022; CC BY 4.0; a 9-layer CNN trained on sound-effects libraries, from the
    PyPI wheel aisfx==0.1.2), run here in numpy from the wheel's PyTorch checkpoint (no torch needed),
  - both: probabilities averaged, and vectors concatenated,
each with a scikit-learn logistic-regression head ("other" + the 13 trained classes, class-balanced, "other"
weighted 2) at three L2 strengths. Prints top-1 / top-3 over the trained classes, the best accuracy with
`unknown` at <= 5 % false accepts of `other` clips (oracle threshold), per-class recall, and aiSFX's cost.

Usage: tools/bench/second_model.sh (sets up tools/.venv-bench, downloads and checks the wheel, dumps YAMNet).
"""
import collections
import csv
import os
import pickle
import sys
import time
import zipfile

import librosa
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from heldout_metrics import label, load_meta, metrics

EMBEDDING_DIM = 1024  # YAMNet embedding values per window in windows.f32 (then 521 AudioSet scores)
AUDIOSET = 521


def load_checkpoint(path):
    """The state dict of a PyTorch zip checkpoint, as numpy arrays, without importing torch."""
    z = zipfile.ZipFile(path)
    prefix = z.namelist()[0].split("/")[0]
    dtypes = {"FloatStorage": np.float32, "LongStorage": np.int64}

    def rebuild(storage, offset, size, stride, *_):
        if len(size) == 0:
            return storage[offset]
        return np.lib.stride_tricks.as_strided(
            storage[offset:], shape=size, strides=[s * storage.itemsize for s in stride]).copy()

    class Ignored:
        def __init__(self, *a, **k):
            pass

        def __setstate__(self, s):
            pass

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if name == "_rebuild_tensor_v2":
                return rebuild
            if name == "OrderedDict":
                return collections.OrderedDict
            if name in dtypes:
                return name
            return Ignored

        def persistent_load(self, pid):
            _, storage_type, key, _location, _numel = pid
            return np.frombuffer(z.read(f"{prefix}/data/{key}"), dtype=dtypes[storage_type])

    weights, _datasets = Unpickler(z.open(f"{prefix}/data.pkl")).load()
    return weights


class Aisfx:
    """aiSFX's EmbeddingNet('max', 3, 1, 64) (aisfx/models/cnn2d.py) and its librosa front end
    (aisfx/spectrogram/spectrogram_librosa.py, 'original' normalisation, 100-frame blocks, hop 0.5)."""

    SAMPLE_RATE, N_FFT, HOP, MELS, BLOCK, BLOCK_HOP, NORM_MAX = 44100, 2048, 1024, 96, 100, 50, 9.457798957824707

    def __init__(self, checkpoint):
        self.w = load_checkpoint(checkpoint)
        self.macs = 0

    def conv3(self, x, weight):
        c, h, wd = x.shape
        xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
        cols = np.empty((c, 9, h, wd), np.float32)
        for i in range(3):
            for j in range(3):
                cols[:, i * 3 + j] = xp[:, i:i + h, j:j + wd]
        self.macs += weight.size * h * wd
        return (weight.reshape(weight.shape[0], -1) @ cols.reshape(c * 9, h * wd)).reshape(-1, h, wd)

    def bn_relu(self, x, p):
        g, b, m, v = (self.w[p + s] for s in (".weight", ".bias", ".running_mean", ".running_var"))
        y = (x - m[:, None, None]) / np.sqrt(v[:, None, None] + 1e-5) * g[:, None, None] + b[:, None, None]
        return np.maximum(y, 0)

    def block_embedding(self, spec):  # (100, 96) -> 512
        x = spec[None].astype(np.float32)
        for k in (1, 2, 3, 4):
            p = f"embedding_net.conv_block{k}"
            x = self.bn_relu(self.conv3(x, self.w[p + ".conv1.weight"]), p + ".bn1")
            x = self.bn_relu(self.conv3(x, self.w[p + ".conv2.weight"]), p + ".bn2")
            if k < 4:
                c, h, wd = x.shape
                x = x[:, :h // 2 * 2, :wd // 2 * 2].reshape(c, h // 2, 2, wd // 2, 2).max((2, 4))
        return x.mean(2).max(1)

    def clip_vector(self, path):
        y, sr = librosa.load(path, sr=self.SAMPLE_RATE)
        peak = float(np.max(np.abs(y))) if len(y) else 0.0
        mel = librosa.feature.melspectrogram(
            y=y / (peak or 1.0), sr=sr, n_mels=self.MELS, norm=1.0, fmin=0, fmax=sr / 2, htk=True,
            power=2.0, hop_length=self.HOP, win_length=self.N_FFT)
        spec = np.log10(mel * 10000.0 + 1).T / self.NORM_MAX
        n = max(1, -(-(spec.shape[0] - self.BLOCK) // self.BLOCK_HOP) + 1)
        if spec.shape[0] > self.BLOCK and (spec.shape[0] - self.BLOCK) % self.BLOCK_HOP:
            n -= 1  # drop_partial_block=True
        spec = np.vstack([spec, np.zeros((self.BLOCK, self.MELS))])
        e = np.array([self.block_embedding(spec[i * self.BLOCK_HOP:i * self.BLOCK_HOP + self.BLOCK]) for i in range(n)])
        return np.concatenate([e.mean(0), e.max(0)])


def yamnet_clips(dump):
    """Clean class/other clips of a dump_embeddings directory: [(name, recording, label)], mean||max vectors."""
    rows, total = load_meta(dump)
    windows = np.memmap(os.path.join(dump, "windows.f32"), np.float32, "r").reshape(total, EMBEDDING_DIM + AUDIOSET)
    clips, vectors = [], []
    for r in rows:
        if r["variant"] != "clean" or r["role"] not in ("Class", "Other") or r["hi"] == r["lo"]:
            continue
        x = np.asarray(windows[r["lo"]:r["hi"], :EMBEDDING_DIM])
        clips.append((r["name"], r["recording"], label(r)))
        vectors.append(np.concatenate([x.mean(0), x.max(0)]))
    return clips, np.array(vectors)


def cross_validated(x, y, groups, c):
    classes = np.unique(y)
    p = np.zeros((len(y), len(classes)))
    for train, test in GroupKFold(5).split(x, y, groups):
        scaler = StandardScaler().fit(x[train])
        weights = {k: (2.0 if k == 0 else 1.0) / np.sum(y[train] == k) for k in classes}
        head = LogisticRegression(C=c, max_iter=3000, class_weight=weights).fit(scaler.transform(x[train]), y[train])
        p[test] = head.predict_proba(scaler.transform(x[test]))
    return p


def report(name, p, y):
    classes = np.unique(y)
    top1, top3, acc, fa = metrics(p, y, classes, steps=401)
    trained = p.copy()
    trained[:, 0] = -1
    pred = classes[trained.argmax(1)]
    recall = " ".join(f"{k}:{(pred[y == k] == k).mean() * 100:.0f}" for k in classes if k != 0)
    print(f"{name:24s} top-1 {top1 * 100:5.1f}  top-3 {top3 * 100:5.1f}  open {acc * 100:5.1f} @ {fa * 100:.1f}% FA"
          f"  recall by class id {recall}", flush=True)


def main():
    corpus, dump, checkpoint = sys.argv[1:4]
    clips, yamnet = yamnet_clips(dump)
    paths = {os.path.splitext(os.path.basename(r["path"]))[0]: os.path.join(corpus, r["path"])
             for r in csv.DictReader(open(os.path.join(corpus, "manifest.tsv")), delimiter="\t")}
    model = Aisfx(checkpoint)
    start = time.time()
    aisfx = []
    for i, (name, _, _) in enumerate(clips):
        aisfx.append(model.clip_vector(paths[name]))
        if i % 200 == 0:
            print(f"aiSFX {i}/{len(clips)} clips, {time.time() - start:.0f} s", file=sys.stderr, flush=True)
    seconds = time.time() - start
    aisfx = np.array(aisfx)
    y = np.array([c[2] for c in clips])
    recordings = np.array([c[1] for c in clips])
    rng = np.random.default_rng(0)
    shuffled = {r: i for i, r in enumerate(rng.permutation(np.unique(recordings)))}
    groups = np.array([shuffled[r] for r in recordings])
    print(f"{len(clips)} clips ({np.sum(y != 0)} of 13 trained classes, {np.sum(y == 0)} other), "
          f"{len(shuffled)} recordings, 5 folds by recording")
    print(f"aiSFX: {model.macs / len(clips) / 1e9:.2f} G multiply-adds per clip on average, "
          f"{seconds / len(clips) * 1000:.0f} ms per clip (numpy + OpenBLAS, all cores, librosa front end included)")
    for c in (0.005, 0.02, 0.1):
        py = cross_validated(yamnet, y, groups, c)
        pa = cross_validated(aisfx, y, groups, c)
        report(f"YAMNet C={c}", py, y)
        report(f"aiSFX C={c}", pa, y)
        report(f"mean of both C={c}", (py + pa) / 2, y)
        report(f"concatenated C={c}", cross_validated(np.hstack([yamnet, aisfx]), y, groups, c), y)


if __name__ == "__main__":
    main()
