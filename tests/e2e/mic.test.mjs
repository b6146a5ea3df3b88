// End-to-end: the microphone path through Chromium's fake capture device.
// 1. a synthetic 1234 Hz tone → the peak readout says 1234 ± 5 Hz; stop really releases the mic;
// 2. a corpus clip played as the fake mic → the answer names the clip's class;
// 3. a refused permission → a readable error.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  DESKTOP,
  PHONE,
  corpusAndSox,
  launchBrowser,
  openReady,
  pickClips,
  scratchDir,
  shot,
  sine,
  startSite,
  toWav,
  writeWav,
} from './helpers.mjs';

let site;
let tmp;

before(async () => {
  site = await startSite();
  tmp = await scratchDir();
});

after(async () => {
  await site?.close();
});

/** Samples `fn` in the page every `everyMs` for `ms`, returning all values. */
async function sample(page, fn, ms, everyMs = 100) {
  const out = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    out.push(await page.evaluate(fn));
    await page.waitForTimeout(everyMs);
  }
  return out;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

test('a 1234 Hz tone through the fake mic shows its peak frequency within 5 Hz; stop releases the mic', async () => {
  const freq = 1234;
  // 44.1 kHz like headless Chromium's AudioContext; 4 s, looped by Chromium.
  const wav = await writeWav(tmp, 'tone-1234.wav', sine(freq, 4, 44100, 0.5), 44100);
  const ctx = await launchBrowser({ fakeAudio: wav });
  try {
    const page = await openReady(ctx, site.url);
    await page.click('[data-testid=listen]');
    await page.waitForFunction(() => document.documentElement.dataset.listening === '1', null, { timeout: 10000 });
    const rate = await page.evaluate(() => window.__sori.mic.live.ctx.sampleRate);
    console.log(`AudioContext rate: ${rate} Hz`);
    await page.waitForFunction(() => document.querySelector('[data-testid=peak-hz]').dataset.hz !== '', null, { timeout: 10000 });
    const values = (await sample(page, () => Number(document.querySelector('[data-testid=peak-hz]').dataset.hz), 2000)).filter(
      (v) => Number.isFinite(v) && v > 0,
    );
    assert.ok(values.length >= 5, `peak readings seen (${values.length})`);
    const hz = median(values);
    console.log(`METRIC tone ${freq} Hz → peak readout median ${hz} Hz (${values.length} readings, min ${Math.min(...values)}, max ${Math.max(...values)})`);
    assert.ok(Math.abs(hz - freq) < 5, `peak ${hz} Hz is within 5 Hz of ${freq} Hz`);
    const level = await page.locator('[data-testid=level]').getAttribute('aria-valuenow');
    assert.ok(Number(level) > -40, `the level meter moves (${level} dBFS)`);
    await shot(page, 'desktop-listening-tone');

    await page.click('[data-testid=listen]');
    await page.waitForFunction(() => document.documentElement.dataset.listening === '0');
    const released = await page.evaluate(() => {
      const last = window.__sori.mic.last;
      return {
        live: window.__sori.mic.live,
        tracks: last.stream.getTracks().map((t) => t.readyState),
        ctx: last.ctx.state,
      };
    });
    assert.equal(released.live, null, 'no live session after stop');
    assert.ok(released.tracks.length > 0 && released.tracks.every((s) => s === 'ended'), `tracks ended: ${released.tracks}`);
    await page.waitForFunction(() => window.__sori.mic.last.ctx.state === 'closed', null, { timeout: 3000 });
  } finally {
    await ctx.close();
  }
});

test('a corpus clip through the fake mic is recognised', async (t) => {
  if (!corpusAndSox(t)) return;
  // Two classes learned from a few recordings, two from many.
  const clips = await pickClips(4, { minSeconds: 3, few: 2 });
  assert.ok(clips.length > 0, 'some clips to play');
  const failures = [];
  for (const clip of clips) {
    // Converted in a temp dir, never in the repo. One second of silence between loops.
    const wav = toWav(clip.abs, join(tmp, `mic-${clip.class}.wav`), 44100, { padAfter: 1 });
    const ctx = await launchBrowser({ fakeAudio: wav });
    try {
      const page = await openReady(ctx, site.url);
      await page.click('[data-testid=listen]');
      await page.waitForFunction(() => document.documentElement.dataset.listening === '1', null, { timeout: 10000 });
      await page.waitForFunction(() => window.__sori.timings.firstResult != null, null, { timeout: 15000 });
      const first = await page.evaluate(() => window.__sori.timings.firstResult);
      const verdicts = await sample(page, () => document.querySelector('[data-testid=verdict]').dataset.class, 6000, 200);
      const counts = {};
      for (const v of verdicts) if (v && v !== 'silence') counts[v] = (counts[v] ?? 0) + 1;
      const top = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]?.[0];
      console.log(`METRIC mic ${clip.path} (${clip.class}): first answer ${first.toFixed(0)} ms after start; answers ${JSON.stringify(counts)}`);
      if (clip === clips[0]) {
        await page.setViewportSize(DESKTOP);
        await shot(page, 'desktop-listening-clip');
        await page.setViewportSize(PHONE);
        await shot(page, 'phone-listening-clip');
      }
      if (top !== clip.class) failures.push(`${clip.path}: expected ${clip.class}, mostly heard ${top}`);
    } finally {
      await ctx.close();
    }
  }
  assert.deepEqual(failures, [], 'every clip is recognised through the microphone');
});

test('a refused microphone permission gives a readable error', async () => {
  const ctx = await launchBrowser({ fakeUi: false, denyPermissions: true });
  try {
    const page = await openReady(ctx, site.url);
    await page.click('[data-testid=listen]');
    const err = page.locator('[data-testid=error]');
    await err.waitFor({ state: 'visible', timeout: 10000 });
    assert.equal(await err.getAttribute('data-code'), 'mic-denied');
    const text = await err.textContent();
    assert.match(text, /마이크|microphone/i, 'the message names the microphone');
    assert.match(text, /허용|Allow/i, 'and says what to do');
    assert.notEqual(await page.evaluate(() => document.documentElement.dataset.listening), '1');
    await shot(page, 'desktop-error-mic-denied');
  } finally {
    await ctx.close();
  }
});
