/*
 * booth.js — the recording booth page, plus helpers the consent and mic-check pages share.
 *
 * Exports:
 *   startStore() -> TakeStore     start the IndexedDB queue and wire the status bar
 *                                 (#pending-count, #online-state, #upload-note)
 *   makeRecorder({meterCanvas, waveCanvas, onClip}) -> {rec, meter}
 *   openMic(rec, select)          open the chosen (or remembered) microphone and fill the picker
 *   fillDevices(select, current)  list microphones in a <select>
 *   renderVerdicts(el, qc)        plain-language QC verdicts from the server's answer
 *
 * The booth page (#booth) keeps the recorder outside the htmx-swapped #panel, so the
 * microphone stays open while the contractor moves between sections. A take belongs to
 * the section shown when Record was pressed. Every take goes into the TakeStore before
 * any upload and leaves it only when the server confirms its sha256.
 */
import { drawWaveform, isWorkletSupported, listDevices, Recorder } from "./recorder.js";
import { LevelMeter } from "./meter.js";
import { TakeStore } from "./take-store.js";

const DEVICE_KEY = "booth-mic-device";
const LOSSY_WARNING = "This browser cannot record lossless audio; takes are compressed and converted on the server. Use Chrome, Edge or Firefox for the best quality.";

export function startStore() {
  const store = new TakeStore().start();
  const count = document.getElementById("pending-count");
  const box = document.getElementById("pending-box");
  const note = document.getElementById("upload-note");
  const onlineBadge = document.getElementById("online-state");
  const setOnline = (on) => {
    if (!onlineBadge) return;
    onlineBadge.textContent = on ? "Online" : "Offline: takes are kept in this browser";
    onlineBadge.className = `badge ${on ? "badge-ok" : "badge-warn"}`;
  };
  addEventListener("takestore:changed", (e) => {
    if (count) count.textContent = String(e.detail.pending);
    box?.classList.toggle("badge-warn", e.detail.pending > 0);
    if (box) box.dataset.pending = String(e.detail.pending);
    setOnline(e.detail.online);
    if (e.detail.pending === 0 && note) note.textContent = "";
  });
  addEventListener("takestore:retry", (e) => {
    if (note) note.textContent = `${e.detail.error?.message || "Upload failed"} Retrying in ${Math.ceil(e.detail.delayMs / 1000)} s.`;
  });
  addEventListener("online", () => setOnline(true));
  addEventListener("offline", () => setOnline(false));
  setOnline(navigator.onLine !== false);
  return store;
}

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

export function renderVerdicts(el, qc, { all = true } = {}) {
  if (!el) return;
  el.replaceChildren();
  const list = document.createElement("ul");
  list.className = "verdicts";
  for (const v of qc?.verdicts || []) {
    if (!all && v.level === "ok") continue;
    const li = document.createElement("li");
    li.className = `verdict level-${v.level}`;
    const title = document.createElement("strong");
    title.textContent = v.title;
    li.append(title, `: ${v.reason}`);
    if (v.advice) {
      const em = document.createElement("em");
      em.textContent = ` ${v.advice}`;
      li.append(em);
    }
    list.append(li);
  }
  el.append(list);
}

export function setBadge(el, text, level = "") {
  if (!el) return;
  el.textContent = text;
  el.className = `badge${level ? ` level-${level}` : ""}`;
}

/* ---- the booth page ---------------------------------------------------- */

function initBooth(root) {
  const taskId = root.dataset.task;
  const maxSeconds = Number(root.dataset.maxSeconds || 60);
  const $ = (id) => document.getElementById(id);
  const els = {
    rec: $("rec-btn"), play: $("play-btn"), submit: $("submit-latest"), device: $("device"),
    clip: $("clip-warning"), fallback: $("fallback-warning"), latest: $("latest"), latestState: $("latest-state"),
    latestQc: $("latest-qc"), takeWave: $("take-wave"), pending: $("pending-takes"), note: $("upload-note"),
  };
  const store = startStore();
  const { rec } = makeRecorder({
    meterCanvas: $("meter"),
    waveCanvas: $("live-wave"),
    onClip: () => {
      els.clip.hidden = false;
    },
    onDeviceLost: () => {
      els.fallback.hidden = false;
      els.fallback.textContent = "The microphone was disconnected. Plug it back in and press Record again.";
      if (rec.isRecording) stopAndQueue();
    },
  });
  const panel = () => document.getElementById("panel");
  let latest = null; // {clientId, blob, url, sectionId}
  let current = null; // section of the take being recorded
  let busy = false;
  let timer = null;
  let autoStop = null;
  let player = null;

  if (!isWorkletSupported()) {
    // Say so before the first take, not after it: the contractor can still switch browsers.
    els.fallback.hidden = false;
    els.fallback.textContent = LOSSY_WARNING;
  }
  fillDevices(els.device);
  els.device?.addEventListener("change", async () => {
    localStorage.setItem(DEVICE_KEY, els.device.value);
    if (rec.isOpen && !rec.isRecording) await openMic(rec, els.device).catch(showError);
  });

  function showError(err) {
    els.fallback.hidden = false;
    els.fallback.textContent = String(err?.message || err);
  }

  async function toggle() {
    if (busy) return;
    if (!rec.isRecording && panel()?.dataset.editable !== "1") return;
    busy = true;
    try {
      if (!rec.isRecording) await start();
      else await stopAndQueue();
    } catch (err) {
      showError(err.name === "NotAllowedError" ? "Microphone access was refused. Allow it in the browser's address bar." : err);
    } finally {
      busy = false;
    }
  }

  async function start() {
    if (!rec.isOpen) await openMic(rec, els.device);
    if (rec.fallback) {
      els.fallback.hidden = false;
      els.fallback.textContent = LOSSY_WARNING;
    } else if (rec.processingOff === false) {
      els.fallback.hidden = false;
      els.fallback.textContent = "The browser kept echo cancellation or noise suppression on; use Chrome, Edge or Firefox.";
    }
    const p = panel();
    current = { sectionId: Number(p.dataset.sectionId), uploadUrl: p.dataset.uploadUrl, position: Number(p.dataset.position) };
    els.clip.hidden = true;
    player?.pause();
    rec.start();
    root.classList.add("recording");
    const t0 = performance.now();
    const tick = () => (els.rec.textContent = `■ Stop (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    tick();
    timer = setInterval(tick, 100);
    autoStop = setTimeout(() => {
      els.note.textContent = `Takes are limited to ${maxSeconds} s; the recording was stopped.`;
      if (rec.isRecording) toggle();
    }, Math.max(1, maxSeconds - 0.5) * 1000);
  }

  async function stopAndQueue() {
    clearInterval(timer);
    clearTimeout(autoStop);
    const take = await rec.stop();
    root.classList.remove("recording");
    els.rec.textContent = "● Record";
    const target = current;
    current = null;
    if (latest?.url) URL.revokeObjectURL(latest.url);
    latest = { blob: take.blob, url: URL.createObjectURL(take.blob), sectionId: target.sectionId, clientId: null };
    els.latest.hidden = false;
    els.latestQc.replaceChildren();
    setBadge(els.latestState, "Saving in this browser…");
    els.play.disabled = false;
    drawWaveform(els.takeWave, take.blob).catch(() => {});
    try {
      const record = await store.add({
        taskId,
        sectionId: target.sectionId,
        kind: "take",
        blob: take.blob,
        uploadUrl: target.uploadUrl,
        fields: { duration_s: take.durationS.toFixed(3), captured_with: take.fallback ? "mediarecorder" : "worklet" },
        meta: { durationS: take.durationS, position: target.position, sampleRate: take.sampleRate },
      });
      latest.clientId = record.clientId;
      setBadge(els.latestState, "Uploading… checking quality", "warn");
    } catch (err) {
      setBadge(els.latestState, "Not saved", "fail");
      offerDownload(take.blob, `The browser could not keep this take (${err.message}). Download it so it is not lost.`);
    }
    renderPending();
  }

  function offerDownload(blob, text) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `take-${Date.now()}.wav`;
    a.textContent = "Download the recording";
    const p = document.createElement("p");
    p.className = "message message-error";
    p.append(text, " ", a);
    els.latestQc.append(p);
  }

  async function renderPending() {
    const sectionId = Number(panel()?.dataset.sectionId);
    const queued = (await store.list({ taskId })).filter((r) => r.kind === "take" && r.sectionId === sectionId);
    els.pending.replaceChildren(
      ...queued.map((r) => {
        const li = document.createElement("li");
        li.className = "take take-pending";
        li.dataset.clientId = r.clientId;
        const s = r.meta?.durationS ? `${r.meta.durationS.toFixed(1)} s` : "";
        li.textContent = `Take waiting to upload ${s}${r.lastError ? ` (${r.lastError.message})` : ""}`;
        return li;
      }),
    );
  }

  // Several takes can be confirmed at once (back online): refresh once, after the last one,
  // so a slower, older answer never overwrites the newer list.
  // The answer is dropped if the contractor moved to another section (or started recording)
  // meanwhile, so a refresh can never put an older section back on screen.
  let refreshTimer = null;
  let refreshSection = null;
  function refreshPanel() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      const p = panel();
      if (!p || !globalThis.htmx || rec.isRecording) return;
      refreshSection = p.dataset.sectionId;
      htmx.ajax("GET", `${p.dataset.panelUrl}&refresh=1`, { target: "#panel", swap: "outerHTML" });
    }, 250);
  }
  document.body.addEventListener("htmx:beforeSwap", (e) => {
    const path = e.detail.requestConfig?.path || "";
    if (path.includes("refresh=1") && (panel()?.dataset.sectionId !== refreshSection || rec.isRecording)) {
      e.detail.shouldSwap = false;
    }
  });

  addEventListener("takestore:uploaded", (e) => {
    const { take, response } = e.detail;
    if (take.taskId !== taskId || take.kind !== "take") return;
    if (latest?.clientId === take.clientId) {
      const level = response.qc?.summary || "warn";
      setBadge(els.latestState, level === "ok" ? "Saved · good" : level === "fail" ? "Saved · retake advised" : "Saved · see notes", level);
      renderVerdicts(els.latestQc, response.qc, { all: false });
      showBreak(response.break);
      if (response.voice_url) watchVoice(response.voice_url, take.clientId);
    }
    renderPending();
    if (take.sectionId === Number(panel()?.dataset.sectionId) && !rec.isRecording) refreshPanel();
  });
  // Whose voice and drift: a worker compares the take with the consent recording; poll until it has.
  const voiceBox = $("latest-voice");
  const breakNote = $("break-note");
  function showBreak(b) {
    if (!breakNote || !b) return;
    breakNote.hidden = !b.due;
    breakNote.textContent = b.due ? b.message : "";
  }
  function renderVoice(v) {
    const items = [];
    if (v.state === "done" && v.verdict === "different") items.push(["message-error speaker-different", v.message]);
    else if (v.state === "done" && v.verdict === "unsure") items.push(["message-warning speaker-unsure", v.message]);
    for (const w of v.warnings || []) items.push([`message-warning drift drift-${w.code}`, w.message]);
    voiceBox.replaceChildren(...items.map(([cls, text]) => {
      const p = document.createElement("p");
      p.className = `message ${cls}`;
      p.textContent = text;
      return p;
    }));
    voiceBox.dataset.state = v.state;
    if (v.verdict) voiceBox.dataset.verdict = v.verdict;
  }
  async function watchVoice(url, clientId) {
    if (!voiceBox) return;
    voiceBox.replaceChildren();
    delete voiceBox.dataset.verdict;
    voiceBox.dataset.state = "pending";
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, i < 5 ? 1000 : 3000));
      if (latest?.clientId !== clientId) return;  // a newer take is on screen
      try {
        const resp = await fetch(url, { headers: { Accept: "application/json" } });
        if (!resp.ok) return;
        const v = await resp.json();
        showBreak(v.break);
        if (v.state === "pending" || v.state === "running") continue;
        renderVoice(v);
        return;
      } catch { /* offline for a moment: try again */ }
    }
  }

  addEventListener("takestore:rejected", (e) => {
    const { take, error } = e.detail;
    if (take.taskId !== taskId) return;
    if (latest?.clientId === take.clientId) {
      setBadge(els.latestState, "Rejected", "fail");
      const p = document.createElement("p");
      p.className = "message message-error take-rejected";
      p.textContent = error?.message || "The server refused this take.";
      els.latestQc.replaceChildren(p);
    } else {
      els.note.textContent = `A take was refused: ${error?.message}`;
    }
    renderPending();
  });
  addEventListener("takestore:changed", () => renderPending());
  addEventListener("takestore:retry", () => renderPending());

  document.body.addEventListener("htmx:afterSettle", () => {
    const sectionId = Number(panel()?.dataset.sectionId);
    if (latest && latest.sectionId !== sectionId) els.latest.hidden = true;
    els.play.disabled = !playable();
    renderPending();
  });

  function playable() {
    return (latest && latest.sectionId === Number(panel()?.dataset.sectionId)) || !!panel()?.querySelector(".takes audio");
  }

  function play() {
    if (rec.isRecording) return;
    const sectionId = Number(panel()?.dataset.sectionId);
    if (latest && latest.sectionId === sectionId && !els.latest.hidden) {
      player?.pause();
      player = new Audio(latest.url);
      player.play().catch(showError);
      return;
    }
    const audio = panel()?.querySelector(".takes audio");
    if (audio) audio.play().catch(showError);
  }

  function submitLatest() {
    if (rec.isRecording) return;
    const first = panel()?.querySelector("#takes .take");
    const btn = first?.querySelector(".submit-take");
    if (btn) btn.click();
    else if (first) els.note.textContent = "The newest take is already submitted.";
    else els.note.textContent = "Record a take first.";
  }

  function go(delta) {
    if (rec.isRecording || busy) return;
    const p = panel();
    const pos = Number(p.dataset.position) + delta;
    if (pos < 1 || pos > Number(p.dataset.n)) return;
    htmx.ajax("GET", `/booth/tasks/${taskId}/?s=${pos}`, { target: "#panel", swap: "outerHTML" });
  }

  els.rec.addEventListener("click", toggle);
  els.play.addEventListener("click", play);
  els.submit.addEventListener("click", submitLatest);
  els.play.disabled = !playable();

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = e.target?.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || e.target?.isContentEditable) return;
    const onButton = tag === "BUTTON" || tag === "A" || tag === "SUMMARY";
    if (e.key === " " || e.key === "r" || e.key === "R") {
      if (e.repeat) return;
      e.preventDefault();
      toggle();
    } else if (e.key === "p" || e.key === "P") {
      play();
    } else if (e.key === "Enter" && !onButton) {
      e.preventDefault();
      submitLatest();
    } else if (e.key === "ArrowLeft" || e.key === "ArrowUp") {
      e.preventDefault();
      go(-1);
    } else if (e.key === "ArrowRight" || e.key === "ArrowDown") {
      e.preventDefault();
      go(1);
    }
  });
  // Space on a focused button would also "click" it on keyup: the keydown handler already acted.
  document.addEventListener("keyup", (e) => {
    if (e.key === " " && e.target?.tagName === "BUTTON") e.preventDefault();
  });
  addEventListener("beforeunload", (e) => {
    if (rec.isRecording) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
  renderPending();
  globalThis.booth = { store, rec, toggle, play, submitLatest, go }; // for debugging and tests
  root.dataset.ready = "1";
}

const root = document.getElementById("booth");
if (root) initBooth(root);
