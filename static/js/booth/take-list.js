/*
 * booth/take-list.js — the takes of the section on screen: those still waiting in this
 * browser (<ul id="pending-takes">, drawn from the TakeStore) and the server's list
 * (#takes inside the panel), which is reloaded once the server has confirmed a take.
 *
 *   createTakeList({store, taskId, list, note, isRecording}) -> {
 *     add(take, target) -> Promise<record>   queue a finished Recorder take for its section's
 *                                            upload URL; rejects when the browser cannot keep it
 *     renderPending()                        redraw the waiting takes of the section on screen
 *     newestAudio() -> HTMLAudioElement | null   the newest take the server has
 *     submitNewest()                         press the newest take's Submit, or say in `note` why not
 *   }
 *   It follows the store's events and htmx swaps itself.
 *
 * Several takes can be confirmed at once (back online): the panel is refreshed once, after
 * the last one, so a slower, older answer never overwrites the newer list. The answer is
 * dropped if the contractor moved to another section (or started recording) meanwhile, so
 * a refresh can never put an older section back on screen.
 */
import { panel, shownSection } from "./panel.js";

export function createTakeList({ store, taskId, list, note, isRecording }) {
  function add(take, target) {
    return store.add({
      taskId,
      sectionId: target.sectionId,
      kind: "take",
      blob: take.blob,
      uploadUrl: target.uploadUrl,
      fields: { duration_s: take.durationS.toFixed(3), captured_with: take.fallback ? "mediarecorder" : "worklet" },
      meta: { durationS: take.durationS, position: target.position, sampleRate: take.sampleRate },
    });
  }

  async function renderPending() {
    const sectionId = shownSection();
    const queued = (await store.list({ taskId })).filter((r) => r.kind === "take" && r.sectionId === sectionId);
    list.replaceChildren(
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

  let refreshTimer = null;
  let refreshSection = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      const p = panel();
      if (!p || !globalThis.htmx || isRecording()) return;
      refreshSection = p.dataset.sectionId;
      htmx.ajax("GET", `${p.dataset.panelUrl}&refresh=1`, { target: "#panel", swap: "outerHTML" });
    }, 250);
  }
  document.body.addEventListener("htmx:beforeSwap", (e) => {
    const path = e.detail.requestConfig?.path || "";
    if (path.includes("refresh=1") && (panel()?.dataset.sectionId !== refreshSection || isRecording())) {
      e.detail.shouldSwap = false;
    }
  });

  function newestAudio() {
    return panel()?.querySelector(".takes audio") || null;
  }

  function submitNewest() {
    const first = panel()?.querySelector("#takes .take");
    const btn = first?.querySelector(".submit-take");
    if (btn) btn.click();
    else if (first) note.textContent = "The newest take is already submitted.";
    else note.textContent = "Record a take first.";
  }

  addEventListener("takestore:uploaded", (e) => {
    const { take } = e.detail;
    if (take.taskId !== taskId || take.kind !== "take") return;
    renderPending();
    if (take.sectionId === shownSection() && !isRecording()) refreshSoon();
  });
  addEventListener("takestore:rejected", (e) => {
    if (e.detail.take.taskId === taskId) renderPending();
  });
  addEventListener("takestore:changed", () => renderPending());
  addEventListener("takestore:retry", () => renderPending());
  document.body.addEventListener("htmx:afterSettle", () => renderPending());

  return { add, renderPending, newestAudio, submitNewest };
}
