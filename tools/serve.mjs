#!/usr/bin/env node
// A tiny static file server for the built site (`dist/`), for local use and the end-to-end tests.
//
//   node tools/serve.mjs [root=dist] [port=8080]     serves on http://127.0.0.1:<port>/
//
// - Binds 127.0.0.1 only (a secure context, so the microphone and the service worker work).
// - Correct MIME types, notably `application/wasm` (needed by WebAssembly.instantiateStreaming)
//   and `application/manifest+json`.
// - gzip when the client sends `Accept-Encoding: gzip` (compressed once per file, kept in memory).
// - `Cache-Control: no-cache`: the browser revalidates; offline use is the service worker's job.
// - Never serves anything outside the root (no `..`, no symlink escapes).
//
// Also importable: `import { startServer } from './serve.mjs'` → `{ server, port, url, close() }`.

import { createServer } from 'node:http';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** MIME type per file extension. Anything else is `application/octet-stream`. */
export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.idx': 'application/octet-stream',
  '.sorim': 'application/octet-stream',
};

/** Types worth compressing (everything textual, plus wasm and our binary model/index). */
const COMPRESSIBLE = /^(text\/|application\/(wasm|json|manifest\+json|octet-stream)|image\/svg)/;

/**
 * Starts the server. `port` 0 picks a free port.
 * @param {{root?: string, port?: number, host?: string, log?: boolean}} [options]
 * @returns {Promise<{server: import('node:http').Server, port: number, url: string, close: () => Promise<void>}>}
 */
export async function startServer({ root = 'dist', port = 8080, host = '127.0.0.1', log = false } = {}) {
  const rootReal = await realpath(resolve(root));
  const gzCache = new Map(); // path -> {mtimeMs, body}

  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      const url = new URL(req.url, 'http://localhost');
      let rel = decodeURIComponent(url.pathname);
      if (rel.endsWith('/')) rel += 'index.html';
      const candidate = resolve(rootReal, '.' + rel);
      if (candidate !== rootReal && !candidate.startsWith(rootReal + sep)) {
        res.writeHead(403).end();
        return;
      }
      let file;
      try {
        file = await realpath(candidate);
        if (!file.startsWith(rootReal + sep)) throw new Error('outside root');
        const st = await stat(file);
        if (st.isDirectory()) {
          file = join(file, 'index.html');
          await stat(file);
        }
      } catch {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
        if (log) console.log(`404 ${req.url}`);
        return;
      }
      const st = await stat(file);
      const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
      const headers = { 'Content-Type': type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
      let body = await readFile(file);
      const wantsGzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
      if (wantsGzip && COMPRESSIBLE.test(type) && body.length > 256) {
        let hit = gzCache.get(file);
        if (!hit || hit.mtimeMs !== st.mtimeMs) {
          hit = { mtimeMs: st.mtimeMs, body: gzipSync(body, { level: 6 }) };
          gzCache.set(file, hit);
        }
        body = hit.body;
        headers['Content-Encoding'] = 'gzip';
        headers['Vary'] = 'Accept-Encoding';
      }
      headers['Content-Length'] = body.length;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      if (log) console.log(`200 ${req.url} ${body.length}B${headers['Content-Encoding'] ? ' gzip' : ''}`);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
      if (log) console.error(err);
    }
  });

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const actual = server.address().port;
  return {
    server,
    port: actual,
    url: `http://${host}:${actual}/`,
    close: () =>
      new Promise((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? 'dist';
  const port = Number(process.argv[3] ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.mjs: bad port ${process.argv[3]}`);
    process.exit(2);
  }
  startServer({ root, port, log: true }).then(
    ({ url }) => console.log(`serving ${resolve(root)} at ${url}`),
    (err) => {
      console.error(`serve.mjs: ${err.message}`);
      process.exit(1);
    },
  );
}
