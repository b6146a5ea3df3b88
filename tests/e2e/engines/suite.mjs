// The end-to-end checks every engine gets over WebDriver (Firefox, WebKit; Chromium has its own,
// richer playwright tests in ../*.test.mjs). One browser session per file, reused test to test;
// the release site (dist/) is served by tools/serve.mjs exactly as for the Chromium tests.
//
//   load:     wasm + model + index → "ready", 76-class gallery with images, no request off the origin
//   language: Korean/English switch
//   files:    one held-out corpus clip as WAV at 44.1, 48 and 24 kHz and as MP3 (sendKeys on the
//             <input type=file>: WebDriver's way to pick a file) → its class; a corrupt file → the
//             translated, actionable error, and the page still answers after it
//   mic:      the engine's generated capture device (Firefox fake streams: a 1 kHz tone; WebKit mock
//             capture devices) → the AudioWorklet → wasm path: the meter moves, the peak readout,
//             live answers flow; Stop releases the device. Not covered: a corpus clip through the
//             microphone (neither engine can feed a file to its fake device; Chromium's tests do it).
//   offline:  reload with the server stopped, served by the service worker

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { corpusAvailable, haveSox, pickClips, scratchDir, startSite, toWav } from '../helpers.mjs';
import { By, inPage, openReady, startDriver, waitInPage } from './drivers.mjs';

/** Every resource the page fetched (Resource Timing) that is not on the site's origin. */
export async function foreignRequests(driver, origin) {
  const urls = await inPage(driver, () => [
    location.href,
    ...performance.getEntriesByType('navigation').map((e) => e.name),
    ...performance.getEntriesByType('resource').map((e) => e.name),
    ...[...document.querySelectorAll('[src], link[href]')].map((e) => e.src || e.href),
  ]);
  return { all: urls, foreign: urls.filter((u) => u && !u.startsWith('blob:') && !u.startsWith('data:') && new URL(u).origin !== origin) };
}

/** The visible error box: {code, text} or null. */
export function errorBox(driver) {
  return inPage(driver, () => {
    const e = document.querySelector('[data-testid=error]');
    return e.hidden ? null : { code: e.dataset.code, text: e.querySelector('[data-role=error-text]').textContent.trim() };
  });
}

/** No machine words on screen: an error text must not show a code or an exception name. */
export function assertNoRawCode(text) {
  assert.doesNotMatch(
    text,
    /needs-gesture|mic-busy|mic-denied|no-mic|file-decode|file-empty|Error\b|undefined|\[object/,
    `no raw code in "${text}"`,
  );
}

/**
 * Defines the shared tests for one engine.
 * @param {'firefox'|'webkit'} engine
 * @param {{driverOptions?: () => Promise<object>, micPeakHz?: number|null, cleanup?: () => Promise<void>}} o
 *   driverOptions: extra startDriver options (e.g. Firefox's audio output); micPeakHz: the fake device's
 *   tone, checked within 5% when known.
 */
export function engineSuite(engine, { driverOptions = async () => ({}), micPeakHz = null } = {}) {
  let site;
  let driver;
  let tmp;
  let clip = null;
  const files = {};

  before(async () => {
    site = await startSite();
    tmp = await scratchDir();
    driver = await startDriver(engine, await driverOptions());
    await writeFile(join(tmp, 'broken.wav'), Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt this is not audio at all'.repeat(40)));
    if (corpusAvailable() && haveSox()) {
      [clip] = await pickClips(1);
      // Corpus clips are Ogg Vorbis, which WebKit does not reliably decode: the page is given WAV and MP3.
      for (const rate of [44100, 48000, 24000]) files[`wav${rate}`] = toWav(clip.abs, join(tmp, `clip-${rate}.wav`), rate);
      files.mp3 = toWav(clip.abs, join(tmp, 'clip.mp3'), 44100);
    }
  });

  after(async () => {
    await driver?.quit();
    await site?.close();
  });

  /** Picks `path` in the file input and waits for the page's outcome. */
  async function analyse(path) {
    await inPage(driver, () => {
      document.querySelector('[data-testid=file-status]').dataset.state = '';
    });
    await driver.findElement(By.css('[data-testid=file-input]')).sendKeys(path);
    await waitInPage(driver, () => ['done', 'error'].includes(document.querySelector('[data-testid=file-status]').dataset.state), {
      what: `the answer for ${path}`,
    });
    return inPage(driver, () => {
      const v = document.querySelector('[data-testid=verdict]');
      return {
        state: document.querySelector('[data-testid=file-status]').dataset.state,
        verdict: v.dataset.class,
        score: Number(v.dataset.score),
        ms: window.__sori.timings.lastFile?.totalMs ?? null,
        error: document.querySelector('[data-testid=error]').hidden ? null : document.querySelector('[data-testid=error]').textContent.trim(),
      };
    });
  }

  test(`${engine}: wasm, model and index load to ready; the 76-class gallery renders; nothing leaves the origin`, async () => {
    await openReady(driver, site.url);
    const r = await inPage(driver, () => ({
      ready: window.__sori.timings.ready,
      items: document.querySelectorAll('[data-testid=gallery] .gal-item').length,
      badges: document.querySelectorAll('[data-testid=gallery] .badge').length,
      images: document.querySelectorAll('[data-testid=gallery] img[src^="blob:"]').length,
      listenEnabled: !document.querySelector('[data-testid=listen]').disabled,
    }));
    console.log(`METRIC ${engine} first load → ready: ${Math.round(r.ready)} ms`);
    assert.equal(r.items, 76, 'the gallery shows all 76 classes');
    assert.equal(r.badges, 76, 'every class has a coverage badge');
    assert.ok(r.images >= 70, `class images are shown (${r.images}/76)`);
    assert.ok(r.listenEnabled, 'Listen is enabled once ready');
    // The wasm was compiled under the page's strict CSP: 'wasm-unsafe-eval', never 'unsafe-eval'.
    const csp = await inPage(driver, () => document.querySelector('meta[http-equiv=Content-Security-Policy]')?.content ?? '');
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /'unsafe-eval'|'unsafe-inline'/);
    const { all, foreign } = await foreignRequests(driver, new URL(site.url).origin);
    for (const f of ['sori_bg.wasm', 'model/mn04.sorim', 'default.idx'])
      assert.ok(all.some((u) => u.endsWith(f)), `${f} was fetched from the site`);
    assert.deepEqual(foreign, [], 'no request leaves the origin');
  });

  test(`${engine}: Korean / English switch`, async () => {
    const read = () =>
      inPage(driver, () => ({
        lang: document.documentElement.lang,
        listen: document.querySelector('[data-testid=listen]').textContent.trim(),
        status: document.querySelector('[data-testid=status]').textContent.trim(),
      }));
    const first = await read();
    await driver.findElement(By.css('[data-testid=lang]')).click();
    const second = await read();
    assert.notEqual(first.lang, second.lang, 'the language changes');
    const ko = first.lang === 'ko' ? first : second;
    const en = first.lang === 'ko' ? second : first;
    assert.match(ko.listen, /듣기/);
    assert.match(ko.status, /준비됐어요/);
    assert.match(en.listen, /Listen/);
    assert.match(en.status, /Ready/);
    if (second.lang !== 'en') await driver.findElement(By.css('[data-testid=lang]')).click();
    assert.equal((await read()).lang, 'en');
  });

  test(`${engine}: a held-out clip as WAV (44.1, 48, 24 kHz) and as MP3 is answered with its class`, async (t) => {
    if (!clip) {
      t.skip('corpus or sox absent');
      return;
    }
    for (const [name, path] of Object.entries(files)) {
      const r = await analyse(path);
      console.log(`${engine} file ${clip.path} as ${name}: expected ${clip.class}, got ${r.verdict} (${r.score}) in ${Math.round(r.ms)} ms`);
      assert.equal(r.state, 'done', `${name} decoded and analysed (${r.error})`);
      assert.equal(r.verdict, clip.class, `${name} answered with its class`);
    }
  });

  test(`${engine}: a corrupt file gets the actionable error; the page answers after it`, async () => {
    const r = await analyse(join(tmp, 'broken.wav'));
    assert.equal(r.state, 'error');
    const err = await errorBox(driver);
    assert.equal(err?.code, 'file-decode');
    assert.match(err.text, /Could not read “broken\.wav”.*Try a WAV, MP3, OGG or M4A file/);
    assertNoRawCode(err.text);
    if (clip) {
      const ok = await analyse(files.wav44100);
      assert.equal(ok.verdict, clip.class, 'the next file is answered');
      assert.equal(await errorBox(driver), null, 'the error is cleared');
    }
  });

  test(`${engine}: decodeAudioData's callback-only form (old Safari) decodes a file and reports a corrupt one`, async (t) => {
    if (!clip) {
      t.skip('corpus or sox absent');
      return;
    }
    // Old WebKit returns nothing from decodeAudioData and only calls back; www/audio.js must use the callbacks.
    await inPage(driver, () => {
      for (const C of [globalThis.OfflineAudioContext, globalThis.AudioContext, globalThis.webkitOfflineAudioContext]) {
        if (!C || C.prototype.__promiseDecode) continue;
        const orig = C.prototype.decodeAudioData;
        C.prototype.__promiseDecode = orig;
        C.prototype.decodeAudioData = function (bytes, ok, fail) {
          orig.call(this, bytes).then(ok, fail);
          return undefined;
        };
      }
    });
    try {
      const r = await analyse(files.wav48000);
      assert.equal(r.state, 'done');
      assert.equal(r.verdict, clip.class);
      const bad = await analyse(join(tmp, 'broken.wav'));
      assert.equal(bad.state, 'error');
      assert.equal((await errorBox(driver))?.code, 'file-decode');
    } finally {
      await inPage(driver, () => {
        for (const C of [globalThis.OfflineAudioContext, globalThis.AudioContext, globalThis.webkitOfflineAudioContext]) {
          if (C?.prototype.__promiseDecode) {
            C.prototype.decodeAudioData = C.prototype.__promiseDecode;
            delete C.prototype.__promiseDecode;
          }
        }
      });
    }
  });

  test(`${engine}: a reference sound (Ogg Vorbis) from the gallery plays, or the card says in words why not`, async () => {
    await waitInPage(driver, () => window.__sori.sounds > 0, { timeout: 15000, what: 'the reference sounds' });
    const tap = async () => {
      await inPage(driver, () => {
        window.__sori.sound = null;
        const st = document.querySelector('[data-testid=verdict] [data-role=sound-status]');
        if (st) st.textContent = '';
      });
      await driver.findElement(By.css('[data-testid=gallery] .gal-play')).click(); // a real tap: audio may start
      return waitInPage(
        driver,
        () => {
          const s = window.__sori.sound;
          if (s && ['playing', 'ended'].includes(s.state) && s.frames > 3) return { played: s.state, frames: s.frames };
          const msg = document.querySelector('[data-testid=verdict] [data-role=sound-status]')?.textContent.trim();
          return msg && !/…|\.\.\./.test(msg) ? { message: msg } : null;
        },
        { timeout: 10000, what: 'the reference sound playing or a message' },
      );
    };
    let out = await tap();
    console.log(`${engine} reference sound, first tap: ${JSON.stringify(out)}`);
    if (out.message) {
      assertNoRawCode(out.message);
      assert.match(out.message, /browser/i, 'the message names the browser as the cause');
      if (/once more|한 번 더/.test(out.message)) {
        // The message asks for one more tap (the audio output was slow to start): that tap must play.
        await inPage(driver, () => window.__sori.card.message('idle'));
        out = await tap();
        console.log(`${engine} reference sound, second tap: ${JSON.stringify(out)}`);
        assert.ok(out.frames > 3, `the second tap plays: ${JSON.stringify(out)}`);
      }
    } else assert.ok(out.frames > 3, 'its analyser saw sound');
    await inPage(driver, () => window.__sori.card.message('idle'));
  });

  test(`${engine}: the microphone (generated capture device) moves the meter and live answers flow; Stop releases it`, async () => {
    await driver.findElement(By.css('[data-testid=listen]')).click();
    const live = await waitInPage(
      driver,
      () => {
        const err = document.querySelector('[data-testid=error]');
        if (!err.hidden) return { error: err.textContent.trim() };
        const level = Number(document.querySelector('[data-testid=level]').getAttribute('aria-valuenow'));
        const state = document.querySelector('[data-testid=verdict]').dataset.state;
        const hz = Number(document.querySelector('[data-testid=peak-hz]').dataset.hz);
        const answered = !['idle', 'starting', 'listening'].includes(state);
        return level > -60 && hz > 0 && answered ? { level, hz, state, rate: window.__sori.mic.live?.ctx.sampleRate } : null;
      },
      { timeout: 15000, what: 'meter, peak and a live answer' },
    );
    assert.equal(live.error, undefined, `no error while listening: ${live.error}`);
    console.log(`${engine} mic: level ${live.level} dB, peak ${live.hz} Hz, answer state ${live.state}, context ${live.rate} Hz`);
    if (micPeakHz) assert.ok(Math.abs(live.hz - micPeakHz) < micPeakHz * 0.05, `peak ${live.hz} Hz ≈ ${micPeakHz} Hz`);
    // Still flowing a second later (not one stray block).
    const blocks = () => inPage(driver, () => window.__sori.mic.lastBlockAt);
    const b0 = await blocks();
    await driver.sleep(1000);
    assert.ok((await blocks()) > b0, 'worklet blocks keep arriving');
    await driver.findElement(By.css('[data-testid=listen]')).click();
    const released = await waitInPage(
      driver,
      () => {
        const last = window.__sori.mic.last;
        const ended = last.stream.getTracks().every((t) => t.readyState === 'ended');
        return ended && last.ctx.state === 'closed' && !window.__sori.mic.running ? 'released' : null;
      },
      { timeout: 5000, what: 'the microphone released' },
    );
    assert.equal(released, 'released');
    const { foreign } = await foreignRequests(driver, new URL(site.url).origin);
    assert.deepEqual(foreign, [], 'still no request off the origin');
  });

  test(`${engine}: kiosk mode listens (after one tap where the engine wants one) and recovers a closed context and a lost track by itself`, async () => {
    await openReady(driver, `${site.url}?kiosk=1`);
    const listening = () =>
      waitInPage(
        driver,
        () => {
          const o = document.querySelector('[data-testid=kiosk-start]');
          if (!o.hidden) return { tap: o.textContent.trim() };
          const live = window.__sori.mic?.live;
          return live && live !== window.__oldLive && document.documentElement.dataset.listening === '1' && window.__sori.timings.firstResult != null
            ? { listening: true }
            : null;
        },
        { timeout: 20000, what: 'the kiosk listening or asking for a tap' },
      );
    let first = await listening();
    if (first.tap) {
      // Engines that keep audio suspended until a gesture: the kiosk says so in words; one tap starts it.
      assert.match(first.tap, /Tap the screen|화면을 눌러/);
      await driver.findElement(By.css('[data-testid=kiosk-start]')).click();
      first = await listening();
    }
    console.log(`${engine} kiosk: ${JSON.stringify(first)}`);
    assert.equal(first.listening, true, 'the kiosk listens and answers');
    for (const how of ['context-closed', 'track-ended']) {
      const done = await inPage(
        driver,
        (how) => {
          const live = window.__sori.mic.live;
          window.__oldLive = live;
          if (how === 'context-closed') {
            live.ctx.close();
            return true;
          }
          // A lost device is simulated by a synthetic 'ended' event; Firefox does not deliver synthetic
          // events on a MediaStreamTrack to its listeners (and stop() fires none), so it cannot be simulated there.
          const track = live.stream.getAudioTracks()[0];
          let delivered = false;
          const probe = () => (delivered = true);
          track.addEventListener('ended', probe);
          track.dispatchEvent(new Event('ended'));
          track.removeEventListener('ended', probe);
          return delivered;
        },
        how,
      );
      if (!done) {
        console.log(`${engine} kiosk: ${how} not covered (the engine does not deliver a synthetic 'ended' event on a track)`);
        continue;
      }
      const again = await listening();
      console.log(`${engine} kiosk after ${how}: ${JSON.stringify(again)}`);
      assert.equal(again.listening, true, `the kiosk recovered from ${how} by itself`);
    }
    await inPage(driver, () => window.__sori.mic.stop());
    await openReady(driver, site.url);
  });

  test(`${engine}: offline reload through the service worker`, async () => {
    const controlled = await waitInPage(
      driver,
      () => navigator.serviceWorker?.controller?.state === 'activated' && 'controlled',
      { timeout: 20000, what: 'a service worker controlling the page' },
    );
    assert.equal(controlled, 'controlled');
    // Activation follows the pre-cache (install's waitUntil): the model must be in the cache now.
    const cached = await driver.executeAsyncScript(`const done = arguments[arguments.length - 1];
      caches.keys().then((ks) => Promise.all(ks.map((k) => caches.open(k).then((c) => c.match('model/mn04.sorim')))))
        .then((hits) => done(hits.some(Boolean)), (e) => done(String(e)));`);
    assert.equal(cached, true, 'the model is in the service worker cache');
    const url = await driver.getCurrentUrl();
    await site.close();
    site = null;
    // A navigation to the page (as a user opening it again), not WebDriver's refresh, which
    // Firefox's remote agent performs as a reload that may bypass the service worker.
    await openReady(driver, url);
    const n = await inPage(driver, () => document.querySelectorAll('[data-testid=gallery] .gal-item').length);
    assert.equal(n, 76, 'the gallery renders offline');
  });

  return { get driver() { return driver; }, get site() { return site; } };
}
