/*
 * booth/mic.js — the microphone on every booth page: a Recorder with its level meter, the
 * device picker, and the remembered device (localStorage "booth-mic-device").
 *
 *   makeRecorder({meterCanvas, waveCanvas = null, onClip = null, onDeviceLost = null}) -> {rec, meter}
 *       A 16-bit Recorder (../recorder.js) whose level drives a LevelMeter on meterCanvas.
 *   openMic(rec, select) -> Promise<rec>
 *       Open the device chosen in `select` (or the remembered one; the default one when that
 *       is gone), remember it and fill the picker. Call it from a click (autoplay rules).
 *   fillDevices(select, current = null)
 *       List the microphones in a <select>; keeps `current`, the selection or the remembered one.
 *   chooseDevice(rec, select) -> Promise
 *       The picker changed: remember the choice and reopen the microphone unless it is closed
 *       or recording (a take is never cut by a device change).
 */
import { listDevices, Recorder } from "../recorder.js";
import { LevelMeter } from "../meter.js";

const DEVICE_KEY = "booth-mic-device";

export function makeRecorder({ meterCanvas, waveCanvas = null, onClip = null, onDeviceLost = null }) {
  const meter = meterCanvas ? new LevelMeter(meterCanvas) : null;
  const rec = new Recorder({
    bitDepth: 16,
    waveformCanvas: waveCanvas,
    onLevel: (level) => meter?.update(level),
    onClip,
    onDeviceLost,
  });
  return { rec, meter };
}

export async function fillDevices(select, current = null) {
  if (!select) return;
  let devices = [];
  try {
    devices = await listDevices();
  } catch {
    return;
  }
  const keep = current || select.value || localStorage.getItem(DEVICE_KEY) || "";
  select.replaceChildren(new Option("Default microphone", ""));
  for (const d of devices) select.add(new Option(d.label, d.deviceId));
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

export async function openMic(rec, select) {
  const wanted = select?.value || localStorage.getItem(DEVICE_KEY) || null;
  try {
    await rec.open(wanted);
  } catch (err) {
    if (!wanted) throw err;
    await rec.open(null); // the remembered device is gone: use the default one
  }
  if (rec.deviceId) localStorage.setItem(DEVICE_KEY, rec.deviceId);
  await fillDevices(select, rec.deviceId);
  return rec;
}

export async function chooseDevice(rec, select) {
  localStorage.setItem(DEVICE_KEY, select.value);
  if (rec.isOpen && !rec.isRecording) await openMic(rec, select);
}
