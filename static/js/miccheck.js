/*
 * miccheck.js — microphone picker, live level meter and the 5-second room-tone check.
 * The room tone is uploaded (kind "roomtone") and measured again on the server, whose
 * noise floor and verdict are shown; the browser's own estimate shows meanwhile.
 */
import { fillDevices, makeRecorder, openMic } from "./booth/mic.js";
import { startStore } from "./booth/store-status.js";
import { setBadge } from "./booth/verdicts.js";

const root = document.getElementById("miccheck");
if (root) {
  const taskId = root.dataset.task;
  const $ = (id) => document.getElementById(id);
  const select = $("device");
  const openBtn = $("mic-open");
  const toneBtn = $("roomtone-btn");
  const state = $("roomtone-state");
  const report = $("roomtone-report");
  const warning = $("mic-warning");
  const store = startStore();
  const { rec } = makeRecorder({
    meterCanvas: $("mic-meter"),
    onDeviceLost: () => warn("The microphone was disconnected."),
  });
  let mine = null;

  const warn = (text) => {
    warning.hidden = !text;
    warning.textContent = text || "";
  };
  fillDevices(select);

  async function open() {
    try {
      await openMic(rec, select);
      toneBtn.disabled = false;
      openBtn.textContent = "Microphone on";
      const notes = [];
      if (rec.fallback) notes.push("This browser cannot record lossless audio; use Chrome, Edge or Firefox.");
      if (rec.processingOff === false) notes.push("The browser kept echo cancellation or noise suppression on.");
      if (rec.lowRateDevice) notes.push(`This microphone runs at ${rec.deviceSampleRate} Hz; 44.1 or 48 kHz is better.`);
      warn(notes.join(" "));
    } catch (err) {
      warn(err.name === "NotAllowedError" ? "Microphone access was refused. Allow it in the address bar." : String(err.message || err));
    }
  }
  openBtn.addEventListener("click", open);
  select.addEventListener("change", () => rec.isOpen && open());

  toneBtn.addEventListener("click", async () => {
    if (!rec.isOpen || rec.isRecording) return;
    toneBtn.disabled = true;
    let left = 5;
    state.textContent = `Silence please… ${left}`;
    const countdown = setInterval(() => (state.textContent = `Silence please… ${--left}`), 1000);
    try {
      const tone = await rec.measureRoomTone(5);
      clearInterval(countdown);
      state.textContent = `Browser estimate: ${tone.noiseFloorDb.toFixed(0)} dBFS. Checking on the server…`;
      const record = await store.add({
        taskId, kind: "roomtone", blob: tone.blob, uploadUrl: root.dataset.uploadUrl,
        fields: { duration_s: tone.durationS.toFixed(3) }, meta: { durationS: tone.durationS },
      });
      mine = record.clientId;
    } catch (err) {
      clearInterval(countdown);
      state.textContent = String(err.message || err);
    } finally {
      toneBtn.disabled = false;
    }
  });

  addEventListener("takestore:uploaded", (e) => {
    if (e.detail.take.taskId !== taskId || e.detail.take.kind !== "roomtone") return;
    const qc = e.detail.response.qc || {};
    const v = qc.verdict || {};
    state.textContent = "";
    report.hidden = false;
    report.replaceChildren();
    const p1 = document.createElement("p");
    const strong = document.createElement("strong");
    strong.innerHTML = `Noise floor: <span class="noise-floor"></span> dBFS `;
    strong.querySelector(".noise-floor").textContent = Number(qc.noise_floor_dbfs).toFixed(1);
    const badge = document.createElement("span");
    setBadge(badge, qc.quiet_enough ? "Quiet enough" : "Too noisy", qc.quiet_enough ? "ok" : "fail");
    badge.id = "roomtone-verdict";
    p1.append(strong, badge);
    const p2 = document.createElement("p");
    p2.textContent = `${v.title || ""}: ${v.reason || ""}`;
    report.append(p1, p2);
    if (v.advice) {
      const p3 = document.createElement("p");
      p3.className = "advice";
      p3.textContent = v.advice;
      report.append(p3);
    }
  });
  addEventListener("takestore:rejected", (e) => {
    if (e.detail.take.taskId !== taskId || e.detail.take.kind !== "roomtone") return;
    state.textContent = e.detail.error?.message || "The measurement was refused; please try again.";
  });
  addEventListener("takestore:retry", (e) => {
    if (e.detail.take.clientId === mine) state.textContent = `Waiting to upload: ${e.detail.error?.message || ""}`;
  });
  root.dataset.ready = "1";
}
