#!/usr/bin/env node
// Phone budgets (docs/benchmarks.md, "Phone budgets"; issue 19): the release site in headless Chromium
// emulating a phone over the DevTools protocol: 390×844 CSS px, touch, device-pixel ratio 3, CPU
// throttled 4× (Emulation.setCPUThrottlingRate), network like DevTools' "Fast 4G" (9 Mbps down,
// 1.5 Mbps up, 170 ms round trip; Network.emulateNetworkConditions).
//
//   flock /tmp/sori-heavy.lock node tools/bench/phone.mjs [--runs N]     (default 3; medians printed)
//
// Measures, each run in a new empty profile:
//   first visit   navigation → the page's "ready" (wasm, model, index fetched and built); also whether
//                 the loading status was visible while loading
//   repeat visit  a second navigation once the service worker controls the page → "ready"
//   5 s file      a 5 s WAV picked in the file input → the answer (decode + scan), the page's own timing
//   first live    fake microphone playing a held-out corpus clip (padded with silence) → the first
//                 answer that is not "silence", from the moment audio flows (the page's micStart)
// Needs: a built site (dist/, or SORI_DIST), tests/e2e's npm packages (npm ci there), Debian chromium,
// sox and the corpus (../shared/corpus or SORI_CORPUS) for the live clip.

import { startServer } from '../serve.mjs';
import { DIST, launchBrowser, pickClips, scratchDir, sine, toWav, writeWav } from '../../tests/e2e/helpers.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 0) || 3;
const PHONE = { width: 390, height: 844, deviceScaleFactor: 3, mobile: true };
const FAST_4G = { offline: false, latency: 170, downloadThroughput: (9e6 / 8) | 0, uploadThroughput: (1.5e6 / 8) | 0 };
const CPU = 4;

async function phonePage(context) {
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setDeviceMetricsOverride', PHONE);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU });
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', FAST_4G);
  return page;
}

/** Navigates and returns ms from navigation start to the page's "ready", and whether loading showed. */
async function visit(page, url) {
  await page.goto(url, { waitUntil: 'commit' });
  const sawLoading = await page
    .waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.state === 'loading' && document.querySelector('[data-testid=status]').textContent.trim().length > 0, null, { timeout: 10000 })
    .then(() => true, () => false);
  await page.waitForFunction(() => ['ready', 'error'].includes(window.__sori?.state), null, { timeout: 60000 });
  const r = await page.evaluate(() => ({ state: window.__sori.state, ready: window.__sori.timings.ready }));
  if (r.state !== 'ready') throw new Error('page did not reach ready');
  return { ms: r.ready, sawLoading };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const site = await startServer({ root: DIST, port: 0 });
  const tmp = await scratchDir();
  // The same 5 s file as the Chromium end-to-end timing test's shape: noise bursts over a hum.
  const five = sine(220, 5, 44100, 0.2);
  let s = 12345;
  for (let i = 0; i < five.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    five[i] += (Math.floor(i / 11025) % 2 === 0 ? 0.3 : 0.02) * ((s / 2 ** 32) * 2 - 1);
  }
  const fiveWav = await writeWav(tmp, 'five.wav', five, 44100);
  const [clip] = await pickClips(1);
  const liveWav = toWav(clip.abs, `${tmp}/live.wav`, 48000, { padAfter: 5 });
  const out = { first: [], repeat: [], file: [], live: [], sawLoading: [] };
  for (let i = 0; i < runs; i++) {
    const ctx = await launchBrowser({ fakeAudio: liveWav });
    try {
      const page = await phonePage(ctx);
      const first = await visit(page, site.url);
      out.first.push(first.ms);
      out.sawLoading.push(first.sawLoading);
      await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null, { timeout: 60000 });
      out.repeat.push((await visit(page, site.url)).ms);
      await page.evaluate(() => (document.querySelector('[data-testid=file-status]').dataset.state = ''));
      await page.setInputFiles('[data-testid=file-input]', fiveWav);
      await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid=file-status]').dataset.state), null, { timeout: 60000 });
      const file = await page.evaluate(() => window.__sori.timings.lastFile);
      if (!file) throw new Error('the 5 s file was not answered');
      out.file.push(file.totalMs);
      await page.click('[data-testid=listen]'); // a click: playwright's tap needs a hasTouch context
      await page.waitForFunction(() => window.__sori.timings.firstResult != null, null, { timeout: 30000 });
      out.live.push(await page.evaluate(() => window.__sori.timings.firstResult));
      console.error(`run ${i + 1}: first ${first.ms.toFixed(0)} ms, repeat ${out.repeat.at(-1).toFixed(0)} ms, 5 s file ${file.totalMs.toFixed(0)} ms, first live ${out.live.at(-1).toFixed(0)} ms`);
    } finally {
      await ctx.close();
    }
  }
  await site.close();
  const row = (what, xs, budget) =>
    `| ${what} | ${median(xs).toFixed(0)} | ${xs.map((x) => x.toFixed(0)).join(', ')} | ${budget} |`;
  console.log(`Phone emulation (390×844, DPR 3, touch, CPU ${CPU}×, ${FAST_4G.downloadThroughput * 8 / 1e6} Mbps down / ${FAST_4G.latency} ms RTT), ${runs} runs, live clip ${clip.path} (${clip.class}):\n`);
  console.log('| measure | median ms | runs (ms) | budget |\n|---|---:|---|---|');
  console.log(row('first visit → ready', out.first, '≤ 4000 ms'));
  console.log(row('repeat visit (service worker) → ready', out.repeat, '≤ 1000 ms'));
  console.log(row('5 s file → answer', out.file, '≤ 400 ms'));
  console.log(row('first live answer after audio starts', out.live, '≤ 1500 ms'));
  console.log(`\nloading status visible during the first visit: ${out.sawLoading.every(Boolean) ? 'yes, every run' : out.sawLoading.join(', ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
