// Real photos of the classes, from the optional companion file `<index>.photos` that `sori build`
// writes when its dataset has photos (layout: src/index/photos.rs). Loaded after the page is
// ready, so the first answer never waits for it. No file (404), or one that fails its checks,
// means no photos: the page keeps its icons and says nothing.
//
// Output: { credit, bySlug: Map(slug -> [{ url, caption }]) }, most representative photo first;
// the URLs are blob: URLs (allowed by the page's CSP).

const MAGIC = [0x53, 0x4f, 0x52, 0x49, 0x50, 0x48, 0x4f, 0x00]; // "SORIPHO\0"
const VERSION = 1;
const MIMES = ['image/jpeg', 'image/png', 'image/webp', 'image/svg+xml'];

let table = null;
function crc32(bytes) {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Parses a photo file (ArrayBuffer). Throws Error on a bad magic, version, length or checksum. */
export function parsePhotos(buffer) {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  if (bytes.length < 20 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not a Sori photo file');
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw new Error(`photo file version ${version} is not supported`);
  const n = view.getUint32(12, true);
  if (20 + n !== bytes.length) throw new Error('photo file has the wrong length');
  const body = bytes.subarray(20);
  if (crc32(body) !== view.getUint32(16, true)) throw new Error('photo file checksum mismatch');
  let pos = 20;
  const take = () => {
    if (pos + 4 > bytes.length) throw new Error('photo file is truncated');
    const len = view.getUint32(pos, true);
    if (pos + 4 + len > bytes.length) throw new Error('photo file is truncated');
    const out = bytes.subarray(pos + 4, pos + 4 + len);
    pos += 4 + len;
    return out;
  };
  const text = new TextDecoder('utf-8', { fatal: true });
  const credit = text.decode(take());
  if (pos + 2 > bytes.length) throw new Error('photo file is truncated');
  const count = view.getUint16(pos, true);
  pos += 2;
  const photos = [];
  for (let i = 0; i < count; i++) {
    const slug = text.decode(take());
    const caption = text.decode(take());
    const mime = text.decode(take());
    const data = take();
    if (!MIMES.includes(mime)) throw new Error(`photo of ${slug} has type ${mime}`);
    photos.push({ slug, caption, mime, data });
  }
  if (pos !== bytes.length) throw new Error('photo file has trailing bytes');
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
