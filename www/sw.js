// Service worker: makes Sori work offline (and keeps a kiosk running without a network).
//
// Served from the site root (Trunk copies www/sw.js to dist/sw.js) so its scope is the whole site.
// install:  pre-caches everything the app needs into the versioned cache `sori-<VERSION>`, and the
//           optional class photos and reference sounds (`default.idx.photos`, `.sounds`) when the site has them.
// activate: deletes older `sori-*` caches and takes control of open pages at once.
// fetch:    same-origin GETs are cache-first (falling back to the network, which also fills the
//           cache); navigations fall back to the cached index.html when offline.
// Bump VERSION whenever any cached file changes (file names are stable: Trunk's filehash is off).

const VERSION = 'v13';
/** Optional: class photos and reference sounds beside the index (cached when present). */
const OPTIONAL = ['default.idx.photos', 'default.idx.sounds'];
const CACHE = `sori-${VERSION}`;

/** Everything the page needs to start, listen and answer with no network. */
const PRECACHE = [
  './',
  'index.html',
  'sori.js',
  'sori_bg.wasm',
  'model/mn04.sorim',
  'default.idx',
  'manifest.webmanifest',
  'www/app.js',
  'www/audio.js',
  'www/engine.js',
  'www/engine_worker.js',
  'www/engine_ops.js',
  'www/i18n.js',
  'www/companion.js',
  'www/photos.js',
  'www/sounds.js',
  'www/store.js',
  'www/teach.js',
  'www/kiosk_sounds.js',
  'www/ui.js',
  'www/worklet.js',
  'www/nomodule.js',
  'www/style.css',
  'www/icons/icon.svg',
  'www/icons/icon-192.png',
  'www/icons/icon-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // `cache: 'reload'` bypasses the HTTP cache so a new VERSION never pre-caches stale bytes.
      .then((cache) =>
        cache
          .addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })))
          .then(() => Promise.all(OPTIONAL.map((url) => cache.add(new Request(url, { cache: 'reload' })).catch(() => {})))),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('sori-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  event.respondWith(cacheFirst(req));
});

async function cacheFirst(req) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(req, { ignoreSearch: req.mode === 'navigate' });
  if (hit) return hit;
  try {
    const res = await fetch(req);
    if (res.ok && res.type === 'basic') cache.put(req, res.clone());
    return res;
  } catch (err) {
    if (req.mode === 'navigate') {
      const page = await cache.match('index.html');
      if (page) return page;
    }
    throw err;
  }
}
