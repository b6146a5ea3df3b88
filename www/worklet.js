// AudioWorklet processor 'sori-tap': forwards the microphone to the main thread.
//
// Input: its input downmixed to mono (channel average), in 128-sample render quanta at the AudioContext's rate.
// Output: `port.postMessage(Float32Array)` blocks of `batch` samples (default 1024, set with
// processorOptions.batch), transferred, not copied. The audio output is left silent.
// It never throws from process(): a broken input just yields nothing until it recovers.

class SoriTap extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const batch = options?.processorOptions?.batch;
    this.batch = Number.isInteger(batch) && batch >= 128 && batch <= 16384 ? batch : 1024;
    this.buf = new Float32Array(this.batch);
    this.fill = 0;
    this.running = true;
    this.port.onmessage = (e) => {
      if (e.data === 'stop') this.running = false;
    };
  }

  process(inputs) {
    if (!this.running) return false;
    const input = inputs[0];
    let ch = input && input[0];
    if (!ch || ch.length === 0) return true; // no input connected (yet): keep the node alive
    if (input.length > 1) {
      if (!this.mono || this.mono.length !== ch.length) this.mono = new Float32Array(ch.length);
      const mono = this.mono;
      for (let k = 0; k < ch.length; k++) {
        let s = 0;
        for (let c = 0; c < input.length; c++) s += input[c][k];
        mono[k] = s / input.length;
      }
      ch = mono;
    }
    let i = 0;
    while (i < ch.length) {
      const n = Math.min(ch.length - i, this.batch - this.fill);
      this.buf.set(ch.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
      if (this.fill === this.batch) {
        this.port.postMessage(this.buf, [this.buf.buffer]);
        this.buf = new Float32Array(this.batch);
        this.fill = 0;
      }
    }
    return true;
  }
}

registerProcessor('sori-tap', SoriTap);
