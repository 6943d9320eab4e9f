/*
 * meter.js — input level maths and a live level meter widget.
 *
 * Maths (no DOM):
 *   toDbfs(linear) -> dBFS number (-Infinity for 0)
 *   CLIP_THRESHOLD            linear sample magnitude counted as clipping (0.99 ≈ -0.09 dBFS)
 *   TARGET_RMS_DB             [-23, -18], the speech RMS target band drawn on the meter
 *   noiseFloorVerdict(db) -> {level: "quiet"|"acceptable"|"noisy"|"suspicious", ok, message}
 *   class LevelStats          feed Float32 blocks; keeps peak, overall RMS and the RMS of
 *                             every 50 ms window
 *     .push(samples)
 *     .peak, .peakDb, .rmsDb, .clipped, .clippedSamples, .frames
 *     .noiseFloorDb(pct = 10) RMS of the quietest pct% of 50 ms windows (robust to a cough
 *                             or a chair creak during a room-tone measurement)
 *
 * Widget:
 *   class LevelMeter(canvas, {minDb = -60, holdMs = 1500, clipHoldMs = 2000})
 *     .update({rmsDb, peakDb, clipped})  call from Recorder's onLevel callback
 *     .reset()
 *   Draws an RMS bar, a peak-hold tick, the -23..-18 dBFS target zone and a red CLIP
 *   box that stays lit for clipHoldMs after the last clipped block. The canvas's
 *   aria-label is updated with the current level so screen readers can read it.
 */

export const CLIP_THRESHOLD = 0.99;
export const TARGET_RMS_DB = [-23, -18];
const WINDOW_S = 0.05;

export function toDbfs(linear) {
  return linear > 0 ? 20 * Math.log10(linear) : -Infinity;
}

/*
 * A rough verdict on a room-tone noise floor measured in the browser. The
 * server's QC measures the stored room tone again and has the last word.
 */
export function noiseFloorVerdict(noiseFloorDb) {
  if (!Number.isFinite(noiseFloorDb) || noiseFloorDb < -90) {
    return {
      level: "suspicious",
      ok: false,
      message: "The microphone delivered digital silence. Check that the right input is selected and not muted.",
    };
  }
  if (noiseFloorDb <= -60) {
    return { level: "quiet", ok: true, message: "Quiet room: good for recording." };
  }
  if (noiseFloorDb <= -50) {
    return {
      level: "acceptable",
      ok: true,
      message: "Acceptable, but a little background noise is audible. Switch off fans or air conditioning if you can.",
    };
  }
  return {
    level: "noisy",
    ok: false,
    message:
      "Too noisy for voice cloning. Close windows and doors, switch off fans, computers and air conditioning, " +
      "move away from hard walls (soft furnishings help), and measure again.",
  };
}

export class LevelStats {
  constructor(sampleRate) {
    this.windowFrames = Math.max(1, Math.round(sampleRate * WINDOW_S));
    this.windowMeanSquares = [];
    this._winSum = 0;
    this._winFill = 0;
    this.sumSquares = 0;
    this.frames = 0;
    this.peak = 0;
    this.clippedSamples = 0;
  }

  push(samples) {
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i];
      const sq = s * s;
      const a = s < 0 ? -s : s;
      if (a > this.peak) this.peak = a;
      if (a >= CLIP_THRESHOLD) this.clippedSamples++;
      this.sumSquares += sq;
      this._winSum += sq;
      if (++this._winFill === this.windowFrames) {
        this.windowMeanSquares.push(this._winSum / this.windowFrames);
        this._winSum = 0;
        this._winFill = 0;
      }
    }
    this.frames += samples.length;
  }

  get peakDb() {
    return toDbfs(this.peak);
  }

  get rmsDb() {
    return this.frames ? toDbfs(Math.sqrt(this.sumSquares / this.frames)) : -Infinity;
  }

  get clipped() {
    return this.clippedSamples > 0;
  }

  noiseFloorDb(pct = 10) {
    const w = this.windowMeanSquares;
    if (w.length === 0) return this.rmsDb;
    const sorted = [...w].sort((a, b) => a - b);
    const k = Math.max(1, Math.floor((sorted.length * pct) / 100));
    let sum = 0;
    for (let i = 0; i < k; i++) sum += sorted[i];
    return toDbfs(Math.sqrt(sum / k));
  }
}

export class LevelMeter {
  constructor(canvas, { minDb = -60, holdMs = 1500, clipHoldMs = 2000 } = {}) {
    this.canvas = canvas;
    this.minDb = minDb;
    this.holdMs = holdMs;
    this.clipHoldMs = clipHoldMs;
    this.reset();
  }

  reset() {
    this.rmsDb = -Infinity;
    this.peakHoldDb = -Infinity;
    this.peakHoldAt = 0;
    this.clipUntil = 0;
    this._draw();
  }

  update({ rmsDb, peakDb, clipped }) {
    const now = performance.now();
    this.rmsDb = rmsDb;
    if (peakDb >= this.peakHoldDb || now - this.peakHoldAt > this.holdMs) {
      this.peakHoldDb = peakDb;
      this.peakHoldAt = now;
    }
    if (clipped) this.clipUntil = now + this.clipHoldMs;
    this._draw(now);
  }

  _x(db, width) {
    if (!Number.isFinite(db)) return 0;
    const f = (Math.min(0, Math.max(this.minDb, db)) - this.minDb) / -this.minDb;
    return f * width;
  }

  _draw(now = performance.now()) {
    const c = this.canvas;
    if (!c || !c.getContext) return;
    const ctx = c.getContext("2d");
    const clipW = Math.min(40, c.width * 0.12);
    const w = c.width - clipW - 4;
    const h = c.height;
    ctx.clearRect(0, 0, c.width, h);
    ctx.fillStyle = "#2222";
    ctx.fillRect(0, 0, w, h);
    // Target zone for speech RMS.
    const [lo, hi] = TARGET_RMS_DB;
    ctx.fillStyle = "#2a7a2a33";
    ctx.fillRect(this._x(lo, w), 0, this._x(hi, w) - this._x(lo, w), h);
    // RMS bar: green in/below target, amber above, red near full scale.
    const db = this.rmsDb;
    ctx.fillStyle = db > -6 ? "#c62828" : db > hi ? "#e0a000" : "#2e9d44";
    ctx.fillRect(0, h * 0.2, this._x(db, w), h * 0.6);
    // Peak-hold tick.
    if (Number.isFinite(this.peakHoldDb)) {
      ctx.fillStyle = this.peakHoldDb > -1 ? "#c62828" : "#333";
      ctx.fillRect(Math.max(0, this._x(this.peakHoldDb, w) - 2), 0, 3, h);
    }
    const clipping = now < this.clipUntil;
    ctx.fillStyle = clipping ? "#c62828" : "#2222";
    ctx.fillRect(c.width - clipW, 0, clipW, h);
    ctx.fillStyle = clipping ? "#fff" : "#777";
    ctx.font = `${Math.max(9, Math.floor(h * 0.45))}px sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText("CLIP", c.width - clipW / 2, h / 2);
    const label = Number.isFinite(db) ? `${db.toFixed(0)} dBFS` : "silence";
    c.setAttribute("aria-label", `Input level ${label}${clipping ? ", clipping" : ""}`);
  }
}
