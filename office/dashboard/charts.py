"""Inline SVG bar charts (the map is mapview.py)."""
from __future__ import annotations

from html import escape


def bars(items: list[tuple[str, int]], title: str, width: int = 460, empty: str = "") -> str:
    """An SVG bar per item; with no items the `empty` sentence, so a card never looks broken."""
    if not items:
        return f'<p class="muted">{escape(empty)}</p>'
    row, label_w = 22, 190
    top = max(n for _, n in items) or 1
    h = row * len(items) + 4
    out = [f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {h}" width="100%" '
           f'class="chart"><title>{escape(title)}</title>']
    for i, (label, n) in enumerate(items):
        y = i * row + 2
        w = max(2, int((width - label_w - 50) * n / top))
        short = label if len(label) <= 24 else label[:23] + "…"
        out.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="lbl">{escape(short)}'
                   f'<title>{escape(label)}</title></text>'
                   f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 6}" class="bar"/>'
                   f'<text x="{label_w + w + 5}" y="{y + 15}" class="num">{n}</text>')
    out.append("</svg>")
    return "".join(out)
