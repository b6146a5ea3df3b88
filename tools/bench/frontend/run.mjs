// Browser speed side by side (issue 6): Sori's log-mel front end (wasm) vs Essentia.js (WASM) vs
// Meyda (JS) on the same 60 s of real audio, plus Sori's full match of a 5 s clip, in one headless
// Chromium run. Prints a markdown table (median of N, real-time factor, ratio vs Sori).
//
// Usage: node run.mjs [--reps N]          (tools/bench/frontend.sh is the one command)
// Environment:
//   SORI_DIST    built site with logMel exported (default <repo>/dist)
//   SORI_CORPUS  corpus root (default <repo>/../shared/corpus); absent -> prints a skip and exits 0
//   CHROMIUM     browser binary (default /usr/bin/chromium)
//
// Audio: corpus clips are decoded with sox (mono, 16 kHz, float32) into a temp dir outside the
// repo and served to the page as raw little-endian Float32; the temp dir is removed at the end.
// 60 s = the first manifest clips in order, concatenated and cut to exactly 960,000 samples.
// 5 s clip = the first manifest clip with role "class" lasting at least 5 s, cut to 80,000 samples.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = resolve(HERE, '../../..');
const DIST = resolve(process.env.SORI_DIST ?? join(REPO, 'dist'));
const CORPUS = resolve(process.env.SORI_CORPUS ?? join(REPO, '../shared/corpus'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const RATE = 16000;

function parseArgs(argv) {
  let reps = 10;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reps') reps = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (usage: run.mjs [--reps N])`);
  }
  if (!Number.isInteger(reps) || reps < 1 || reps > 1000) throw new Error('--reps must be 1..1000');
  return { reps };
}

/** Decodes a sox-readable file to mono 16 kHz float32 samples. */
function decode(path) {
  const raw = execFileSync(
    'sox',
    [path, '-t', 'raw', '-e', 'floating-point', '-b', '32', '-L', '-c', '1', '-r', String(RATE), '-'],
    { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

function readManifest() {
  const [head, ...rows] = readFileSync(join(CORPUS, 'manifest.tsv'), 'utf8').trim().split('\n');
  const cols = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])));
}

/** The 60 s buffer and the 5 s clip, plus the corpus paths they came from. */
function prepareAudio() {
  const rows = readManifest();
  const want = 60 * RATE;
  const audio60 = new Float32Array(want);
  const used = [];
  let filled = 0;
  for (const r of rows) {
    if (filled >= want) break;
    const x = decode(join(CORPUS, r.path));
    const n = Math.min(x.length, want - filled);
    audio60.set(x.subarray(0, n), filled);
    filled += n;
    used.push(r.path);
  }
  if (filled < want) throw new Error(`corpus holds less than 60 s of audio (${filled / RATE} s)`);
  let clip5 = null;
  let clipPath = null;
  for (const r of rows) {
    if (r.role !== 'class') continue;
    const x = decode(join(CORPUS, r.path));
    if (x.length >= 5 * RATE) {
      clip5 = x.slice(0, 5 * RATE);
      clipPath = `${r.path} (${r.class})`;
      break;
    }
  }
  if (!clip5) throw new Error('no class clip of at least 5 s in the corpus');
  return { audio60, used, clip5, clipPath };
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** A tiny static server: URL prefix -> directory. Cross-origin isolated, for fine-grained timers. */
async function serve(routes) {
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      const prefix = Object.keys(routes)
        .filter((p) => path === p || path.startsWith(p.endsWith('/') ? p : p + '/'))
        .sort((a, b) => b.length - a.length)[0];
      if (prefix === undefined) return res.writeHead(404).end();
      const root = resolve(routes[prefix]);
      const file = resolve(root, '.' + (path.slice(prefix.length) || '/bench.html').replace(/^\/?/, '/'));
      if (!file.startsWith(root + sep) || !existsSync(file)) return res.writeHead(404).end();
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      });
      res.end(body);
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  return server;
}

const pkgVersion = (name) =>
  JSON.parse(readFileSync(join(HERE, 'node_modules', name, 'package.json'), 'utf8')).version;

const f = (v, d = 1) => v.toFixed(d);

async function main() {
  const { reps } = parseArgs(process.argv.slice(2));
  const load = loadavg();
  if (!existsSync(join(CORPUS, 'manifest.tsv'))) {
    console.log(`skip: corpus not found at ${CORPUS} (set SORI_CORPUS)`);
    return;
  }
  const soriJs = join(DIST, 'sori.js');
  if (!existsSync(soriJs) || !readFileSync(soriJs, 'utf8').includes('export function logMel')) {
    throw new Error(`${DIST} has no sori.js exporting logMel: run \`trunk build --release\` (frontend.sh does)`);
  }
  const { audio60, used, clip5, clipPath } = prepareAudio();
  const tmp = await mkdtemp(join(tmpdir(), 'sori-bench-frontend-'));
  let server, browser;
  try {
    await writeFile(join(tmp, 'audio60.f32'), audio60);
    await writeFile(join(tmp, 'clip5.f32'), clip5);
    server = await serve({
      '/': HERE,
      '/sori': DIST,
      '/essentia': join(HERE, 'node_modules/essentia.js/dist'),
      '/meyda': join(HERE, 'node_modules/meyda/dist/web'),
      '/audio': tmp,
    });
    const url = `http://127.0.0.1:${server.address().port}/bench.html`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-default-apps'],
    });
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => window.__ready, null, { timeout: 60000 });
    const ready = await page.evaluate(() => window.__ready);
    if (ready !== 'ok') throw new Error(`bench page: ${ready} ${errors.join('; ')}`);
    const r = await page.evaluate(
      (o) => window.runBench(o),
      { audio60: '/audio/audio60.f32', clip5: '/audio/clip5.f32', model: '/sori/model/mn04.sorim', index: '/sori/default.idx', reps },
    );
    for (const x of r.results) {
      if (!x.finite) throw new Error(`${x.name}: non-finite output`);
      if (x.frames !== r.results[0].frames) throw new Error(`${x.name}: ${x.frames} frames, Sori ${r.results[0].frames}`);
    }
    report(r, { reps, used, clipPath, load, chromium: browser.version() });
  } finally {
    await browser?.close();
    server?.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

function report(r, { reps, used, clipPath, load, chromium: chromeVersion }) {
  const cargo = readFileSync(join(REPO, 'Cargo.toml'), 'utf8').match(/^version\s*=\s*"([^"]+)"/m)?.[1] ?? '?';
  const label = {
    sori: ['Sori `logMel` (Rust → wasm)', `sori ${cargo}`],
    essentia: ['Essentia.js (C++ → WASM), Windowing → Spectrum → MelBands', `essentia.js ${pkgVersion('essentia.js')} (Essentia ${r.essentiaVersion})`],
    'essentia-vggish': ['Essentia.js (C++ → WASM), TensorflowInputVGGish', `essentia.js ${pkgVersion('essentia.js')}`],
    meyda: ['Meyda (JavaScript)', `meyda ${pkgVersion('meyda')}`],
  };
  const sori = r.results.find((x) => x.name === 'sori').medianMs;
  const now = new Date().toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ');
  console.log(`Measured ${now}; headless Chromium ${chromeVersion}; ${cpus().length} × ${cpus()[0]?.model ?? '?'};` +
    ` load average ${load.map((l) => l.toFixed(2)).join(' / ')} at start, ${loadavg().map((l) => l.toFixed(2)).join(' / ')} at end;` +
    ` cross-origin isolated timers: ${r.crossOriginIsolated}.`);
  console.log(`Audio: ${f(r.seconds, 0)} s mono 16 kHz Float32 = the first ${used.length} manifest clips concatenated` +
    ` (${used[0]} … ${used[used.length - 1]}); ${r.results[0].frames} frames of 64 bands per tool;` +
    ` 1 warm-up then ${reps} timed runs, round-robin.`);
  console.log('');
  console.log('| tool | version | ms for 60 s (median) | min–max ms | × real time | time vs Sori | corr. with Sori | mean abs diff vs Sori |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const x of r.results) {
    const [name, ver] = label[x.name];
    console.log(`| ${name} | ${ver} | ${f(x.medianMs)} | ${f(x.minMs)}–${f(x.maxMs)} | ${f((r.seconds * 1000) / x.medianMs, 0)}× |` +
      ` ${x.name === 'sori' ? '1.0×' : `${f(x.medianMs / sori)}×`} | ${x.corrWithSori.toFixed(4)} | ${x.meanAbsDiffSori.toFixed(4)} |`);
  }
  const us = Object.entries(r.essentiaUs).map(([k, v]) => `${k} ${f(v)}`).join(', ');
  console.log('');
  console.log(`Essentia.js chain, µs per call (500 calls on one frame): ${us}.`);
  const m = r.match;
  console.log('');
  console.log(`| Sori full match (\`matchClip\`) | clip | ms (median of ${reps}) | min–max ms | × real time | verdict |`);
  console.log('|---|---|---:|---:|---:|---|');
  console.log(`| features + mn04 + head | ${f(r.clipSeconds, 0)} s of ${clipPath} | ${f(m.medianMs)} | ${f(m.minMs)}–${f(m.maxMs)} |` +
    ` ${f((r.clipSeconds * 1000) / m.medianMs, 0)}× | ${m.verdict} (${m.score.toFixed(2)}) |`);
  console.log('');
  console.log(`\`new Sori(model, index)\` (load, once): ${f(m.loadMs)} ms. Sori's front end is ` +
    `${f((sori / (r.seconds * 1000)) * r.clipSeconds * 1000 / m.medianMs * 100)} % of a 5 s match` +
    ` (60 s front-end time scaled to 5 s).`);
}

main().catch((e) => {
  console.error(`bench failed: ${e.message}`);
  process.exit(1);
});
