// Audio input for the page: the microphone session (with self-recovery) and file decoding.
//
// Mic:  getUserMedia → MediaStreamSource → AudioWorkletNode('sori-tap') → port messages
//       → `onBlock(Float32Array)` at the AudioContext's own rate (`onStart(sampleRate)` says which).
// File: File/ArrayBuffer → decodeAudioData (any container/rate the browser knows) → mono Float32Array.
// Failures become `AudioInputError`s with a `code` the UI turns into a message a person can act on:
//   insecure | unsupported | mic-denied | no-mic | mic-busy | file-decode | file-empty
// ('cancelled' means stop() ran while the mic was opening: not an error to show; 'needs-gesture'
// means the browser keeps audio suspended until the user taps: ask for a tap.)

/** An input failure with a stable `code` (see the module header) and an optional detail. */
export class AudioInputError extends Error {
  constructor(code, detail = '', cause = undefined) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'AudioInputError';
    this.code = code;
    this.detail = detail;
    this.cause = cause;
  }
}

// A minimal module using one v128 instruction: validates only where wasm SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** Lists what this browser lacks to run Sori at all (empty = fine): 'WebAssembly', 'WebAssembly SIMD', 'Web Audio'. */
export function missingFeatures() {
  const missing = [];
  if (typeof WebAssembly !== 'object') missing.push('WebAssembly');
  else if (!WebAssembly.validate(SIMD_PROBE)) missing.push('WebAssembly SIMD');
  if (!audioContextClass() && !offlineContextClass()) missing.push('Web Audio');
  return missing;
}

function audioContextClass() {
  return globalThis.AudioContext ?? globalThis.webkitAudioContext ?? null;
}

function offlineContextClass() {
  return globalThis.OfflineAudioContext ?? globalThis.webkitOfflineAudioContext ?? null;
}

/** Maps a getUserMedia / AudioContext failure to an AudioInputError. */
export function micError(err) {
  if (err instanceof AudioInputError) return err;
  const name = err?.name ?? '';
  if (name === 'NotAllowedError' || name === 'PermissionDeniedError' || name === 'SecurityError')
    return new AudioInputError('mic-denied', err.message, err);
  if (name === 'NotSupportedError') return new AudioInputError('unsupported', err.message, err);
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError')
    return new AudioInputError('no-mic', err.message, err);
  return new AudioInputError('mic-busy', err?.message ?? String(err), err);
}

/** Retry delays after a lost microphone, in ms (the last one repeats). */
export const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000, 30000];

/** How long to wait for AudioContext.resume() before deciding a user gesture is needed. */
const RESUME_MS = 2000;

/** No worklet block for this long while running counts as a stall (context suspended, worklet dead). */
const STALL_MS = 4000;

/**
 * A microphone session that keeps itself alive.
 *
 * `start()` must first run inside a user gesture (it creates and resumes the AudioContext
 * synchronously before awaiting anything, which iOS Safari requires). After that, a lost track,
 * a crashed worklet, a stall or a device change triggers a rebuild with backoff (`BACKOFF_MS`),
 * up to `maxRetries` times in a row (default: forever, for the kiosk).
 */
export class Mic {
  /**
   * @param {{onBlock: (b: Float32Array) => void, onStart?: (rate: number) => void, onStop?: () => void,
   *          onRecovering?: (err: AudioInputError) => void, onFatal?: (err: AudioInputError) => void,
   *          workletUrl?: string, batch?: number, maxRetries?: number}} opts
   */
  constructor(opts) {
    this.opts = { workletUrl: './www/worklet.js', batch: 1024, maxRetries: Infinity, ...opts };
    this.wanted = false; // the user wants the mic on
    this.live = null; // {ctx, stream, source, node}
    this.attempt = 0;
    this.retryTimer = 0;
    this.watchTimer = 0;
    this.lastBlockAt = 0;
    this.generation = 0; // invalidates callbacks from torn-down sessions
    this.opening = 0; // open() calls in flight: a devicechange must not start another
    this.onDeviceChange = () => {
      // WebKit fires devicechange while getUserMedia is still opening (devices become visible once
      // allowed): a second open() then would cancel the first. Only a session that is down retries.
      if (this.wanted && !this.live && this.opening === 0) this.retryNow();
    };
  }

  /** True while audio flows. */
  get running() {
    return this.live !== null;
  }

  /** Opens the microphone. Rejects with an AudioInputError; call from a click/tap handler. */
  async start() {
    this.wanted = true;
    this.attempt = 0;
    navigator.mediaDevices?.addEventListener?.('devicechange', this.onDeviceChange);
    try {
      await this.open();
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  /** After a failed start(): keep retrying with backoff (the kiosk never gives up). */
  keepTrying(err) {
    this.wanted = true;
    navigator.mediaDevices?.addEventListener?.('devicechange', this.onDeviceChange);
    this.scheduleRetry(micError(err));
  }

  /** Releases everything: stops all tracks, closes the AudioContext, cancels retries. */
  stop() {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.onDeviceChange);
    const wasLive = this.live !== null;
    this.teardown();
    if (wasLive) this.opts.onStop?.();
  }

  async open() {
    this.opening += 1;
    try {
      await this.openOnce();
    } finally {
      this.opening -= 1;
    }
  }

  async openOnce() {
    if (!globalThis.isSecureContext) throw new AudioInputError('insecure');
    if (!navigator.mediaDevices?.getUserMedia) throw new AudioInputError('unsupported', 'getUserMedia');
    const Ctx = audioContextClass();
    if (!Ctx) throw new AudioInputError('unsupported', 'Web Audio');
    const gen = ++this.generation;
    const ctx = new Ctx({ latencyHint: 'interactive' });
    const resumed = ctx.resume?.(); // inside the gesture, before any await (iOS Safari)
    resumed?.catch?.(() => {}); // judged below, by resumeWithin
    // Every listener on this microphone's objects goes with `off` when it is closed (closeLive): a closed
    // context still listened to, or its worklet port still open, is kept alive by the browser (a kiosk soak
    // found one AudioContext and three listeners left behind per recovery).
    const off = new AbortController();
    const live = { ctx, stream: null, source: null, node: null, off };
    const on = { signal: off.signal };
    try {
      if (!ctx.audioWorklet || typeof AudioWorkletNode === 'undefined')
        throw new AudioInputError('unsupported', 'AudioWorklet');
      const [stream] = await Promise.all([
        navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
          video: false,
        }),
        ctx.audioWorklet.addModule(this.opts.workletUrl),
      ]);
      live.stream = stream;
      if (gen !== this.generation || !this.wanted) throw new AudioInputError('cancelled');
      live.source = ctx.createMediaStreamSource(stream);
      live.node = new AudioWorkletNode(ctx, 'sori-tap', {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        processorOptions: { batch: this.opts.batch },
      });
      live.node.port.addEventListener('message', (e) => {
        if (gen !== this.generation) return;
        this.lastBlockAt = performance.now();
        this.attempt = 0; // audio flows: the next failure starts the backoff afresh
        if (e.data instanceof Float32Array) this.opts.onBlock(e.data);
      }, on);
      live.node.port.start();
      live.node.addEventListener('processorerror', () =>
        this.lost(gen, new AudioInputError('mic-busy', 'worklet crashed')),
      on);
      for (const track of stream.getAudioTracks())
        track.addEventListener('ended', () => this.lost(gen, new AudioInputError('no-mic', 'track ended')), on);
      ctx.addEventListener('statechange', () => {
        if (gen !== this.generation) return;
        if (ctx.state === 'closed') this.lost(gen, new AudioInputError('mic-busy', 'context closed'));
        else if (ctx.state !== 'running') ctx.resume().catch(() => {}); // 'interrupted' (iOS call), 'suspended'
      }, on);
      live.source.connect(live.node);
      live.node.connect(ctx.destination); // silent output keeps the graph pulling on every engine
      if (ctx.state !== 'running') await resumeWithin(ctx, resumed, RESUME_MS);
    } catch (err) {
      closeLive(live);
      throw micError(err);
    }
    this.live = live;
    this.last = live; // kept after stop() so a test can check the tracks ended and the context closed
    this.lastBlockAt = performance.now();
    clearInterval(this.watchTimer);
    this.watchTimer = setInterval(() => this.watch(gen), 1000);
    this.opts.onStart?.(ctx.sampleRate);
  }

  watch(gen) {
    if (gen !== this.generation || !this.live) return;
    const idle = performance.now() - this.lastBlockAt;
    if (idle > STALL_MS) this.lost(gen, new AudioInputError('mic-busy', `no audio for ${Math.round(idle)} ms`));
    else if (idle > 1000 && this.live.ctx.state !== 'running') this.live.ctx.resume().catch(() => {});
  }

  lost(gen, err) {
    if (gen !== this.generation || !this.wanted) return;
    this.teardown();
    this.scheduleRetry(err);
  }

  scheduleRetry(err) {
    if (!this.wanted || err.code === 'cancelled') return;
    if (this.attempt >= this.opts.maxRetries) {
      this.stop();
      this.opts.onFatal?.(err);
      return;
    }
    this.opts.onRecovering?.(err);
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.retryNow(), delay);
  }

  retryNow() {
    clearTimeout(this.retryTimer);
    if (!this.wanted || this.live || this.opening > 0) return;
    this.open().catch((err) => this.scheduleRetry(micError(err)));
  }

  teardown() {
    this.generation += 1;
    clearInterval(this.watchTimer);
    if (this.live) closeLive(this.live);
    this.live = null;
  }
}

function resumeWithin(ctx, pending, ms) {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new AudioInputError('needs-gesture')), ms);
    Promise.resolve(pending)
      .then(() => (ctx.state === 'running' ? undefined : ctx.resume()))
      .then(
        () => {
          clearTimeout(timer);
          ok();
        },
        (err) => {
          clearTimeout(timer);
          fail(err);
        },
      );
  });
}

function closeLive({ ctx, stream, source, node, off }) {
  off?.abort(); // every listener this microphone added
  try {
    node?.port.postMessage('stop');
    node?.port.close();
    node?.disconnect();
    source?.disconnect();
  } catch {
    // already disconnected
  }
  for (const track of stream?.getTracks() ?? []) track.stop();
  if (ctx && ctx.state !== 'closed') ctx.close().catch(() => {});
}

/**
 * Decodes an audio file to mono samples.
 * Decodes at 16 kHz where the browser allows (the model's rate, so nothing is resampled twice),
 * else at 44.1 kHz; the caller passes `sampleRate` on, so either is fine. A corrupt file is
 * tried at both rates before it is reported.
 * @param {Blob|ArrayBuffer} input
 * @param {string} [name] file name for messages
 * @returns {Promise<{samples: Float32Array, sampleRate: number, duration: number}>}
 */
export async function decodeFile(input, name = 'audio') {
  const bytes = input instanceof ArrayBuffer ? input : await input.arrayBuffer();
  if (bytes.byteLength === 0) throw new AudioInputError('file-empty', name);
  const Offline = offlineContextClass();
  const Ctx = audioContextClass();
  if (!Offline && !Ctx) throw new AudioInputError('unsupported', 'Web Audio');
  // 16 kHz first; some engines refuse that rate (or fail to decode into it): then 44.1 kHz.
  let buffer = null;
  let lastErr = null;
  for (const rate of [16000, 44100]) {
    let ctx = null;
    try {
      ctx = Offline ? new Offline(1, 1, rate) : new Ctx({ sampleRate: rate });
      const copy = bytes.slice(0); // decodeAudioData detaches its argument
      buffer = await new Promise((ok, fail) => {
        // Old Safari only has the callback form; new engines return a promise too.
        const p = ctx.decodeAudioData(copy, ok, fail);
        p?.then?.(ok, fail);
      });
      break;
    } catch (err) {
      lastErr = err;
    } finally {
      if (ctx && !Offline) ctx.close?.().catch?.(() => {});
    }
  }
  if (!buffer) throw new AudioInputError('file-decode', name, lastErr);
  if (!buffer || buffer.length === 0) throw new AudioInputError('file-empty', name);
  return { samples: downmix(buffer), sampleRate: buffer.sampleRate, duration: buffer.duration };
}

/** Averages the channels of an AudioBuffer into one Float32Array. */
export function downmix(buffer) {
  const n = buffer.numberOfChannels;
  if (n === 1) return buffer.getChannelData(0).slice();
  const out = new Float32Array(buffer.length);
  for (let c = 0; c < n; c++) {
    const ch = buffer.getChannelData(c);
    for (let i = 0; i < out.length; i++) out[i] += ch[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= n;
  return out;
}
