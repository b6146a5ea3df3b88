// Firefox (Debian's firefox-esr, headless, via geckodriver): the shared engine checks (suite.mjs),
// plus what only Firefox showed: with no audio output device its AudioContext never runs, and the
// page must say so in words (ko/en) and release the microphone; a refused microphone likewise.
//
//   cd tests/e2e && node --test --test-concurrency=1 engines/firefox.spec.mjs

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSite } from '../helpers.mjs';
import { By, inPage, openReady, startDriver, waitInPage } from './drivers.mjs';
import { startNullSink } from './pulse.mjs';
import { assertNoRawCode, engineSuite, errorBox } from './suite.mjs';

let pulse = null;
after(async () => pulse?.stop());

// The shared checks run with a silent PulseAudio sink as the audio output (Firefox's fake microphone
// is a 1 kHz tone).
engineSuite('firefox', {
  driverOptions: async () => {
    pulse = await startNullSink();
    return { audioOut: pulse.server };
  },
  micPeakHz: 1000,
});

/** Clicks Listen and waits for the error box; returns {code, text} and whether the mic was released. */
async function listenUntilError(driver) {
  await driver.findElement(By.css('[data-testid=listen]')).click();
  await waitInPage(driver, () => !document.querySelector('[data-testid=error]').hidden, {
    timeout: 15000,
    what: 'an error',
  });
  const err = await errorBox(driver);
  const state = await inPage(driver, () => ({
    wanted: window.__sori.mic.wanted,
    running: window.__sori.mic.running,
    pressed: document.querySelector('[data-testid=listen]').getAttribute('aria-pressed'),
    card: document.querySelector('[data-testid=verdict]').dataset.state,
  }));
  return { err, state };
}

test('firefox without an audio output device: Listen says in words what to do (en, ko); nothing stays open', async () => {
  const site = await startSite();
  const driver = await startDriver('firefox', { audioOut: null });
  try {
    await openReady(driver, site.url);
    const en = await listenUntilError(driver);
    assert.equal(en.err.code, 'needs-gesture');
    assert.match(en.err.text, /^Audio could not start\. Tap Listen once more\..*sound output/);
    assertNoRawCode(en.err.text);
    assert.deepEqual(en.state, { wanted: false, running: false, pressed: 'false', card: 'idle' });
    await driver.findElement(By.css('[data-testid=lang]')).click();
    const ko = await listenUntilError(driver);
    assert.equal(ko.err.code, 'needs-gesture');
    assert.match(ko.err.text, /^오디오를 시작하지 못했어요\..*소리 출력/);
    assertNoRawCode(ko.err.text);
  } finally {
    await driver.quit();
    await site.close();
  }
});

// Phones run audio at 48 kHz, 44.1 kHz and, some, 24 kHz: the AudioContext takes the device's rate and the
// wasm listener resamples from it. The suite above runs at the null sink's 44.1 kHz; these two force the rate.
for (const rate of [48000, 24000]) {
  test(`firefox with the audio device at ${rate / 1000} kHz: the live path answers at that rate`, async () => {
    const site = await startSite();
    pulse ??= await startNullSink();
    const driver = await startDriver('firefox', { audioOut: pulse.server, sampleRate: rate });
    try {
      await openReady(driver, site.url);
      await driver.findElement(By.css('[data-testid=listen]')).click();
      const live = await waitInPage(
        driver,
        () => {
          const err = document.querySelector('[data-testid=error]');
          if (!err.hidden) return { error: err.textContent.trim() };
          const hz = Number(document.querySelector('[data-testid=peak-hz]').dataset.hz);
          const state = document.querySelector('[data-testid=verdict]').dataset.state;
          const answered = !['idle', 'starting', 'listening'].includes(state);
          return hz > 0 && answered ? { hz, state, rate: window.__sori.mic.live?.ctx.sampleRate } : null;
        },
        { timeout: 15000, what: 'a live answer' },
      );
      assert.equal(live.error, undefined, `no error: ${live.error}`);
      assert.equal(live.rate, rate, 'the AudioContext runs at the device rate');
      assert.ok(Math.abs(live.hz - 1000) < 50, `the 1 kHz tone is read as ${live.hz} Hz at ${rate} Hz`);
    } finally {
      await driver.quit();
      await site.close();
    }
  });
}

test('firefox with the microphone refused: the readable, actionable error', async () => {
  const site = await startSite();
  pulse ??= await startNullSink();
  const driver = await startDriver('firefox', { audioOut: pulse.server, micDenied: true });
  try {
    await openReady(driver, site.url);
    const { err, state } = await listenUntilError(driver);
    assert.equal(err.code, 'mic-denied');
    assert.match(err.text, /microphone.*(allow|Allow)/i);
    assertNoRawCode(err.text);
    assert.equal(state.running, false);
  } finally {
    await driver.quit();
    await site.close();
  }
});
