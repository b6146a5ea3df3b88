// A stand-in for the wasm-bindgen `sori.js`, for developing the page without the Rust build.
// It follows the API contract (init, Sori, classes, image, matchClip, scan, listener) but its
// "matching" is a toy: it only knows loudness and the dominant frequency. Never shipped.
const CLASSES = __CLASSES__;
const IMAGES = __IMAGES__;

export default async function init() {}

function rms(x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length));
}

function peak(x, rate) {
  let n = 1;
  while (n * 2 <= x.length && n < 16384) n *= 2;
  if (n < 256) return null;
  const re = new Float64Array(n), im = new Float64Array(n);
  const off = x.length - n;
  for (let i = 0; i < n; i++) re[i] = x[off + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) { [re[i], re[j]] = [re[j], re[i]]; }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const a = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len)
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(a * k), wi = Math.sin(a * k);
        const ur = re[i + k], ui = im[i + k];
        const vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi;
        const vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr;
        re[i + k] = ur + vr; im[i + k] = ui + vi;
        re[i + k + len / 2] = ur - vr; im[i + k + len / 2] = ui - vi;
      }
  }
  const mag = (k) => Math.log(Math.hypot(re[k], im[k]) + 1e-12);
  let best = 1;
  for (let k = 2; k < n / 2 - 1; k++) if (mag(k) > mag(best)) best = k;
  const [a, b, c] = [mag(best - 1), mag(best), mag(best + 1)];
  const d = (a - c) / (2 * (a - 2 * b + c) || 1);
  return ((best + d) * rate) / n;
}

function result(x, rate) {
  const level = rms(x);
  if (level < 1e-3) return { verdict: 'silence', score: 0, matches: [], fingerprint: null };
  const hz = peak(x, rate) ?? 0;
  const i = Math.floor(hz / 100) % CLASSES.length;
  const matches = [0, 1, 2].map((k) => ({ class: CLASSES[(i + k) % CLASSES.length].slug, score: 0.7 - 0.2 * k }));
  return { verdict: matches[0].class, score: 0.7, matches, fingerprint: null };
}

export class Sori {
  constructor(model, index) {
    if (!(model instanceof Uint8Array) || !(index instanceof Uint8Array) || index.length < 4) throw new Error('mock: bad bytes');
  }
  classes() { return CLASSES.map((c) => ({ ...c })); }
  image(slug) {
    const svg = IMAGES[slug];
    return svg ? { mime: 'image/svg+xml', bytes: new TextEncoder().encode(svg) } : undefined;
  }
  matchClip(samples, rate) {
    if (!(samples instanceof Float32Array) || !(rate > 0)) throw new Error('mock: bad input');
    return result(samples, rate);
  }
  scan(samples, rate) {
    const overall = this.matchClip(samples, rate);
    const timeline = [];
    const win = Math.round(0.96 * rate);
    for (let s = 0; s < samples.length; s += win) {
      const r = result(samples.subarray(s, s + win), rate);
      timeline.push({ start: s / rate, end: Math.min(samples.length, s + win) / rate, verdict: r.verdict, score: r.score });
    }
    return { overall, timeline };
  }
  listener(rate) { return new Listener(rate); }
  free() {}
}

class Listener {
  constructor(rate) { this.rate = rate; this.reset(); }
  reset() { this.buf = new Float32Array(0); this.heard = 0; this.sinceHop = 0; }
  push(block) {
    const keep = Math.round(this.rate);
    const next = new Float32Array(Math.min(keep, this.buf.length + block.length));
    const joined = new Float32Array(this.buf.length + block.length);
    joined.set(this.buf); joined.set(block, this.buf.length);
    next.set(joined.subarray(joined.length - next.length));
    this.buf = next; this.heard += block.length / this.rate; this.sinceHop += block.length;
  }
  poll() {
    const half = this.buf.subarray(Math.max(0, this.buf.length - Math.round(this.rate / 2)));
    const level = 20 * Math.log10(rms(half) + 1e-9);
    const peakHz = level > -60 ? peak(half, this.rate) : null;
    const frames = new Float32Array(64);
    for (let i = 0; i < 64; i++) frames[i] = -7 + Math.max(0, (level + 80) / 10) * Math.exp(-Math.abs(i - (peakHz ?? 0) / 125));
    let res = null;
    if (this.sinceHop >= 0.48 * this.rate) { this.sinceHop = 0; res = result(this.buf, this.rate); }
    return { level, peakHz, melFrames: frames, heardSeconds: this.heard, result: res };
  }
  free() {}
}
