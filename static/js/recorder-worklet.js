/*
 * recorder-worklet.js — AudioWorkletProcessor "recorder-capture".
 *
 * Runs on the audio rendering thread. Copies the first input channel
 * (Float32 PCM at the AudioContext's rate) into blocks of `blockFrames`
 * samples and posts each block to the main thread together with its peak and
 * sum of squares, so the main thread can meter without re-scanning the
 * samples. The Float32Array buffer is transferred, not copied.
 *
 * Messages in  (port.postMessage):
 *   {type: "start"}   begin forwarding blocks
 *   {type: "stop"}    flush the partial block, then answer {type: "stopped"}
 * Messages out:
 *   {type: "block", samples: Float32Array, peak, sumSquares}
 *   {type: "stopped"}
 *
 * processorOptions: {blockFrames = 2048}
 *
 * The processor returns true forever so the node stays alive while the page
 * meters the input between takes; it only forwards samples while started.
 */
class RecorderCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = (options && options.processorOptions) || {};
    this.blockFrames = opts.blockFrames || 2048;
    this.recording = false;
    this._newBlock();
    this.port.onmessage = (event) => {
      const msg = event.data || {};
      if (msg.type === "start") {
        this._newBlock();
        this.recording = true;
      } else if (msg.type === "stop") {
        this._flush();
        this.recording = false;
        this.port.postMessage({ type: "stopped" });
      }
    };
  }

  _newBlock() {
    this.block = new Float32Array(this.blockFrames);
    this.filled = 0;
    this.peak = 0;
    this.sumSquares = 0;
  }

  _flush() {
    if (this.filled === 0) return;
    const samples = this.filled === this.block.length ? this.block : this.block.slice(0, this.filled);
    this.port.postMessage(
      {
        type: "block",
        recording: this.recording,
        samples,
        peak: this.peak,
        sumSquares: this.sumSquares,
      },
      [samples.buffer],
    );
    this._newBlock();
  }

  process(inputs) {
    const input = inputs[0];
    // No input connected yet (or the track ended): keep the node alive.
    if (!input || input.length === 0) return true;
    const channel = input[0];
    let i = 0;
    while (i < channel.length) {
      const n = Math.min(channel.length - i, this.blockFrames - this.filled);
      for (let k = 0; k < n; k++) {
        const s = channel[i + k];
        this.block[this.filled + k] = s;
        const a = s < 0 ? -s : s;
        if (a > this.peak) this.peak = a;
        this.sumSquares += s * s;
      }
      this.filled += n;
      i += n;
      if (this.filled === this.blockFrames) this._flush();
    }
    return true;
  }
}

registerProcessor("recorder-capture", RecorderCapture);
