// The teach screen (issue 17): teach Sori a sound from a few examples, keep it on the device,
// carry it to another device.
//
// Flow:  pick a class (one of the index's, or a new name ko/en)
//        → examples: record (one tap = one example, RECORD_S seconds, level meter + countdown)
//                    or files (several; long ones cut by the core's cut_examples)
//        → engine.checkExample each (silent / clipped / too short / already another class → message,
//          retake) → engine.learn (wasm, in the analysis worker) → the live matcher answers it → saved to IndexedDB (store.js)
//        taught list: play back, rename, remove examples or classes, reset; export / import a pack.
// Input: the loaded `Sori`, the class map and callbacks from app.js. Output: DOM under
// [data-testid=teach] and `window.__sori.teach` (state, timings) for the end-to-end tests.

import { t } from './i18n.js';
import { AudioInputError, Mic, decodeFile } from './audio.js';
import { dropZone, el, setLevel } from './ui.js';
import { StoreError, clearKept, loadKept, saveKept } from './store.js';

/** Seconds one tap records. */
export const RECORD_S = 3;
/** Seconds the microphone stays open after an example, for the next one. */
export const MIC_IDLE_S = 15;
/** Examples a class needs before it can be learned. */
export const MIN_EXAMPLES = 3;
/** File name of an exported pack. */
const EXPORT_NAME = 'sori-taught.soripak';

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

/** Message keys of the pack / teaching error codes from the wasm layer (docs/teach-api.md). */
const CODE_KEYS = {
  not_a_pack: 'teachErrNotAPack',
  newer: 'teachErrNewer',
  older: 'teachErrOlder',
  other_analysis: 'teachErrOtherAnalysis',
  truncated: 'teachErrTruncated',
  damaged: 'teachErrDamaged',
  corrupt: 'teachErrCorrupt',
  other_index: 'teachErrOtherIndex',
  not_teachable: 'teachErrNotTeachable',
  no_examples: 'teachErrNoExamples',
  unknown_class: 'teachErrUnknownClass',
  bad_name: 'teachErrBadName',
  too_many: 'teachErrTooMany',
  audio: 'teachErrAudio',
  'storage-unavailable': 'teachErrStorageUnavailable',
  'storage-quota': 'teachErrStorageQuota',
  'storage-failed': 'teachErrStorageFailed',
  'file-decode': 'err_file_decode',
  'file-empty': 'teachErrFileEmpty',
};

/** Message keys of an example's problems (`checkExample`'s `problem`). */
const PROBLEM_KEYS = {
  too_short: 'teachTooShort',
  silent: 'teachSilent',
  clipped: 'teachClipped',
  already_another: 'teachAlready',
};

export class Teach {
  /**
   * @param {{engine: import("./engine.js").Engine, classes: Map<string, any>, classList: any[], onChange: () => void,
   *          beforeRecord: () => void}} o
   *   onChange: the taught classes changed (make a new listener, redraw);
   *   beforeRecord: stop listening before the microphone records an example.
   */
  constructor({ engine, classes, classList, onChange, beforeRecord }) {
    this.engine = engine;
    this.classes = classes;
    this.classList = classList;
    this.onChange = onChange;
    this.beforeRecord = beforeRecord;
    this.pending = []; // [{id, samples (16 kHz Float32Array), seconds}]
    this.recording = null; // {mic, stopAt, timer}
    this.player = null; // {ctx, source}
    this.taughtSlugs = new Set();
    this.state = { kind: 'idle' }; // for tests: window.__sori.teach
    this.mic = null; // the teach microphone, open between taps (MIC_IDLE_S)
    this.micRate = 0;
    this.micIdle = 0;
    window.__sori.teach = { timings: {}, taught: [], stored: null, message: null };
    // For the end-to-end tests: the audio of a taught example.
    window.__sori.teach.exampleAudio = (id, i) => this.engine.exampleAudio(id, i); // a promise
    this.newSlug = ''; // the verdict name of the new sound being named (slugFor, kept up to date on input)
    this.naming = null; // the slugFor call in flight, if any
    this.room = null; // {seconds, windows} of the room recorded without the sound (setBackground), if any
  }

  /** Wires the controls and loads the kept pack (if any). Resolves when the kept pack is live. */
  async start() {
    this.fillClassPicker();
    $('teach-class').addEventListener('change', () => this.onPick());
    $('teach-record').addEventListener('click', () => this.toggleRecord('example'));
    $('teach-room').addEventListener('click', () => this.toggleRecord('room'));
    $('teach-room-clear').addEventListener('click', () => this.clearRoom());
    $('teach-files').addEventListener('change', (e) => {
      const files = [...(e.target.files ?? [])];
      this.addFiles(files).finally(() => {
        e.target.value = '';
      });
    });
    dropZone($('teach-drop'), (files) => this.addFiles(files));
    $('teach-learn').addEventListener('click', () => this.learn());
    $('teach-export').addEventListener('click', () => this.exportPack());
    $('teach-import').addEventListener('change', (e) => {
      const file = e.target.files?.[0];
      this.importPack(file).finally(() => {
        e.target.value = '';
      });
    });
    $('teach-reset').addEventListener('click', () => this.reset());
    $('teach-name-ko').addEventListener('input', () => this.nameChanged());
    $('teach-name-en').addEventListener('input', () => this.nameChanged());
    this.onPick();
    await this.loadKeptPack();
  }

  // ------------------------------------------------------------ target

  fillClassPicker() {
    const sel = $('teach-class');
    const keep = sel.value;
    sel.replaceChildren();
    const fresh = el('option', '', t('teachNewSound'));
    fresh.value = '';
    sel.append(fresh);
    const groups = new Map();
    for (const c of this.classList) {
      if (!groups.has(c.category)) groups.set(c.category, el('optgroup'));
      const g = groups.get(c.category);
      g.label = `${c.categoryKo} · ${c.category}`;
      const o = el('option', '', `${c.nameKo} · ${c.nameEn}`);
      o.value = c.slug;
      g.append(o);
    }
    sel.append(...groups.values());
    sel.value = keep;
  }

  /** {slug, nameKo, nameEn} of what is being taught; slug '' when a new sound has no name yet. */
  target() {
    const slug = $('teach-class').value;
    if (slug) return { slug, nameKo: '', nameEn: '', shipped: true };
    const nameKo = $('teach-name-ko').value.trim();
    const nameEn = $('teach-name-en').value.trim();
    return { slug: this.newSlug, nameKo, nameEn, shipped: false };
  }

  /** The new sound's names changed: its slug (from the core's `slugFor`), then the controls. */
  nameChanged() {
    const nameKo = $('teach-name-ko').value.trim();
    const nameEn = $('teach-name-en').value.trim();
    const naming = this.engine
      .slugFor(nameKo, nameEn)
      .then((slug) => {
        if (this.naming === naming) this.newSlug = slug;
      })
      .catch((err) => this.sayCode(err))
      .finally(() => {
        if (this.naming === naming) this.naming = null;
        this.renderPending();
      });
    this.naming = naming; // awaited before the slug is used (a tap right after typing), else null
    return naming;
  }

  onPick() {
    const shipped = Boolean($('teach-class').value);
    $('teach-new').hidden = shipped;
    $('teach-replace-row').hidden = !shipped;
    // Examples checked for another class would be checked against the wrong target: start afresh.
    this.clearPending();
  }

  // ------------------------------------------------------------ examples

  clearPending() {
    this.engine.clearPending().catch((err) => console.warn('pending examples not cleared', err));
    this.pending = [];
    this.renderPending();
  }

  /**
   * Records one example (`kind` 'example') or the room without the sound ('room') from the microphone
   * (a second tap stops early). Inside the click: no await before the microphone opens unless a name is
   * still being turned into a slug. The microphone stays open between taps for MIC_IDLE_S (so the next
   * example follows at once, with no new permission prompt or start-up delay), then is released.
   */
  async toggleRecord(kind = 'example') {
    if (this.recording) {
      this.finishRecording();
      return;
    }
    if (kind === 'example') {
      if (this.naming) await this.naming;
      if (!this.checkTarget()) return;
    }
    this.beforeRecord();
    const btn = $(kind === 'room' ? 'teach-room' : 'teach-record');
    const rec = { kind, btn, blocks: [], timer: 0, stopAt: 0 };
    this.recording = rec;
    btn.setAttribute('aria-pressed', 'true');
    btn.dataset.state = 'recording';
    clearTimeout(this.micIdle);
    try {
      await this.openMic();
    } catch (err) {
      this.recording = null;
      btn.setAttribute('aria-pressed', 'false');
      btn.dataset.state = '';
      if (err?.code !== 'cancelled') {
        window.__sori.teach.timings.lastCheck = performance.now();
        this.say('error', err?.code ?? 'mic-busy', micMessage(err));
      }
      return;
    }
    if (this.recording !== rec) return;
    rec.stopAt = performance.now() + RECORD_S * 1000;
    const tick = () => {
      const left = Math.max(0, rec.stopAt - performance.now());
      $('teach-countdown').textContent = t('teachCountdown', { s: Math.ceil(left / 1000) });
      $('teach-countdown').dataset.left = (left / 1000).toFixed(1);
      if (left <= 0) this.finishRecording();
    };
    tick();
    rec.timer = setInterval(tick, 100);
  }

  /** Opens the teach microphone if it is not open: blocks go to the recording in progress. */
  async openMic() {
    if (this.mic?.running) return;
    this.micRate = 0;
    this.mic = new Mic({
      maxRetries: 0,
      onBlock: (b) => {
        let sum = 0;
        for (let i = 0; i < b.length; i++) sum += b[i] * b[i];
        setLevel($('teach-level-bar'), 10 * Math.log10(sum / Math.max(1, b.length) + 1e-12));
        if (this.recording?.stopAt) this.recording.blocks.push(b);
      },
      onStart: (r) => {
        this.micRate = r;
      },
      onFatal: (err) => {
        if (this.recording) this.finishRecording();
        this.say('error', err.code ?? 'mic-busy', t('teachMicLost'));
      },
    });
    await this.mic.start();
  }

  /** Releases the teach microphone (also when listening starts). */
  releaseMic() {
    clearTimeout(this.micIdle);
    if (this.recording) this.finishRecording();
    this.mic?.stop();
    this.mic = null;
    setLevel($('teach-level-bar'), -Infinity);
  }

  finishRecording() {
    const rec = this.recording;
    if (!rec) return;
    this.recording = null;
    clearInterval(rec.timer);
    clearTimeout(this.micIdle);
    this.micIdle = setTimeout(() => this.releaseMic(), MIC_IDLE_S * 1000);
    rec.btn.setAttribute('aria-pressed', 'false');
    rec.btn.dataset.state = '';
    $('teach-countdown').textContent = '';
    const n = rec.blocks.reduce((a, b) => a + b.length, 0);
    const samples = new Float32Array(n);
    let o = 0;
    for (const b of rec.blocks) {
      samples.set(b, o);
      o += b.length;
    }
    const rate = this.micRate || 48000;
    if (n === 0) {
      window.__sori.teach.timings.lastCheck = performance.now();
      this.say('problem', 'silent', `${t('teachSilent')} ${t('teachRetake')}`);
      return;
    }
    if (rec.kind === 'room') return this.setRoom(samples, rate);
    return this.checkPieces([samples], rate, t('teachRecorded'));
  }

  // ------------------------------------------------------------ the room without the sound

  /** Keeps the room's recording as "not this sound" for the next learning steps (the core's setBackground). */
  async setRoom(samples, rate) {
    let r;
    try {
      r = await this.engine.setBackground(samples, rate);
    } catch (err) {
      this.sayCode(err);
      return;
    } finally {
      window.__sori.teach.timings.lastCheck = performance.now();
    }
    this.room = r.windows > 0 ? r : null;
    window.__sori.teach.room = this.room;
    if (this.room) this.say('ok', 'room_kept', t('teachRoomKept', { s: r.seconds.toFixed(1) }));
    else this.say('problem', 'room_silent', t('teachRoomSilent'));
    this.renderRoom();
  }

  async clearRoom() {
    try {
      await this.engine.clearBackground();
    } catch (err) {
      this.sayCode(err);
      return;
    }
    this.room = null;
    window.__sori.teach.room = null;
    this.renderRoom();
  }

  renderRoom() {
    $('teach-room-status').textContent = this.room ? t('teachRoomStatus', { s: this.room.seconds.toFixed(1) }) : '';
    $('teach-room-clear').hidden = !this.room;
  }

  /** Checks files as examples (each cut into pieces of at most 5 s by the core). */
  async addFiles(files) {
    if (!files.length) return;
    if (this.naming) await this.naming;
    if (!this.checkTarget()) return;
    for (const file of files) {
      let decoded;
      try {
        decoded = await decodeFile(file, file.name);
      } catch (err) {
        const code = err instanceof AudioInputError ? err.code : 'file-decode';
        this.say('error', code, t(CODE_KEYS[code] ?? 'err_file_decode', { name: file.name }));
        continue;
      }
      let pieces;
      try {
        pieces = await this.engine.cutExamples(decoded.samples, decoded.sampleRate);
      } catch (err) {
        this.sayCode(err);
        continue;
      }
      await this.checkPieces(pieces, 16000, file.name);
    }
  }

  /** Checks pieces of audio; keeps the good ones and says what was wrong with the others. */
  async checkPieces(pieces, rate, name) {
    const { slug } = this.target();
    let kept = 0;
    let last = null;
    for (const [i, piece] of pieces.entries()) {
      const label = pieces.length > 1 ? `${name} (${i + 1}/${pieces.length})` : name;
      let r;
      try {
        r = await this.engine.checkExample(piece, rate, slug);
      } catch (err) {
        this.sayCode(err);
        continue;
      }
      if (r.ok) {
        kept += 1;
        const s16 = rate === 16000 ? piece : null;
        this.pending.push({ id: r.id, seconds: r.seconds, samples: s16, raw: s16 ? null : { piece, rate } });
      } else last = { r, label };
    }
    window.__sori.teach.timings.lastCheck = performance.now();
    if (last) {
      const { r, label } = last;
      const c = this.classes.get(r.class);
      const key = PROBLEM_KEYS[r.problem] ?? 'teachSilent';
      const text = t(key, {
        s: Number(r.seconds ?? 0).toFixed(1),
        min: Number(r.min ?? 1).toFixed(0),
        p: Math.round(Number(r.percent ?? 0)),
        name: c ? `${c.nameKo} · ${c.nameEn}` : (r.class ?? ''),
      });
      this.say('problem', r.problem, `${label}: ${text} ${t('teachRetake')}`);
    } else if (kept) this.say('ok', 'kept', t('teachKept', { n: kept }));
    this.renderPending();
  }

  /** True when a target is chosen (a shipped class, or a new sound with a usable name). */
  checkTarget() {
    const { slug, shipped } = this.target();
    if (shipped || slug) return true;
    this.say('error', 'bad_name', t('teachNeedName'));
    return false;
  }

  renderPending() {
    const list = $('teach-pending');
    list.replaceChildren();
    for (const [i, p] of this.pending.entries()) {
      const li = el('li', 'teach-example');
      li.dataset.id = String(p.id);
      li.append(el('span', '', t('teachExample', { n: i + 1, s: p.seconds.toFixed(1) })));
      const play = button('▶', t('teachPlay'), () => this.play(p.samples ?? p.raw?.piece, p.samples ? 16000 : p.raw?.rate));
      const drop = button('✕', t('teachDiscard'), () => {
        this.engine.discardExample(p.id).catch((err) => console.warn('example not discarded', err));
        this.pending = this.pending.filter((x) => x !== p);
        this.renderPending();
      });
      li.append(play, drop);
      list.append(li);
    }
    const { slug, shipped } = this.target();
    const have = this.pending.length + (this.taughtBySlug(slug)?.examples.length ?? 0);
    const enough = this.pending.length > 0 && have >= MIN_EXAMPLES && (shipped || slug);
    const learn = $('teach-learn');
    learn.disabled = !enough;
    learn.textContent = t('teachLearn', { n: Math.min(have, MIN_EXAMPLES), min: MIN_EXAMPLES });
    $('teach').dataset.pending = String(this.pending.length);
  }

  // ------------------------------------------------------------ learning

  /** Learns the chosen class from the kept examples; the answer uses it at once; then saves. */
  async learn() {
    if (this.naming) await this.naming;
    const tg = this.target();
    const t0 = performance.now();
    let r;
    try {
      r = await this.engine.learn(tg.slug, tg.nameKo, tg.nameEn, tg.shipped && $('teach-replace').checked);
    } catch (err) {
      this.sayCode(err);
      return;
    }
    const t1 = performance.now();
    this.pending = [];
    await this.afterChange();
    const t2 = performance.now();
    const timings = window.__sori.teach.timings;
    timings.learnMs = t1 - t0; // the wasm learning step in the worker (fit + calibrate + new matcher), round trip
    timings.readyMs = t2 - t0; // … plus the new listener and the redrawn lists: answers use it
    timings.lastToReadyMs = t2 - (timings.lastCheck ?? t0);
    this.renderPending();
    const name = this.nameOf(r.class);
    window.__sori.teach.lastLearn = { positives: r.positives, negatives: r.negatives, room: Boolean(this.room) };
    const learned = t('teachLearned', { name, n: r.class.examples.length, ms: Math.round(t2 - t0) });
    this.say('ok', 'learned', this.room ? `${learned} ${t('teachLearnedWithRoom')}` : learned);
    $('teach').dataset.learned = r.class.slug;
    await this.save();
  }

  taughtBySlug(slug) {
    return window.__sori.teach.taught.find((c) => c.slug === slug) ?? null;
  }

  nameOf(c) {
    const info = this.classes.get(c.slug);
    if (info && c.mode !== 'new') return `${info.nameKo} · ${info.nameEn}`;
    return [c.nameKo, c.nameEn].filter(Boolean).join(' · ') || c.slug;
  }

  /** After any change of the taught classes: class names for the card, the lists, the listener. */
  async afterChange() {
    let taught;
    try {
      taught = await this.engine.taught();
    } catch (err) {
      this.sayCode(err);
      return;
    }
    window.__sori.teach.taught = taught;
    for (const slug of this.taughtSlugs) {
      const c = this.classes.get(slug);
      if (c?.coverage === 'taught') this.classes.delete(slug);
    }
    this.taughtSlugs = new Set();
    for (const c of taught) {
      this.taughtSlugs.add(c.slug);
      if (c.mode === 'new')
        this.classes.set(c.slug, {
          id: c.id,
          slug: c.slug,
          nameKo: c.nameKo || c.nameEn,
          nameEn: c.nameEn || c.nameKo,
          category: 'Taught here',
          categoryKo: '여기서 가르친 소리',
          coverage: 'taught',
          clips: 0,
          imageCredit: '',
        });
    }
    this.renderTaught(taught);
    await this.onChange();
  }

  renderTaught(taught) {
    const list = $('taught-list');
    list.replaceChildren();
    $('teach').dataset.taught = taught.map((c) => c.slug).join(' ');
    $('taught-empty').hidden = taught.length > 0;
    for (const c of taught) {
      const li = el('li', 'taught-item');
      li.dataset.slug = c.slug;
      li.dataset.id = String(c.id);
      const head = el('div', 'taught-head');
      head.append(el('strong', 'taught-name', this.nameOf(c)), el('span', 'taught-mode', t(`teachMode_${c.mode}`)));
      head.append(
        button(t('teachRemoveClass'), t('teachRemoveClass'), () => this.removeClass(c), 'taught-remove'),
      );
      li.append(head);
      if (c.mode === 'new') {
        const form = el('div', 'taught-rename');
        const ko = el('input');
        ko.value = c.nameKo;
        ko.setAttribute('aria-label', t('teachNameKo'));
        ko.dataset.role = 'rename-ko';
        const en = el('input');
        en.value = c.nameEn;
        en.setAttribute('aria-label', t('teachNameEn'));
        en.dataset.role = 'rename-en';
        form.append(ko, en, button(t('teachRename'), t('teachRename'), () => this.rename(c, ko.value, en.value)));
        li.append(form);
      }
      const ex = el('ol', 'taught-examples');
      for (const [i, e] of c.examples.entries()) {
        const item = el('li');
        item.append(el('span', '', t('teachExample', { n: i + 1, s: e.seconds.toFixed(1) })));
        if (e.hasAudio) item.append(button('▶', t('teachPlay'), () => this.playExample(c, i)));
        item.append(button('✕', t('teachRemoveExample'), () => this.removeExample(c, i)));
        ex.append(item);
      }
      li.append(ex);
      list.append(li);
    }
  }

  async rename(c, ko, en) {
    try {
      await this.engine.renameClass(c.id, ko, en);
    } catch (err) {
      this.sayCode(err);
      return;
    }
    await this.afterChange();
    await this.save();
  }

  async removeExample(c, i) {
    try {
      await this.engine.removeExample(c.id, i);
    } catch (err) {
      this.sayCode(err);
      return;
    }
    await this.afterChange();
    await this.save();
  }

  async removeClass(c) {
    if (!globalThis.confirm(t('teachConfirmRemove', { name: this.nameOf(c) }))) return;
    try {
      await this.engine.removeClass(c.id);
    } catch (err) {
      this.sayCode(err);
      return;
    }
    await this.afterChange();
    await this.save();
  }

  async reset() {
    if (!globalThis.confirm(t('teachConfirmReset'))) return;
    try {
      await clearKept();
    } catch (err) {
      this.sayCode(err);
      return; // the kept pack is still there: keep answering with it too
    }
    try {
      await this.engine.resetTaught();
    } catch (err) {
      this.sayCode(err);
      return;
    }
    this.pending = [];
    this.room = null; // resetTaught forgets the room too
    window.__sori.teach.room = null;
    this.renderRoom();
    await this.afterChange();
    this.renderPending();
    window.__sori.teach.stored = 0;
    this.say('ok', 'reset', t('teachResetDone'));
  }

  // ------------------------------------------------------------ keeping, carrying

  async loadKeptPack() {
    let bytes;
    try {
      bytes = await loadKept();
    } catch (err) {
      window.__sori.teach.stored = -1;
      this.sayCode(err);
      await this.afterChange();
      return;
    }
    if (bytes?.length) {
      try {
        await this.engine.loadPack(bytes);
      } catch (err) {
        // Kept but unusable here (e.g. made by a newer Sori): say so, keep the record as it is.
        this.sayCode(err);
      }
    }
    window.__sori.teach.stored = bytes?.length ?? 0;
    await this.afterChange();
  }

  async save() {
    try {
      const bytes = await this.engine.packBytes(true);
      await saveKept(bytes);
      window.__sori.teach.stored = bytes.length;
      $('teach').dataset.saved = String(bytes.length);
    } catch (err) {
      this.sayCode(err, t('teachNotSaved'));
    }
  }

  async exportPack() {
    const withAudio = $('teach-export-audio').checked;
    let bytes;
    try {
      if (!(await this.engine.taughtCount())) {
        this.say('error', 'nothing', t('teachNothingToExport'));
        return;
      }
      bytes = await this.engine.packBytes(withAudio);
    } catch (err) {
      this.sayCode(err);
      return;
    }
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = el('a');
    a.href = url;
    a.download = EXPORT_NAME;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    this.say('ok', 'exported', t('teachExported', { kb: Math.ceil(bytes.length / 1024) }));
  }

  async importPack(file) {
    if (!file) return;
    let bytes;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (err) {
      this.say('error', 'file-decode', t('err_file_decode', { name: file.name }));
      return;
    }
    try {
      await this.engine.loadPack(bytes); // refused: throws, and the taught classes stay as they were
    } catch (err) {
      this.sayCode(err);
      return;
    }
    await this.afterChange();
    this.say('ok', 'imported', t('teachImported', { n: window.__sori.teach.taught.length, name: file.name }));
    await this.save();
  }

  // ------------------------------------------------------------ output

  /** Plays the kept audio of example `i` of the taught class `c`. */
  async playExample(c, i) {
    try {
      this.play(await this.engine.exampleAudio(c.id, i), 16000);
    } catch (err) {
      console.warn('example not played', err);
    }
  }

  play(samples, rate) {
    if (!samples?.length) return;
    try {
      this.player?.source?.stop();
      const Ctx = globalThis.AudioContext ?? globalThis.webkitAudioContext;
      this.player ??= { ctx: new Ctx() };
      const { ctx } = this.player;
      ctx.resume?.().catch?.(() => {});
      const buf = ctx.createBuffer(1, samples.length, rate);
      buf.getChannelData(0).set(samples);
      const src = ctx.createBufferSource();
      src.buffer = buf;
      src.connect(ctx.destination);
      src.start();
      this.player.source = src;
    } catch (err) {
      console.warn('example not played', err);
    }
  }

  /** Shows a message: kind 'ok' | 'problem' | 'error', a stable code, and its text. */
  say(kind, code, text) {
    const box = $('teach-message');
    box.dataset.kind = kind;
    box.dataset.code = code;
    box.textContent = text;
    window.__sori.teach.message = { kind, code, text };
  }

  /** Shows an Error from the wasm layer or the store by its code. */
  sayCode(err, prefix = '') {
    const code = err?.code ?? (err instanceof StoreError ? err.code : 'internal');
    const key = CODE_KEYS[code];
    const detail = err?.message ?? String(err);
    const text = key ? t(key, { what: detail }) : t('teachErrInternal', { what: detail });
    this.say('error', code, prefix ? `${prefix} ${text}` : text);
  }

  /** Re-renders in the current language. */
  refresh() {
    this.fillClassPicker();
    this.renderPending();
    this.renderTaught(window.__sori.teach.taught);
    this.renderRoom();
  }
}

function button(text, label, onClick, cls = '') {
  const b = el('button', cls, text);
  b.type = 'button';
  b.setAttribute('aria-label', label);
  b.title = label;
  b.addEventListener('click', onClick);
  return b;
}

function micMessage(err) {
  const key =
    {
      'mic-denied': 'err_mic_denied',
      'no-mic': 'err_no_mic',
      insecure: 'err_insecure',
      unsupported: 'err_unsupported',
    }[err?.code] ?? 'err_mic_busy';
  return t(key, { what: err?.detail ?? '' });
}
