// WebDriver sessions for the engines other than Chromium, through selenium-webdriver (never
// Selenium Manager: every binary is given by path, so nothing is downloaded).
//
//   firefox: Debian's firefox-esr, headless, through geckodriver (crates.io, tools/setup.sh pins it);
//            fake media streams (a generated tone as the microphone) and no permission prompt.
//   webkit:  WebKitGTK's MiniBrowser (the engine of Safari) through WebKitWebDriver (Debian's
//            webkit2gtk-driver); needs an X display: run the tests under `xvfb-run -a`.
//            Mock capture devices stand in for the microphone.
//
// Environment: FIREFOX (default /usr/bin/firefox-esr), GECKODRIVER (default ~/.cargo/bin/geckodriver
// or PATH), WEBKIT_WEBDRIVER (default /usr/bin/WebKitWebDriver), MINIBROWSER (default: Debian's path).

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Builder, Capabilities, until, By } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import remote from 'selenium-webdriver/remote/index.js';
import portprober from 'selenium-webdriver/net/portprober.js';

export { By, until };

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function firstExisting(...paths) {
  return paths.find((p) => p && existsSync(p)) ?? null;
}

const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
const GECKODRIVER = process.env.GECKODRIVER ?? firstExisting(join(homedir(), '.cargo/bin/geckodriver'), which('geckodriver'));
const WEBKIT_WEBDRIVER = process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver';
const MINIBROWSER =
  process.env.MINIBROWSER ??
  firstExisting(
    '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
    '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
    '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/MiniBrowser',
  );

/** Window size of every session (the Chromium tests' desktop size). */
const WIDTH = 1280;
const HEIGHT = 800;

/**
 * Starts a session. Throws with what to install when a binary is missing.
 * @param {'firefox'|'webkit'} engine
 * @param {{lang?: string, micDenied?: boolean, audioOut?: string|null}} [o] lang: the browser's preferred
 *   language ('en' default); micDenied: the microphone permission is refused (Firefox only);
 *   audioOut: a PulseAudio server for Firefox's audio output (null: no output device at all);
 *   sampleRate: Firefox's audio device rate (media.cubeb.force_sample_rate; 0: the device's own).
 * @returns {Promise<import('selenium-webdriver').WebDriver>}
 */
export async function startDriver(engine, { lang = 'en', micDenied = false, audioOut = null, sampleRate = 0 } = {}) {
  if (engine === 'firefox') return startFirefox({ lang, micDenied, audioOut, sampleRate });
  if (engine === 'webkit') return startWebKit({ lang });
  throw new Error(`unknown engine ${engine}`);
}

async function startFirefox({ lang, micDenied, audioOut, sampleRate }) {
  for (const [what, p] of [['firefox-esr', FIREFOX], ['geckodriver', GECKODRIVER]])
    if (!p || !existsSync(p)) throw new Error(`${what} not found (${p}): run tools/setup.sh --test`);
  const options = new firefox.Options()
    .setBinary(FIREFOX)
    .addArguments('-headless')
    .windowSize({ width: WIDTH, height: HEIGHT })
    .setPreference('intl.accept_languages', lang)
    // The microphone: a generated tone, no prompt (or a refused one).
    .setPreference('media.navigator.streams.fake', true)
    .setPreference('media.navigator.permission.disabled', !micDenied)
    .setPreference('permissions.default.microphone', micDenied ? 2 : 0)
    // A quiet profile: no update, telemetry or remote-settings traffic of the browser's own.
    .setPreference('app.update.enabled', false)
    .setPreference('browser.safebrowsing.malware.enabled', false)
    .setPreference('browser.safebrowsing.phishing.enabled', false)
    .setPreference('datareporting.policy.dataSubmissionEnabled', false)
    .setPreference('toolkit.telemetry.enabled', false)
    .setPreference('network.captive-portal-service.enabled', false)
    .setPreference('network.connectivity-service.enabled', false);
  if (sampleRate) options.setPreference('media.cubeb.force_sample_rate', sampleRate);
  const service = new firefox.ServiceBuilder(GECKODRIVER);
  // The audio output: a given PulseAudio server (engines/pulse.mjs), or none at all (a socket that
  // does not exist, so a desktop's own sound server is not found either).
  service.setEnvironment({ ...process.env, PULSE_SERVER: audioOut ?? 'unix:/nonexistent/sori-no-audio-output' });
  return new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
}

async function startWebKit({ lang }) {
  for (const [what, p] of [['WebKitWebDriver', WEBKIT_WEBDRIVER], ['MiniBrowser', MINIBROWSER]])
    if (!p || !existsSync(p)) throw new Error(`${what} not found (${p}): run tools/setup.sh --test`);
  if (!process.env.DISPLAY) throw new Error('WebKitGTK needs an X display: run the WebKit tests under `xvfb-run -a`');
  const port = await portprober.findFreePort();
  const service = new remote.DriverService(WEBKIT_WEBDRIVER, {
    port,
    hostname: '127.0.0.1',
    args: [`--port=${port}`],
    env: { ...process.env, LANGUAGE: lang, LANG: lang === 'ko' ? 'ko_KR.UTF-8' : 'C.UTF-8' },
  });
  const url = await service.start(20000);
  const caps = new Capabilities({
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': {
      binary: MINIBROWSER,
      args: [
        '--automation',
        `--geometry=${WIDTH}x${HEIGHT}`,
        // Mock capture devices: a generated microphone (WebKit's MockRealtimeAudioSource).
        '--enable-media-stream=true',
        '--enable-mock-capture-devices=true',
      ],
    },
  });
  const driver = await new Builder().usingServer(url).withCapabilities(caps).build();
  const quit = driver.quit.bind(driver);
  driver.quit = async () => {
    await quit().catch(() => {});
    await service.kill();
  };
  return driver;
}

/** Waits until `fn` (run in the page, returning a value) is truthy; returns that value. */
export async function waitInPage(driver, fn, { timeout = 30000, args = [], what = 'condition' } = {}) {
  const src = `return (${fn.toString()})(...arguments)`;
  let last;
  try {
    return await driver.wait(async () => {
      last = await driver.executeScript(src, ...args);
      return last;
    }, timeout);
  } catch (err) {
    throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)}): ${err.message}`);
  }
}

/** Runs `fn(...args)` in the page and returns its (JSON-able) result. */
export function inPage(driver, fn, ...args) {
  return driver.executeScript(`return (${fn.toString()})(...arguments)`, ...args);
}

/** Opens `url` and waits for the page's own "ready" (or fails with the page's error message). */
export async function openReady(driver, url, { timeout = 30000 } = {}) {
  await driver.get(url);
  const state = await waitInPage(driver, () => ['ready', 'error'].includes(window.__sori?.state) && window.__sori.state, {
    timeout,
    what: 'ready',
  });
  if (state !== 'ready') {
    const msg = await inPage(driver, () => document.querySelector('[data-testid=error]').textContent);
    throw new Error(`page failed to load: ${msg}`);
  }
}
