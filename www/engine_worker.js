// The analysis worker (a module Web Worker): owns the wasm core, the model, the index and the taught classes,
// so the page's main thread only draws. Started by www/engine.js, which is the only code that talks to it.
//
// Messages in (from engine.js):
//   {id, op, args}   a request: one of OPS below; answered {id, value} or {id, error: {message, code, name}}
//   {block}          a microphone block (Float32Array at the listener's rate): pushed to the live listener,
//                    then the listener is polled (once per batch of queued blocks)
// Messages out:
//   {id, value} / {id, error}                  answers, matched by id (a file scan yields between its steps, so
//                                              requests made meanwhile may be answered before it)
//   {poll, gen}                                a live update, {level, peakHz, melFrames, heardSeconds, result},
//                                              from listener generation `gen` (see `listen`)
//   {pollError, gen, message}                  the listener failed to analyse (it was reset)
//   {progress, id}                             a file scan's progress (0..1) for request `id`
// Values are structured-cloned; sample arrays going out are transferred.

import init, { Sori, decodeOggVorbis } from '../sori.js';
import { TEACH_OPS } from './engine_ops.js';

/** Windows (0.96 s, hop 0.48 s) analysed per step of a file scan, between which blocks and requests get in. */
const SCAN_STEP_WINDOWS = 8;

/**
 * Benchmarks only (tools/bench/phone.mjs): `engine_worker.js?cpuSlowdown=N` makes every piece of work take N
 * times as long (a busy wait after it), because Chromium's CPU throttling (DevTools protocol) reaches the page's
 * main thread but not its workers. 1 (no wait) for the page.
 */
const SLOWDOWN = Math.min(20, Math.max(1, Number(new URL(import.meta.url).searchParams.get('cpuSlowdown')) || 1));

/** Runs `fn`, then, when benchmarking a slower device, waits (SLOWDOWN − 1) times as long again. */
function work(fn) {
  if (SLOWDOWN === 1) return fn();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const until = performance.now() + (performance.now() - t0) * (SLOWDOWN - 1);
    while (performance.now() < until);
  }
}

const state = {
  wasm: null, // the wasm exports (memory)
  sori: null,
  listener: null,
  gen: 0, // bumped by every new listener: the page drops updates of an older one
  pollQueued: false,
};

function sori() {
  if (!state.sori) throw Object.assign(new Error('the model is not loaded'), { code: 'not_ready' });
  return state.sori;
}

function freeListener() {
  state.listener?.free();
  state.listener = null;
  state.gen += 1;
}

const OPS = {
  /**
   * Instantiates the wasm from the WebAssembly.Module the page compiled (its download started by
   * `<link rel=preload>`: one download, not two), then loads the model and the index:
   * {classes, images: [[slug, {bytes, mime}]]}.
   */
  async init(wasmModule, model, index) {
    state.wasm ??= await init({ module_or_path: wasmModule });
    return work(() => {
      state.sori?.free();
      state.sori = null;
      const s = new Sori(model, index);
      state.sori = s;
      const classes = s.classes();
      const images = [];
      for (const c of classes) {
        const img = s.image(c.slug);
        if (img?.bytes?.length) images.push([c.slug, { bytes: img.bytes, mime: img.mime }]);
      }
      setTimeout(warmUp, 0); // after the answer: the page is ready meanwhile
      return { classes, images };
    });
  },
  /** A new live listener at `rate` (the AudioContext's) replaces the old one: returns its generation. */
  listen(rate) {
    freeListener();
    state.listener = sori().listener(rate);
    return state.gen;
  },
  /** Forgets the live evidence so far (same listener, same generation). */
  resetListener() {
    state.listener?.reset();
  },
  /** A whole file: {overall, timeline}; posts {progress} between steps. */
  async scan(id, samples, rate) {
    const scan = sori().fileScan(samples, rate);
    try {
      for (;;) {
        const { done, progress } = work(() => scan.step(SCAN_STEP_WINDOWS));
        if (done) break;
        postMessage({ progress, id });
        await new Promise((ok) => setTimeout(ok, 0)); // let microphone blocks and other requests in
      }
      return work(() => scan.result());
    } finally {
      scan.free();
    }
  },
  decodeOggVorbis(bytes, rate) {
    if (!state.wasm) throw new Error('the wasm is not loaded');
    return decodeOggVorbis(bytes, rate);
  },
  /** Bytes of wasm memory (kiosk soak benchmark). */
  memoryBytes() {
    return state.wasm ? state.wasm.memory.buffer.byteLength : 0;
  },
};
for (const op of TEACH_OPS) OPS[op] = (...args) => sori()[op](...args);

/**
 * Runs the whole analysis once on 1.5 s of generated noise at 44.1 kHz, right after loading, so the engine's
 * first compilation and optimisation of the wasm (about as long again as a warm analysis) is not paid by the
 * first file or the first live answer. Nothing is kept.
 */
function warmUp() {
  if (!state.sori) return;
  const x = new Float32Array(66150);
  let seed = 1;
  for (let i = 0; i < x.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    x[i] = 0.1 * ((seed / 2 ** 32) * 2 - 1);
  }
  try {
    work(() => {
      const scan = state.sori.fileScan(x, 44100);
      try {
        while (!scan.step(SCAN_STEP_WINDOWS).done);
        scan.result();
      } finally {
        scan.free();
      }
    });
  } catch (err) {
    console.warn('[sori] warm-up analysis failed', err); // the real one will say what is wrong
  }
}

function poll() {
  state.pollQueued = false;
  const live = state.listener;
  if (!live) return;
  const gen = state.gen;
  try {
    const p = work(() => live.poll());
    postMessage({ poll: p, gen }, p.melFrames?.buffer ? [p.melFrames.buffer] : []);
  } catch (err) {
    live.reset();
    postMessage({ pollError: err?.message ?? String(err), gen });
  }
}

/** Sample arrays in a value (the answers of exampleAudio, cutExamples, decodeOggVorbis): moved, not copied. */
function transferables(value) {
  if (value instanceof Float32Array) return [value.buffer];
  if (Array.isArray(value) && value.every((v) => v instanceof Float32Array)) return value.map((v) => v.buffer);
  return [];
}

onmessage = async (e) => {
  const msg = e.data;
  if (msg.block) {
    try {
      work(() => state.listener?.push(msg.block));
    } catch (err) {
      postMessage({ pollError: err?.message ?? String(err), gen: state.gen });
      return;
    }
    // Blocks that queued up while the worker was busy are all pushed before one poll analyses them.
    if (!state.pollQueued) {
      state.pollQueued = true;
      setTimeout(poll, 0);
    }
    return;
  }
  const { id, op, args = [] } = msg;
  try {
    const fn = OPS[op];
    if (!fn) throw new Error(`unknown request ${op}`);
    const value = await (op === 'scan' ? fn(id, ...args) : work(() => fn(...args)));
    postMessage({ id, value }, transferables(value));
  } catch (err) {
    postMessage({ id, error: { message: err?.message ?? String(err), code: err?.code, name: err?.name } });
  }
};
