#!/usr/bin/env node
// Microphone recoveries in a row (docs/benchmarks.md, "Kiosk soak"): the release site at `?kiosk=1` in headless
// Chromium, its fake microphone playing a tone, N faults injected one after another (the soak's injections), and
// after each, with GC forced twice, the page's JS heap, its JS event listeners, DOM nodes and Chromium's count of
// live audio handlers. What leaks per recovery shows here in two minutes, not after an hour.
//
//   node tools/bench/recoveries.mjs [--faults N] [--kind track-ended|context-closed] [--every S]
//
// Defaults: 10 faults, track-ended, 15 s apart. Needs a built site (dist/, or SORI_DIST) and tests/e2e's packages.

import { startServer } from '../serve.mjs';
import { DIST, breakMicrophone, launchBrowser, scratchDir, sine, writeWav } from '../../tests/e2e/helpers.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const FAULTS = Number(arg('faults', 10));
const KIND = arg('kind', 'track-ended');
const EVERY_S = Number(arg('every', 15));

const site = await startServer({ root: DIST, port: 0 });
const wav = await writeWav(await scratchDir(), 'tone.wav', sine(440, 30, 44100, 0.2), 44100);
const ctx = await launchBrowser({ fakeAudio: wav });
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(`${site.url}?kiosk=1`);
  await page.waitForFunction(() => document.documentElement.dataset.listening === '1', null, { timeout: 30000 });
  const rows = [];
  const measure = async (label) => {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage');
    const m = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
    const listening = await page.evaluate(() => document.documentElement.dataset.listening === '1');
    rows.push({ label, heapKb: Math.round(heap.usedSize / 1000), listeners: m.JSEventListeners, nodes: m.Nodes, audioHandlers: m.AudioHandlers, listening });
    console.error(`${label}: heap ${Math.round(heap.usedSize / 1000)} kB, listeners ${m.JSEventListeners}, DOM nodes ${m.Nodes}, audio handlers ${m.AudioHandlers}, listening ${listening}`);
  };
  await page.waitForTimeout(EVERY_S * 1000);
  await measure('before');
  for (let i = 1; i <= FAULTS; i++) {
    await page.evaluate(breakMicrophone, KIND);
    await page.waitForTimeout(EVERY_S * 1000);
    await measure(`after ${KIND} ${i}`);
  }
  const first = rows[1];
  const last = rows.at(-1);
  const per = FAULTS > 1 ? (last.heapKb - first.heapKb) / (FAULTS - 1) : 0;
  console.log(`| reading | JS heap kB | listeners | DOM nodes | audio handlers | listening |\n|---|---:|---:|---:|---:|---|`);
  for (const r of rows) console.log(`| ${r.label} | ${r.heapKb} | ${r.listeners} | ${r.nodes} | ${r.audioHandlers} | ${r.listening ? 'yes' : 'NO'} |`);
  console.log(`\n${FAULTS} × ${KIND}: listeners ${rows[0].listeners} → ${last.listeners}; JS heap ${rows[0].heapKb} → ${first.heapKb} kB after the first, then ${per.toFixed(1)} kB per recovery`);
  if (!rows.every((r) => r.listening)) process.exitCode = 1;
} finally {
  await ctx.close();
  await site.close();
}
