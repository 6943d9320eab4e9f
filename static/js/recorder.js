/*
 * recorder.js — microphone capture for the booth: lossless mono WAV at the device's rate.
 *
 *   listDevices({requestPermission = false}) -> Promise<[{deviceId, label, groupId}]>
 *       Audio inputs. Labels are empty until the page has had microphone permission once;
 *       pass requestPermission: true to ask for it first (opens and closes a stream).
 *   isWorkletSupported() -> boolean
 *
 *   const rec = new Recorder({
 *     bitDepth: 16,                 // or 24
 *     waveformCanvas,               // optional <canvas>: scrolling waveform while recording
 *     onLevel({rmsDb, peakDb, clipped}),   // ~20x a second, recording or not (meter)
 *     onClip({peak, atS}),          // a captured block reached full scale
 *     onDeviceLost(),               // the microphone was unplugged / the track ended
 *   });
 *   await rec.open(deviceId)        // call from a click: getUserMedia + AudioContext
 *   rec.start()
 *   await rec.stop() -> {blob, mimeType, sampleRate, bitDepth, durationS, peak, peakDb,
 *                        rmsDb, noiseFloorDb, clipped, fallback}
 *   await rec.measureRoomTone(5) -> same shape (+ verdict from meter.noiseFloorVerdict)
 *   await rec.close() -> null, or the stop() result of a take that was still recording
 *   rec.fallback        true when AudioWorklet is missing and MediaRecorder (webm/opus,
 *                       lossy) is used: the page MUST show a visible warning; the server
 *                       converts the upload.
 *   rec.sampleRate      the AudioContext rate = the WAV's rate
 *   rec.deviceSampleRate, rec.lowRateDevice (device offers < 44.1 kHz), rec.trackSettings
 *   rec.processingOff   false if the browser kept echo cancellation / noise suppression /
 *                       auto gain on despite the constraints (the page should warn)
 *   drawWaveform(canvas, blob)   re-exported from waveform.js, for a finished take
 *
 * Capture: getUserMedia with echoCancellation, noiseSuppression and autoGainControl off
 * (they ruin voice-cloning data), an AudioContext at the track's native rate when it is
 * >= 44.1 kHz (never a lower forced rate), and the AudioWorklet in recorder-worklet.js
 * posting Float32 blocks. Each block is converted to PCM as it arrives, so stop() only
 * prepends a header.
 */

import { CLIP_THRESHOLD, LevelStats, noiseFloorVerdict, toDbfs } from "./meter.js";
import { drawWaveform, LiveWaveform } from "./waveform.js";
import { floatToPcm, wavFromChunks } from "./wav.js";

export { drawWaveform };

const WORKLET_URL = new URL("./recorder-worklet.js", import.meta.url);
const FALLBACK_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];
const MIN_NATIVE_RATE = 44100;

export function isWorkletSupported() {
  return typeof AudioWorkletNode === "function" && typeof AudioContext === "function" && "audioWorklet" in AudioContext.prototype;
}

export async function listDevices({ requestPermission = false } = {}) {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  let devices = await navigator.mediaDevices.enumerateDevices();
  const unlabeled = devices.some((d) => d.kind === "audioinput" && !d.label);
  if (requestPermission && unlabeled) {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true });
    s.getTracks().forEach((t) => t.stop());
    devices = await navigator.mediaDevices.enumerateDevices();
  }
  return devices
    .filter((d) => d.kind === "audioinput")
    .map((d, i) => ({ deviceId: d.deviceId, groupId: d.groupId, label: d.label || `Microphone ${i + 1}` }));
}

export class Recorder {
  constructor({ bitDepth = 16, waveformCanvas = null, onLevel = null, onClip = null, onDeviceLost = null } = {}) {
    this.bitDepth = bitDepth;
    this.onLevel = onLevel;
    this.onClip = onClip;
    this.onDeviceLost = onDeviceLost;
    this.waveformCanvas = waveformCanvas;
    this.live = null;
    this.stream = null;
    this.ctx = null;
    this.fallback = false;
    this.take = null; // the recording in progress
    this._stopped = null;
  }

  get isOpen() {
    return !!this.stream;
  }

  get isRecording() {
    return !!this.take;
  }

  async open(deviceId = null) {
    if (this.take) throw new Error("Stop the recording before switching microphones");
    await this.close();
    const audio = {
      echoCancellation: false,
      noiseSuppression: false,
      autoGainControl: false,
      channelCount: 1,
    };
    if (deviceId) audio.deviceId = { exact: deviceId };
    this.stream = await navigator.mediaDevices.getUserMedia({ audio });
    const track = this.stream.getAudioTracks()[0];
    this.trackSettings = track.getSettings ? track.getSettings() : {};
    this.deviceId = this.trackSettings.deviceId || deviceId;
    this.deviceSampleRate = this.trackSettings.sampleRate || null;
    this.lowRateDevice = !!this.deviceSampleRate && this.deviceSampleRate < MIN_NATIVE_RATE;
    const s = this.trackSettings;
    this.processingOff = !(s.echoCancellation || s.noiseSuppression || s.autoGainControl);
    track.addEventListener("ended", () => this.onDeviceLost?.());

    if (isWorkletSupported()) {
      try {
        await this._openWorklet();
      } catch (err) {
        console.warn("AudioWorklet capture failed, falling back to MediaRecorder", err);
        await this._closeContext();
      }
    }
    if (!this.node) this._openFallback();
    if (this.waveformCanvas) {
      this.live = new LiveWaveform(this.waveformCanvas, { sampleRate: this.sampleRate || 48000 });
    }
    return this;
  }

  async _openWorklet() {
    this.ctx = this._makeContext(this.deviceSampleRate);
    let source;
    try {
      source = this.ctx.createMediaStreamSource(this.stream);
    } catch (err) {
      // Firefox refuses a source whose rate differs from the context's; use its default.
      await this._closeContext();
      this.ctx = new AudioContext({ latencyHint: "interactive" });
      source = this.ctx.createMediaStreamSource(this.stream);
    }
    await this.ctx.audioWorklet.addModule(WORKLET_URL);
    const node = new AudioWorkletNode(this.ctx, "recorder-capture", {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: { blockFrames: 2048 },
    });
    node.port.onmessage = (event) => this._onWorkletMessage(event.data);
    source.connect(node);
    // The node writes silence; connecting it keeps it pulled by the graph in every browser.
    node.connect(this.ctx.destination);
    this.source = source;
    this.node = node;
    this.sampleRate = this.ctx.sampleRate;
    this.fallback = false;
    await this.ctx.resume();
  }

  _makeContext(deviceRate) {
    if (deviceRate && deviceRate >= MIN_NATIVE_RATE) {
      try {
        return new AudioContext({ sampleRate: deviceRate, latencyHint: "interactive" });
      } catch (err) {
        console.warn(`AudioContext at ${deviceRate} Hz refused; using the default rate`, err);
      }
    }
    return new AudioContext({ latencyHint: "interactive" });
  }

  _openFallback() {
    this.fallback = true;
    this.mimeType = FALLBACK_TYPES.find((t) => globalThis.MediaRecorder?.isTypeSupported?.(t)) || "";
    this.sampleRate = null;
    // Meter through an AnalyserNode if Web Audio exists at all.
    const Ctx = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!Ctx) return;
    try {
      this.ctx = new Ctx();
      const source = this.ctx.createMediaStreamSource(this.stream);
      const analyser = this.ctx.createAnalyser();
      analyser.fftSize = 2048;
      source.connect(analyser);
      this.analyser = analyser;
      this.sampleRate = this.ctx.sampleRate;
      const buf = new Float32Array(analyser.fftSize);
      this._poll = setInterval(() => {
        analyser.getFloatTimeDomainData(buf);
        this._onSamples(buf.slice(), true);
      }, Math.round((1000 * analyser.fftSize) / this.ctx.sampleRate));
      this.ctx.resume();
    } catch (err) {
      console.warn("No Web Audio metering available", err);
    }
  }

  _onWorkletMessage(msg) {
    if (msg.type === "block") {
      this._onSamples(msg.samples, false, msg.recording, msg.peak, msg.sumSquares);
    } else if (msg.type === "stopped" && this._stopped) {
      this._stopped();
    }
  }

  _onSamples(samples, approximate, recording = true, peak = null, sumSquares = null) {
    if (peak === null) {
      peak = 0;
      sumSquares = 0;
      for (let i = 0; i < samples.length; i++) {
        const a = Math.abs(samples[i]);
        if (a > peak) peak = a;
        sumSquares += samples[i] * samples[i];
      }
    }
    const clipped = peak >= CLIP_THRESHOLD;
    const level = { rmsDb: toDbfs(Math.sqrt(sumSquares / samples.length)), peakDb: toDbfs(peak), clipped };
    this.onLevel?.(level);
    const take = this.take;
    if (!take || !recording) return;
    take.stats.push(samples);
    this.live?.push(samples);
    if (!approximate) {
      take.chunks.push(floatToPcm(samples, take.bitDepth));
      take.frames += samples.length;
    }
    if (clipped) this.onClip?.({ peak, atS: take.stats.frames / (this.sampleRate || 48000) });
  }

  start() {
    if (!this.stream) throw new Error("Recorder.open() must be called before start()");
    if (this.take) throw new Error("Already recording");
    this.take = {
      bitDepth: this.bitDepth,
      chunks: [],
      frames: 0,
      stats: new LevelStats(this.sampleRate || 48000),
      startedAt: performance.now(),
    };
    this.live?.clear();
    if (this.ctx?.state === "suspended") this.ctx.resume();
    if (this.node) {
      this.node.port.postMessage({ type: "start" });
    } else {
      const mr = new MediaRecorder(this.stream, {
        ...(this.mimeType ? { mimeType: this.mimeType } : {}),
        audioBitsPerSecond: 256000,
      });
      mr.ondataavailable = (e) => e.data.size && this.take?.chunks.push(e.data);
      mr.start(1000);
      this.take.mediaRecorder = mr;
    }
  }

  async stop() {
    const take = this.take;
    if (!take) throw new Error("Not recording");
    if (this.node) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 2000); // never hang the page on a lost message
        this._stopped = () => {
          clearTimeout(timer);
          resolve();
        };
        this.node.port.postMessage({ type: "stop" });
      });
      this._stopped = null;
    } else {
      const mr = take.mediaRecorder;
      await new Promise((resolve) => {
        mr.onstop = resolve;
        mr.stop();
      });
    }
    this.take = null;
    this.live?.stop();
    const stats = take.stats;
    const result = {
      peak: stats.peak,
      peakDb: stats.peakDb,
      rmsDb: stats.rmsDb,
      noiseFloorDb: stats.noiseFloorDb(),
      clipped: stats.clipped,
      fallback: this.fallback,
    };
    if (this.node) {
      return {
        ...result,
        blob: wavFromChunks(take.chunks, take.frames, this.sampleRate, take.bitDepth),
        mimeType: "audio/wav",
        sampleRate: this.sampleRate,
        bitDepth: take.bitDepth,
        durationS: take.frames / this.sampleRate,
      };
    }
    const mimeType = take.mediaRecorder.mimeType || this.mimeType || "audio/webm";
    return {
      ...result,
      blob: new Blob(take.chunks, { type: mimeType }),
      mimeType,
      sampleRate: null, // decided by the encoder; the server reads it from the file
      bitDepth: null,
      durationS: (performance.now() - take.startedAt) / 1000,
    };
  }

  async measureRoomTone(seconds = 5) {
    this.start();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const result = await this.stop();
    return { ...result, verdict: noiseFloorVerdict(result.noiseFloorDb) };
  }

  /* Release the microphone. A take still in progress is stopped and returned
     (never silently dropped); otherwise resolves to null. */
  async close() {
    let unfinished = null;
    if (this.take) unfinished = await this.stop();
    clearInterval(this._poll);
    this._poll = null;
    this.node?.port.close();
    this.node?.disconnect();
    this.source?.disconnect();
    this.node = this.source = this.analyser = null;
    await this._closeContext();
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    return unfinished;
  }

  async _closeContext() {
    const ctx = this.ctx;
    this.ctx = null;
    if (ctx && ctx.state !== "closed") await ctx.close();
  }
}
