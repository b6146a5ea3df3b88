// Keeps the taught sounds on the device: one IndexedDB record holding the pack file (SORIPAK,
// with every example's 16 kHz audio, so the page can play examples back and re-learn them).
//
// Input: pack bytes (Uint8Array) to save; output: the saved bytes (or null) at start.
// Failures become a `StoreError` with a `code` the page turns into a message:
//   storage-unavailable (no IndexedDB: private mode, blocked storage) | storage-quota (the device
//   is full) | storage-failed (anything else). A failed save keeps the previous record: IndexedDB
//   writes are transactions, so nothing already kept is lost.

const DB_NAME = 'sori';
const DB_VERSION = 1;
const STORE = 'taught';
const KEY = 'pack';

/** A storage failure with a stable `code` (see the module header). */
export class StoreError extends Error {
  constructor(code, detail = '', cause = undefined) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'StoreError';
    this.code = code;
    this.detail = detail;
    this.cause = cause;
  }
}

function storeError(err) {
  if (err instanceof StoreError) return err;
  const name = err?.name ?? '';
  if (name === 'QuotaExceededError') return new StoreError('storage-quota', err.message, err);
  if (name === 'InvalidStateError' || name === 'SecurityError' || name === 'UnknownError')
    return new StoreError('storage-unavailable', err?.message ?? name, err);
  return new StoreError('storage-failed', err?.message ?? String(err), err);
}

let dbPromise = null;

function open() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((ok, fail) => {
    let req;
    try {
      if (!globalThis.indexedDB) throw new StoreError('storage-unavailable', 'no IndexedDB');
      req = globalThis.indexedDB.open(DB_NAME, DB_VERSION);
    } catch (err) {
      fail(storeError(err));
      return;
    }
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => {
        db.close();
        dbPromise = null;
      };
      ok(db);
    };
    req.onerror = () => fail(storeError(req.error));
    req.onblocked = () => fail(new StoreError('storage-unavailable', 'blocked by another tab'));
  });
  dbPromise.catch(() => {
    dbPromise = null; // try again next time
  });
  return dbPromise;
}

async function run(mode, fn) {
  const db = await open();
  return new Promise((ok, fail) => {
    let tx;
    let result;
    try {
      tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      req.onsuccess = () => {
        result = req.result;
      };
    } catch (err) {
      fail(storeError(err));
      return;
    }
    tx.oncomplete = () => ok(result);
    tx.onerror = () => fail(storeError(tx.error));
    tx.onabort = () => fail(storeError(tx.error ?? new Error('aborted')));
  });
}

/** The kept pack bytes, or null when nothing is kept. Rejects with a StoreError. */
export async function loadKept() {
  const v = await run('readonly', (s) => s.get(KEY));
  if (!v) return null;
  return v instanceof Uint8Array ? v : new Uint8Array(v);
}

/** Keeps `bytes` in place of the previous pack (the previous one stays if this fails). */
export async function saveKept(bytes) {
  await run('readwrite', (s) => s.put(bytes.slice(), KEY));
}

/** Forgets the kept pack. */
export async function clearKept() {
  await run('readwrite', (s) => s.delete(KEY));
}
