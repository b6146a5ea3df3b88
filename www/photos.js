// Real photos of the classes, from the optional companion file `<index>.photos` that `sori build`
// writes when its dataset has photos (layout: src/index/photos.rs). Loaded after the page is
// ready, so the first answer never waits for it. No file (404), or one that fails its checks,
// means no photos: the page keeps its icons and says nothing.
//
// Output: { credit, bySlug: Map(slug -> [{ url, caption }]) }, most representative photo first;
// the URLs are blob: URLs (allowed by the page's CSP).

import { openCompanion } from './companion.js';

const MAGIC = [0x53, 0x4f, 0x52, 0x49, 0x50, 0x48, 0x4f, 0x00]; // "SORIPHO\0"
const VERSION = 1;
const MIMES = ['image/jpeg', 'image/png', 'image/webp', 'image/svg+xml'];

/** Parses a photo file (ArrayBuffer). Throws Error on a bad magic, version, length or checksum. */
export function parsePhotos(buffer) {
  const r = openCompanion(buffer, MAGIC, VERSION, 'photo file');
  const credit = r.str();
  const count = r.u16();
  const photos = [];
  for (let i = 0; i < count; i++) {
    const slug = r.str();
    const caption = r.str();
    const mime = r.str();
    const data = r.blob();
    if (!MIMES.includes(mime)) throw new Error(`photo of ${slug} has type ${mime}`);
    photos.push({ slug, caption, mime, data });
  }
  r.end();
  return { credit, photos };
}

/** Fetches and parses `url`; null when there is none or it is unusable (logged, never thrown). */
export async function loadPhotos(url) {
  try {
    const res = await fetch(url);
    if (!res.ok) return null; // 404: this site has no photos
    const { credit, photos } = parsePhotos(await res.arrayBuffer());
    const bySlug = new Map();
    for (const p of photos) {
      if (!bySlug.has(p.slug)) bySlug.set(p.slug, []);
      bySlug.get(p.slug).push({ url: URL.createObjectURL(new Blob([p.data], { type: p.mime })), caption: p.caption });
    }
    return { credit, bySlug };
  } catch (err) {
    console.warn('class photos not loaded', err);
    return null;
  }
}
