// End-to-end: the file path. Held-out corpus clips → the right class; a 5 s file's answer time;
// a long file gets a timeline; a corrupt file gives a readable error.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ARTIFACTS,
  DESKTOP,
  DIST,
  PHONE,
  REPO,
  corpusAvailable,
  launchBrowser,
  openReady,
  pickClips,
  scratchDir,
  shot,
  sine,
  startSite,
  writeWav,
} from './helpers.mjs';

let site;
let ctx;
let page;
let tmp;

before(async () => {
  site = await startSite();
  tmp = await scratchDir();
  ctx = await launchBrowser();
  page = await openReady(ctx, site.url);
});

after(async () => {
  await ctx?.close();
  await site?.close();
});

/** Chooses `path` in the file input and waits for the page to finish; returns the outcome. */
async function analyse(path) {
  await page.evaluate(() => {
    document.querySelector('[data-testid=file-status]').dataset.state = '';
  });
  await page.setInputFiles('[data-testid=file-input]', path);
  await page.waitForFunction(
    () => ['done', 'error'].includes(document.querySelector('[data-testid=file-status]').dataset.state),
    null,
    { timeout: 30000 },
  );
  return page.evaluate(() => {
    const v = document.querySelector('[data-testid=verdict]');
    const e = document.querySelector('[data-testid=error]');
    return {
      state: document.querySelector('[data-testid=file-status]').dataset.state,
      verdict: v.dataset.class,
      score: Number(v.dataset.score),
      error: e.hidden ? null : { code: e.dataset.code, text: e.textContent.trim() },
      timing: window.__sori.timings.lastFile ?? null,
      segments: document.querySelectorAll('[data-testid=timeline] .tl-item').length,
    };
  });
}

/** Noise bursts over a hum: 5 s, 44.1 kHz. Deterministic (LCG), so the timing run is repeatable. */
function fiveSeconds(rate = 44100) {
  const x = sine(220, 5, rate, 0.2);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const burst = Math.floor(i / (rate / 4)) % 2 === 0 ? 0.3 : 0.02;
    x[i] += burst * ((s / 2 ** 32) * 2 - 1);
  }
  return x;
}

test('held-out corpus clips chosen as files are recognised', async (t) => {
  if (!corpusAvailable(t)) return;
  // Two classes learned from a few recordings, then classes learned from many.
  const clips = await pickClips(6, { few: 2 });
  assert.ok(clips.length >= 4, `enough clips (${clips.length})`);
  const failures = [];
  for (const clip of clips) {
    const r = await analyse(clip.abs);
    console.log(`file ${clip.path}: expected ${clip.class}, got ${r.verdict} (${r.score}) in ${r.timing?.totalMs?.toFixed(0)} ms`);
    if (r.state !== 'done') failures.push(`${clip.path}: ${JSON.stringify(r.error)}`);
    else if (r.verdict !== clip.class) failures.push(`${clip.path}: expected ${clip.class}, got ${r.verdict}`);
  }
  await page.setViewportSize(DESKTOP);
  await shot(page, 'desktop-file-answer');
  if (DIST === join(REPO, 'dist')) {
    // The README's screenshot: only from the real site, never from a mock (SORI_DIST).
    await mkdir(join(REPO, 'docs'), { recursive: true });
    await copyFile(join(ARTIFACTS, 'desktop-file-answer.png'), join(REPO, 'docs/screenshot.png'));
  }
  await page.setViewportSize(PHONE);
  await shot(page, 'phone-file-answer');
  await page.setViewportSize(DESKTOP);
  assert.deepEqual(failures, [], 'every held-out clip gets its class');
});

test('a 5 s file is answered within the time budget', async () => {
  const wav = await writeWav(tmp, 'five-seconds.wav', fiveSeconds(), 44100);
  const totals = [];
  for (let i = 0; i < 5; i++) {
    const r = await analyse(wav);
    assert.equal(r.state, 'done', JSON.stringify(r.error));
    totals.push(r.timing);
  }
  const sorted = [...totals].sort((a, b) => a.totalMs - b.totalMs);
  const med = sorted[Math.floor(sorted.length / 2)];
  console.log(
    `METRIC 5 s file → answer: median ${med.totalMs.toFixed(0)} ms (decode ${med.decodeMs.toFixed(0)} ms, scan ${med.scanMs.toFixed(0)} ms); first run ${totals[0].totalMs.toFixed(0)} ms; all ${totals.map((x) => x.totalMs.toFixed(0)).join(', ')}`,
  );
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(join(ARTIFACTS, 'file-metrics.json'), JSON.stringify({ fiveSecondFile: totals }, null, 2));
  // Budget 300 ms; allow 2x for the shared 2-core test machine. The measured figure is reported.
  assert.ok(med.totalMs < 600, `median answer time ${med.totalMs.toFixed(0)} ms`);
});

test('a long file gets a timeline of what was heard when', async () => {
  const rate = 16000;
  const tone = sine(700, 3, rate, 0.4);
  const quiet = new Float32Array(3 * rate);
  const all = new Float32Array(tone.length * 2 + quiet.length);
  all.set(tone, 0);
  all.set(quiet, tone.length);
  all.set(tone, tone.length + quiet.length);
  const wav = await writeWav(tmp, 'long.wav', all, rate);
  const r = await analyse(wav);
  assert.equal(r.state, 'done');
  assert.ok(r.segments >= 2, `timeline has segments (${r.segments})`);
  const kinds = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid=timeline] .tl-item')].map((e) => e.dataset.class),
  );
  assert.ok(kinds.includes('silence'), `the quiet middle shows as silence: ${kinds}`);
  await shot(page, 'desktop-file-timeline');
});

test('a corrupt file gives a readable error and the page keeps working', async () => {
  const bad = join(tmp, 'broken-recording.wav');
  const junk = Buffer.alloc(4096);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 73 + 11) & 0xff;
  await writeFile(bad, Buffer.concat([Buffer.from('RIFF\x00\x10\x00\x00WAVEfmt '), junk]));
  const r = await analyse(bad);
  assert.equal(r.state, 'error');
  assert.ok(r.error, 'an error is shown');
  assert.equal(r.error.code, 'file-decode');
  assert.match(r.error.text, /broken-recording\.wav/, 'the message names the file');
  assert.match(r.error.text, /WAV|형식|format/i, 'and says what to try');
  await shot(page, 'desktop-error-corrupt-file');
  const ok = await analyse(await writeWav(tmp, 'after.wav', sine(440, 1, 16000), 16000));
  assert.equal(ok.state, 'done', 'a good file still works after a bad one');
});

test('a file dropped on the drop zone is analysed like a chosen one', async () => {
  const { readFile } = await import('node:fs/promises');
  const wav = await writeWav(tmp, 'dropped.wav', fiveSeconds(), 44100);
  const bytes = [...(await readFile(wav))];
  const chosen = await analyse(wav);
  await page.evaluate(() => {
    document.querySelector('[data-testid=file-status]').dataset.state = '';
  });
  await page.evaluate((data) => {
    const zone = document.querySelector('[data-testid=drop-zone]');
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], 'dropped.wav', { type: 'audio/wav' }));
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    if (!zone.classList.contains('drag')) throw new Error('the zone is not highlighted while dragged over');
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForFunction(
    () => ['done', 'error'].includes(document.querySelector('[data-testid=file-status]').dataset.state),
    null,
    { timeout: 30000 },
  );
  const dropped = await page.evaluate(() => ({
    state: document.querySelector('[data-testid=file-status]').dataset.state,
    verdict: document.querySelector('[data-testid=verdict]').dataset.class,
    highlighted: document.querySelector('[data-testid=drop-zone]').classList.contains('drag'),
  }));
  assert.equal(dropped.state, 'done');
  assert.equal(dropped.verdict, chosen.verdict, 'the same answer as the chosen file');
  assert.equal(dropped.highlighted, false, 'the highlight goes when the file is dropped');
});
