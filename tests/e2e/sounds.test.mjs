// End-to-end: reference sounds (issue 16). The gallery and the answer card of a class with a
// reference sound get a play button; playing it runs an AudioBufferSourceNode whose analyser sees
// sound (the little spectrogram moves); the credits list every sound with its licence; after it
// played, the card asks "Can you make this sound?", which starts listening for that class; a class
// without a sound says so. No request leaves the site's origin.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DIST, launchBrowser, openReady, pickClips, corpusAndSox, recordRequests, scratchDir, shot, startSite, toWav } from './helpers.mjs';

/** Licences a reference sound may ship under (src/build/licence.rs): the allow-list. */
const ALLOWED = /^(CC0|CC BY( [0-9.]+)?|CC BY-SA( [0-9.]+)?|MIT|public domain)( \/ (CC0|CC BY( [0-9.]+)?|CC BY-SA( [0-9.]+)?|MIT|public domain))*$/;

let site;
let tmp;

before(async () => {
  site = await startSite();
  tmp = await scratchDir();
});

after(async () => {
  await site?.close();
});

async function soundsReady(page) {
  await page.waitForFunction(() => window.__sori.sounds !== undefined, null, { timeout: 15000 });
  const n = await page.evaluate(() => window.__sori.sounds);
  assert.ok(n > 0, `the site has reference sounds (${n})`);
  return n;
}

test('a class with a reference sound plays it from the gallery and the card; credits are listed', async () => {
  const ctx = await launchBrowser();
  const urls = recordRequests(ctx);
  try {
    const page = await openReady(ctx, site.url);
    const n = await soundsReady(page);
    const buttons = page.locator('[data-testid=gallery] .gal-play');
    assert.equal(await buttons.count(), n, 'one play button per class with a sound');
    const slug = await buttons.first().getAttribute('data-slug');

    // Gallery → the card previews the class and its sound plays.
    await buttons.first().click();
    const card = page.locator('[data-testid=verdict]');
    assert.equal(await card.getAttribute('data-class'), slug);
    await page.waitForFunction((s) => window.__sori.sound?.slug === s && window.__sori.sound.frames > 10, slug, { timeout: 10000 });
    const playing = await page.evaluate(() => ({ ...window.__sori.sound }));
    assert.equal(playing.state, 'playing', 'the AudioBufferSourceNode runs');
    assert.ok(playing.duration >= 1.5 && playing.duration <= 4.1, `a 2–4 s excerpt (${playing.duration} s)`);
    assert.ok(playing.loudest > 40, `the analyser hears it (loudest bin ${playing.loudest}/255)`);
    assert.ok(await page.locator('[data-testid=sound-spectro]').isVisible(), 'the spectrogram is shown');
    const credit = await card.locator('[data-role=sound-credit]').textContent();
    assert.ok(credit.length > 4, `the card credits the sound: ${credit}`);
    await shot(page, 'desktop-reference-sound');

    // It ends; the card then asks whether the visitor can make the sound.
    await page.waitForFunction(() => window.__sori.sound.state === 'ended', null, { timeout: 8000 });
    const tryBtn = page.locator('[data-testid=try-sound]');
    await tryBtn.waitFor({ state: 'visible', timeout: 3000 });
    const lang = await page.evaluate(() => document.documentElement.lang);
    assert.match(await tryBtn.textContent(), lang === 'ko' ? /소리를 내/ : /make this sound/);
    await page.click('[data-testid=lang]');
    assert.match(await tryBtn.textContent(), lang === 'ko' ? /make this sound/ : /소리를 내/, 'the prompt follows the language');

    // The card's own play button plays it again; tapping it while playing stops it.
    await page.click('[data-testid=play-sound]');
    await page.waitForFunction(() => window.__sori.sound.state === 'playing' && window.__sori.sound.frames > 3, null, { timeout: 10000 });
    await page.click('[data-testid=play-sound]');
    await page.waitForFunction(() => window.__sori.sound.state === 'stopped', null, { timeout: 3000 });

    // Credits: every sound, each under an allowed licence.
    const credits = page.locator('[data-testid=sound-credits]');
    assert.ok(await credits.isVisible(), 'the sound credits are listed');
    const items = await credits.locator('li').evaluateAll((els) => els.map((e) => ({ slug: e.dataset.slug, text: e.textContent })));
    assert.equal(items.length, n);
    const licences = await page.evaluate(() => window.__sori.soundLicences);
    for (const [s, licence] of Object.entries(licences)) {
      assert.match(licence, ALLOWED, `${s} ships under an allowed licence`);
      assert.ok(items.find((i) => i.slug === s)?.text.includes(licence), `${s}'s credit names its licence`);
    }

    // A class without a sound says so plainly.
    const without = await page.evaluate(() => [...window.__sori.classes.keys()].find((k) => !window.__sori.soundLicences[k]));
    if (without) {
      await page.evaluate((s) => window.__sori.card.preview(s), without);
      assert.ok((await card.locator('[data-testid=sound-status]').textContent()).length > 10, 'no-sound note');
      assert.ok(!(await page.locator('[data-testid=play-sound]').isVisible()));
    }

    assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'no CSP violation');
    const origin = new URL(site.url).origin;
    const foreign = urls.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('blob:') && !u.startsWith('data:'));
    assert.deepEqual(foreign, [], `only ${origin} is contacted`);
    assert.ok(urls.some((u) => u.endsWith('/default.idx.sounds')), 'the sounds file was fetched');
  } finally {
    await ctx.close();
  }
});

test('"Can you make this sound?" listens for the class: a clip of it succeeds', async (t) => {
  if (!corpusAndSox(t)) return;
  const probe = await launchBrowser();
  let withSound;
  try {
    const page = await openReady(probe, site.url);
    await soundsReady(page);
    withSound = new Set(await page.evaluate(() => Object.keys(window.__sori.soundLicences)));
  } finally {
    await probe.close();
  }
  const clip = (await pickClips(76)).find((c) => withSound.has(c.class));
  if (!clip) return t.skip('no held-out clip of a class with a reference sound');
  const wav = toWav(clip.abs, join(tmp, `try-${clip.class}.wav`), 44100, { padAfter: 1 });
  const ctx = await launchBrowser({ fakeAudio: wav });
  try {
    const page = await openReady(ctx, site.url);
    await soundsReady(page);
    await page.evaluate((s) => window.__sori.card.preview(s), clip.class);
    await page.click('[data-testid=play-sound]');
    await page.waitForFunction(() => window.__sori.sound?.state === 'ended', null, { timeout: 10000 });
    await page.click('[data-testid=try-sound]');
    const box = page.locator('[data-testid=challenge]');
    assert.equal(await box.getAttribute('data-slug'), clip.class);
    await page.waitForFunction(() => document.documentElement.dataset.listening === '1', null, { timeout: 10000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=challenge]').dataset.state === 'success', null, {
      timeout: 20000,
    });
    console.log(`METRIC challenge ${clip.path} (${clip.class}): success, score ${await box.getAttribute('data-score')}`);
    await shot(page, 'desktop-challenge-success');
  } finally {
    await ctx.close();
  }
});

test('where decodeAudioData cannot read Ogg Vorbis (WebKit before 18.4), the wasm decoder plays the sound, sample for sample as the browser would', async () => {
  const ctx = await launchBrowser();
  // A browser without Ogg: this test double refuses Ogg streams in decodeAudioData as WebKit does
  // (EncodingError, through the callback and the promise); other audio still goes to the real one.
  await ctx.addInitScript(() => {
    const real = BaseAudioContext.prototype.decodeAudioData;
    window.__realDecode = real;
    window.__oggRefused = 0;
    BaseAudioContext.prototype.decodeAudioData = function (buf, ok, no) {
      const head = new Uint8Array(buf, 0, Math.min(4, buf.byteLength));
      if (String.fromCharCode(...head) === 'OggS') {
        window.__oggRefused += 1;
        const e = new DOMException('The buffer passed to decodeAudioData contains an unknown content type.', 'EncodingError');
        if (no) setTimeout(() => no(e));
        return Promise.reject(e);
      }
      return real.call(this, buf, ok, no);
    };
  });
  try {
    const page = await openReady(ctx, site.url);
    await soundsReady(page);
    const button = page.locator('[data-testid=gallery] .gal-play').first();
    const slug = await button.getAttribute('data-slug');
    await button.click();
    await page.waitForFunction((s) => window.__sori.sound?.slug === s && window.__sori.sound.frames > 10, slug, { timeout: 10000 });
    const playing = await page.evaluate(() => ({ ...window.__sori.sound, refused: window.__oggRefused }));
    assert.ok(playing.refused >= 1, 'the browser decoder was tried and refused the Ogg stream');
    assert.equal(playing.decoder, 'wasm', 'the wasm decoder made the buffer');
    assert.equal(playing.state, 'playing');
    assert.ok(playing.duration >= 1.5 && playing.duration <= 4.1, `a 2–4 s excerpt (${playing.duration} s)`);
    assert.ok(playing.loudest > 40, `the analyser hears it (loudest bin ${playing.loudest}/255)`);
    const status = await page.locator('[data-testid=sound-status]').textContent();
    const lang = await page.evaluate(() => document.documentElement.lang);
    assert.match(status, lang === 'ko' ? /재생 중/ : /Playing/, `the card says it plays: ${status}`);

    // Every shipped sound: the wasm decoder's samples (in the page's analysis worker) against Chromium's own
    // decoder (both at 16 kHz).
    const cmp = await page.evaluate(async () => {
      const { parseSounds } = await import(new URL('www/sounds.js', location.href).href);
      const res = await fetch(new URL('default.idx.sounds', location.href));
      const out = [];
      for (const s of parseSounds(await res.arrayBuffer())) {
        const wasm = await window.__sori.engine.decodeOggVorbis(s.data, 16000);
        const off = new OfflineAudioContext(1, 16000, 16000);
        const ref = (await window.__realDecode.call(off, s.data.slice().buffer)).getChannelData(0);
        const n = Math.min(wasm.length, ref.length);
        let maxDiff = 0, sxy = 0, sxx = 0, syy = 0;
        for (let i = 0; i < n; i++) {
          const r = Math.max(-1, Math.min(1, ref[i])); // the page clamps its fallback's samples to ±1
          maxDiff = Math.max(maxDiff, Math.abs(wasm[i] - r));
          sxy += wasm[i] * r;
          sxx += wasm[i] * wasm[i];
          syy += r * r;
        }
        out.push({ slug: s.slug, wasmLen: wasm.length, refLen: ref.length, maxDiff, corr: sxy / Math.sqrt(sxx * syy), expect: Math.round((s.durationMs * 16000) / 1000) });
      }
      return out;
    });
    assert.ok(cmp.length > 0);
    const worst = cmp.reduce((a, b) => (b.corr < a.corr ? b : a));
    const widest = cmp.reduce((a, b) => (b.maxDiff > a.maxDiff ? b : a));
    console.log(`METRIC wasm (lewton) vs Chromium Vorbis decode over ${cmp.length} sounds: lowest correlation ${worst.corr.toFixed(7)} (${worst.slug}), largest |diff| ${widest.maxDiff.toExponential(2)} (${widest.slug})`);
    for (const c of cmp) {
      assert.ok(Math.abs(c.wasmLen - c.refLen) <= 256, `${c.slug}: ${c.wasmLen} vs ${c.refLen} samples`);
      assert.ok(Math.abs(c.wasmLen - c.expect) <= 256, `${c.slug}: ${c.wasmLen} samples, ${c.expect} expected from its duration`);
      assert.ok(c.corr > 0.9999, `${c.slug}: correlation ${c.corr}`);
      assert.ok(c.maxDiff < 1e-4, `${c.slug}: largest difference ${c.maxDiff}`);
    }
    // Bad bytes: a clear error from the wasm (across the worker boundary), and the page goes on.
    const bad = await page.evaluate(async () => {
      try {
        await window.__sori.engine.decodeOggVorbis(new Uint8Array([1, 2, 3, 4, 5]), 48000);
        return 'no error';
      } catch (err) {
        return String(err?.message ?? err);
      }
    });
    assert.match(bad, /not an Ogg stream/);
    assert.equal(await page.evaluate(() => window.__sori.state), 'ready');
  } finally {
    await ctx.close();
  }
});

/** Held-out clips (one per class) the native matcher answers rightly, among classes with a reference sound when `withSound`. */
async function soundClasses() {
  const probe = await launchBrowser();
  try {
    const page = await openReady(probe, site.url);
    await soundsReady(page);
    return await page.evaluate(() => Object.keys(window.__sori.soundLicences));
  } finally {
    await probe.close();
  }
}

test('"Can you make this sound?" with a clip of another class does not succeed (the challenge listened and heard that class)', async (t) => {
  if (!corpusAndSox(t)) return;
  const withSound = await soundClasses();
  const clips = await pickClips(76, { minSeconds: 4 });
  // The target: a class with a sound; the clip: another class's, one the native matcher gets right.
  const clip = clips.find((c) => withSound.includes(c.class));
  const target = withSound.find((s) => s !== clip?.class);
  if (!clip || !target) return t.skip('no held-out clip of a class with a reference sound');
  const wav = toWav(clip.abs, join(tmp, `other-${clip.class}.wav`), 44100, { padAfter: 1 });
  const ctx = await launchBrowser({ fakeAudio: wav });
  try {
    const page = await openReady(ctx, site.url);
    await soundsReady(page);
    await page.evaluate((s) => window.__sori.card.preview(s), target);
    await page.click('[data-testid=play-sound]');
    await page.waitForFunction(() => window.__sori.sound?.state === 'ended', null, { timeout: 10000 });
    await page.click('[data-testid=try-sound]');
    const box = page.locator('[data-testid=challenge]');
    assert.equal(await box.getAttribute('data-slug'), target);
    // Listen until the clip has been heard as its own class and the challenge has had many results.
    await page.waitForFunction(
      (heard) => {
        const b = document.querySelector('[data-testid=challenge]');
        return (b.dataset.state === 'success') || (Number(b.dataset.updates) >= 20 && b.dataset.heard === heard);
      },
      clip.class,
      { timeout: 30000 },
    );
    const seen = await box.evaluate((b) => ({ ...b.dataset }));
    console.log(`METRIC challenge ${target} with ${clip.path} (${clip.class}): ${seen.state}, score ${seen.score}, ${seen.updates} results, heard ${seen.heard}`);
    assert.notEqual(seen.state, 'success', `a clip of ${clip.class} is not ${target}`);
    assert.equal(seen.heard, clip.class, 'the challenge heard the other class');
    assert.match(await box.locator('[data-role=challenge-text]').textContent(), /아직이에요|Not yet/);
  } finally {
    await ctx.close();
  }
});

test('kiosk: after a quiet spell it shows a class with a sound, plays it, listens for it and praises a clip of it', async (t) => {
  if (!corpusAndSox(t)) return;
  const probe = await launchBrowser();
  let order;
  try {
    const page = await openReady(probe, site.url + '?kiosk=1&kioskIdle=2&kioskTry=25');
    await soundsReady(page);
    await page.waitForFunction(() => window.__sori.kioskLoop, null, { timeout: 5000 });
    order = await page.evaluate(() => window.__sori.kioskLoop.order);
  } finally {
    await probe.close();
  }
  assert.ok(order.length > 0, 'the loop goes over the classes with sounds');
  // The fake mic: a held-out clip of the loop's first class, then 10 s of quiet, over and over.
  const clip = (await pickClips(76)).find((c) => c.class === order[0]);
  if (!clip) return t.skip(`no held-out clip of ${order[0]}`);
  const wav = toWav(clip.abs, join(tmp, `kiosk-${clip.class}.wav`), 44100, { padAfter: 10 });
  const ctx = await launchBrowser({ fakeAudio: wav });
  try {
    const page = await openReady(ctx, site.url + '?kiosk=1&kioskIdle=2&kioskTry=25');
    await soundsReady(page);
    // A round starts: the class's card is shown and its reference sound plays.
    await page.waitForFunction(() => window.__sori.kioskLoop?.phase === 'playing', null, { timeout: 30000 });
    assert.equal(await page.evaluate(() => window.__sori.kioskLoop.slug), clip.class);
    await page.waitForFunction((s) => window.__sori.sound?.slug === s && window.__sori.sound.frames > 5, clip.class, { timeout: 10000 });
    assert.equal(await page.locator('[data-testid=verdict]').getAttribute('data-class'), clip.class, 'the card shows the class');
    // Then it listens for it, through the page's challenge, and the clip succeeds.
    await page.waitForFunction(() => window.__sori.kioskLoop.phase === 'listening', null, { timeout: 15000 });
    const box = page.locator('[data-testid=challenge]');
    assert.equal(await box.getAttribute('data-slug'), clip.class);
    await page.waitForFunction(() => window.__sori.kioskLoop.successes >= 1, null, { timeout: 40000 });
    assert.equal(await box.getAttribute('data-state'), 'success');
    assert.match(await box.locator('[data-role=challenge-text]').textContent(), /맞아요|Yes!/);
    console.log(`METRIC kiosk loop: ${clip.class} (${clip.path}) praised after ${await box.getAttribute('data-updates')} results`);
    await shot(page, 'desktop-kiosk-challenge');
    // It moves on: the round ends and the challenge box goes away.
    await page.waitForFunction(() => window.__sori.kioskLoop.phase === 'idle', null, { timeout: 10000 });
    assert.equal(await box.isVisible(), false);
  } finally {
    await ctx.close();
  }
});

test('a sound that cannot be decoded, or audio blocked by the browser, gets a clear message and the page goes on', async () => {
  // 1. Undecodable: every sound's bytes damaged after the Ogg capture pattern (the file itself stays
  //    valid: its checksum is recomputed), so both the browser's decoder and the wasm's refuse it.
  const { readFile } = await import('node:fs/promises');
  const { crc32 } = await import('node:zlib');
  const file = Buffer.from(await readFile(join(DIST, 'default.idx.sounds')));
  const body = file.subarray(20);
  let at = 2;
  const skip = () => {
    const n = body.readUInt32LE(at);
    at += 4 + n;
    return [at - n, n];
  };
  for (let i = body.readUInt16LE(0); i > 0; i--) {
    for (let k = 0; k < 5; k++) skip();
    at += 8;
    const [start, n] = skip();
    for (let j = start + 4; j < start + n; j++) body[j] = (j * 151) & 0xff;
  }
  file.writeUInt32LE(crc32(body) >>> 0, 16);
  for (const lang of ['ko', 'en']) {
    const ctx = await launchBrowser();
    try {
      // The context's route also sees the service worker's requests (Chromium).
      await ctx.route('**/default.idx.sounds', (route) => route.fulfill({ body: file, contentType: 'application/octet-stream' }));
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await openReady(ctx, site.url);
      await soundsReady(page);
      if ((await page.evaluate(() => document.documentElement.lang)) !== lang) await page.click('[data-testid=lang]');
      const button = page.locator('[data-testid=gallery] .gal-play').first();
      const slug = await button.getAttribute('data-slug');
      await button.click();
      const status = page.locator('[data-testid=sound-status]');
      await page.waitForFunction(() => document.querySelector('[data-testid=sound-status]').textContent.length > 10, null, { timeout: 10000 });
      const text = await status.textContent();
      assert.match(text, lang === 'ko' ? /풀어내지 못했어요/ : /could not be decoded/, `${lang}: ${text}`);
      assert.equal(await page.locator('[data-testid=verdict]').getAttribute('data-class'), slug, 'the card still shows the class');
      assert.deepEqual(errors, [], 'no uncaught error');
      // The page goes on: another class, the language switch, listening.
      await page.click('[data-testid=lang]');
      assert.match(await status.textContent(), lang === 'ko' ? /could not be decoded/ : /풀어내지 못했어요/, 'the message follows the language');
      assert.equal(await page.evaluate(() => window.__sori.state), 'ready');
      assert.ok(await page.locator('[data-testid=listen]').isEnabled());
    } finally {
      await ctx.close();
    }
  }

  // 2. Blocked: an AudioContext that stays suspended (autoplay policy) -> "tap once more".
  const ctx = await launchBrowser();
  await ctx.addInitScript(() => {
    Object.defineProperty(AudioContext.prototype, 'state', { get: () => 'suspended' });
    AudioContext.prototype.resume = () => new Promise(() => {});
  });
  try {
    const page = await openReady(ctx, site.url);
    await soundsReady(page);
    await page.locator('[data-testid=gallery] .gal-play').first().click();
    await page.waitForFunction(() => document.querySelector('[data-testid=sound-status]').textContent.length > 10, null, { timeout: 10000 });
    const text = await page.locator('[data-testid=sound-status]').textContent();
    const lang = await page.evaluate(() => document.documentElement.lang);
    assert.match(text, lang === 'ko' ? /막았어요/ : /blocked/, text);
    assert.equal(await page.evaluate(() => window.__sori.state), 'ready');
  } finally {
    await ctx.close();
  }
});
