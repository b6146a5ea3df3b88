// Shared helpers for the end-to-end tests: the site server, Chromium launch (with a fake mic),
// WAV synthesis, corpus access (skipping when absent) and artifact/screenshot paths.
//
// Environment:
//   SORI_DIST     directory to serve (default: <repo>/dist, built by `npm test`'s pretest step)
//   CHROMIUM      browser binary (default /usr/bin/chromium)
//   SORI_CORPUS   corpus root (default: <repo>/../shared/corpus)

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../tools/serve.mjs';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = resolve(process.env.SORI_DIST ?? join(REPO, 'dist'));
export const CORPUS = resolve(process.env.SORI_CORPUS ?? join(REPO, '../shared/corpus'));
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Phone and desktop viewports for screenshots. */
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Base flags for a clean, quiet, offline-by-default headless Chromium running as root. */
const BASE_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-features=Translate,OptimizationHints,MediaRouter',
];

/**
 * Launches Chromium with a new empty profile.
 * @param {{fakeAudio?: string|null, fakeUi?: boolean, denyPermissions?: boolean, args?: string[]}} [o]
 *   fakeAudio: absolute path of a WAV the fake mic plays in a loop (null: the built-in beep device).
 *   fakeUi:    auto-accept the mic prompt (default true); false + denyPermissions: the prompt is refused.
 */
export async function launchBrowser({ fakeAudio = null, fakeUi = true, denyPermissions = false, args = [] } = {}) {
  const flags = [...BASE_ARGS, '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'];
  if (fakeUi) flags.push('--use-fake-ui-for-media-stream');
  if (denyPermissions) flags.push('--deny-permission-prompts');
  if (fakeAudio) flags.push(`--use-file-for-fake-audio-capture=${fakeAudio}`);
  const userDataDir = await mkdtemp(join(tmpdir(), 'sori-e2e-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...flags, ...args],
    viewport: DESKTOP,
    ignoreDefaultArgs: ['--mute-audio'],
  });
  // Every Content-Security-Policy violation is recorded in window.__cspViolations (tests assert none).
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true });
  };
  return context;
}

/** Serves DIST on a free 127.0.0.1 port. Fails with a clear message if the site is not built. */
export async function startSite() {
  if (!existsSync(join(DIST, 'index.html')) || !existsSync(join(DIST, 'sori_bg.wasm')))
    throw new Error(`no built site in ${DIST}: run \`trunk build --release\` at the repo root (npm test does it)`);
  return startServer({ root: DIST, port: 0 });
}

/** Opens the page and waits until it says ready (or errored). Returns the elapsed ms from the page. */
export async function openReady(context, url, { timeout = 30000 } = {}) {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  await page.waitForFunction(() => ['ready', 'error'].includes(window.__sori?.state), null, { timeout });
  const state = await page.evaluate(() => window.__sori.state);
  if (state !== 'ready') {
    const msg = await page.locator('[data-testid=error]').textContent();
    throw new Error(`page failed to load: ${msg}`);
  }
  return page;
}

/** Encodes mono float samples as a 16-bit PCM WAV file (Buffer). */
export function wav16(samples, rate) {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    data.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** A sine tone: `seconds` long at `rate`, amplitude `amp`, with 10 ms fades (no clicks). */
export function sine(freq, seconds, rate, amp = 0.5) {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  const fade = Math.round(0.01 * rate);
  for (let i = 0; i < n; i++) {
    const env = Math.min(1, i / fade, (n - 1 - i) / fade);
    out[i] = amp * env * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return out;
}

/** A fresh temp dir for generated audio (never inside the repo). */
export async function scratchDir() {
  return mkdtemp(join(tmpdir(), 'sori-e2e-'));
}

/** Writes a WAV to `dir/name` and returns its absolute path. */
export async function writeWav(dir, name, samples, rate) {
  const path = join(dir, name);
  await writeFile(path, wav16(samples, rate));
  return path;
}

/** True when the corpus is present; otherwise prints why the caller skips. */
export function corpusAvailable(t) {
  if (existsSync(join(CORPUS, 'manifest.tsv'))) return true;
  const msg = `corpus not found at ${CORPUS}: skipping (set SORI_CORPUS to run)`;
  console.log(msg);
  t?.skip(msg);
  return false;
}

/**
 * True when the corpus and sox (which turns its Ogg clips into WAVs for the fake microphone and file inputs)
 * are both here; otherwise marks test `t` skipped, says why on the console, and returns false.
 */
export function corpusAndSox(t) {
  if (!corpusAvailable(t)) return false;
  if (haveSox()) return true;
  const msg = 'sox not installed: skipping (needed to turn the corpus Ogg clips into WAVs)';
  console.log(msg);
  t?.skip(msg);
  return false;
}

/** Reads corpus/manifest.tsv into objects keyed by its header. */
export async function readManifest() {
  const text = await readFile(join(CORPUS, 'manifest.tsv'), 'utf8');
  const [head, ...rows] = text.trim().split('\n');
  const cols = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])));
}

/**
 * Picks test clips: one per class, for `count` classes, from clips the default index did not train on.
 * Uses tests/e2e/heldout.json (a list of corpus-relative paths, or {clips: [...]}) when present;
 * otherwise any clip whose manifest role is 'class' (and says so). `few` of the classes are taken
 * from those the corpus has only a few recordings of (heldout.json's `group: "few"`), first.
 */
export async function pickClips(count, { minSeconds = 0, few = 0 } = {}) {
  const rows = (await readManifest()).filter((r) => r.role === 'class' && r.class);
  const heldPath = fileURLToPath(new URL('./heldout.json', import.meta.url));
  let pool = rows;
  let fewClasses = new Set();
  if (existsSync(heldPath)) {
    const raw = JSON.parse(await readFile(heldPath, 'utf8'));
    const list = Array.isArray(raw) ? raw : (raw.clips ?? raw.paths ?? []);
    // Accept corpus-relative ("audio/…") or longer paths ("../shared/corpus/audio/…").
    const norm = (p) => (p.includes('audio/') ? p.slice(p.indexOf('audio/')) : p);
    // Held-out clips the native matcher answers rightly (heldout.json's native_verdict): the browser must too.
    const right = list.filter((x) => typeof x === 'string' || !x.native_verdict || x.native_verdict === x.class);
    const held = new Set(right.map((x) => norm(typeof x === 'string' ? x : (x.path ?? ''))));
    fewClasses = new Set(list.filter((x) => x.group === 'few').map((x) => x.class));
    pool = rows.filter((r) => held.has(r.path));
    console.log(`using ${pool.length} held-out clips from heldout.json`);
  } else console.log('tests/e2e/heldout.json absent: picking any class clips (may include training clips)');
  const seen = new Set();
  const picked = [];
  const take = (r) => {
    if (seen.has(r.class) || picked.length === count) return;
    if (minSeconds && durationOf(join(CORPUS, r.path)) < minSeconds) return;
    seen.add(r.class);
    picked.push({ ...r, abs: join(CORPUS, r.path) });
  };
  for (const r of pool.filter((r) => fewClasses.has(r.class))) if (picked.length < few) take(r);
  if (picked.length < few) throw new Error(`only ${picked.length} held-out clips of few-recording classes, ${few} wanted`);
  for (const r of pool) take(r);
  return picked;
}

/** Clip duration in seconds via soxi (0 when unknown). */
export function durationOf(path) {
  try {
    return Number(execFileSync('soxi', ['-D', path], { encoding: 'utf8' }).trim()) || 0;
  } catch {
    return 0;
  }
}

/** True when sox is installed (needed to turn an Ogg clip into a WAV for the fake mic). */
export function haveSox() {
  try {
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Converts any sox-readable file to 16-bit mono WAV at `rate`, optionally padded with silence. */
export function toWav(src, dst, rate = 44100, { padAfter = 0 } = {}) {
  const args = [src, '-b', '16', '-c', '1', '-r', String(rate), dst];
  if (padAfter) args.push('pad', '0', String(padAfter));
  execFileSync('sox', args, { stdio: 'ignore' });
  return dst;
}

/** Saves a screenshot under tests/e2e/artifacts/ and returns its path. */
export async function shot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** Records every request URL a context makes (including service-worker fetches). */
export function recordRequests(context) {
  const urls = [];
  context.on('request', (req) => urls.push(req.url()));
  return urls;
}

/**
 * In the page (`page.evaluate(breakMicrophone, kind)`): breaks the page's live microphone as a kiosk meets it.
 * `track-ended`: the device is gone (its track stopped, and its `ended` event, which stop() itself does not fire);
 * `context-closed`: the AudioContext closed under it. Used by the kiosk benchmarks (tools/bench/soak.mjs,
 * recoveries.mjs).
 */
export function breakMicrophone(kind) {
  const live = window.__sori.mic.live;
  if (!live) throw new Error('no live microphone to break');
  if (kind === 'track-ended') {
    const track = live.stream.getAudioTracks()[0];
    track.stop();
    track.dispatchEvent(new Event('ended'));
  } else live.ctx.close();
}

/**
 * An init script (`addInitScript(observeLongTasks)`): collects the page's main-thread long tasks (over 50 ms,
 * Long Tasks API) into `window.__longTasks` as {start, ms}, from before its own scripts run; null where the API
 * is missing.
 */
export function observeLongTasks() {
  window.__longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    window.__longTasks = null;
  }
}
