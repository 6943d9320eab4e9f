"""Server-rendered SVG plots for the quality report: one drift measure over a session.

Pure Python (no template engine, no JS build): ``measure_plot`` returns an ``<svg>`` string
with the reference band shaded, the band's median dashed, one dot per take in recording
order, outliers in red and larger. Each dot is a link to the take's audio with
``data-play``: static/js/quality.js plays it in the page's player on click (without
JavaScript the link opens the audio).
"""
from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 640, 150
PAD_L, PAD_R, PAD_T, PAD_B = 56, 12, 10, 24


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def measure_plot(name: str, label: str, points: list[dict], band: dict | None) -> str:
    """``points``: ``[{"value", "position", "url", "title"}]`` in recording order; None values are skipped."""
    vals = [p["value"] for p in points if p.get("value") is not None]
    lo_b = band.get("low") if band else None
    hi_b = band.get("high") if band else None
    span = vals + [v for v in (lo_b, hi_b) if v is not None]
    if not vals:
        return (f'<svg class="quality-plot" role="img" aria-label="{escape(label)}: no values" viewBox="0 0 {WIDTH} 40" '
                f'width="100%"><text x="{PAD_L}" y="24" class="empty">No {escape(label.lower())} measured yet.</text></svg>')
    vmin, vmax = min(span), max(span)
    if vmax - vmin < 1e-9:
        vmin, vmax = vmin - 1, vmax + 1
    margin = (vmax - vmin) * 0.08
    vmin, vmax = vmin - margin, vmax + margin
    n = len(points)
    inner_w, inner_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B

    def x(i: int) -> float:
        return PAD_L + (inner_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return PAD_T + inner_h * (1 - (v - vmin) / (vmax - vmin))

    out = [f'<svg class="quality-plot" data-measure="{escape(name)}" role="img" aria-label="{escape(label)} per take" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet">',
           f'<rect class="frame" x="{PAD_L}" y="{PAD_T}" width="{inner_w}" height="{inner_h}" fill="none" stroke="#ccc"/>']
    if band:
        top = y(hi_b) if hi_b is not None else PAD_T
        bottom = y(lo_b) if lo_b is not None else PAD_T + inner_h
        out.append(f'<rect class="band" x="{PAD_L}" y="{top:.1f}" width="{inner_w}" height="{max(0.0, bottom - top):.1f}" '
                   f'fill="#2e7d32" fill-opacity="0.12"><title>Reference band</title></rect>')
        if band.get("median") is not None:
            ym = y(band["median"])
            out.append(f'<line class="median" x1="{PAD_L}" x2="{PAD_L + inner_w}" y1="{ym:.1f}" y2="{ym:.1f}" '
                       f'stroke="#2e7d32" stroke-dasharray="4 3"/>')
    for v, yy in ((vmax - margin, PAD_T + 10), (vmin + margin, PAD_T + inner_h - 2)):
        out.append(f'<text class="tick" x="{PAD_L - 6}" y="{yy:.1f}" text-anchor="end" font-size="11">{_fmt(v)}</text>')
    out.append(f'<text class="axis" x="{PAD_L}" y="{HEIGHT - 6}" font-size="11">take 1</text>')
    out.append(f'<text class="axis" x="{PAD_L + inner_w}" y="{HEIGHT - 6}" font-size="11" text-anchor="end">take {n}</text>')
    for i, p in enumerate(points):
        if p.get("value") is None:
            continue
        outlier = p.get("position") in ("low", "high")
        cls = "point outlier" if outlier else "point"
        r, colour = (5, "#c62828") if outlier else (3.5, "#1565c0")
        title = escape(p.get("title") or f"take {i + 1}")
        circle = (f'<circle class="{cls}" cx="{x(i):.1f}" cy="{y(p["value"]):.1f}" r="{r}" fill="{colour}">'
                  f'<title>{title}: {_fmt(p["value"])}{" (outside the band)" if outlier else ""}</title></circle>')
        if p.get("url"):
            url = escape(p["url"], quote=True)
            out.append(f'<a href="{url}" data-play="{url}" aria-label="Play {title}">{circle}</a>')
        else:
            out.append(circle)
    out.append("</svg>")
    return "".join(out)
