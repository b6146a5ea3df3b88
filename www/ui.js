// Rendering: the answer card, level meter, spectrogram, file timeline and class gallery.
//
// Input: plain data from the wasm layer (Result, poll() output, classes(), scan() timeline).
// Output: DOM updates only. Every class name or message goes through textContent, never HTML,
// and sizes are set through the CSSOM (allowed by the page's strict `style-src 'self'` CSP).

import { t } from './i18n.js';

/** Creates an element with optional class and text (textContent). */
export function el(tag, cls = '', text = '') {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

/** Blob URLs for class images, created on first use from the index's images (`engine.images`: slug → {bytes, mime}). */
export class Images {
  constructor(images) {
    this.images = images;
    this.urls = new Map();
  }

  /** Real photos (`loadPhotos` in photos.js), shown instead of the index's images from now on. */
  setPhotos({ bySlug, credit }) {
    this.photos = bySlug;
    this.photoCredit = credit;
  }

  /** The credit line for what `url(slug)` shows, or '' to use the index image's own. */
  credit(slug) {
    return this.photos?.get(slug)?.length ? this.photoCredit : '';
  }

  /** The image URL for `slug`: its first photo if any, else the index's image, else ''. */
  url(slug) {
    const photo = this.photos?.get(slug)?.[0];
    if (photo) return photo.url;
    if (this.urls.has(slug)) return this.urls.get(slug);
    let url = '';
    try {
      const img = this.images.get(slug);
      if (img?.bytes?.length) url = URL.createObjectURL(new Blob([img.bytes], { type: img.mime }));
    } catch {
      url = '';
    }
    this.urls.set(slug, url);
    return url;
  }
}

/** Percent text for a 0..1 score. */
/** Makes `zone` accept dropped files: highlighted (`.drag`) while dragged over, `onFiles(files)` on drop. */
export function dropZone(zone, onFiles) {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('drag');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('drag'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('drag');
    onFiles([...(e.dataTransfer?.files ?? [])]);
  });
}

export function pct(score) {
  const s = Number.isFinite(score) ? Math.max(0, Math.min(1, score)) : 0;
  return `${Math.round(s * 100)}%`;
}

/**
 * The answer card (`[data-testid=verdict]`). States: 'idle' (nothing yet), 'listening', a class,
 * 'unknown', 'silence'. `data-class` holds the verdict slug (or unknown/silence), `data-score` 0..1,
 * `data-maybe` the slug of the hedged guess shown beside `unknown` (else empty), `data-taught` '1' when the
 * verdict is a class taught on this device.
 */
export class AnswerCard {
  constructor(root, classes, images) {
    this.root = root;
    this.classes = classes; // Map slug -> class info
    this.images = images;
    this.q = (role) => root.querySelector(`[data-role="${role}"]`);
    this.state = { kind: 'idle' };
    this.sounds = null; // Map slug -> reference sound (sounds.js), once loaded
    this.soundActions = null; // { play(slug, cardButton), try(slug) }
    this.soundStatus = { slug: '', key: '' };
  }

  /** Reference sounds (`loadSounds` in sounds.js) and what the card's buttons do. */
  setSounds(bySlug, actions) {
    this.sounds = bySlug;
    this.soundActions = actions;
  }

  /** Shows a class without an answer (from the gallery): image, names, category, its sound. */
  preview(slug) {
    const info = this.classes.get(slug);
    if (!info) return;
    this.state = { kind: 'preview', slug };
    this.root.dataset.class = slug;
    this.root.dataset.maybe = '';
    this.root.dataset.score = '';
    this.root.dataset.state = 'preview';
    this.clearAnswer();
    this.q('message').textContent = '';
    this.showClass(info);
    this.renderSound(slug);
  }

  showClass(info) {
    const url = this.images.url(info.slug);
    const img = this.q('image');
    if (url) {
      img.src = url;
      img.hidden = false;
      img.parentElement.hidden = false;
    }
    img.alt = `${info.nameKo} (${info.nameEn})`;
    this.q('name-ko').textContent = info.nameKo;
    this.q('name-en').textContent = info.nameEn;
    this.q('category').textContent = `${info.categoryKo} · ${info.category}`;
  }

  /** The play row of a class: its button and credit, or a plain note that it has no sound. */
  renderSound(slug) {
    const row = this.q('refsound');
    if (!this.sounds) return;
    const sound = this.sounds.get(slug);
    const play = this.q('play');
    row.hidden = false;
    row.dataset.slug = slug;
    play.hidden = !sound;
    this.q('sound-spectro').hidden = !sound;
    if (!sound) {
      this.q('sound-credit').textContent = '';
      this.q('sound-status').textContent = t('noSound');
      this.q('try').hidden = true;
      return;
    }
    const playing = this.soundActions?.playing?.() === slug;
    play.textContent = playing ? `■ ${t('stopSound')}` : `▶ ${t('playSound')}`;
    play.dataset.slug = slug;
    play.onclick = () => this.soundActions?.play(slug);
    const credit = sound.credit ? `${sound.credit} (${sound.licence})` : sound.licence;
    this.q('sound-credit').textContent = t('soundCredit', { credit });
    const status = this.soundStatus.slug === slug ? this.soundStatus.key : '';
    this.q('sound-status').textContent = status ? t(status) : '';
    const tryBtn = this.q('try');
    tryBtn.textContent = t('tryPrompt');
    tryBtn.hidden = !(this.soundStatus.slug === slug && this.soundStatus.played);
    tryBtn.onclick = () => this.soundActions?.try(slug);
  }

  /** Records what happened to `slug`'s sound ('' or an i18n key; played: it played to the end once). */
  setSoundStatus(slug, key, played = false) {
    const was = this.soundStatus.slug === slug && this.soundStatus.played;
    this.soundStatus = { slug, key, played: played || was };
    if (this.root.dataset.class === slug) this.renderSound(slug);
  }

  /** Shows a plain message with no answer ('idle' | 'listening' | 'starting' | 'recovering'). */
  message(kind) {
    this.state = { kind };
    this.root.dataset.class = '';
    this.root.dataset.maybe = '';
    this.root.dataset.score = '';
    this.root.dataset.state = kind;
    this.root.dataset.taught = '';
    this.clearAnswer();
    const key = { idle: 'noAnswer', listening: 'listening', starting: 'starting', recovering: 'kioskRecovering' }[kind];
    this.q('message').textContent = t(key ?? 'noAnswer');
  }

  /** Shows a Result {verdict, score, matches, fingerprint}. */
  show(result, extra = {}) {
    this.state = { kind: 'result', result, extra };
    const { verdict, score } = result;
    this.root.dataset.class = verdict;
    this.root.dataset.score = Number.isFinite(score) ? score.toFixed(3) : '0';
    this.root.dataset.state = verdict === 'silence' || verdict === 'unknown' ? verdict : 'class';
    this.root.dataset.taught = result.taught ? '1' : '';
    this.clearAnswer();
    const info = this.classes.get(verdict);
    // A hedged guess beside `unknown`: one class stands out but not enough for a verdict.
    const maybe = verdict === 'unknown' && result.maybe ? this.classes.get(result.maybe.class) : null;
    this.root.dataset.maybe = maybe ? maybe.slug : '';
    if (verdict === 'silence') this.q('message').textContent = t('silence');
    else if (maybe) this.q('message').textContent = t('maybe', { name: `${maybe.nameKo} · ${maybe.nameEn}` });
    else if (verdict === 'unknown' || !info) this.q('message').textContent = t('unknown');
    else {
      this.q('message').textContent = '';
      this.showClass(info);
      this.renderSound(verdict);
      this.q('bar').style.width = pct(score);
      this.q('score').textContent = `${t('confidence')} ${pct(score)}`;
      this.q('meter').hidden = false;
      // Zero-shot classes have no recordings behind them: say that the answer is a guess from
      // the model's AudioSet labels (right far less often than a trained class; see docs/eval.md).
      if (info.coverage === 'zero_shot') this.q('basis').textContent = t('basis_zero_shot');
      // Classes learned from a handful of recordings (often one room, one device) generalise less.
      if (info.coverage === 'trained_few') this.q('basis').textContent = t('basis_trained_few');
      // Taught on this device (a new sound, or a listed one strengthened or replaced by teaching).
      if (result.taught) this.q('basis').textContent = t('basis_taught');
    }
    const others = (result.matches ?? []).filter((m) => m.class !== verdict).slice(0, 2);
    if (others.length && verdict !== 'silence') {
      this.q('candidates-title').textContent = t('candidates');
      const list = this.q('candidates');
      for (const m of others) {
        const c = this.classes.get(m.class);
        const li = el('li');
        li.append(el('span', 'cand-name', c ? `${c.nameKo} · ${c.nameEn}` : m.class), el('span', 'cand-score', pct(m.score)));
        list.append(li);
      }
    }
    const fp = result.fingerprint;
    if (fp && fp.recording) {
      const at = Number.isFinite(fp.offsetSeconds) ? fp.offsetSeconds.toFixed(1) : '?';
      this.q('fingerprint').textContent = t('fingerprint', { rec: fp.recording, t: at });
    }
    if (Number.isFinite(extra.heardSeconds) && extra.heardSeconds > 0)
      this.q('heard').textContent = t('heard', { s: extra.heardSeconds.toFixed(1) });
  }

  /** Re-renders the current state in the current language. */
  refresh() {
    if (this.state.kind === 'result') this.show(this.state.result, this.state.extra);
    else if (this.state.kind === 'preview') this.preview(this.state.slug);
    else this.message(this.state.kind);
  }

  clearAnswer() {
    const img = this.q('image');
    img.hidden = true;
    img.parentElement.hidden = true;
    img.removeAttribute('src');
    img.alt = '';
    for (const role of ['name-ko', 'name-en', 'category', 'score', 'basis', 'fingerprint', 'heard', 'candidates-title'])
      this.q(role).textContent = '';
    this.q('candidates').replaceChildren();
    this.q('bar').style.width = '0%';
    this.q('meter').hidden = true;
    const row = this.q('refsound');
    row.hidden = true;
    row.dataset.slug = '';
  }
}

/** The live level meter: dBFS → bar width over [-80, 0] dB. */
export function setLevel(bar, db) {
  const v = Number.isFinite(db) ? Math.max(0, Math.min(1, (db + 80) / 80)) : 0;
  bar.style.width = `${(v * 100).toFixed(1)}%`;
  bar.parentElement?.setAttribute('aria-valuenow', Number.isFinite(db) ? db.toFixed(0) : '-80');
}

/** The peak-frequency readout (`[data-testid=peak-hz]`, `data-hz`): empty when there is none. */
export function setPeak(node, hz) {
  if (Number.isFinite(hz) && hz > 0) {
    node.dataset.hz = hz.toFixed(1);
    node.textContent = `${t('peak')} ${hz >= 1000 ? (hz / 1000).toFixed(2) + ' kHz' : Math.round(hz) + ' Hz'}`;
  } else {
    node.dataset.hz = '';
    node.textContent = `${t('peak')} –`;
  }
}

/** A scrolling log-mel spectrogram on a canvas: one column per frame, 64 bands, low at the bottom. */
export class Spectrogram {
  constructor(canvas, bands = 64) {
    this.canvas = canvas;
    this.bands = bands;
    this.ctx = canvas.getContext('2d', { alpha: false });
    this.lo = -7; // log(0.001): the display log-mel's floor
    this.hi = 0;
    this.palette = makePalette();
    this.clear();
  }

  clear() {
    if (!this.ctx) return;
    this.ctx.fillStyle = '#10131a';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Appends frames from a Float32Array of n×bands log-mel values (frame-major). */
  push(frames) {
    if (!this.ctx || !frames || frames.length < this.bands) return;
    const n = Math.floor(frames.length / this.bands);
    const { width, height } = this.canvas;
    const cols = Math.min(n, width);
    let max = -Infinity;
    for (let i = 0; i < frames.length; i++) if (frames[i] > max) max = frames[i];
    // Follow loud peaks fast, decay slowly, never closer than 4 nats to the floor.
    this.hi = Math.max(this.lo + 4, max > this.hi ? max : this.hi - 0.02 * n);
    this.ctx.drawImage(this.canvas, cols, 0, width - cols, height, 0, 0, width - cols, height);
    const img = this.ctx.createImageData(cols, height);
    const span = this.hi - this.lo;
    for (let c = 0; c < cols; c++) {
      const f = (n - cols + c) * this.bands;
      for (let y = 0; y < height; y++) {
        const band = Math.min(this.bands - 1, Math.floor(((height - 1 - y) * this.bands) / height));
        const v = (frames[f + band] - this.lo) / span;
        const k = Math.max(0, Math.min(255, Math.round(v * 255))) * 3;
        const o = (y * cols + c) * 4;
        img.data[o] = this.palette[k];
        img.data[o + 1] = this.palette[k + 1];
        img.data[o + 2] = this.palette[k + 2];
        img.data[o + 3] = 255;
      }
    }
    this.ctx.putImageData(img, width - cols, 0);
  }
}

function makePalette() {
  // Dark blue → teal → yellow, 256 RGB entries.
  const stops = [
    [16, 19, 26],
    [40, 40, 120],
    [30, 140, 150],
    [120, 200, 90],
    [250, 230, 80],
  ];
  const p = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = (i / 255) * (stops.length - 1);
    const a = Math.floor(x);
    const b = Math.min(stops.length - 1, a + 1);
    const f = x - a;
    for (let k = 0; k < 3; k++) p[i * 3 + k] = stops[a][k] + (stops[b][k] - stops[a][k]) * f;
  }
  return p;
}

/**
 * The file timeline (`[data-testid=timeline]`): consecutive windows with the same verdict are
 * merged into segments, drawn as a bar plus a list "0.0–2.9 s: Dog bark".
 */
export function renderTimeline(root, timeline, duration, classes) {
  root.replaceChildren();
  if (!Array.isArray(timeline) || timeline.length === 0) {
    root.hidden = true;
    return [];
  }
  const segs = [];
  for (const w of timeline) {
    const last = segs[segs.length - 1];
    if (last && last.verdict === w.verdict && w.start <= last.end + 0.05) {
      last.end = Math.max(last.end, w.end);
      last.score = Math.max(last.score, w.score);
    } else segs.push({ start: w.start, end: w.end, verdict: w.verdict, score: w.score });
  }
  const total = Math.max(duration || 0, segs[segs.length - 1].end, 1e-3);
  root.hidden = false;
  root.append(el('h3', '', t('timeline')));
  const bar = el('div', 'tl-bar');
  const list = el('ol', 'tl-list');
  for (const s of segs) {
    const name = labelFor(s.verdict, classes);
    const part = el('div', `tl-seg tl-${kindOf(s.verdict)}`);
    part.style.left = `${((s.start / total) * 100).toFixed(2)}%`;
    part.style.width = `${(((s.end - s.start) / total) * 100).toFixed(2)}%`;
    part.title = `${s.start.toFixed(1)}–${s.end.toFixed(1)} s: ${name}`;
    part.dataset.class = s.verdict;
    bar.append(part);
    const li = el('li', `tl-item tl-${kindOf(s.verdict)}`);
    li.dataset.class = s.verdict;
    li.append(el('span', 'tl-time', `${s.start.toFixed(1)}–${s.end.toFixed(1)} s`), el('span', 'tl-name', name));
    if (kindOf(s.verdict) === 'class') li.append(el('span', 'tl-score', pct(s.score)));
    list.append(li);
  }
  root.append(bar, list);
  return segs;
}

function kindOf(verdict) {
  return verdict === 'silence' || verdict === 'unknown' ? verdict : 'class';
}

function labelFor(verdict, classes) {
  if (verdict === 'silence') return t('silence').split(/[.。]/)[0];
  if (verdict === 'unknown') return t('unknown').split(/[.。]/)[0];
  const c = classes.get(verdict);
  return c ? `${c.nameKo} · ${c.nameEn}` : verdict;
}

/**
 * The gallery (`[data-testid=gallery]`): all classes grouped by category, with coverage badges;
 * a play button (`.gal-play`) on each class with a reference sound (`sounds`: Map slug -> sound,
 * `onPlay(slug)`).
 */
export function renderGallery(root, classList, images, sounds = null, onPlay = null) {
  root.replaceChildren();
  const groups = new Map();
  for (const c of classList) {
    if (!groups.has(c.category)) groups.set(c.category, []);
    groups.get(c.category).push(c);
  }
  for (const [category, items] of groups) {
    const section = el('section', 'gal-group');
    section.dataset.category = category;
    section.append(el('h3', '', `${items[0].categoryKo} · ${category}`));
    const grid = el('ul', 'gal-grid');
    for (const c of items) {
      const li = el('li', `gal-item cov-${c.coverage}`);
      li.dataset.slug = c.slug;
      li.dataset.coverage = c.coverage;
      const img = el('img');
      img.loading = 'lazy';
      img.alt = '';
      const url = images.url(c.slug);
      if (url) img.src = url;
      const badge = el('span', `badge cov-${c.coverage}`, t(`coverage_${c.coverage}`));
      li.append(img, el('span', 'gal-ko', c.nameKo), el('span', 'gal-en', c.nameEn), badge);
      if (sounds?.has(c.slug) && onPlay) {
        const play = el('button', 'gal-play', '▶');
        play.type = 'button';
        play.dataset.slug = c.slug;
        play.setAttribute('aria-label', t('playNamed', { name: `${c.nameKo} · ${c.nameEn}` }));
        play.title = play.getAttribute('aria-label');
        play.addEventListener('click', () => onPlay(c.slug));
        li.append(play);
      }
      const tip = [c.clips > 0 ? t('clips', { n: c.clips }) : '', images.credit(c.slug) || (c.imageCredit ? `Icon: ${c.imageCredit}` : '')];
      li.title = tip.filter(Boolean).join(' · ');
      grid.append(li);
    }
    section.append(grid);
    root.append(section);
  }
}
