/*
 * booth/verdicts.js — how the booth pages say things about a recording.
 *
 *   renderVerdicts(el, qc, {all = true})
 *       Replace el's content with the server's plain-language QC verdicts (qc.verdicts:
 *       [{level, title, reason, advice}]) as <ul class="verdicts">; all: false leaves out
 *       the ones at level "ok".
 *   setBadge(el, text, level = "")
 *       Make el a badge ("ok" | "warn" | "fail" colours it).
 */

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
