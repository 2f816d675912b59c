"""The derive queue's health for admins: per consumer, what is queued, what keeps failing
(with its last error) and since when — the same figures as `jaga-desa office status`."""
from __future__ import annotations

from fastapi.responses import Response

from office.derive import queue

from ..web import Ctx, page, render

TEXT = {"title": ("Kesehatan olah data laporan", "Derive health"),
        "intro": ("Setelah laporan disimpan, kantor mengolahnya di belakang: kata pencarian, deteksi dini, "
                  "kunci roll-up, webhook. Antrean kosong berarti semua sudah diolah.",
                  "After a report is stored the office derives from it in the background: search words, "
                  "early warning, roll-up keys, webhooks. An empty queue means everything is derived."),
        "consumer": ("Pengolah", "Consumer"), "queued": ("Antre", "Queued"), "failing": ("Gagal, diulang", "Failing, retried"),
        "oldest": ("Jatuh tempo terlama", "Oldest due"), "error": ("Galat terakhir", "Last error"),
        "empty": ("Antrean kosong: semua laporan sudah diolah.", "The queue is empty: every report is derived.")}


def _t(key: str, lang: str) -> str:
    return TEXT[key][1 if lang == "en" else 0]


@page("GET", "/admin/derive", "admin")
def derive_health(ctx: Ctx) -> Response:
    jobs = queue.pending(ctx.conn)
    rows = [{"name": name, **j} for name, j in sorted(jobs.items())]
    return render(ctx, "derive.html", rows=rows, text={k: _t(k, ctx.lang) for k in TEXT})
