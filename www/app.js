// The page's entry module: loads the wasm core, the model and the index, then wires the inputs
// (microphone, file) to the outputs (answer card, meter, spectrogram, timeline, gallery).
//
// Flow:  fetch(wasm, model, index) → Engine.spawn + load (a module worker loads the wasm, model and index: engine.js)
//          → classes + images → gallery
//        mic:  Mic (worklet blocks) → engine.push → the worker analyses → onPoll updates queued;
//              rAF → drain the queue → meter/spectrogram/card
//        file: decodeFile → engine.scan (in the worker, with progress) → card + timeline
// The wasm never runs on the main thread: it only draws (issue 19: no long tasks while listening or scanning).
// Kiosk (`?kiosk=1`): no controls, large type, listens continuously, holds an answer HOLD_MS,
// recovers the mic by itself; `?kiosk=1&teach=1` also shows the teach screen (for an operator).
// Teaching (www/teach.js): taught sounds are loaded from the device at start, kiosk included. Test hooks: `window.__sori` {state, timings}, `data-*` attributes.

import { applyStatic, defaultLang, lang, setLang, t } from './i18n.js';
import { AudioInputError, Mic, decodeFile, missingFeatures } from './audio.js';
import { AnswerCard, Images, Spectrogram, dropZone, pct, renderGallery, renderTimeline, setLevel, setPeak } from './ui.js';
import { loadPhotos } from './photos.js';
import { SoundPlayer, drawSpectrum, loadSounds } from './sounds.js';
import { Teach } from './teach.js';
import { KioskSoundLoop, kioskLoopTimes } from './kiosk_sounds.js';
import { Engine } from './engine.js';

/** How long the kiosk keeps showing an answer after the last time it was heard (ms). */
const HOLD_MS = 4000;
/** Files longer than this (s) get a timeline of what was heard when. */
const TIMELINE_MIN_S = 3;
/** Where the wasm core, the model and the index are served, relative to the page. */
const WASM_URL = 'sori_bg.wasm';
const MODEL_URL = 'model/mn04.sorim';
const INDEX_URL = 'default.idx';

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const params = new URLSearchParams(location.search);
const kiosk = params.get('kiosk') === '1';
/** The teach screen is shown, except in a kiosk without `?teach=1`. */
const teachOpen = !kiosk || params.get('teach') === '1';

const app = {
  engine: null, // the analysis worker (Engine, www/engine.js): every call into the wasm
  classes: new Map(),
  classList: [],
  images: null,
  card: null,
  spectro: null,
  mic: null,
  listening: false, // the worker has a live listener
  listenerRate: 0,
  polls: [], // live updates from the worker, drawn at the next frame
  raf: 0,
  holdUntil: 0,
  pollErrors: 0,
  lastFile: null, // {timeline, duration}
  sounds: null, // Map slug -> reference sound, once loaded
  player: new SoundPlayer(),
  challenge: null, // {slug, best, done}: "Can you make this sound?"
  teach: null, // Teach (www/teach.js)
};

window.__sori = { state: 'loading', timings: {}, kiosk, recoveries: [] };

/**
 * The microphone recovery log (kiosk operators, tools/bench/soak.mjs): one entry per loss, from the first
 * `onRecovering` to the `onStart` that ends it, on the console and in `window.__sori.recoveries`
 * (the last 100): {at, code, detail, attempts, recoveredAt, ms} (Date.now() times; ms = time to recover).
 */
function logLost(err) {
  const log = window.__sori.recoveries;
  const open = log.at(-1);
  if (open && open.recoveredAt == null) {
    open.attempts += 1;
    return;
  }
  log.push({ at: Date.now(), code: err.code, detail: err.detail ?? '', attempts: 1, recoveredAt: null, ms: null });
  if (log.length > 100) log.shift();
  console.info(`[sori] microphone lost (${err.code}${err.detail ? `: ${err.detail}` : ''}); recovering`);
}

function logStarted() {
  const open = window.__sori.recoveries.at(-1);
  if (!open || open.recoveredAt != null) return;
  open.recoveredAt = Date.now();
  open.ms = open.recoveredAt - open.at;
  console.info(`[sori] microphone recovered after ${open.ms} ms (${open.attempts} attempt${open.attempts > 1 ? 's' : ''})`);
}

function setState(state) {
  window.__sori.state = state;
  document.documentElement.dataset.state = state;
  const status = $('status');
  status.dataset.state = state;
  status.textContent = state === 'loading' ? t('loading') : state === 'ready' ? t('ready') : '';
}

/** Shows an actionable error. `code` is an AudioInputError code or 'load' / 'analysis'. */
function showError(code, vars = {}) {
  const key =
    {
      insecure: 'err_insecure',
      unsupported: 'err_unsupported',
      'mic-denied': 'err_mic_denied',
      'no-mic': 'err_no_mic',
      'mic-busy': 'err_mic_busy',
      'mic-lost': 'err_mic_lost',
      'needs-gesture': 'err_audio_start',
      'file-decode': 'err_file_decode',
      'file-empty': 'err_file_empty',
      analysis: 'err_analysis',
      load: 'err_load',
    }[code] ?? 'err_analysis';
  const box = $('error');
  box.dataset.code = code;
  box.querySelector('[data-role="error-text"]').textContent = t(key, { what: '', name: '', msg: '', ...vars });
  box.hidden = false;
}

function clearError() {
  const box = $('error');
  box.hidden = true;
  box.dataset.code = '';
}

function errorVars(err) {
  return { what: err?.detail || err?.message || String(err), name: err?.detail || '', msg: err?.message || String(err) };
}

async function fetchBytes(url) {
  let res;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new Error(`${url}: ${err.message}`);
  }
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * The wasm core compiled as it downloads (the engine compiles off the main thread and, on later visits, reuses
 * its cached code), handed to the analysis worker as a WebAssembly.Module. Where streaming compilation is
 * missing or refuses the response, the bytes are compiled instead.
 */
async function compileWasm(url) {
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return await WebAssembly.compileStreaming(res);
    } catch (err) {
      console.warn('[sori] streaming compilation failed; compiling the bytes', err);
    }
  }
  return WebAssembly.compile(await fetchBytes(url));
}

async function load() {
  const t0 = performance.now();
  const missing = missingFeatures();
  if (missing.length) {
    setState('error');
    showError('unsupported', { what: missing.join(', ') });
    return;
  }
  let wasm, model, index, engine;
  try {
    // The worker loads its code (sori.js) while the wasm, the model and the index download (index.html
    // preloads them); a missing or broken sori.js becomes a message, not a blank page.
    engine = Engine.spawn();
    [wasm, model, index] = await Promise.all([compileWasm(WASM_URL), fetchBytes(MODEL_URL), fetchBytes(INDEX_URL)]);
  } catch (err) {
    engine?.worker.terminate();
    setState('error');
    showError('load', { what: err.message });
    return;
  }
  const t1 = performance.now();
  try {
    await engine.load(wasm, model, index);
    app.engine = engine;
    app.classList = engine.classes;
  } catch (err) {
    setState('error');
    showError('load', { what: err?.message ?? String(err) });
    return;
  }
  app.engine.onPoll = (p) => app.polls.push(p);
  app.engine.onPollError = pollFailed;
  app.engine.onCrash = (err) => {
    console.error('[sori] the analysis worker stopped', err);
    if (kiosk) location.reload(); // an unattended kiosk starts afresh
    else showError('analysis', errorVars(err));
  };
  window.__sori.engine = engine; // for the end-to-end tests and benchmarks: the analysis worker's calls
  app.player.fallback = (bytes, rate) => app.engine.decodeOggVorbis(bytes, rate); // where decodeAudioData cannot read Ogg Vorbis
  for (const c of app.classList) app.classes.set(c.slug, c);
  app.images = new Images(app.engine.images);
  app.card = new AnswerCard($('verdict'), app.classes, app.images);
  app.card.message('idle');
  window.__sori.card = app.card; // for the end-to-end tests: render a given answer
  window.__sori.classes = app.classes; // … and look up its names
  drawGallery();
  const t2 = performance.now();
  Object.assign(window.__sori.timings, { fetchMs: t1 - t0, constructMs: t2 - t1, ready: t2 });
  setState('ready');
  $('listen').disabled = false;
  $('file-input').disabled = false;
  startTeach();
  if (kiosk) startKiosk();
  // Real class photos, if the index has a companion file: after ready, never in the way of an answer.
  loadPhotos(`${INDEX_URL}.photos`).then((photos) => {
    window.__sori.photos = photos ? photos.bySlug.size : 0;
    if (!photos) return;
    app.images.setPhotos(photos);
    drawGallery();
    app.card.refresh();
  });
  // Reference sounds, likewise after ready (the answer never waits for them).
  loadSounds(`${INDEX_URL}.sounds`).then((sounds) => {
    window.__sori.sounds = sounds ? sounds.bySlug.size : 0;
    if (!sounds) return;
    window.__sori.soundLicences = Object.fromEntries([...sounds.bySlug.values()].map((s) => [s.slug, s.licence]));
    app.sounds = sounds.bySlug;
    app.card.setSounds(app.sounds, { play: playSound, try: startChallenge, playing: () => app.player.playing() });
    renderSoundCredits();
    drawGallery();
    app.card.refresh();
    if (kiosk) startSoundLoop();
  });
}

function drawGallery() {
  renderGallery($('gallery'), app.classList, app.images, app.sounds, (slug) => {
    app.card.preview(slug);
    $('verdict').scrollIntoView({ block: 'nearest' });
    playSound(slug);
  });
}

// ---------------------------------------------------------------- teaching

function startTeach() {
  if (kiosk && teachOpen) document.documentElement.classList.add('kiosk-teach');
  app.teach = new Teach({
    engine: app.engine,
    classes: app.classes,
    classList: app.classList,
    onChange: taughtChanged,
    beforeRecord: () => {
      if (app.mic?.wanted) app.mic.stop();
    },
  });
  for (const id of ['teach-record', 'teach-room', 'teach-files', 'teach-import']) $(id).disabled = false;
  app.teach
    .start()
    .catch((err) => console.warn('teaching not started', err))
    .finally(() => {
      window.__sori.teachReady = true;
    });
}

/** The taught classes changed: listening answers with them from the next block on. */
async function taughtChanged() {
  if (app.listening && app.mic?.running) {
    await startListener(app.listenerRate);
    app.spectro.clear();
  }
  if (app.card?.state.kind === 'result') app.card.refresh();
}

/** A new live listener in the worker (the old one's updates are dropped). */
async function startListener(rate) {
  app.polls = [];
  app.listening = true;
  app.listenerRate = rate;
  try {
    await app.engine.listen(rate);
  } catch (err) {
    app.listening = false;
    console.warn('listener not started', err);
    showError('analysis', errorVars(err));
  }
}

/** The worker's listener failed to analyse (it reset itself); a kiosk reloads after repeated failures. */
function pollFailed(message) {
  console.warn('listener.poll failed', message);
  app.pollErrors += 1;
  if (kiosk && app.pollErrors > 5) location.reload(); // last resort for an unattended kiosk
}

// ---------------------------------------------------------------- reference sounds

/** Plays (or, when it is playing, stops) the reference sound of `slug`; inside the click. */
async function playSound(slug) {
  const sound = app.sounds?.get(slug);
  if (!sound) return;
  if (app.player.playing() === slug) {
    app.player.stop();
    return;
  }
  const canvas = $('sound-spectro');
  canvas.dataset.nyquist = '24000';
  let ended = false;
  try {
    const state = await app.player.play(sound, {
      onFrame: (bins) => drawSpectrum(canvas, bins),
      onEnd: () => {
        ended = true;
        app.card.setSoundStatus(slug, '', true);
      },
    });
    canvas.dataset.nyquist = String((app.player.ctx?.sampleRate ?? 48000) / 2);
    if (!ended && state.state === 'playing') app.card.setSoundStatus(slug, 'soundPlaying');
  } catch (err) {
    console.warn('reference sound not played', err);
    const key = { blocked: 'soundBlocked', decode: 'soundDecode' }[err?.code] ?? 'soundAudio';
    app.card.setSoundStatus(slug, key);
  }
}

function renderSoundCredits() {
  const item = $('sound-credits');
  const list = item.querySelector('[data-role="sound-credit-list"]');
  list.replaceChildren();
  for (const s of app.sounds.values()) {
    const c = app.classes.get(s.slug);
    const li = document.createElement('li');
    li.dataset.slug = s.slug;
    const name = c ? `${c.nameKo} · ${c.nameEn}` : s.slug;
    li.textContent = `${name}: ${s.credit || '—'} (${s.licence}); ${s.source}, ${(s.startMs / 1000).toFixed(1)}–${((s.startMs + s.durationMs) / 1000).toFixed(1)} s`;
    list.append(li);
  }
  item.hidden = app.sounds.size === 0;
}

/** "Can you make this sound?": listens (same path and thresholds as listening) for `slug`. */
async function startChallenge(slug) {
  const c = app.classes.get(slug);
  if (!c) return;
  app.player.stop();
  app.challenge = { slug, best: 0, done: false };
  renderChallenge(null);
  if (!app.mic?.wanted) await toggleListen();
}

function stopChallenge() {
  app.challenge = null;
  const box = $('challenge');
  box.hidden = true;
  box.dataset.state = '';
  box.dataset.slug = '';
}

/** Updates the challenge box from a listening result (or null before the first one). */
function renderChallenge(result) {
  const ch = app.challenge;
  if (!ch) return;
  const c = app.classes.get(ch.slug);
  const name = `${c.nameKo} · ${c.nameEn}`;
  const box = $('challenge');
  box.hidden = false;
  box.dataset.slug = ch.slug;
  const text = box.querySelector('[data-role="challenge-text"]');
  if (result && !ch.done) {
    ch.updates = (ch.updates ?? 0) + 1;
    const mine = (result.matches ?? []).find((m) => m.class === ch.slug);
    const score = result.verdict === ch.slug ? result.score : (mine?.score ?? 0);
    ch.best = Math.max(ch.best * 0.9, score);
    if (result.verdict === ch.slug) ch.done = true;
    else if (result.verdict !== 'silence') ch.heard = result.verdict;
  }
  box.querySelector('[data-role="challenge-bar"]').style.width = pct(ch.best);
  box.dataset.state = ch.done ? 'success' : 'listening';
  box.dataset.score = ch.best.toFixed(3);
  box.dataset.updates = String(ch.updates ?? 0); // listening results seen (tests: the challenge really listened)
  box.dataset.heard = ch.heard ?? '';
  if (ch.done) text.textContent = t('trySuccess', { name });
  else if (ch.heard) {
    const h = app.classes.get(ch.heard);
    const heard = h ? `${h.nameKo} · ${h.nameEn}` : t(ch.heard === 'unknown' ? 'unknown' : 'silence').split(/[.。]/)[0];
    text.textContent = `${t('tryListening', { name })} ${t('tryHeard', { heard })}`;
  } else text.textContent = t('tryListening', { name });
}

// ---------------------------------------------------------------- microphone

function makeMic() {
  const mic = new Mic({
    maxRetries: kiosk ? Infinity : 3,
    onBlock: (block) => {
      if (app.listening) app.engine.push(block);
    },
    onStart: (rate) => {
      logStarted();
      if (!app.listening || app.listenerRate !== rate) startListener(rate);
      else {
        app.polls = [];
        app.engine.resetListener().catch((err) => console.warn('listener not reset', err));
      }
      app.spectro.clear();
      clearError();
      window.__sori.timings.micStart = performance.now();
      window.__sori.timings.firstResult = null;
      setListening(true);
      if (!kiosk || Date.now() > app.holdUntil) app.card.message('listening');
      loop();
    },
    onStop: () => setListening(false),
    onRecovering: (err) => {
      logLost(err);
      setListening(false);
      if (err.code === 'needs-gesture' && kiosk) $('kiosk-start').hidden = false;
      if (kiosk) app.card.message('recovering');
      else showError('mic-lost', errorVars(err));
    },
    onFatal: (err) => {
      setListening(false);
      showError(err.code, errorVars(err));
    },
  });
  window.__sori.mic = mic; // for the end-to-end tests: is the mic really released after stop?
  return mic;
}

function setListening(on) {
  const btn = $('listen');
  btn.setAttribute('aria-pressed', on ? 'true' : 'false');
  const label = btn.querySelector('[data-role="label"]');
  label.dataset.i18n = on ? 'stop' : 'listen';
  label.textContent = t(label.dataset.i18n);
  document.documentElement.dataset.listening = on ? '1' : '0';
  if (!on) {
    cancelAnimationFrame(app.raf);
    app.raf = 0;
    setLevel($('level-bar'), -Infinity);
  }
}

async function toggleListen() {
  if (!app.engine) return;
  if (app.mic?.wanted) {
    app.mic.stop();
    return;
  }
  clearError();
  app.teach?.releaseMic();
  app.mic ??= makeMic();
  app.card.message('starting');
  try {
    await app.mic.start(); // still inside the click: the AudioContext is created and resumed first
  } catch (err) {
    if (err.code === 'cancelled') return;
    app.card.message('idle');
    showError(err.code ?? 'mic-busy', errorVars(err));
  }
}

function loop() {
  cancelAnimationFrame(app.raf);
  const frame = () => {
    tick();
    if (app.mic?.running) app.raf = requestAnimationFrame(frame);
  };
  app.raf = requestAnimationFrame(frame);
}

function tick() {
  if (!app.mic?.running) return;
  const polls = app.polls;
  app.polls = [];
  let answered = false;
  if (polls.length) {
    app.pollErrors = 0;
    const last = polls.at(-1);
    setLevel($('level-bar'), last.level);
    setPeak($('peak-hz'), last.peakHz);
    for (const p of polls) {
      if (p.melFrames?.length) app.spectro.push(p.melFrames);
      if (p.result) {
        answer(p.result, p.heardSeconds);
        answered = true;
      }
    }
  }
  if (!answered) kioskHoldExpired();
}

/** One live answer from the worker: timings, challenge, kiosk loop, card. */
function answer(r, heardSeconds) {
  const now = Date.now();
  const tm = window.__sori.timings;
  if (tm.firstResult == null && r.verdict !== 'silence') tm.firstResult = performance.now() - tm.micStart;
  const isClass = r.verdict !== 'silence' && r.verdict !== 'unknown';
  if (app.challenge) renderChallenge(r);
  app.soundLoop?.heard(isClass);
  if (!kiosk) app.card.show(r, { heardSeconds });
  else if (isClass) {
    app.card.show(r);
    app.holdUntil = now + HOLD_MS;
  } else if (now > app.holdUntil) {
    if (r.verdict === 'unknown') app.card.show(r);
    else app.card.message('listening');
  }
}

/** Kiosk: the answer held for HOLD_MS gives way to "listening" when nothing new came. */
function kioskHoldExpired() {
  if (kiosk && app.holdUntil && Date.now() > app.holdUntil && app.card.root.dataset.state === 'class') {
    app.card.message('listening');
  }
}

// Hidden tabs get no animation frames; keep draining the worker's updates (answers, kiosk loop) at 4 Hz.
setInterval(() => {
  if (document.hidden) tick();
}, 250);

// ---------------------------------------------------------------- kiosk

function startKiosk() {
  document.documentElement.classList.add('kiosk');
  app.mic ??= makeMic();
  const overlay = $('kiosk-start');
  const askForTap = () => {
    overlay.hidden = false;
    overlay.focus();
  };
  const onFail = (err) => {
    if (err.code === 'needs-gesture') askForTap();
    else if (err.code !== 'cancelled') app.mic.keepTrying(err);
  };
  const begin = () => {
    overlay.hidden = true;
    app.mic.stop();
    app.mic.start().catch(onFail);
  };
  overlay.addEventListener('pointerdown', begin);
  overlay.addEventListener('keydown', begin);
  app.card.message('starting');
  // Try without a gesture (kiosk browsers allow it); if audio does not flow soon, ask for one tap.
  app.mic.start().catch(onFail);
}

/** Kiosk: "Can you make this sound?" as an idle loop over the classes with sounds (kiosk_sounds.js). */
function startSoundLoop() {
  app.soundLoop?.stop();
  app.soundLoop = new KioskSoundLoop({
    ...kioskLoopTimes(params),
    order: app.classList.map((c) => c.slug).filter((s) => app.sounds.has(s)),
    listening: () => Boolean(app.mic?.running),
    present: (slug) => {
      app.card.preview(slug);
      return playSound(slug);
    },
    playing: () => app.player.playing(),
    arm: startChallenge,
    challenge: () => app.challenge,
    disarm: stopChallenge,
    resetListener: () => {
      app.polls = [];
      app.engine.resetListener().catch((err) => console.warn('listener not reset', err));
    },
    hold: (ms) => (app.holdUntil = Math.max(app.holdUntil, Date.now() + ms)),
  }).start();
}

// ---------------------------------------------------------------- files

async function handleFile(file) {
  if (!app.engine || !file) return;
  clearError();
  if (app.mic?.wanted && !kiosk) app.mic.stop();
  const status = $('file-status');
  status.textContent = t('fileWorking', { name: file.name });
  status.dataset.state = 'working';
  const t0 = performance.now();
  let decoded;
  try {
    decoded = await decodeFile(file, file.name);
  } catch (err) {
    status.textContent = '';
    status.dataset.state = 'error';
    const code = err instanceof AudioInputError ? err.code : 'file-decode';
    showError(code, { ...errorVars(err), name: file.name });
    return;
  }
  const t1 = performance.now();
  let out;
  try {
    out = await scanWithProgress(decoded.samples, decoded.sampleRate, status, file.name);
  } catch (err) {
    status.textContent = '';
    status.dataset.state = 'error';
    showError('analysis', errorVars(err));
    return;
  }
  const t2 = performance.now();
  app.card.show(out.overall);
  app.lastFile = decoded.duration > TIMELINE_MIN_S ? { timeline: out.timeline, duration: decoded.duration } : null;
  if (app.lastFile) renderTimeline($('timeline'), out.timeline, decoded.duration, app.classes);
  else renderTimeline($('timeline'), [], 0, app.classes);
  const ms = Math.round(t2 - t0);
  status.textContent = t('fileDone', { name: file.name, ms });
  status.dataset.state = 'done';
  status.dataset.ms = String(ms);
  window.__sori.timings.lastFile = { decodeMs: t1 - t0, scanMs: t2 - t1, totalMs: t2 - t0, duration: decoded.duration };
}

/** Scans in the worker, showing its progress; `samples` are moved to the worker. */
async function scanWithProgress(samples, rate, status, name) {
  return app.engine.scan(samples, rate, (progress) => {
    status.textContent = `${t('fileWorking', { name })} ${Math.round(progress * 100)}%`;
  });
}

function wireFile() {
  const input = $('file-input');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    handleFile(file).finally(() => {
      input.value = ''; // the same file can be chosen again
    });
  });
  dropZone($('drop-zone'), (files) => handleFile(files[0]));
}

// ---------------------------------------------------------------- language, offline, start

function switchLang() {
  setLang(lang() === 'ko' ? 'en' : 'ko');
  applyStatic();
  setState(window.__sori.state);
  setListening(Boolean(app.mic?.running));
  const hz = Number($('peak-hz').dataset.hz);
  setPeak($('peak-hz'), hz > 0 ? hz : null);
  if (app.card) app.card.refresh();
  if (app.engine) drawGallery();
  if (app.sounds) renderSoundCredits();
  if (app.challenge) renderChallenge(null);
  app.teach?.refresh();
  if (app.lastFile) renderTimeline($('timeline'), app.lastFile.timeline, app.lastFile.duration, app.classes);
  const code = $('error').dataset.code;
  if (code) clearError(); // messages are not re-translated; a stale one is better gone
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !globalThis.isSecureContext) return;
  navigator.serviceWorker.register('./sw.js').catch((err) => console.warn('service worker not registered', err));
}

function main() {
  setLang(defaultLang());
  applyStatic();
  setState('loading');
  app.spectro = new Spectrogram($('spectrogram'));
  setPeak($('peak-hz'), null);
  $('listen').addEventListener('click', toggleListen);
  $('lang').addEventListener('click', switchLang);
  $('error').querySelector('[data-role="dismiss"]').addEventListener('click', clearError);
  $('challenge')
    .querySelector('[data-role="challenge-stop"]')
    .addEventListener('click', () => {
      stopChallenge();
      if (app.mic?.wanted && !kiosk) app.mic.stop();
    });
  wireFile();
  registerServiceWorker();
  load();
}

main();
