/*
 * booth/store-status.js — the TakeStore and the status bar every booth page shows
 * (templates/booth/_status.html).
 *
 *   startStore() -> TakeStore
 *       Start the IndexedDB queue (it resumes whatever is pending) and keep the status bar
 *       true: #pending-count / #pending-box (takes kept in this browser), #online-state,
 *       #upload-note (why an upload is being retried; cleared when nothing is pending).
 *       Missing elements are skipped, so a page may show only part of the bar.
 */
import { TakeStore } from "../take-store.js";

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
