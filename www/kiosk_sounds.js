// Kiosk "Can you make this sound?" loop (issue 16): when the kiosk has heard no sound class for
// `idleMs`, it shows the next class that has a reference sound, plays that sound, then listens for
// the class (the page's own challenge: same live path and thresholds as listening) for `listenMs`;
// on success it praises for `praiseMs`; then it moves on, waiting for the next quiet spell.
//
// Never in the way of an answer: the loop only starts a round while nothing is being recognised,
// answers keep showing on the card during a round, and a round ends by itself. The microphone keeps
// running throughout (the kiosk listens continuously); the reference sound coming out of the
// speaker is not counted: the challenge is armed only `graceMs` after it stopped, with the live
// listener reset.
//
// Input: the classes with sounds (in gallery order) and the page's actions (below). Output: the
// card, the sound and the challenge box; state for tests in `window.__sori.kioskLoop`
// {phase, slug, order, rounds, successes}.

/** Defaults, in ms; `?kioskIdle=` and `?kioskTry=` (seconds) set the first two for an installation. */
export const KIOSK_IDLE_MS = 30000;
export const KIOSK_TRY_MS = 20000;
const PRAISE_MS = 4000;
const GRACE_MS = 1200;
/** A reference sound that has not ended after this long is treated as done. */
const PLAY_MAX_MS = 8000;
const STEP_MS = 250;

export class KioskSoundLoop {
  /**
   * @param {object} o
   * @param {string[]} o.order         slugs with a reference sound, in the order shown
   * @param {() => boolean} o.listening the microphone is running
   * @param {(slug: string) => Promise} o.present  shows the class's card and plays its sound; settles once it plays (or failed)
   * @param {() => string} o.playing   the slug whose sound is playing now, or ''
   * @param {(slug: string) => void} o.arm      starts the page's challenge for the class
   * @param {() => ({slug: string, done: boolean} | null)} o.challenge  the running challenge
   * @param {() => void} o.disarm      stops the challenge
   * @param {() => void} o.resetListener forgets the audio heard so far (the speaker's sound)
   * @param {(ms: number) => void} o.hold  keeps the card as it is for `ms`
   */
  constructor(o) {
    this.o = { idleMs: KIOSK_IDLE_MS, listenMs: KIOSK_TRY_MS, praiseMs: PRAISE_MS, graceMs: GRACE_MS, now: () => Date.now(), ...o };
    this.phase = 'idle';
    this.slug = '';
    this.next = 0;
    this.since = this.o.now();
    this.lastHeard = this.since;
    this.rounds = 0;
    this.successes = 0;
    this.timer = 0;
    this.publish();
  }

  start() {
    this.timer = setInterval(() => this.step(), STEP_MS);
    return this;
  }

  stop() {
    clearInterval(this.timer);
  }

  /** Every listening result: a recognised class outside a round counts as activity (no round starts). */
  heard(isClass) {
    if (isClass && this.phase === 'idle') this.lastHeard = this.o.now();
  }

  enter(phase) {
    this.phase = phase;
    this.since = this.o.now();
    this.publish();
  }

  step() {
    const o = this.o;
    const now = o.now();
    const inPhase = now - this.since;
    if (!o.listening() || !o.order.length) {
      if (this.phase !== 'idle') this.finish();
      this.lastHeard = now;
      return;
    }
    if (this.phase !== 'idle') o.hold(1000);
    switch (this.phase) {
      case 'idle':
        if (now - this.lastHeard < o.idleMs) return;
        this.slug = o.order[this.next % o.order.length];
        this.next += 1;
        this.rounds += 1;
        this.enter('playing');
        o.hold(1000);
        this.started = false;
        Promise.resolve(o.present(this.slug))
          .catch(() => {})
          .finally(() => (this.started = true));
        return;
      case 'playing':
        // Wait for the sound to start and end (or fail: then nothing plays).
        if (this.started && o.playing() !== this.slug) this.enter('grace');
        else if (inPhase > PLAY_MAX_MS) this.enter('grace');
        return;
      case 'grace':
        if (inPhase < o.graceMs) return;
        o.resetListener();
        o.arm(this.slug);
        this.enter('listening');
        return;
      case 'listening': {
        const ch = o.challenge();
        if (!ch || ch.slug !== this.slug) return this.finish(); // stopped by a visitor
        if (ch.done) {
          this.successes += 1;
          this.enter('praise');
        } else if (inPhase > o.listenMs) this.finish();
        return;
      }
      case 'praise':
        if (inPhase > o.praiseMs) this.finish();
        return;
    }
  }

  /** Ends the round; the next one waits for another quiet spell. */
  finish() {
    if (this.o.challenge()?.slug === this.slug) this.o.disarm();
    this.lastHeard = this.o.now();
    this.enter('idle');
  }

  publish() {
    if (!globalThis.__sori) return;
    globalThis.__sori.kioskLoop = { phase: this.phase, slug: this.slug, order: this.o.order, rounds: this.rounds, successes: this.successes };
  }
}

/** Reads `?kioskIdle=` / `?kioskTry=` (seconds, 1–3600) into ms; defaults otherwise. */
export function kioskLoopTimes(params) {
  const secs = (name, dflt) => {
    const v = Number(params.get(name));
    return Number.isFinite(v) && v >= 1 && v <= 3600 ? v * 1000 : dflt;
  };
  return { idleMs: secs('kioskIdle', KIOSK_IDLE_MS), listenMs: secs('kioskTry', KIOSK_TRY_MS) };
}
