#!/usr/bin/env node
// Kiosk soak (docs/benchmarks.md, "Kiosk soak"; issue 19 "Kiosk for days"): the release site at `?kiosk=1` in
// headless Chromium, its fake microphone looping real held-out corpus clips with silences between them, for a
// given time, with a lost track and a closed AudioContext injected along the way. A benchmark, not a test.
//
//   flock /tmp/sori-heavy.lock node tools/bench/soak.mjs --minutes 60
//   flock /tmp/sori-heavy.lock node tools/bench/soak.mjs --minutes 4 --track-at 1 --context-at 2   (short check)
//
// Options: --minutes M (default 60)  --every S (sample period, default 10 s)  --track-at M, --context-at M
// (minutes into the run; defaults: a third and two thirds of it; a negative value skips that fault)
// --clips N (held-out clips in the loop, default 8)  --silence S (seconds of silence after each, default 6)
// --out FILE (JSON of the samples; default tools/bench/results/soak-<UTC time>.json).
//
// Each sample: JS heap used after a forced GC (CDP HeapProfiler.collectGarbage + Runtime.getHeapUsage) of the
// page and of its analysis worker (www/engine_worker.js, reached through the page's DevTools session), the
// wasm memory (byteLength of the analysis worker's wasm memory, asked through window.__sori.engine.memoryBytes()), DOM
// nodes and JS listeners (CDP Performance.getMetrics), answers since the previous sample, and the longest gap
// between worklet blocks so far. The page logs each microphone recovery (window.__sori.recoveries, console).
//
// Summary and exit code (non-zero on any of these):
//   memory growth  median of the samples in the first window after warm-up vs the median of the last window,
//                  for the page's JS heap, the worker's JS heap and the wasm memory, each ≤ 5%. Warm-up = min(2 min, 1/8 of the run); window =
//                  min(10 min, 1/4 of the run), so a one-hour run compares minutes 2–12 with minutes 50–60.
//   stall          the longest gap between audio blocks reaching the page ≤ the page's first backoff step
//                  (BACKOFF_MS[0], read from www/audio.js) + 2000 ms, the time the page allows a reopen to get
//                  the AudioContext running (RESUME_MS) — a recovery that takes its first retry, and no more.
//   recoveries     every injected fault has a page-logged recovery that ended (the mic live again) in 30 s.
//   answers        at least one class answer per minute (the loop's clips are answered at all).
//   network        no request leaves the page's origin.
// Needs: a built site (dist/, or SORI_DIST), tests/e2e's npm packages, Debian chromium, sox, the corpus.

import { mkdir, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DIST, REPO, breakMicrophone, launchBrowser, pickClips, scratchDir, startSite, toWav } from '../../tests/e2e/helpers.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const MINUTES = Number(arg('minutes', 60));
const EVERY_S = Number(arg('every', 10));
const TRACK_AT = Number(arg('track-at', MINUTES / 3));
const CONTEXT_AT = Number(arg('context-at', (2 * MINUTES) / 3));
const CLIPS = Number(arg('clips', 8));
const SILENCE_S = Number(arg('silence', 6));
const OUT = arg('out', join(REPO, 'tools/bench/results', `soak-${new Date().toISOString().slice(0, 16).replace(/[:]/g, '')}Z.json`));
const RATE = 44100; // headless Chromium's AudioContext rate
const MAX_GROWTH_PCT = 5;
const RESUME_MS = 2000; // www/audio.js: how long a reopen may wait for the context to run
const RECOVER_TIMEOUT_MS = 30000;

if (!(MINUTES > 0) || !(EVERY_S > 0)) throw new Error('--minutes and --every must be positive');

const log = (msg) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** The fake microphone's WAV: held-out clips (sox-decoded like the e2e tests), each followed by silence. */
async function buildLoop(tmp) {
  const clips = await pickClips(CLIPS, { minSeconds: 2 });
  if (clips.length === 0) throw new Error('no held-out clips found (corpus missing?)');
  const parts = clips.map((c, i) => toWav(c.abs, join(tmp, `part-${i}.wav`), RATE, { padAfter: SILENCE_S }));
  const wav = join(tmp, 'soak-loop.wav');
  execFileSync('sox', [...parts, wav], { stdio: 'ignore' });
  const seconds = Number(execFileSync('soxi', ['-D', wav], { encoding: 'utf8' }).trim());
  return { wav, seconds, clips: clips.map((c) => ({ class: c.class, path: c.path })) };
}

/**
 * The analysis worker's DevTools session, through the page's (`Target.setAutoAttach`, messages relayed with
 * `Target.sendMessageToTarget`): `send(method, params)` → result. Follows a new worker after a reload.
 */
function workerChannel(cdp) {
  let sessionId = null;
  let nextId = 1;
  const waiting = new Map();
  cdp.on('Target.attachedToTarget', (e) => {
    if (e.targetInfo.type === 'worker' && e.targetInfo.url.includes('engine_worker')) sessionId = e.sessionId;
  });
  cdp.on('Target.detachedFromTarget', (e) => {
    if (e.sessionId === sessionId) sessionId = null;
  });
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    const w = m.id != null && waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.fail(new Error(m.error.message));
    else w.ok(m.result);
  });
  return {
    send(method, params = {}) {
      if (!sessionId) return Promise.reject(new Error('no analysis worker attached'));
      const id = nextId++;
      return new Promise((ok, fail) => {
        waiting.set(id, { ok, fail });
        cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(fail);
      });
    },
  };
}

/** Installed in the page once it is ready: counts answers and watches the gaps between worklet blocks. */
function installMonitor() {
  const s = {
    answers: 0, // class answers shown (AnswerCard.show with a class verdict)
    unknown: 0,
    byClass: {},
    last: 0, // mic.lastBlockAt last seen
    maxGap: 0,
    maxGapAt: 0,
    gaps: [], // every gap over 250 ms: {at (Date.now()), ms}
  };
  window.__soak = s;
  const card = document.querySelector('[data-testid=verdict]');
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.attributeName !== 'data-state') continue;
      const state = card.dataset.state;
      if (state === 'class') {
        s.answers += 1;
        s.byClass[card.dataset.class] = (s.byClass[card.dataset.class] ?? 0) + 1;
      } else if (state === 'unknown') s.unknown += 1;
    }
  }).observe(card, { attributes: true, attributeFilter: ['data-state'] });
  setInterval(() => {
    const t = window.__sori.mic?.lastBlockAt ?? 0;
    if (!t || t === s.last) return;
    if (s.last) {
      const gap = t - s.last;
      if (gap > s.maxGap) {
        s.maxGap = gap;
        s.maxGapAt = Date.now();
      }
      if (gap > 250) s.gaps.push({ at: Date.now(), ms: Math.round(gap) });
    }
    s.last = t;
  }, 50);
}

async function main() {
  const tmp = await scratchDir();
  const loop = await buildLoop(tmp);
  log(`fake mic: ${loop.clips.length} held-out clips + ${SILENCE_S} s silence each, ${loop.seconds.toFixed(1)} s loop: ${loop.clips.map((c) => c.class).join(', ')}`);
  const site = await startSite();
  const origin = new URL(site.url).origin;
  const ctx = await launchBrowser({ fakeAudio: loop.wav });
  const foreign = [];
  ctx.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) foreign.push(u);
  });
  const pageErrors = [];
  const consoleLog = [];
  const samples = [];
  const faults = [];
  let result;
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.text().startsWith('[sori]')) consoleLog.push({ at: Date.now(), text: m.text() });
    });
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Performance.enable');
    const worker = workerChannel(cdp);
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    await page.goto(`${site.url}?kiosk=1`);
    await page.waitForFunction(() => ['ready', 'error'].includes(window.__sori?.state), null, { timeout: 60000 });
    if ((await page.evaluate(() => window.__sori.state)) !== 'ready') throw new Error('the page did not load');
    await page.waitForFunction(() => document.documentElement.dataset.listening === '1', null, { timeout: 20000 });
    const backoff = await page.evaluate(async () => (await import(new URL('www/audio.js', location.href).href)).BACKOFF_MS);
    await page.evaluate(installMonitor);
    const stallBudget = backoff[0] + RESUME_MS;
    log(`kiosk listening; backoff ${backoff.join('/')} ms; stall budget ${stallBudget} ms; ${MINUTES} min, sample every ${EVERY_S} s`);

    const t0 = Date.now();
    const end = t0 + MINUTES * 60000;
    const plan = [
      { kind: 'track-ended', atMin: TRACK_AT },
      { kind: 'context-closed', atMin: CONTEXT_AT },
    ].filter((f) => f.atMin >= 0 && f.atMin < MINUTES);
    let lastAnswers = 0;
    let nextSample = t0;

    const sample = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const heap = await cdp.send('Runtime.getHeapUsage');
      const workerHeap = await worker
        .send('HeapProfiler.collectGarbage')
        .then(() => worker.send('Runtime.getHeapUsage'))
        .catch((err) => {
          log(`worker heap not read: ${err.message}`);
          return null;
        });
      const { metrics } = await cdp.send('Performance.getMetrics');
      const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
      const p = await page.evaluate(async () => {
        const s = window.__soak;
        const mic = window.__sori.mic;
        return {
          wasmBytes: await window.__sori.engine.memoryBytes(), // the analysis worker's wasm memory
          answers: s.answers,
          unknown: s.unknown,
          maxGapMs: s.maxGap,
          openGapMs: mic?.lastBlockAt ? performance.now() - mic.lastBlockAt : null,
          listening: document.documentElement.dataset.listening === '1',
          recoveries: window.__sori.recoveries.length,
        };
      });
      const now = Date.now();
      const prev = samples.at(-1);
      const dtMin = prev ? (now - prev.t) / 60000 : (now - t0) / 60000 || 1 / 60;
      const row = {
        t: now,
        min: +((now - t0) / 60000).toFixed(3),
        jsHeapUsed: heap.usedSize,
        jsHeapTotal: heap.totalSize,
        workerHeapUsed: workerHeap?.usedSize ?? null,
        wasmBytes: p.wasmBytes,
        domNodes: m.Nodes,
        jsListeners: m.JSEventListeners,
        answers: p.answers,
        answersPerMin: +((p.answers - lastAnswers) / dtMin).toFixed(1),
        unknown: p.unknown,
        maxGapMs: Math.round(p.maxGapMs),
        openGapMs: p.openGapMs == null ? null : Math.round(p.openGapMs),
        listening: p.listening,
        recoveries: p.recoveries,
      };
      lastAnswers = p.answers;
      samples.push(row);
      log(
        `${row.min.toFixed(1)} min: heap ${(row.jsHeapUsed / 1e6).toFixed(2)} MB, worker heap ${((row.workerHeapUsed ?? NaN) / 1e6).toFixed(2)} MB, wasm ${(row.wasmBytes / 1e6).toFixed(2)} MB, ` +
          `nodes ${row.domNodes}, ${row.answersPerMin} answers/min, longest gap ${row.maxGapMs} ms, recoveries ${row.recoveries}`,
      );
    };

    const inject = async (f) => {
      const at = Date.now();
      log(`injecting ${f.kind}`);
      await page.evaluate(() => (window.__soakOld = window.__sori.mic.live)); // to tell the new one from it
      await page.evaluate(breakMicrophone, f.kind);
      const ok = await page
        .waitForFunction(
          () => window.__sori.mic.live && window.__sori.mic.live !== window.__soakOld && document.documentElement.dataset.listening === '1',
          null,
          { timeout: RECOVER_TIMEOUT_MS, polling: 50 },
        )
        .then(() => true, () => false);
      // Let the broken microphone go: kept, it would hold its context, stream and listeners as a leak of our own.
      await page.evaluate(() => delete window.__soakOld);
      const entry = await page.evaluate((at) => window.__sori.recoveries.find((r) => r.at >= at - 50) ?? null, at);
      faults.push({ ...f, at, min: +((at - t0) / 60000).toFixed(3), liveAgain: ok, logged: entry });
      log(`${f.kind}: ${ok ? 'live again' : 'NOT live again'}; page log: ${entry ? `${entry.code} ${entry.detail}, recovered in ${entry.ms} ms, ${entry.attempts} attempt(s)` : 'none'}`);
    };

    while (Date.now() < end) {
      const due = plan.find((f) => !f.done && Date.now() >= t0 + f.atMin * 60000);
      if (due) {
        due.done = true;
        await inject(due);
      }
      if (Date.now() >= nextSample) {
        await sample();
        nextSample += EVERY_S * 1000;
      }
      await page.waitForTimeout(200);
    }
    await sample();
    const mon = await page.evaluate(() => ({ ...window.__soak, recoveries: window.__sori.recoveries }));
    result = { backoff, stallBudget, t0, mon };
  } finally {
    await ctx.close();
    await site.close();
  }

  // ---- summary
  const { backoff, stallBudget, t0, mon } = result;
  const runMin = (samples.at(-1).t - t0) / 60000;
  const warm = Math.min(2, runMin / 8);
  const win = Math.min(10, runMin / 4);
  const inWin = (a, b) => samples.filter((s) => s.min >= a && s.min <= b);
  const first = inWin(warm, warm + win);
  const last = inWin(runMin - win, runMin);
  const growth = (key) => {
    const a = median(first.map((s) => s[key]));
    const b = median(last.map((s) => s[key]));
    return { first: a, last: b, pct: ((b - a) / a) * 100 };
  };
  const heap = growth('jsHeapUsed');
  const workerHeap = growth('workerHeapUsed');
  const wasm = growth('wasmBytes');
  const nodes = growth('domNodes');
  const answersPerMin = mon.answers / runMin;
  const recovered = faults.filter((f) => f.liveAgain && f.logged?.recoveredAt);
  const failures = [];
  if (!(first.length && last.length)) failures.push('too few samples for the growth windows');
  if (!(heap.pct <= MAX_GROWTH_PCT)) failures.push(`JS heap grew ${heap.pct.toFixed(2)}% (> ${MAX_GROWTH_PCT}%)`);
  if (!(workerHeap.pct <= MAX_GROWTH_PCT)) failures.push(`the worker's JS heap grew ${workerHeap.pct.toFixed(2)}% (> ${MAX_GROWTH_PCT}%)`);
  if (!(wasm.pct <= MAX_GROWTH_PCT)) failures.push(`wasm memory grew ${wasm.pct.toFixed(2)}% (> ${MAX_GROWTH_PCT}%)`);
  if (mon.maxGap > stallBudget) failures.push(`longest stall ${Math.round(mon.maxGap)} ms > budget ${stallBudget} ms`);
  const openGap = samples.at(-1).openGapMs;
  if (openGap != null && openGap > stallBudget) failures.push(`audio stalled at the end (${openGap} ms without a block)`);
  if (recovered.length !== faults.length || faults.length !== plan_len()) failures.push(`${recovered.length} of ${plan_len()} injected faults recovered and logged`);
  if (!(answersPerMin >= 1)) failures.push(`${answersPerMin.toFixed(2)} class answers per minute (< 1)`);
  if (foreign.length) failures.push(`${foreign.length} requests left the origin: ${foreign.slice(0, 3).join(', ')}`);
  if (pageErrors.length) failures.push(`${pageErrors.length} uncaught page errors: ${pageErrors.slice(0, 2).join(' | ')}`);
  function plan_len() {
    return [TRACK_AT, CONTEXT_AT].filter((m) => m >= 0 && m < MINUTES).length;
  }

  const summary = {
    command: `node tools/bench/soak.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    site: DIST,
    startedUtc: new Date(t0).toISOString(),
    minutes: +runMin.toFixed(2),
    sampleEverySeconds: EVERY_S,
    loop: { ...loop, wav: undefined },
    growthMethod: `median of samples in minutes ${warm.toFixed(2)}–${(warm + win).toFixed(2)} (after warm-up) vs minutes ${(runMin - win).toFixed(2)}–${runMin.toFixed(2)}`,
    jsHeap: heap,
    workerJsHeap: workerHeap,
    wasmMemory: wasm,
    domNodes: nodes,
    longestStallMs: Math.round(mon.maxGap),
    stallBudgetMs: stallBudget,
    backoffMs: backoff,
    gapsOver250ms: mon.gaps,
    injected: faults,
    recoveriesLogged: mon.recoveries,
    consoleLog,
    classAnswers: mon.answers,
    unknownAnswers: mon.unknown,
    answersPerMinute: +answersPerMin.toFixed(1),
    answersByClass: mon.byClass,
    foreignRequests: foreign,
    pageErrors,
    failures,
  };
  await mkdir(join(OUT, '..'), { recursive: true });
  await writeFile(OUT, JSON.stringify({ summary, samples }, null, 1));

  const mb = (x) => (x / 1e6).toFixed(2);
  console.log(`Kiosk soak: ${runMin.toFixed(1)} min at ?kiosk=1, fake mic looping ${loop.clips.length} held-out clips (${loop.seconds.toFixed(0)} s loop), ${samples.length} samples every ${EVERY_S} s`);
  console.log(`growth (${summary.growthMethod}):`);
  console.log(`  JS heap (after GC)  ${mb(heap.first)} → ${mb(heap.last)} MB  ${heap.pct >= 0 ? '+' : ''}${heap.pct.toFixed(2)}%  (budget ≤ ${MAX_GROWTH_PCT}%)`);
  console.log(`  worker JS heap      ${mb(workerHeap.first)} → ${mb(workerHeap.last)} MB  ${workerHeap.pct >= 0 ? '+' : ''}${workerHeap.pct.toFixed(2)}%  (budget ≤ ${MAX_GROWTH_PCT}%)`);
  console.log(`  wasm memory         ${mb(wasm.first)} → ${mb(wasm.last)} MB  ${wasm.pct >= 0 ? '+' : ''}${wasm.pct.toFixed(2)}%  (budget ≤ ${MAX_GROWTH_PCT}%)`);
  console.log(`  DOM nodes           ${nodes.first} → ${nodes.last}`);
  console.log(`longest stall (gap between audio blocks): ${Math.round(mon.maxGap)} ms; budget ${stallBudget} ms (first backoff ${backoff[0]} ms + ${RESUME_MS} ms reopen)`);
  console.log(`gaps over 250 ms: ${mon.gaps.map((g) => `${g.ms} ms at ${((g.at - t0) / 60000).toFixed(2)} min`).join(', ') || 'none'}`);
  console.log(`injected faults: ${faults.length}; recovered and logged: ${recovered.length}; page-logged recoveries: ${mon.recoveries.length}`);
  for (const f of faults)
    console.log(`  ${f.kind} at ${f.min.toFixed(2)} min → ${f.logged ? `logged "${f.logged.code}: ${f.logged.detail}", recovered in ${f.logged.ms} ms after ${f.logged.attempts} attempt(s)` : 'NOT LOGGED'}${f.liveAgain ? '' : ', NOT LIVE AGAIN'}`);
  console.log(`answers: ${mon.answers} class answers (${answersPerMin.toFixed(1)}/min), ${mon.unknown} "unknown"; by class ${JSON.stringify(mon.byClass)}`);
  console.log(`requests outside the origin: ${foreign.length}; page errors: ${pageErrors.length}`);
  console.log(`samples: ${OUT}`);
  if (failures.length) {
    console.log(`\nSOAK FAILED:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  } else console.log('\nsoak passed');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
