// The page's side of the analysis worker (www/engine_worker.js): every call into the wasm core goes through
// here and runs off the main thread, so listening and scanning never block drawing or taps.
//
//   const engine = Engine.spawn();                   // the worker and its sori.js load meanwhile
//   await engine.load(wasmModule, modelBytes, indexBytes); // instantiated and loaded there (bytes moved)
//   engine.classes, engine.images                                // what the gallery needs, fetched once
//   engine.onPoll = (p) => …; engine.onPollError = (message) => …;
//   await engine.listen(rate); engine.push(block); engine.resetListener();
//   await engine.scan(samples, rate, (progress) => …)            // {overall, timeline}
//   await engine.decodeOggVorbis(bytes, rate); await engine.memoryBytes();
//   await engine.learn(…), engine.taught(), …                     // the teaching calls (docs/teach-api.md)
//
// Every method returns a promise; a failure in the worker rejects it with an Error carrying the wasm layer's
// `code` (e.g. 'damaged', 'bad_name'). If the worker itself dies, every pending and later call rejects with
// code 'worker', and `onCrash(err)` is called once.

import { TEACH_OPS } from './engine_ops.js';

/** Calls forwarded as they are to the worker (teaching, www/teach.js; the reference-sound fallback; memory). */
const FORWARDED = [...TEACH_OPS, 'decodeOggVorbis', 'memoryBytes'];

export class Engine {
  constructor(worker) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map(); // id -> {ok, fail, onProgress}
    this.gen = -1; // the live listener's generation: older updates are dropped
    this.dead = null;
    this.onPoll = () => {};
    this.onPollError = () => {};
    this.onCrash = () => {};
    worker.onmessage = (e) => this.receive(e.data);
    worker.onerror = (e) => {
      e.preventDefault?.();
      this.crash(new Error(e.message || 'the analysis worker failed'));
    };
    worker.onmessageerror = () => this.crash(new Error('a message from the analysis worker could not be read'));
  }

  /** Starts the worker, which loads its code while the page fetches the bytes. Throws Error{code: 'worker'}. */
  static spawn() {
    let worker;
    try {
      const url = new URL('./engine_worker.js', import.meta.url);
      // Benchmarks emulating a slower phone (tools/bench/phone.mjs) pass `?cpuSlowdown=N` on to the worker.
      const slowdown = new URLSearchParams(location.search).get('cpuSlowdown');
      if (slowdown) url.searchParams.set('cpuSlowdown', slowdown);
      worker = new Worker(url, { type: 'module' });
    } catch (err) {
      throw Object.assign(new Error(`the analysis worker could not start: ${err?.message ?? err}`), { code: 'worker' });
    }
    return new Engine(worker);
  }

  /**
   * Instantiates the wasm (a compiled WebAssembly.Module, shared with the worker) and loads the model and the
   * index there (the byte arrays are moved, not copied).
   */
  async load(wasmModule, model, index) {
    const { classes, images } = await this.call('init', [wasmModule, model, index], [model.buffer, index.buffer]);
    this.classes = classes;
    this.images = new Map(images);
  }

  call(op, args = [], transfer = [], onProgress = null) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok, fail, onProgress });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  receive(msg) {
    if ('poll' in msg) {
      if (msg.gen === this.gen) this.onPoll(msg.poll);
      return;
    }
    if ('pollError' in msg) {
      if (msg.gen === this.gen) this.onPollError(msg.pollError);
      return;
    }
    const waiting = this.pending.get(msg.id);
    if (!waiting) return;
    if ('progress' in msg) {
      waiting.onProgress?.(msg.progress);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.error) {
      const err = new Error(msg.error.message);
      if (msg.error.code) err.code = msg.error.code;
      if (msg.error.name) err.name = msg.error.name;
      waiting.fail(err);
    } else waiting.ok(msg.value);
  }

  crash(err) {
    if (this.dead) return;
    this.dead = Object.assign(err, { code: 'worker' });
    for (const w of this.pending.values()) w.fail(this.dead);
    this.pending.clear();
    this.worker.terminate();
    this.onCrash(this.dead);
  }

  /** A new live listener at the AudioContext's `rate`; updates arrive in `onPoll`. */
  async listen(rate) {
    this.gen = -1; // nothing from the listener being replaced
    this.gen = await this.call('listen', [rate]);
  }

  /** A microphone block (moved to the worker: do not use it afterwards). */
  push(block) {
    if (!this.dead) this.worker.postMessage({ block }, [block.buffer]);
  }

  resetListener() {
    return this.call('resetListener');
  }

  /** Scans a whole file off the main thread: {overall, timeline}; `onProgress(0..1)` between steps. */
  scan(samples, rate, onProgress) {
    return this.call('scan', [samples, rate], [samples.buffer], onProgress);
  }
}

for (const op of FORWARDED) {
  if (!(op in Engine.prototype)) Engine.prototype[op] = function (...args) {
    return this.call(op, args);
  };
}
