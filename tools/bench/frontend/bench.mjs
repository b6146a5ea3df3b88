// Browser side of the front-end benchmark (loaded by bench.html, driven by run.mjs).
//
// The same job for every tool: 60 s of mono 16 kHz Float32 samples -> 64-band log-mel frames (YAMNet's recipe, Sori's display front end),
// 400-sample windows (25 ms), hop 160 (10 ms), 512-point FFT, 64 mel bands, log; output one flat
// Float32Array (64 values per frame) in JS. Tools:
//   sori      logMel(samples) from the site's wasm (src/web/mod.rs): one call for the whole buffer.
//   essentia  Essentia.js (WASM): per frame Windowing(hann, 400 + 112 zeros) -> Spectrum(512) ->
//             MelBands(64, 125-7500 Hz, htkMel, unit_max, magnitude), then ln(x + 0.001) in JS.
//   essentia-vggish  Essentia.js's own VGGish input algorithm, TensorflowInputVGGish(frame): the same
//             chain and settings in one call per frame, with ln(x + 0.01) (VGGish's offset).
//   meyda     Meyda (JS): per frame the 400 samples times a periodic Hann in JS, zero-padded to a
//             512 buffer, Meyda.extract('melBands') with windowingFunction 'rect' (Meyda's own
//             bands: 64, 0-8000 Hz, power, ln(x + 1); it has no band-edge settings).
// Plus Sori's full matchClip on a 5 s clip (features + mn04 + head).
//
// window.runBench({audio60, clip5, reps}) -> {results, match, ...}; window.__ready says the modules loaded.

import init, { Sori, logMel } from '/sori/sori.js';
import { EssentiaWASM } from '/essentia/essentia-wasm.es.js';
import Essentia from '/essentia/essentia.js-core.es.js';

const RATE = 16000;
const WIN = 400;
const HOP = 160;
const FFT = 512;
const BANDS = 64;

const log = (s) => {
  document.getElementById('log').textContent += `\n${s}`;
};

const numFrames = (n) => (n < WIN ? 0 : 1 + Math.floor((n - WIN) / HOP));

/** Sori: the whole buffer in one wasm call. */
function soriLogMel(x) {
  return logMel(x);
}

/** Essentia.js: its standard per-frame algorithm chain on VectorFloat values. */
function essentiaLogMel(ess, x) {
  const frames = numFrames(x.length);
  const out = new Float32Array(frames * BANDS);
  for (let t = 0; t < frames; t++) {
    const v = ess.arrayToVector(x.subarray(t * HOP, t * HOP + WIN));
    const w = ess.Windowing(v, false, WIN, 'hann', FFT - WIN, false);
    const s = ess.Spectrum(w.frame, FFT);
    const m = ess.MelBands(s.spectrum, 7500, FFT / 2 + 1, false, 125, 'unit_max', BANDS, RATE, 'magnitude', 'htkMel', 'warping');
    const bands = ess.vectorToArray(m.bands);
    for (let b = 0; b < BANDS; b++) out[t * BANDS + b] = Math.log(bands[b] + 0.001);
    // Embind vectors live in the wasm heap until deleted.
    v.delete();
    w.frame.delete();
    s.spectrum.delete();
    m.bands.delete();
  }
  return out;
}

/** Essentia.js: its built-in VGGish front end (same chain, log offset 0.01), one call per frame. */
function essentiaVggish(ess, x) {
  const frames = numFrames(x.length);
  const out = new Float32Array(frames * BANDS);
  for (let t = 0; t < frames; t++) {
    const v = ess.arrayToVector(x.subarray(t * HOP, t * HOP + WIN));
    const m = ess.TensorflowInputVGGish(v);
    out.set(ess.vectorToArray(m.bands), t * BANDS);
    v.delete();
    m.bands.delete();
  }
  return out;
}

/** Microseconds per call of each step of the Essentia.js chain (on one real frame), to show where time goes. */
function essentiaBreakdown(ess, x, calls) {
  const v = ess.arrayToVector(x.subarray(0, WIN));
  const w = ess.Windowing(v, false, WIN, 'hann', FFT - WIN, false);
  const s = ess.Spectrum(w.frame, FFT);
  const m = ess.MelBands(s.spectrum, 7500, FFT / 2 + 1, false, 125, 'unit_max', BANDS, RATE, 'magnitude', 'htkMel', 'warping');
  const steps = {
    arrayToVector: () => ess.arrayToVector(x.subarray(0, WIN)).delete(),
    Windowing: () => ess.Windowing(v, false, WIN, 'hann', FFT - WIN, false).frame.delete(),
    Spectrum: () => ess.Spectrum(w.frame, FFT).spectrum.delete(),
    MelBands: () => ess.MelBands(s.spectrum, 7500, FFT / 2 + 1, false, 125, 'unit_max', BANDS, RATE, 'magnitude', 'htkMel', 'warping').bands.delete(),
    vectorToArray: () => ess.vectorToArray(m.bands),
  };
  const us = {};
  for (const [name, f] of Object.entries(steps)) {
    f();
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) f();
    us[name] = ((performance.now() - t0) * 1000) / calls;
  }
  for (const o of [v, w.frame, s.spectrum, m.bands]) o.delete();
  return us;
}

/** Meyda: pre-windowed 400-sample frames in a 512 buffer, Meyda's melBands. */
function meydaLogMel(Meyda, hann, x) {
  const frames = numFrames(x.length);
  const out = new Float32Array(frames * BANDS);
  const buf = new Float32Array(FFT); // samples 400..511 stay zero
  for (let t = 0; t < frames; t++) {
    const o = t * HOP;
    for (let i = 0; i < WIN; i++) buf[i] = x[o + i] * hann[i];
    out.set(Meyda.extract('melBands', buf), t * BANDS);
  }
  return out;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Pearson correlation of two equal-length arrays (how alike the tools' outputs are). */
function correlation(a, b) {
  const n = Math.min(a.length, b.length);
  let sa = 0, sb = 0;
  for (let i = 0; i < n; i++) { sa += a[i]; sb += b[i]; }
  const ma = sa / n, mb = sb / n;
  let cov = 0, va = 0, vb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    cov += da * db; va += da * da; vb += db * db;
  }
  return cov / Math.sqrt(va * vb);
}

function meanAbsDiff(a, b) {
  const n = Math.min(a.length, b.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(a[i] - b[i]);
  return s / n;
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function fetchF32(url) {
  const b = await fetchBytes(url);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

async function setup() {
  await init();
  const Meyda = window.Meyda;
  if (!Meyda) throw new Error('Meyda did not load');
  Meyda.bufferSize = FFT;
  Meyda.sampleRate = RATE;
  Meyda.melBands = BANDS;
  Meyda.windowingFunction = 'rect';
  const ess = new Essentia(EssentiaWASM);
  return { Meyda, ess };
}

const ready = setup();
ready.then(
  () => { window.__ready = 'ok'; log('ready'); },
  (e) => { window.__ready = `error: ${e?.message ?? e}`; log(window.__ready); },
);

window.runBench = async ({ audio60, clip5, model, index, reps }) => {
  const { Meyda, ess } = await ready;
  const x = await fetchF32(audio60);
  const c5 = await fetchF32(clip5);
  // Periodic Hann (as Sori's display log-mel) for Meyda's pre-windowing.
  const hann = new Float32Array(WIN).map((_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / WIN));

  const tools = [
    { name: 'sori', run: () => soriLogMel(x) },
    { name: 'essentia', run: () => essentiaLogMel(ess, x) },
    { name: 'essentia-vggish', run: () => essentiaVggish(ess, x) },
    { name: 'meyda', run: () => meydaLogMel(Meyda, hann, x) },
  ];
  // Warm-up (JIT, wasm tier-up, filterbank caches), also keeps each tool's output for the checks.
  const outputs = {};
  for (const t of tools) outputs[t.name] = t.run();
  const times = Object.fromEntries(tools.map((t) => [t.name, []]));
  // Round-robin repetitions, so background load on the shared machine hits every tool alike.
  for (let r = 0; r < reps; r++) {
    for (const t of tools) {
      const t0 = performance.now();
      const out = t.run();
      times[t.name].push(performance.now() - t0);
      if (out.length !== outputs[t.name].length) throw new Error(`${t.name}: output length changed`);
    }
    log(`rep ${r + 1}/${reps}`);
  }
  const ref = outputs.sori;
  const results = tools.map((t) => ({
    name: t.name,
    frames: outputs[t.name].length / BANDS,
    finite: outputs[t.name].every(Number.isFinite),
    medianMs: median(times[t.name]),
    minMs: Math.min(...times[t.name]),
    maxMs: Math.max(...times[t.name]),
    corrWithSori: correlation(outputs[t.name], ref),
    meanAbsDiffSori: meanAbsDiff(outputs[t.name], ref),
  }));

  // Sori's full match of a 5 s clip: features + mn04 + head, as the page's matchClip.
  const [modelBytes, indexBytes] = await Promise.all([fetchBytes(model), fetchBytes(index)]);
  let t0 = performance.now();
  const sori = new Sori(modelBytes, indexBytes);
  const loadMs = performance.now() - t0;
  const first = sori.matchClip(c5, RATE); // warm-up
  const mt = [];
  for (let r = 0; r < reps; r++) {
    t0 = performance.now();
    const res = sori.matchClip(c5, RATE);
    mt.push(performance.now() - t0);
    if (res.verdict !== first.verdict) throw new Error('matchClip is not deterministic');
  }
  sori.free();
  return {
    seconds: x.length / RATE,
    clipSeconds: c5.length / RATE,
    reps,
    results,
    match: {
      loadMs,
      medianMs: median(mt),
      minMs: Math.min(...mt),
      maxMs: Math.max(...mt),
      verdict: first.verdict,
      score: first.score,
    },
    essentiaVersion: ess.version,
    essentiaUs: essentiaBreakdown(ess, x, 500),
    crossOriginIsolated: window.crossOriginIsolated,
  };
};
