// End-to-end: the page itself. Load time, gallery, language switch, own-origin-only network,
// offline reload through the service worker, kiosk mode, transfer sizes, screenshots.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join, relative } from 'node:path';
import {
  ARTIFACTS,
  DESKTOP,
  DIST,
  PHONE,
  launchBrowser,
  openReady,
  recordRequests,
  scratchDir,
  shot,
  sine,
  startSite,
  writeWav,
} from './helpers.mjs';

let site;
let tmp;
const metrics = {};

before(async () => {
  site = await startSite();
  tmp = await scratchDir();
});

after(async () => {
  await site?.close();
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(join(ARTIFACTS, 'site-metrics.json'), JSON.stringify(metrics, null, 2));
});

test('first load reaches ready, renders all 76 classes, and stays within the load budget', async () => {
  const ctx = await launchBrowser();
  try {
    const page = await openReady(ctx, site.url);
    const timings = await page.evaluate(() => window.__sori.timings);
    metrics.firstLoadReadyMs = Math.round(timings.ready);
    console.log(`METRIC first load → ready: ${timings.ready.toFixed(0)} ms (fetch+init ${timings.fetchMs.toFixed(0)} ms, new Sori ${timings.constructMs.toFixed(0)} ms)`);
    const items = page.locator('[data-testid=gallery] .gal-item');
    assert.equal(await items.count(), 76, 'the gallery shows all 76 classes');
    const groups = await page.locator('[data-testid=gallery] .gal-group').count();
    assert.ok(groups >= 5, `classes are grouped by category (${groups} groups)`);
    const covs = await items.evaluateAll((els) => [...new Set(els.map((e) => e.dataset.coverage))]);
    for (const c of covs) assert.ok(['trained', 'trained_few', 'zero_shot', 'none'].includes(c), `known coverage ${c}`);
    for (const c of ['trained', 'trained_few', 'zero_shot'])
      assert.ok(covs.includes(c), `the default index has classes of coverage ${c} (${covs})`);
    const badges = await page.locator('[data-testid=gallery] .badge').count();
    assert.equal(badges, 76, 'every class has a coverage badge');
    const imgs = await page.locator('[data-testid=gallery] img[src^="blob:"]').count();
    assert.ok(imgs >= 70, `class images are shown (${imgs}/76)`);
    const csp = await page.evaluate(() => window.__cspViolations);
    assert.deepEqual(csp, [], 'the strict CSP is never violated');
    await page.reload();
    await page.waitForFunction(() => window.__sori?.state === 'ready');
    const warm = await page.evaluate(() => window.__sori.timings.ready);
    metrics.warmLoadReadyMs = Math.round(warm);
    console.log(`METRIC warm reload → ready: ${warm.toFixed(0)} ms`);
    // Budget: 1.5 s on localhost. Headless Chromium on a shared 2-core machine is slower than a
    // user's browser, so the assertion allows 3x; the measured number is reported above.
    assert.ok(timings.ready < 4500, `first load ready in ${timings.ready.toFixed(0)} ms`);
  } finally {
    await ctx.close();
  }
});

test('screenshots of the ready page at phone and desktop sizes; language switch', async () => {
  const ctx = await launchBrowser();
  try {
    const page = await openReady(ctx, site.url);
    const before = await page.locator('[data-testid=listen]').textContent();
    await page.click('[data-testid=lang]');
    const afterSwitch = await page.locator('[data-testid=listen]').textContent();
    assert.notEqual(before.trim(), afterSwitch.trim(), 'the listen label changes language');
    const langAttr = await page.evaluate(() => document.documentElement.lang);
    assert.ok(['ko', 'en'].includes(langAttr));
    // Korean first for the screenshots, then English.
    if (langAttr !== 'ko') await page.click('[data-testid=lang]');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko');
    assert.match(await page.locator('[data-testid=listen]').textContent(), /듣기/);
    await page.setViewportSize(DESKTOP);
    await shot(page, 'desktop-ready-ko');
    await page.setViewportSize(PHONE);
    await shot(page, 'phone-ready-ko');
    await page.click('[data-testid=lang]');
    assert.match(await page.locator('[data-testid=listen]').textContent(), /Listen/);
    await shot(page, 'phone-ready-en');
    // The choice survives a reload.
    await page.reload();
    await page.waitForFunction(() => window.__sori?.state === 'ready');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  } finally {
    await ctx.close();
  }
});

test('a zero-shot answer says it is a guess from AudioSet labels; a trained one does not', async () => {
  const ctx = await launchBrowser();
  try {
    const page = await openReady(ctx, site.url);
    const slugOf = (coverage) =>
      page.locator(`[data-testid=gallery] .gal-item[data-coverage=${coverage}]`).first().getAttribute('data-slug');
    const zeroShot = await slugOf('zero_shot');
    const trained = await slugOf('trained');
    assert.ok(zeroShot && trained, 'the default index has zero-shot and trained classes');
    const basis = page.locator('[data-testid=verdict] [data-role=basis]');
    const show = (verdict) =>
      page.evaluate((v) => window.__sori.card.show({ verdict: v, score: 0.6, matches: [] }), verdict);
    await show(zeroShot);
    assert.equal(await page.locator('[data-testid=verdict]').getAttribute('data-class'), zeroShot);
    assert.ok(await basis.isVisible(), 'the zero-shot note is shown');
    const lang = await page.evaluate(() => document.documentElement.lang);
    assert.match(await basis.textContent(), lang === 'ko' ? /제로샷/ : /Zero-shot/);
    await page.click('[data-testid=lang]');
    assert.match(await basis.textContent(), lang === 'ko' ? /Zero-shot/ : /제로샷/, 'the note follows the language');
    await show(trained);
    assert.equal(await basis.textContent(), '', 'no note for a trained class');
    assert.ok(!(await basis.isVisible()));
    await show('unknown');
    assert.equal(await basis.textContent(), '');
  } finally {
    await ctx.close();
  }
});

test('a class learned from a few recordings says so; an unsure answer offers its hedged guess', async () => {
  const ctx = await launchBrowser();
  try {
    const page = await openReady(ctx, site.url);
    const few = await page
      .locator('[data-testid=gallery] .gal-item[data-coverage=trained_few]')
      .first()
      .getAttribute('data-slug');
    assert.ok(few, 'the default index has classes learned from a few recordings');
    const card = page.locator('[data-testid=verdict]');
    const basis = card.locator('[data-role=basis]');
    const message = card.locator('[data-role=message]');
    await page.evaluate((v) => window.__sori.card.show({ verdict: v, score: 0.7, matches: [] }), few);
    const lang = await page.evaluate(() => document.documentElement.lang);
    assert.match(await basis.textContent(), lang === 'ko' ? /녹음 몇 개/ : /only a few recordings/);
    // `unknown` with a hedged guess: the card names the class as a question, in both languages.
    await page.evaluate(
      (v) => window.__sori.card.show({ verdict: 'unknown', score: 0.6, matches: [], maybe: { class: v, score: 0.4 } }),
      few,
    );
    assert.equal(await card.getAttribute('data-class'), 'unknown');
    assert.equal(await card.getAttribute('data-maybe'), few);
    const names = await page.evaluate((v) => {
      const c = window.__sori.classes.get(v);
      return [c.nameKo, c.nameEn];
    }, few);
    const text = await message.textContent();
    assert.ok(text.includes(names[0]) && text.includes(names[1]), `the guess is named: ${text}`);
    assert.match(text, lang === 'ko' ? /잘 모르겠어요/ : /Not sure/);
    await page.click('[data-testid=lang]');
    assert.match(await message.textContent(), lang === 'ko' ? /Not sure/ : /잘 모르겠어요/, 'the guess follows the language');
    // Plain `unknown` (no guess) says so without naming a class.
    await page.evaluate(() => window.__sori.card.show({ verdict: 'unknown', score: 0.9, matches: [], maybe: null }));
    assert.equal(await card.getAttribute('data-maybe'), '');
    assert.ok(!(await message.textContent()).includes(names[1]));
  } finally {
    await ctx.close();
  }
});

test('no request leaves the site origin (load, listen, file)', async () => {
  const ctx = await launchBrowser();
  const urls = recordRequests(ctx);
  try {
    const page = await openReady(ctx, site.url);
    await page.click('[data-testid=listen]');
    await page.waitForFunction(() => document.documentElement.dataset.listening === '1', null, { timeout: 10000 });
    await page.waitForTimeout(1500);
    await page.click('[data-testid=listen]');
    const wav = await writeWav(tmp, 'tone.wav', sine(523.25, 2, 44100), 44100);
    await page.setInputFiles('[data-testid=file-input]', wav);
    await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid=file-status]').dataset.state));
    await page.locator('#credits').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'no CSP violation while working');
    const origin = new URL(site.url).origin;
    const foreign = urls.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('blob:') && !u.startsWith('data:'));
    assert.ok(urls.length > 5, `requests were recorded (${urls.length})`);
    assert.deepEqual(foreign, [], `only ${origin} is contacted`);
  } finally {
    await ctx.close();
  }
});

test('offline: after the first visit the page loads and answers with the server gone', async () => {
  const own = await startSite();
  const ctx = await launchBrowser();
  try {
    const page = await openReady(ctx, own.url);
    await page.waitForFunction(async () => {
      const reg = await navigator.serviceWorker.ready;
      return Boolean(reg.active) && Boolean(navigator.serviceWorker.controller);
    }, null, { timeout: 20000 });
    await ctx.setOffline(true);
    await own.close(); // not just "offline": nothing is listening any more
    await page.reload();
    await page.waitForFunction(() => ['ready', 'error'].includes(window.__sori?.state), null, { timeout: 20000 });
    assert.equal(await page.evaluate(() => window.__sori.state), 'ready', 'ready offline');
    assert.equal(await page.locator('[data-testid=gallery] .gal-item').count(), 76);
    const wav = await writeWav(tmp, 'offline-tone.wav', sine(880, 1.5, 22050), 22050);
    await page.setInputFiles('[data-testid=file-input]', wav);
    await page.waitForFunction(() => document.querySelector('[data-testid=file-status]').dataset.state === 'done');
    const verdict = await page.locator('[data-testid=verdict]').getAttribute('data-class');
    assert.ok(verdict && verdict.length > 0, `an answer offline (${verdict})`);
    const kiosk = await ctx.newPage();
    await kiosk.goto(own.url + '?kiosk=1');
    await kiosk.waitForFunction(() => window.__sori?.state === 'ready', null, { timeout: 20000 });
    await kiosk.close();
  } finally {
    await ctx.close();
    await own.close().catch(() => {});
  }
});

test('kiosk mode: no controls, listens by itself, recovers a lost mic or a crashed worklet', async () => {
  const ctx = await launchBrowser();
  try {
    const page = await ctx.newPage();
    await page.setViewportSize(DESKTOP);
    await page.goto(site.url + '?kiosk=1');
    await page.waitForFunction(() => window.__sori?.state === 'ready', null, { timeout: 30000 });
    await page.waitForFunction(() => document.documentElement.dataset.listening === '1', null, { timeout: 15000 });
    for (const id of ['listen', 'file-input', 'gallery', 'lang', 'credits'])
      assert.equal(await page.locator(`[data-testid=${id}]`).isVisible(), false, `${id} hidden in kiosk mode`);
    assert.ok(await page.locator('[data-testid=verdict]').isVisible(), 'the answer card is shown');
    assert.ok(await page.locator('[data-testid=spectrogram]').isVisible(), 'the spectrogram is shown');
    await page.waitForFunction(() => window.__sori.timings.firstResult != null, null, { timeout: 15000 });
    await shot(page, 'desktop-kiosk');
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300);
    await shot(page, 'phone-kiosk');
    // Self-recovery: a lost track, a crashed worklet, a closed context → listening again by itself.
    for (const how of ['track-ended', 'worklet-crash', 'context-closed']) {
      const t0 = Date.now();
      await page.evaluate((how) => {
        const live = window.__sori.mic.live;
        window.__oldLive = live;
        if (how === 'track-ended') live.stream.getAudioTracks()[0].dispatchEvent(new Event('ended'));
        else if (how === 'worklet-crash') live.node.dispatchEvent(new Event('processorerror'));
        else live.ctx.close();
      }, how);
      await page.waitForFunction(
        () => {
          const live = window.__sori.mic.live;
          return live && live !== window.__oldLive && document.documentElement.dataset.listening === '1';
        },
        null,
        { timeout: 15000 },
      );
      const old = await page.evaluate(() => window.__oldLive.stream.getTracks().map((t) => t.readyState));
      assert.ok(old.every((s) => s === 'ended'), `${how}: the old tracks were released (${old})`);
      // The page logs the loss and the recovery (window.__sori.recoveries; tools/bench/soak.mjs counts them).
      const entry = await page.evaluate((t0) => window.__sori.recoveries.find((r) => r.at >= t0 - 50), t0);
      assert.ok(entry, `${how}: the recovery is logged`);
      assert.ok(entry.code && entry.recoveredAt >= entry.at && entry.ms >= 0, `${how}: logged as ended: ${JSON.stringify(entry)}`);
      console.log(`kiosk recovered from ${how} in ${Date.now() - t0} ms`);
    }
  } finally {
    await ctx.close();
  }
});

test('transfer size per file (raw and gzip)', async () => {
  const rows = [];
  async function walk(dir) {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const body = await readFile(p);
        rows.push({ file: relative(DIST, p), raw: body.length, gzip: gzipSync(body, { level: 6 }).length });
      }
    }
  }
  await walk(DIST);
  rows.sort((a, b) => b.raw - a.raw);
  const total = rows.reduce((acc, r) => ({ raw: acc.raw + r.raw, gzip: acc.gzip + r.gzip }), { raw: 0, gzip: 0 });
  metrics.transfer = { files: rows, total };
  for (const r of rows.slice(0, 12)) console.log(`METRIC size ${r.file}: ${r.raw} B raw, ${r.gzip} B gzip`);
  console.log(`METRIC size total: ${total.raw} B raw, ${total.gzip} B gzip (${rows.length} files)`);
  const wasm = rows.find((r) => r.file === 'sori_bg.wasm');
  assert.ok(wasm && wasm.raw > 0, 'the wasm is part of the site');
  assert.ok((await stat(join(DIST, 'sw.js'))).size > 0, 'the service worker is at the site root');
  // The served bytes really are gzip when asked (the server under test is tools/serve.mjs).
  const res = await fetch(site.url + 'sori_bg.wasm', { headers: { 'Accept-Encoding': 'gzip' } });
  const big = wasm.raw > 256; // tools/serve.mjs leaves tiny files alone
  assert.equal(res.headers.get('content-type'), 'application/wasm');
  assert.equal(res.headers.get('content-encoding'), big ? 'gzip' : null);
  await res.arrayBuffer();
});
