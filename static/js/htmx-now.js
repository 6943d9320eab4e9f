/*
 * htmx-now.js: wire swapped-in content at once, on every page.
 *
 * htmx processes new content (hx-post, hx-get…) only when it settles, a timer after the swap.
 * On a busy machine that timer runs late, and a click or key in between submits a form natively:
 * the page reloads (in the booth that closes the microphone). Processing on htmx:afterSwap, which
 * fires right after the swap, closes that window; processing twice is a no-op in htmx.
 */
document.addEventListener("htmx:afterSwap", (e) => globalThis.htmx?.process(e.target));
