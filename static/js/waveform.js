/*
 * waveform.js — canvas waveforms: a scrolling live trace and a finished-take overview.
 *
 *   class LiveWaveform(canvas, {secondsVisible = 8, sampleRate = 48000, color})
 *     .push(float32Samples)   append samples (called for every captured block)
 *     .clear()
 *     .stop()                 stop the animation loop (push() restarts it)
 *   Keeps one min/max pair per pixel column and redraws on requestAnimationFrame,
 *   newest audio at the right edge, so it scrolls while recording.
 *
 *   drawWaveform(canvas, blobOrAudioBuffer, {color, clipColor}) -> Promise<{durationS, sampleRate}>
 *   Decodes a finished take (WAV, or webm/opus from the MediaRecorder fallback) and draws
 *   min/max per column; columns that reach full scale are drawn in clipColor.
 *
 * Canvases are drawn at their attribute size (width/height); size them with
 * CSS + devicePixelRatio in the page if needed.
 */

import { CLIP_THRESHOLD } from "./meter.js";

const DEFAULT_COLOR = "#1e6fd9";
const CLIP_COLOR = "#c62828";

export class LiveWaveform {
  constructor(canvas, { secondsVisible = 8, sampleRate = 48000, color = DEFAULT_COLOR } = {}) {
    this.canvas = canvas;
    this.color = color;
    this.secondsVisible = secondsVisible;
    this.setSampleRate(sampleRate);
    this._raf = 0;
  }

  setSampleRate(sampleRate) {
    this.sampleRate = sampleRate;
    const cols = Math.max(1, this.canvas.width);
    this.framesPerColumn = Math.max(1, Math.round((sampleRate * this.secondsVisible) / cols));
    this.clear();
  }

  clear() {
    const cols = Math.max(1, this.canvas.width);
    this.mins = new Float32Array(cols);
    this.maxs = new Float32Array(cols);
    this.head = 0; // next column to write (ring buffer)
    this._curMin = 0;
    this._curMax = 0;
    this._curFill = 0;
    this._dirty = true;
    this._schedule();
  }

  push(samples) {
    const cols = this.mins.length;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i];
      if (s < this._curMin) this._curMin = s;
      if (s > this._curMax) this._curMax = s;
      if (++this._curFill === this.framesPerColumn) {
        this.mins[this.head] = this._curMin;
        this.maxs[this.head] = this._curMax;
        this.head = (this.head + 1) % cols;
        this._curMin = 0;
        this._curMax = 0;
        this._curFill = 0;
      }
    }
    this._dirty = true;
    this._schedule();
  }

  stop() {
    if (this._raf) cancelAnimationFrame(this._raf);
    this._raf = 0;
  }

  _schedule() {
    if (this._raf || typeof requestAnimationFrame !== "function") return;
    this._raf = requestAnimationFrame(() => {
      this._raf = 0;
      if (this._dirty) this._draw();
    });
  }

  _draw() {
    this._dirty = false;
    const c = this.canvas;
    const ctx = c.getContext("2d");
    const { width, height } = c;
    const mid = height / 2;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#8884";
    ctx.fillRect(0, mid, width, 1);
    const cols = this.mins.length;
    for (let x = 0; x < cols; x++) {
      const i = (this.head + x) % cols; // oldest first
      const lo = this.mins[i];
      const hi = this.maxs[i];
      if (lo === 0 && hi === 0) continue;
      const clip = hi >= CLIP_THRESHOLD || -lo >= CLIP_THRESHOLD;
      ctx.fillStyle = clip ? CLIP_COLOR : this.color;
      const y0 = mid - hi * mid;
      ctx.fillRect(x, y0, 1, Math.max(1, (hi - lo) * mid));
    }
  }
}

export async function drawWaveform(canvas, source, { color = DEFAULT_COLOR, clipColor = CLIP_COLOR } = {}) {
  const buffer = source instanceof Blob ? await decode(source) : source;
  const data = buffer.getChannelData(0);
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  const mid = height / 2;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#8884";
  ctx.fillRect(0, mid, width, 1);
  const per = data.length / width;
  for (let x = 0; x < width; x++) {
    const start = Math.floor(x * per);
    const end = Math.min(data.length, Math.max(start + 1, Math.floor((x + 1) * per)));
    let lo = 0;
    let hi = 0;
    for (let i = start; i < end; i++) {
      const s = data[i];
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    const clip = hi >= CLIP_THRESHOLD || -lo >= CLIP_THRESHOLD;
    ctx.fillStyle = clip ? clipColor : color;
    ctx.fillRect(x, mid - hi * mid, 1, Math.max(1, (hi - lo) * mid));
  }
  return { durationS: buffer.duration, sampleRate: buffer.sampleRate };
}

async function decode(blob) {
  const bytes = await blob.arrayBuffer();
  // An OfflineAudioContext decodes without touching the audio output device.
  // Its rate only matters for drawing; decodeAudioData resamples to it.
  const Offline = globalThis.OfflineAudioContext || globalThis.webkitOfflineAudioContext;
  const ctx = new Offline(1, 1, 48000);
  return await ctx.decodeAudioData(bytes);
}
