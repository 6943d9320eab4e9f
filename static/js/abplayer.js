// A/B player: versions of one recording (raw, denoised...) that switch at the same playback position.
//
// Markup (see templates/voicemanager/denoise/_ab_player.html):
//   <div data-ab-player>
//     <button type="button" data-ab-select="raw">A · Raw</button>
//     <button type="button" data-ab-select="file_x">B · Denoised</button>
//     <audio data-ab-variant="raw" controls preload="metadata" src="..."></audio>
//     <p data-ab-now aria-live="polite"></p>          (optional: says which version plays)
//     <audio data-ab-variant="file_x" controls preload="metadata" src="..." hidden></audio>
//   </div>
// One <audio> element per version, only the active one visible. Switching pauses
// the active element, sets the other's currentTime to the same position (after
// its metadata has loaded) and resumes playing if it was playing. The active version's
// button has aria-pressed="true" (styled as the filled one in app.css) and [data-ab-now]
// reads "Playing A · Raw" or "A · Raw selected (paused)". Keys "a"/"b"
// (or 1..9) switch while the player has focus. Players swapped in by htmx are
// set up on "htmx:load". The server streams audio with byte ranges, so seeking works.
//
// API: initAbPlayer(element) -> {select(variant), active()}; initAll(scope = document).

const SELECTOR = "[data-ab-player]";

export function initAbPlayer(root) {
  if (root.abPlayer) return root.abPlayer;
  const audios = [...root.querySelectorAll("audio[data-ab-variant]")];
  const buttons = [...root.querySelectorAll("[data-ab-select]")];
  if (!audios.length) return null;
  const now = root.querySelector("[data-ab-now]");
  let active = audios.find((a) => !a.hidden) || audios[0];

  const show = () => {
    for (const a of audios) a.hidden = a !== active;
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.abSelect === active.dataset.abVariant));
    root.dataset.abActive = active.dataset.abVariant;
    const name = buttons.find((b) => b.dataset.abSelect === active.dataset.abVariant)?.textContent.trim() || "";
    if (now) now.textContent = !active.paused && !active.ended ? `Playing ${name}` : `${name} selected (paused)`;
  };

  const select = (variant) => {
    const next = audios.find((a) => a.dataset.abVariant === variant);
    if (!next || next === active) return;
    const position = active.currentTime;
    const playing = !active.paused && !active.ended;
    active.pause();
    const resume = () => {
      try {
        next.currentTime = Math.min(position, Number.isFinite(next.duration) ? next.duration : position);
      } catch (_) { /* not seekable yet: starts from 0 */ }
      if (playing) next.play().catch(() => {});
    };
    if (next.readyState >= 1) resume();
    else {
      next.addEventListener("loadedmetadata", resume, { once: true });
      if (next.preload === "none") next.load();
    }
    active = next;
    show();
  };

  for (const b of buttons) b.addEventListener("click", () => select(b.dataset.abSelect));
  root.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea")) return;
    const i = e.key === "a" ? 0 : e.key === "b" ? 1 : Number.parseInt(e.key, 10) - 1;
    if (i >= 0 && i < audios.length) {
      select(audios[i].dataset.abVariant);
      e.preventDefault();
    }
  });
  // Only one version plays at a time even when the user uses the native controls.
  for (const a of audios) a.addEventListener("play", () => { for (const o of audios) if (o !== a) o.pause(); });
  for (const a of audios) for (const type of ["play", "pause", "ended"]) a.addEventListener(type, () => a === active && show());
  show();
  root.abPlayer = { select, active: () => active.dataset.abVariant };
  return root.abPlayer;
}

export function initAll(scope = document) {
  if (scope.matches?.(SELECTOR)) initAbPlayer(scope);
  scope.querySelectorAll?.(SELECTOR).forEach(initAbPlayer);
}

initAll();
document.addEventListener("htmx:load", (e) => initAll(e.detail?.elt || document));
