/*
 * owner-consent.js — the voice owner's spoken consent statement on /consent/<token>/.
 *
 * Same modules as the booth: recorder.js (lossless mono WAV), take-store.js (kept in
 * IndexedDB until the server confirms the sha256) and uploader.js (the upload contract
 * in README.md). The page needs no account; the signed link is the upload URL.
 *
 * Markup: <section id="consent-recorder" data-upload-url data-max-seconds data-key>
 *   with #rec-start, #rec-stop, #rec-submit (buttons), #rec-audio (<audio>), #rec-status.
 */
import { Recorder, listDevices } from "./recorder.js";
import { TakeStore } from "./take-store.js";

const root = document.querySelector("#consent-recorder");
if (root) {
  const uploadUrl = root.dataset.uploadUrl;
  const maxSeconds = Number(root.dataset.maxSeconds || 40);
  const key = root.dataset.key;
  const $ = (id) => root.querySelector(id);
  const startBtn = $("#rec-start"), stopBtn = $("#rec-stop"), submitBtn = $("#rec-submit");
  const audio = $("#rec-audio"), status = $("#rec-status");
  let rec = null, take = null, timer = null;

  const say = (text, level = "") => { status.textContent = text; status.className = level ? `message message-${level}` : ""; };

  const store = new TakeStore().start();

  startBtn.addEventListener("click", async () => {
    try {
      if (!rec) {
        rec = new Recorder({ bitDepth: 16 });
        const devices = await listDevices({ requestPermission: true });
        await rec.open(devices[0] ? devices[0].deviceId : null);
        if (rec.fallback) say("This browser cannot record lossless audio; the recording is still accepted.", "warning");
      }
      take = null;
      audio.removeAttribute("src");
      submitBtn.disabled = true;
      rec.start();
      startBtn.disabled = true;
      stopBtn.disabled = false;
      say("Recording… read the statement aloud, then press Stop.");
      timer = setTimeout(() => stopBtn.click(), maxSeconds * 1000);
    } catch (err) {
      say(`The microphone could not be opened (${err.message || err}). Allow microphone access and try again.`, "error");
    }
  });

  stopBtn.addEventListener("click", async () => {
    clearTimeout(timer);
    if (!rec) return;
    take = await rec.stop();
    stopBtn.disabled = true;
    startBtn.disabled = false;
    startBtn.textContent = "Record again";
    audio.src = URL.createObjectURL(take.blob);
    submitBtn.disabled = false;
    say(`Recorded ${take.durationS.toFixed(1)} s. Listen to it, then send it, or record again.`);
  });

  submitBtn.addEventListener("click", async () => {
    if (!take) return;
    submitBtn.disabled = true;
    startBtn.disabled = true;
    try {
      await store.add({ taskId: key, kind: "consent", blob: take.blob, uploadUrl,
                        fields: { duration_s: take.durationS.toFixed(3) }, meta: { durationS: take.durationS } });
      say("Sending your recording… keep this page open.");
    } catch (err) {
      submitBtn.disabled = false;
      startBtn.disabled = false;
      say("Your browser could not keep the recording for upload; please try again.", "error");
    }
  });

  addEventListener("takestore:uploaded", (e) => {
    if (e.detail.take.uploadUrl !== uploadUrl) return;
    say("Thank you: your consent recording was received.", "success");
    setTimeout(() => location.reload(), 600);
  });
  addEventListener("takestore:rejected", (e) => {
    if (e.detail.take.uploadUrl !== uploadUrl) return;
    startBtn.disabled = false;
    say(`The recording was not accepted: ${e.detail.error.message} Please record again.`, "error");
  });
  addEventListener("takestore:retry", (e) => {
    if (e.detail.take.uploadUrl !== uploadUrl) return;
    say("Connection problem; the recording is kept in your browser and will be sent again automatically.", "warning");
  });
  root.dataset.ready = "1"; // the buttons work from here on (tests wait for it, as on the booth pages)
}
