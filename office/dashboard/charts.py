"""Bar charts for the overview (the map is mapview.py).

Each chart is a table of rows — a label, a `<meter>` for the bar, the count — not a scaled
SVG: an SVG drawn 460 units wide shrinks its text with the card, and at 360 px the labels
came out about 7 px high. A table keeps the page's own font size at every width, wraps long
labels instead of cutting them, and reads to a screen reader as what it is (label, count).
`<meter>` draws the bar without an inline style, which the dashboard's CSP forbids."""
from __future__ import annotations

from html import escape


def bars(items: list[tuple[str, int]], title: str, empty: str = "") -> str:
    """A row per item; with no items the `empty` sentence, so a card never looks broken."""
    if not items:
        return f'<p class="muted">{escape(empty)}</p>'
    top = max(n for _, n in items) or 1
    out = [f'<table class="chart" aria-label="{escape(title)}"><tbody>']
    for label, n in items:
        out.append(f'<tr><th scope="row" class="lbl">{escape(label)}</th>'
                   f'<td class="bar"><meter min="0" max="{top}" value="{n}" aria-hidden="true">{n}</meter></td>'
                   f'<td class="num">{n}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)
