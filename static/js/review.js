// Review of a task's takes from the keyboard, so a reviewer goes as fast as they can listen.
//
// Markup: templates/voicemanager/review/_panel.html (#review[data-review] with
// li[data-review-row] rows, each with audio[data-review-audio], an Approve button
// [data-review-approve] and details[data-review-retake] holding the retake form).
//
// Keys (ignored while typing, except Esc and Ctrl/Cmd+Enter in the retake form):
//   ↓ / J next row, ↑ / K previous row, N next row still to review,
//   Space / P play or pause the current row's take,
//   A approve, R open the retake form (1-9 toggle a preset note, Ctrl+Enter send, Esc close).
// After a decision htmx swaps the row; the next row to review becomes current and, when
// "Play the next take after a decision" is ticked, starts playing. Only one take plays at a time.
//
// API: initReview(section) -> {current(), move(delta), play()}; set up on load and on htmx:load.

const ROW = "[data-review-row]";

const NOT_TEXT = new Set(["checkbox", "radio", "button", "submit", "reset", "range"]);

function typing(target) {
  if (target.closest?.("textarea, select, [contenteditable=true]")) return true;
  return target.tagName === "INPUT" && !NOT_TEXT.has(target.type);
}

export function initReview(root) {
  if (!root || root.reviewUi) return root?.reviewUi;
  let currentId = null;

  const rows = () => [...root.querySelectorAll(ROW)];
  const current = () => rows().find((r) => r.id === currentId) || null;
  const autoplay = () => root.querySelector("[data-review-autoplay]")?.checked;

  const setCurrent = (row, { focus = true } = {}) => {
    for (const r of rows()) {
      r.classList.toggle("current", r === row);
      if (r === row) r.setAttribute("aria-current", "true");
      else r.removeAttribute("aria-current");
    }
    currentId = row?.id || null;
    if (row && focus) {
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  };

  const pauseAll = (except) => {
    for (const a of root.querySelectorAll("audio[data-review-audio]")) if (a !== except) a.pause();
  };

  const play = (row = current()) => {
    const audio = row?.querySelector("audio[data-review-audio]");
    if (!audio) return;
    if (audio.paused) {
      pauseAll(audio);
      audio.play().catch(() => {});
    } else audio.pause();
  };

  const move = (delta) => {
    const list = rows();
    if (!list.length) return;
    const i = list.indexOf(current());
    const next = list[Math.min(list.length - 1, Math.max(0, i < 0 ? 0 : i + delta))];
    pauseAll();
    setCurrent(next);
  };

  const nextOpen = (after = current()) => {
    const list = rows();
    const start = Math.max(0, list.indexOf(after) + 1);
    const order = [...list.slice(start), ...list.slice(0, start)];
    return order.find((r) => r.dataset.state === "open" && r.dataset.take) || null;
  };

  const openRetake = (row = current()) => {
    const details = row?.querySelector("details[data-review-retake]");
    if (!details) return;
    details.open = true;
    // Focus the first preset when there are some (1-9 toggle them), else the note.
    (details.querySelector("input[data-preset]") || details.querySelector("textarea"))?.focus();
  };

  const closeRetake = (row = current()) => {
    const details = row?.querySelector("details[data-review-retake]");
    if (details?.open) {
      details.open = false;
      row.focus({ preventScroll: true });
      return true;
    }
    return false;
  };

  root.addEventListener("click", (e) => {
    const row = e.target.closest(ROW);
    if (row && row !== current()) setCurrent(row, { focus: false });
  });
  root.addEventListener("play", (e) => {
    pauseAll(e.target);
    const row = e.target.closest(ROW);
    if (row) setCurrent(row, { focus: false });
  }, true);

  document.addEventListener("keydown", (e) => {
    if (!root.isConnected || e.altKey) return;
    const row = current() || rows()[0];
    const inForm = e.target.closest?.("details[data-review-retake]");
    if (inForm) {
      if (e.key === "Escape") {
        closeRetake(e.target.closest(ROW));
        e.preventDefault();
      } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        inForm.querySelector("form")?.requestSubmit();
        e.preventDefault();
      } else if (!typing(e.target) && /^[1-9]$/.test(e.key)) {
        const box = inForm.querySelector(`[data-preset="${e.key}"]`);
        if (box) box.checked = !box.checked;
        e.preventDefault();
      }
      return;
    }
    if (typing(e.target) || e.ctrlKey || e.metaKey) return;
    if (!current() && row) setCurrent(row, { focus: false });
    const handled = {
      ArrowDown: () => move(1), j: () => move(1),
      ArrowUp: () => move(-1), k: () => move(-1),
      n: () => { const r = nextOpen(); if (r) { pauseAll(); setCurrent(r); } },
      " ": () => play(), p: () => play(),
      a: () => current()?.querySelector("[data-review-approve]:not([disabled])")?.click(),
      r: () => openRetake(),
      Escape: () => closeRetake(),
    }[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (handled) {
      // Space on a focused button or summary would click it too; the key is ours here.
      e.preventDefault();
      handled();
    }
  });

  // A row swapped after a decision: go on to the next take to review.
  document.addEventListener("htmx:afterSwap", (e) => {
    const swapped = e.detail?.elt;
    if (!root.isConnected || !swapped?.matches?.(ROW)) return;
    if (swapped.querySelector("details[data-review-retake][open]")) { // the form came back with an error
      setCurrent(swapped);
      openRetake(swapped);
      return;
    }
    const next = nextOpen(swapped);
    if (!next) { setCurrent(swapped); return; }
    setCurrent(next);
    if (autoplay()) play(next);
  });

  const first = rows().find((r) => r.dataset.state === "open" && r.dataset.take) || rows()[0];
  if (first) setCurrent(first, { focus: false });
  root.reviewUi = { current, move, play };
  return root.reviewUi;
}

function initAll(scope = document) {
  const el = scope.matches?.("[data-review]") ? scope : scope.querySelector?.("[data-review]");
  if (el) initReview(el);
}

initAll();
document.addEventListener("htmx:load", (e) => initAll(e.detail?.elt || document));
