/*
 * booth/recorder-controls.js — Record/Stop, the microphone picker and the warnings of the
 * booth's recorder (#recorder in templates/booth/booth.html). The recorder lives outside the
 * htmx-swapped panel, so the microphone stays open while the contractor moves between sections.
 *
 *   createRecorderControls({button, device, meter, wave, clip, warning, note, root, maxSeconds,
 *                           canStart, target, onStart, onTake}) -> {
 *     rec          the Recorder (booth/mic.js)
 *     toggle()     start a take, or stop it and hand it over; ignored while the last press is
 *                  still being handled, and a start is ignored when canStart() is false
 *     active() -> boolean   recording, or a press is being handled
 *     showError(err)        say it in the warning box
 *   }
 *   target() is read when Record is pressed: the take belongs to it whatever is on screen later.
 *   onStart() runs just before recording starts; await onTake(take, target) gets every finished
 *   take, including one stopped by the time limit (maxSeconds) or by an unplugged microphone.
 *   `root` carries the class "recording" while a take is recorded. Leaving the page while
 *   recording asks first.
 */
import { isWorkletSupported } from "../recorder.js";
import { chooseDevice, fillDevices, makeRecorder, openMic } from "./mic.js";

const LOSSY_WARNING = "This browser cannot record lossless audio; takes are compressed and converted on the server. Use Chrome, Edge or Firefox for the best quality.";
const RECORD_LABEL = "● Record";

export function createRecorderControls({ button, device, meter, wave, clip, warning, note, root, maxSeconds, canStart, target, onStart, onTake }) {
  const { rec } = makeRecorder({
    meterCanvas: meter,
    waveCanvas: wave,
    onClip: () => {
      clip.hidden = false;
    },
    onDeviceLost: () => {
      say("The microphone was disconnected. Plug it back in and press Record again.");
      if (rec.isRecording) stopAndHandOver();
    },
  });
  let busy = false;
  let current = null; // where the take being recorded belongs
  let timer = null;
  let autoStop = null;

  function say(text) {
    warning.hidden = false;
    warning.textContent = text;
  }
  const showError = (err) => say(String(err?.message || err));

  if (!isWorkletSupported()) say(LOSSY_WARNING); // before the first take: the contractor can still switch browsers
  fillDevices(device);
  device?.addEventListener("change", async () => {
    await chooseDevice(rec, device).catch(showError);
  });

  async function toggle() {
    if (busy) return;
    if (!rec.isRecording && !canStart()) return;
    busy = true;
    try {
      if (!rec.isRecording) await start();
      else await stopAndHandOver();
    } catch (err) {
      showError(err.name === "NotAllowedError" ? "Microphone access was refused. Allow it in the browser's address bar." : err);
    } finally {
      busy = false;
    }
  }

  async function start() {
    if (!rec.isOpen) await openMic(rec, device);
    if (rec.fallback) say(LOSSY_WARNING);
    else if (rec.processingOff === false) say("The browser kept echo cancellation or noise suppression on; use Chrome, Edge or Firefox.");
    current = target();
    clip.hidden = true;
    onStart();
    rec.start();
    root.classList.add("recording");
    const t0 = performance.now();
    const tick = () => (button.textContent = `■ Stop (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    tick();
    timer = setInterval(tick, 100);
    autoStop = setTimeout(() => {
      note.textContent = `Takes are limited to ${maxSeconds} s; the recording was stopped.`;
      if (rec.isRecording) toggle();
    }, Math.max(1, maxSeconds - 0.5) * 1000);
  }

  async function stopAndHandOver() {
    clearInterval(timer);
    clearTimeout(autoStop);
    const take = await rec.stop();
    root.classList.remove("recording");
    button.textContent = RECORD_LABEL;
    const belongsTo = current;
    current = null;
    await onTake(take, belongsTo);
  }

  button.addEventListener("click", toggle);
  addEventListener("beforeunload", (e) => {
    if (rec.isRecording) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  return { rec, toggle, active: () => busy || rec.isRecording, showError };
}
