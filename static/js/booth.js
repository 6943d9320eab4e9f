/*
 * booth.js — the recording booth page (templates/booth/booth.html, <section id="booth">).
 * It only wires the parts in ./booth/ together; each part's header says what it does.
 *
 * A take belongs to the section shown when Record was pressed. Every take goes into the
 * TakeStore before any upload and leaves it only when the server confirms its sha256.
 * When the booth is ready, #booth gets data-ready="1" and globalThis.booth holds
 * {store, rec, toggle, play, submitLatest, go} (for debugging and the browser tests).
 */
import { bindKeys } from "./booth/keys.js";
import { goTo, isEditable, sectionTarget, shownSection } from "./booth/panel.js";
import { createRecorderControls } from "./booth/recorder-controls.js";
import { startStore } from "./booth/store-status.js";
import { createTakeList } from "./booth/take-list.js";
import { createVerdictPanel } from "./booth/verdict-panel.js";
import { watchVoiceChecks } from "./booth/voice-check.js";

function initBooth(root) {
  const taskId = root.dataset.task;
  const $ = (id) => document.getElementById(id);
  const playButton = $("play-btn");
  const note = $("upload-note");
  const store = startStore();
  const verdict = createVerdictPanel({
    taskId, box: $("latest"), state: $("latest-state"), reasons: $("latest-qc"), wave: $("take-wave"), note,
  });
  watchVoiceChecks({ taskId, box: $("latest-voice"), breakNote: $("break-note") });
  const controls = createRecorderControls({
    root,
    maxSeconds: Number(root.dataset.maxSeconds || 60),
    button: $("rec-btn"), device: $("device"), meter: $("meter"), wave: $("live-wave"),
    clip: $("clip-warning"), warning: $("fallback-warning"), note,
    canStart: isEditable,
    target: sectionTarget,
    onStart: () => verdict.pause(),
    onTake: async (take, target) => {
      verdict.show(take, target.sectionId);
      playButton.disabled = false;
      try {
        verdict.queued((await takes.add(take, target)).clientId);
      } catch (err) {
        verdict.notKept(take.blob, err);
      }
      takes.renderPending();
    },
  });
  const { rec } = controls;
  const takes = createTakeList({ store, taskId, list: $("pending-takes"), note, isRecording: () => rec.isRecording });

  const playable = () => verdict.isFor(shownSection()) || !!takes.newestAudio();
  function play() {
    if (rec.isRecording) return;
    (verdict.play(shownSection()) ?? takes.newestAudio()?.play())?.catch(controls.showError);
  }
  function submitLatest() {
    if (!rec.isRecording) takes.submitNewest();
  }
  function go(delta) {
    if (!controls.active()) goTo(taskId, delta);
  }

  playButton.addEventListener("click", play);
  $("submit-latest").addEventListener("click", submitLatest);
  document.body.addEventListener("htmx:afterSettle", () => (playButton.disabled = !playable()));
  playButton.disabled = !playable();
  bindKeys({ toggle: controls.toggle, play, submitLatest, go });
  takes.renderPending();
  globalThis.booth = { store, rec, toggle: controls.toggle, play, submitLatest, go };
  root.dataset.ready = "1";
}

const root = document.getElementById("booth");
if (root) initBooth(root);
