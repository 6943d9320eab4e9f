// Quality report: a click on a plotted take plays it in the page's player (no navigation).
const player = document.getElementById("quality-player");
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-play]");
  if (!link || !player) return;
  event.preventDefault();
  player.src = link.getAttribute("data-play");
  player.dataset.playing = link.getAttribute("data-play");
  player.play().catch(() => {});
});
