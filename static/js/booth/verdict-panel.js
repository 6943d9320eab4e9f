/*
 * booth/verdict-panel.js — the latest take's box in the recorder (#latest): its state badge
 * (saving → uploading → the server's verdict), its waveform and the QC reasons, so the
 * contractor knows whether to retake before reading on.
 *
 *   createVerdictPanel({taskId, box, state, reasons, wave, note}) -> {
 *     show(take, sectionId)    a take has just stopped: show it, "Saving in this browser…"
 *     queued(clientId)         it is in the TakeStore: "Uploading… checking quality"
 *     notKept(blob, err)       the browser could not keep it: offer it as a download
 *     isFor(sectionId) -> boolean   the latest take belongs to that section
 *     play(sectionId) -> Promise | null   play it when it is the one on screen (null: it is not)
 *     pause()
 *   }
 *   It follows the store's events (the server's verdict, a refusal) and hides itself when
 *   the panel shows another section. A refusal of another take is said in `note`.
 */
import { drawWaveform } from "../recorder.js";
import { renderVerdicts, setBadge } from "./verdicts.js";
import { shownSection } from "./panel.js";

export function createVerdictPanel({ taskId, box, state, reasons, wave, note }) {
  let latest = null; // {clientId, blob, url, sectionId}
  let player = null;

  function show(take, sectionId) {
    if (latest?.url) URL.revokeObjectURL(latest.url);
    latest = { blob: take.blob, url: URL.createObjectURL(take.blob), sectionId, clientId: null };
    box.hidden = false;
    reasons.replaceChildren();
    setBadge(state, "Saving in this browser…");
    drawWaveform(wave, take.blob).catch(() => {});
  }

  function queued(clientId) {
    latest.clientId = clientId;
    setBadge(state, "Uploading… checking quality", "warn");
  }

  function notKept(blob, err) {
    setBadge(state, "Not saved", "fail");
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `take-${Date.now()}.wav`;
    a.textContent = "Download the recording";
    const p = document.createElement("p");
    p.className = "message message-error";
    p.append(`The browser could not keep this take (${err.message}). Download it so it is not lost.`, " ", a);
    reasons.append(p);
  }

  const isFor = (sectionId) => !!latest && latest.sectionId === sectionId;

  function play(sectionId) {
    if (!isFor(sectionId) || box.hidden) return null;
    player?.pause();
    player = new Audio(latest.url);
    return player.play();
  }

  addEventListener("takestore:uploaded", (e) => {
    const { take, response } = e.detail;
    if (take.taskId !== taskId || take.kind !== "take" || latest?.clientId !== take.clientId) return;
    const level = response.qc?.summary || "warn";
    setBadge(state, level === "ok" ? "Saved · good" : level === "fail" ? "Saved · retake advised" : "Saved · see notes", level);
    renderVerdicts(reasons, response.qc, { all: false });
  });
  addEventListener("takestore:rejected", (e) => {
    const { take, error } = e.detail;
    if (take.taskId !== taskId) return;
    if (latest?.clientId === take.clientId) {
      setBadge(state, "Rejected", "fail");
      const p = document.createElement("p");
      p.className = "message message-error take-rejected";
      p.textContent = error?.message || "The server refused this take.";
      reasons.replaceChildren(p);
    } else {
      note.textContent = `A take was refused: ${error?.message}`;
    }
  });
  document.body.addEventListener("htmx:afterSettle", () => {
    if (latest && latest.sectionId !== shownSection()) box.hidden = true;
  });

  return { show, queued, notKept, isFor, play, pause: () => player?.pause() };
}
