/*
 * consent.js — record the spoken consent statement with the booth's recorder.
 * The recording goes through the TakeStore (kind "consent") like any take, so it is not
 * lost offline; once the server confirms it, the page reloads to show the next step.
 */
import { makeRecorder, openMic } from "./booth/mic.js";
import { startStore } from "./booth/store-status.js";
import { setBadge } from "./booth/verdicts.js";
import { drawWaveform, isWorkletSupported } from "./recorder.js";

const LOSSY = "This browser cannot record lossless audio; the recording is compressed. Chrome, Edge or Firefox work best.";

const root = document.getElementById("consent");
const btn = document.getElementById("consent-rec");
if (root && btn) {
  const taskId = root.dataset.task;
  const state = document.getElementById("consent-state");
  const warning = document.getElementById("consent-warning");
  const wave = document.getElementById("consent-wave");
  const store = startStore();
  const { rec } = makeRecorder({ meterCanvas: document.getElementById("consent-meter") });
  let busy = false;
  let mine = null;
  if (!isWorkletSupported()) {
    // say it before the recording, as the booth does: the speaker can still switch browsers
    warning.hidden = false;
    warning.textContent = LOSSY;
  }

  const say = (text, level = "") => {
    const badge = document.createElement("span");
    setBadge(badge, text, level);
    badge.id = "consent-badge";
    state.replaceChildren(badge);
  };

  btn.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    try {
      if (!rec.isRecording) {
        if (!rec.isOpen) await openMic(rec, null);
        if (rec.fallback) {
          warning.hidden = false;
          warning.textContent = LOSSY;
        }
        rec.start();
        btn.textContent = "■ Stop";
        btn.classList.add("recording");
        say("Recording… read the statement aloud", "warn");
      } else {
        const take = await rec.stop();
        btn.textContent = "Record again";
        btn.classList.remove("recording");
        wave.hidden = false;
        drawWaveform(wave, take.blob).catch(() => {});
        const record = await store.add({
          taskId, kind: "consent", blob: take.blob, uploadUrl: root.dataset.uploadUrl,
          fields: { duration_s: take.durationS.toFixed(3), captured_with: take.fallback ? "mediarecorder" : "worklet" },
          meta: { durationS: take.durationS },
        });
        mine = record.clientId;
        say("Uploading…", "warn");
      }
    } catch (err) {
      warning.hidden = false;
      warning.textContent = err.name === "NotAllowedError" ? "Microphone access was refused. Allow it in the address bar and try again." : String(err.message || err);
    } finally {
      busy = false;
    }
  });

  addEventListener("takestore:uploaded", (e) => {
    if (e.detail.take.taskId !== taskId || e.detail.take.kind !== "consent") return;
    say("Consent statement recorded.", "ok");
    rec.close();
    setTimeout(() => location.reload(), 300);
  });
  addEventListener("takestore:rejected", (e) => {
    if (e.detail.take.taskId !== taskId || e.detail.take.kind !== "consent") return;
    say("Not accepted", "fail");
    warning.hidden = false;
    warning.textContent = e.detail.error?.message || "The recording was refused; please record it again.";
  });
  addEventListener("takestore:retry", (e) => {
    if (e.detail.take.clientId === mine) say(`Waiting to upload: ${e.detail.error?.message || ""}`, "warn");
  });
  root.dataset.ready = "1";
}
