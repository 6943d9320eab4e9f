/*
 * booth/keys.js — the booth's keyboard, so a contractor can record for hours without the mouse.
 *
 *   bindKeys({toggle, play, submitLatest, go})
 *       Space / R   toggle()          (a held key does not repeat)
 *       P           play()
 *       Enter       submitLatest()    (not on a focused button or link, which Enter presses)
 *       ← ↑ / → ↓   go(-1) / go(1)
 *   Keys typed into a field, or with Ctrl/Cmd/Alt, are left alone. Space on a focused button
 *   does not also press it.
 */

export function bindKeys({ toggle, play, submitLatest, go }) {
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
}
