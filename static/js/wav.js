/*
 * wav.js — encode Float32 PCM as a mono RIFF/WAVE file. No DOM, no state.
 *
 *   wavHeader(numFrames, sampleRate, bitDepth = 16, channels = 1) -> ArrayBuffer (44 bytes)
 *   floatToPcm(float32, bitDepth = 16) -> Uint8Array   little-endian signed PCM
 *   encodeWav(float32, sampleRate, bitDepth = 16) -> Blob  (type "audio/wav")
 *   wavFromChunks(pcmChunks, numFrames, sampleRate, bitDepth) -> Blob
 *
 * bitDepth is 16 or 24. Samples are clamped to [-1, 1] and rounded (no
 * dither: the booth records speech well above the 16-bit noise floor, and
 * 24-bit is there for those who want headroom). Chunks let the recorder
 * convert each block as it arrives, so a long take never needs one large
 * Float32Array, and the final Blob is assembled from parts without copying.
 */

export const SUPPORTED_BIT_DEPTHS = [16, 24];

export function wavHeader(numFrames, sampleRate, bitDepth = 16, channels = 1) {
  checkBitDepth(bitDepth);
  const bytesPerSample = bitDepth / 8;
  const blockAlign = channels * bytesPerSample;
  const dataSize = numFrames * blockAlign;
  const buf = new ArrayBuffer(44);
  const v = new DataView(buf);
  writeAscii(v, 0, "RIFF");
  v.setUint32(4, 36 + dataSize, true);
  writeAscii(v, 8, "WAVE");
  writeAscii(v, 12, "fmt ");
  v.setUint32(16, 16, true); // fmt chunk size
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * blockAlign, true); // byte rate
  v.setUint16(32, blockAlign, true);
  v.setUint16(34, bitDepth, true);
  writeAscii(v, 36, "data");
  v.setUint32(40, dataSize, true);
  return buf;
}

export function floatToPcm(samples, bitDepth = 16) {
  checkBitDepth(bitDepth);
  const n = samples.length;
  if (bitDepth === 16) {
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      let s = samples[i];
      s = s > 1 ? 1 : s < -1 ? -1 : s;
      out[i] = Math.round(s < 0 ? s * 0x8000 : s * 0x7fff);
    }
    // Int16Array is platform-endian; every browser platform is little-endian.
    return new Uint8Array(out.buffer);
  }
  const out = new Uint8Array(n * 3);
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    let s = samples[i];
    s = s > 1 ? 1 : s < -1 ? -1 : s;
    let x = Math.round(s < 0 ? s * 0x800000 : s * 0x7fffff);
    if (x < 0) x += 0x1000000; // two's complement in 24 bits
    out[o] = x & 0xff;
    out[o + 1] = (x >> 8) & 0xff;
    out[o + 2] = (x >> 16) & 0xff;
  }
  return out;
}

export function wavFromChunks(pcmChunks, numFrames, sampleRate, bitDepth = 16) {
  return new Blob([wavHeader(numFrames, sampleRate, bitDepth, 1), ...pcmChunks], { type: "audio/wav" });
}

export function encodeWav(samples, sampleRate, bitDepth = 16) {
  return wavFromChunks([floatToPcm(samples, bitDepth)], samples.length, sampleRate, bitDepth);
}

function checkBitDepth(bitDepth) {
  if (!SUPPORTED_BIT_DEPTHS.includes(bitDepth)) {
    throw new RangeError(`bitDepth must be 16 or 24, not ${bitDepth}`);
  }
}

function writeAscii(view, offset, text) {
  for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
}
