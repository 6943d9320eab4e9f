/*
 * booth/voice-check.js — after a take is stored, a worker compares it with the consent
 * recording and measures its drift; this polls the take's voice URL until it has, then shows
 * the verdict and the drift warnings in plain words (#latest-voice), and the break reminder
 * (#break-note) that every upload answer carries.
 *
 *   watchVoiceChecks({taskId, box, breakNote})
 */
export function watchVoiceChecks({ taskId, box, breakNote }) {
  let watching = null; // clientId of the take being followed: a newer take replaces it

  function showBreak(b) {
    if (!breakNote || !b) return;
    breakNote.hidden = !b.due;
    breakNote.textContent = b.due ? b.message : "";
  }

  function render(v) {
    const lines = [];
    if (v.state === "done" && v.verdict === "different") lines.push(["message-error speaker-different", v.message]);
    else if (v.state === "done" && v.verdict === "unsure") lines.push(["message-warning speaker-unsure", v.message]);
    for (const w of v.warnings || []) lines.push([`message-warning drift drift-${w.code}`, w.message]);
    box.replaceChildren(...lines.map(([cls, text]) => {
      const p = document.createElement("p");
      p.className = `message ${cls}`;
      p.textContent = text;
      return p;
    }));
    box.dataset.state = v.state;
    if (v.verdict) box.dataset.verdict = v.verdict;
  }

  async function follow(url, clientId) {
    for (let i = 0; i < 40 && watching === clientId; i++) {
      await new Promise((r) => setTimeout(r, i < 5 ? 1000 : 3000));
      if (watching !== clientId) return;
      try {
        const resp = await fetch(url, { headers: { Accept: "application/json" } });
        if (!resp.ok) return;
        const v = await resp.json();
        showBreak(v.break);
        if (v.state === "pending" || v.state === "running") continue;
        render(v);
        return;
      } catch { /* offline for a moment: try again */ }
    }
  }

  addEventListener("takestore:uploaded", (e) => {
    const { take, response } = e.detail;
    if (!box || take.taskId !== taskId || take.kind !== "take") return;
    showBreak(response.break);
    if (!response.voice_url) return;
    watching = take.clientId;
    box.replaceChildren();
    delete box.dataset.verdict;
    box.dataset.state = "pending";
    follow(response.voice_url, take.clientId);
  });
}
