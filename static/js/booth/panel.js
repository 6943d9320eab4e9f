/*
 * booth/panel.js — the section panel (#panel in templates/booth/booth.html), which htmx
 * replaces whenever the contractor moves to another section or a take changes. Read it
 * afresh each time: an element kept from before a swap is stale.
 *
 *   panel() -> HTMLElement | null
 *   shownSection() -> number           the pk of the section on screen (NaN when there is none)
 *   sectionTarget() -> {sectionId, uploadUrl, position}
 *       Where a take recorded now belongs (read when Record is pressed, so moving on
 *       during the take does not move the take).
 *   isEditable() -> boolean            takes can be recorded and changed in this section
 *   goTo(taskId, delta)                open the section `delta` places away; nothing past either end
 */

export function panel() {
  return document.getElementById("panel");
}

export function shownSection() {
  return Number(panel()?.dataset.sectionId);
}

export function sectionTarget() {
  const p = panel();
  return { sectionId: Number(p.dataset.sectionId), uploadUrl: p.dataset.uploadUrl, position: Number(p.dataset.position) };
}

export function isEditable() {
  return panel()?.dataset.editable === "1";
}

export function goTo(taskId, delta) {
  const p = panel();
  const pos = Number(p.dataset.position) + delta;
  if (pos < 1 || pos > Number(p.dataset.n)) return;
  htmx.ajax("GET", `/booth/tasks/${taskId}/?s=${pos}`, { target: "#panel", swap: "outerHTML" });
}
