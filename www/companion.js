// The envelope of Sori's companion files (`<index>.photos`, `<index>.sounds`; layout:
// src/index/format.rs, `Companion`): 8 bytes of magic, u32 version, u32 body length, u32 CRC-32
// of the body, then the body. `openCompanion` checks the envelope and returns a reader of the
// body's little-endian fields; every error names the file (`name`, e.g. 'photo file').

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

/**
 * Checks a companion file (ArrayBuffer) against `magic` (8 bytes) and `version`; throws Error on a
 * bad magic, version, length or checksum. Returns { u16, u32, blob, str, end }: readers of the body
 * in order (each throws when the file is truncated); `end()` throws unless all was read.
 */
export function openCompanion(buffer, magic, version, name) {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  if (bytes.length < 20 || magic.some((b, i) => bytes[i] !== b)) throw new Error(`not a Sori ${name}`);
  const found = view.getUint32(8, true);
  if (found !== version) throw new Error(`${name} version ${found} is not supported`);
  const n = view.getUint32(12, true);
  if (20 + n !== bytes.length) throw new Error(`${name} has the wrong length`);
  if (crc32(bytes.subarray(20)) !== view.getUint32(16, true)) throw new Error(`${name} checksum mismatch`);
  let pos = 20;
  const need = (k) => {
    if (pos + k > bytes.length) throw new Error(`${name} is truncated`);
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const blob = () => {
    const len = u32();
    need(len);
    const out = bytes.subarray(pos, pos + len);
    pos += len;
    return out;
  };
  const text = new TextDecoder('utf-8', { fatal: true });
  const str = () => text.decode(blob());
  const end = () => {
    if (pos !== bytes.length) throw new Error(`${name} has trailing bytes`);
  };
  return { u16, u32, blob, str, end };
}
