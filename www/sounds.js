// Reference sounds of the classes, from the optional companion file `<index>.sounds` that
// `sori build` writes when some training recordings may be shipped (layout: src/index/sounds.rs).
// Loaded after the page is ready, so the first answer never waits for it. No file (404), or one
// that fails its checks, means no play buttons: the page says nothing.
//
// Output of loadSounds: { bySlug: Map(slug -> {slug, mime, licence, credit, source, startMs,
// durationMs, data}) }. Playback (SoundPlayer) goes through Web Audio: decodeAudioData + an
// AudioBufferSourceNode, so no media URL is needed (the page's CSP allows none); an AnalyserNode
// feeds the little spectrogram drawn while it plays.
//
// Decoding: the browser's decodeAudioData first. Where it cannot read Ogg Vorbis (Safari and iOS
// WebKit before 18.4 have no Ogg container), SoundPlayer.fallback — the wasm's pure-Rust decoder
// (`decodeOggVorbis` in src/web, symphonia) — turns the bytes into samples at the context's rate.
// Feature detection: the fallback runs only when decodeAudioData fails, whatever the browser.

import { openCompanion } from './companion.js';

const MAGIC = [0x53, 0x4f, 0x52, 0x49, 0x53, 0x4e, 0x44, 0x00]; // "SORISND\0"
const VERSION = 1;
const MIMES = ['audio/ogg'];

/** Parses a sounds file (ArrayBuffer). Throws Error on a bad magic, version, length or checksum. */
export function parseSounds(buffer) {
  const r = openCompanion(buffer, MAGIC, VERSION, 'sounds file');
  const count = r.u16();
  const sounds = [];
  for (let i = 0; i < count; i++) {
    const s = { slug: r.str(), mime: r.str(), licence: r.str(), credit: r.str(), source: r.str(), startMs: r.u32(), durationMs: r.u32(), data: r.blob() };
    if (!MIMES.includes(s.mime)) throw new Error(`sound of ${s.slug} has type ${s.mime}`);
    sounds.push(s);
  }
  r.end();
  return sounds;
}

/** Fetches and parses `url`; null when there is none or it is unusable (logged, never thrown). */
export async function loadSounds(url) {
  try {
    const res = await fetch(url);
    if (!res.ok) return null; // 404: this site has no reference sounds
    const bySlug = new Map();
    for (const s of parseSounds(await res.arrayBuffer())) bySlug.set(s.slug, s);
    return { bySlug };
  } catch (err) {
    console.warn('reference sounds not loaded', err);
    return null;
  }
}

/** How long a suspended audio context may take to start before playback counts as blocked (ms). */
const PLAY_START_TIMEOUT_MS = 5000;

/** Why a sound could not be played: 'blocked' (no user gesture yet), 'decode' (codec), 'audio' (no Web Audio). */
export class SoundError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * Plays reference sounds, one at a time, through one AudioContext made on the first play (inside
 * the click). `onFrame(bytes)` gets the analyser's spectrum (Uint8Array) on every animation frame
 * while a sound plays; `onEnd()` when it stops. State for tests: `window.__sori.sound`.
 */
export class SoundPlayer {
  constructor() {
    this.ctx = null;
    this.buffers = new Map();
    this.current = null;
    this.raf = 0;
    /** `(bytes: Uint8Array, rate) -> Promise<Float32Array>` mono at `rate`, or null: set once the wasm is loaded. */
    this.fallback = null;
  }

  /** Decodes `sound` to an AudioBuffer: the browser's decoder, else the fallback. Throws SoundError('decode'). */
  async decode(sound) {
    let browserErr;
    try {
      // decodeAudioData detaches its argument: hand it a copy. Old WebKit only calls back (no promise).
      const buffer = await new Promise((ok, no) => this.ctx.decodeAudioData(sound.data.slice().buffer, ok, no)?.then?.(ok, no));
      return { buffer, decoder: 'browser' };
    } catch (err) {
      browserErr = err?.message || String(err || 'EncodingError');
    }
    if (!this.fallback) throw new SoundError('decode', browserErr);
    try {
      const rate = this.ctx.sampleRate;
      const samples = await this.fallback(sound.data, rate);
      if (!samples?.length) throw new Error('no samples');
      const buffer = this.ctx.createBuffer(1, samples.length, rate);
      buffer.getChannelData(0).set(samples);
      return { buffer, decoder: 'wasm' };
    } catch (err) {
      throw new SoundError('decode', `${browserErr}; wasm decoder: ${err?.message || err}`);
    }
  }

  /** Starts `sound` (from loadSounds); resolves once it runs. Throws SoundError. */
  async play(sound, { onFrame = () => {}, onEnd = () => {} } = {}) {
    const Ctx = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!Ctx) throw new SoundError('audio', 'Web Audio is not available');
    this.stop();
    this.ctx ??= new Ctx();
    const resumed = this.ctx.state === 'running' ? Promise.resolve() : this.ctx.resume();
    // A context that stays suspended was blocked by the browser's autoplay policy. An audio output
    // can take seconds to open on a loaded machine (headless Firefox on a busy 2-core CI runner:
    // over 3 s), so wait that long before calling it blocked; play() always follows a tap.
    await Promise.race([resumed, new Promise((ok) => setTimeout(ok, PLAY_START_TIMEOUT_MS))]);
    if (this.ctx.state !== 'running') throw new SoundError('blocked', `audio context ${this.ctx.state}`);
    let decoded = this.buffers.get(sound.slug);
    if (!decoded) {
      decoded = await this.decode(sound);
      this.buffers.set(sound.slug, decoded);
    }
    const { buffer, decoder } = decoded;
    const src = this.ctx.createBufferSource();
    src.buffer = buffer;
    const analyser = this.ctx.createAnalyser();
    analyser.fftSize = 256;
    analyser.smoothingTimeConstant = 0.3;
    src.connect(analyser);
    analyser.connect(this.ctx.destination);
    const state = { slug: sound.slug, decoder, state: 'playing', frames: 0, loudest: 0, duration: buffer.duration, startedAt: this.ctx.currentTime };
    const self = { src, analyser, state, onEnd };
    this.current = self;
    globalThis.__sori && (globalThis.__sori.sound = state);
    src.onended = () => {
      if (this.current !== self) return;
      this.current = null;
      cancelAnimationFrame(this.raf);
      state.state = 'ended';
      onEnd();
    };
    src.start();
    const bins = new Uint8Array(analyser.frequencyBinCount);
    const frame = () => {
      if (this.current !== self) return;
      analyser.getByteFrequencyData(bins);
      state.frames += 1;
      for (const b of bins) if (b > state.loudest) state.loudest = b;
      state.position = this.ctx.currentTime - state.startedAt;
      onFrame(bins);
      this.raf = requestAnimationFrame(frame);
    };
    this.raf = requestAnimationFrame(frame);
    return state;
  }

  /** Stops what is playing (its onEnd runs). */
  stop() {
    const cur = this.current;
    if (!cur) return;
    this.current = null;
    cancelAnimationFrame(this.raf);
    try {
      cur.src.stop();
    } catch {
      // already stopped
    }
    cur.state.state = 'stopped';
    cur.onEnd();
  }

  /** The slug playing now, or ''. */
  playing() {
    return this.current?.state.slug ?? '';
  }
}

/** A small scrolling spectrogram of the analyser's bins (low at the bottom) on `canvas`. */
export function drawSpectrum(canvas, bins) {
  const ctx = canvas.getContext('2d', { alpha: false });
  if (!ctx) return;
  const { width, height } = canvas;
  ctx.drawImage(canvas, 2, 0, width - 2, height, 0, 0, width - 2, height);
  // 16 kHz audio at the context's rate fills only the lower bins: show 0–8 kHz.
  const top = Math.max(8, Math.floor(bins.length * Math.min(1, 16000 / 2 / (canvas.dataset.nyquist || 24000))));
  for (let y = 0; y < height; y++) {
    const v = bins[Math.min(top - 1, Math.floor(((height - 1 - y) * top) / height))] / 255;
    const r = Math.round(16 + 234 * v * v);
    const g = Math.round(19 + 211 * v);
    const b = Math.round(26 + 124 * (1 - v) * v * 4);
    ctx.fillStyle = `rgb(${r},${g},${Math.min(255, b)})`;
    ctx.fillRect(width - 2, y, 2, 1);
  }
}
