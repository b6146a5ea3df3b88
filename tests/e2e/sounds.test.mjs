// End-to-end: reference sounds (issue 16). The gallery and the answer card of a class with a
// reference sound get a play button; playing it runs an AudioBufferSourceNode whose analyser sees
// sound (the little spectrogram moves); the credits list every sound with its licence; after it
// played, the card asks "Can you make this sound?", which starts listening for that class; a class
// without a sound says so. No request leaves the site's origin.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchBrowser, openReady, pickClips, corpusAvailable, haveSox, recordRequests, scratchDir, shot, startSite, toWav } from './helpers.mjs';

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
  if (!corpusAvailable(t)) return;
  if (!haveSox()) return t.skip('sox not installed');
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
