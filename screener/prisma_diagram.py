"""The PRISMA 2020 flow diagram, drawn from a counts object (SVG or PNG, by matplotlib).

``FlowCounts`` holds the numbers of the PRISMA 2020 boxes for one search (Page et al.
2021, "The PRISMA 2020 statement", BMJ 372:n71, figure 1, the template for new reviews
with databases and registers only). ``draw_flow`` draws one column of boxes per search:
the first search, and the update search beside it where one was imported, with the
total of studies included below (the template for updated reviews). One record is one
report and one study here: screener does not link several reports to one study.

Numbers still in progress (records awaiting a vote or a consensus, reports not yet
assessed) are printed in their box as "awaiting", so a diagram drawn mid-review never
looks finished. Nothing here reads a project: ``screener.project.team`` builds the counts.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from screener.errors import ConfigError

FORMATS = (".svg", ".png")


@dataclass(frozen=True)
class FlowCounts:
    """The numbers of one search's PRISMA 2020 flow."""

    identified: dict[str, int]  # records per source file or database (duplicates included)
    duplicates_removed: int
    records_screened: int  # title/abstract decisions made (PRISMA's "records screened")
    records_excluded: int
    reports_sought: int  # records that went on to the full texts
    reports_not_retrieved: int
    reports_assessed: int  # full texts decided
    reports_excluded: dict[str, int] = field(default_factory=dict)  # per reason
    studies_included: int = 0
    records_awaiting: int = 0  # not screened yet, awaiting a second vote or in conflict
    reports_awaiting: int = 0  # sought, retrieved or not yet marked, not assessed yet
    label: str = "Identification of studies via databases and registers"

    @property
    def identified_total(self) -> int:
        return sum(self.identified.values())

    @property
    def reports_excluded_total(self) -> int:
        return sum(self.reports_excluded.values())


def _lines(title: str, items: list[tuple[str, int]] | None = None, *, n: int | None = None,
           awaiting: int = 0, width: int = 42) -> str:
    head = f"{title} (n = {n})" if n is not None else title
    out = textwrap.wrap(head, width)
    for name, value in items or []:
        out += textwrap.wrap(f"{name} (n = {value})", width, initial_indent="  ", subsequent_indent="    ")
    if awaiting:
        out.append(f"  awaiting (n = {awaiting})")
    return "\n".join(out)


def _column_boxes(c: FlowCounts) -> list[tuple[str, str, str | None]]:
    """(phase, main box text, side box text) from top to bottom."""
    sources = [(name, n) for name, n in c.identified.items()]
    reasons = sorted(c.reports_excluded.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        ("Identification", _lines("Records identified from:", sources, width=44),
         _lines("Records removed before screening:", [("Duplicate records removed", c.duplicates_removed)])),
        ("Screening", _lines("Records screened", n=c.records_screened, awaiting=c.records_awaiting),
         _lines("Records excluded", n=c.records_excluded)),
        ("Screening", _lines("Reports sought for retrieval", n=c.reports_sought),
         _lines("Reports not retrieved", n=c.reports_not_retrieved)),
        ("Screening", _lines("Reports assessed for eligibility", n=c.reports_assessed, awaiting=c.reports_awaiting),
         _lines("Reports excluded:", reasons or [("none", 0)])),
        ("Included", _lines("Studies included in review", n=c.studies_included), None),
    ]


def draw_flow(counts: FlowCounts, out: str | Path, *, update: FlowCounts | None = None) -> Path:
    """Draw the flow diagram into ``out`` (``.svg`` or ``.png``); returns the path.

    With ``update``, the update search's flow is drawn beside the first one and a box
    gives the total of studies included in the review. SVG text stays text (searchable,
    and the tests read the numbers back).
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ConfigError(f"{out.name}: the diagram is drawn as .svg or .png; choose one of those suffixes")
    columns = [counts] + ([update] if update is not None else [])
    rows = [_column_boxes(c) for c in columns]
    line_h, pad, gap = 0.22, 0.18, 0.45
    heights = [max(max(t.count("\n") + 1, (s or "").count("\n") + 1) * line_h + 2 * pad
                   for col in rows for t, s in [(col[i][1], col[i][2])]) for i in range(len(rows[0]))]
    heights[0] = max(heights[0], 1.5)  # the phase names fit beside their boxes
    heights[-1] = max(heights[-1], 1.1)
    col_w, box_w, side_w, left = 8.2, 3.6, 3.6, 0.6
    total_h = sum(heights) + gap * (len(heights) - 1) + 1.2 + (1.3 if update is not None else 0)
    fig = Figure(figsize=(left + col_w * len(columns), total_h))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, left + col_w * len(columns))
    ax.set_ylim(0, total_h)
    ax.axis("off")
    style = dict(boxstyle="square,pad=0", linewidth=1.0, edgecolor="black")

    def box(x, y_top, w, h, text, face="white"):
        ax.add_patch(FancyBboxPatch((x, y_top - h), w, h, facecolor=face, **style))
        ax.text(x + 0.12, y_top - h / 2, text, ha="left", va="center", fontsize=9, family="DejaVu Sans")

    def arrow(x0, y0, x1, y1):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color="black", linewidth=1.0, shrinkA=0, shrinkB=0))

    tops = []
    y = total_h - 0.9
    for h in heights:
        tops.append(y)
        y -= h + gap
    for k, (col, c) in enumerate(zip(rows, columns)):
        x0 = left + k * col_w + 0.2
        header = c.label if update is None else ("Previous search: " if k == 0 else "Update search: ") + c.label
        box(x0, total_h - 0.15, box_w + side_w + 0.6, 0.5, "\n".join(textwrap.wrap(header, 80)), face="#ffd966")
        for i, ((_, main, side), top, h) in enumerate(zip(col, tops, heights)):
            box(x0, top, box_w, h, main)
            if side is not None:
                sx = x0 + box_w + 0.6
                box(sx, top, side_w, h, side)
                arrow(x0 + box_w, top - h / 2, sx, top - h / 2)
            if i + 1 < len(col):
                arrow(x0 + box_w / 2, top - h, x0 + box_w / 2, tops[i + 1])
    # the phase bars on the left
    phases = [p for p, _, _ in rows[0]]
    for phase in dict.fromkeys(phases):
        idx = [i for i, p in enumerate(phases) if p == phase]
        top, bottom = tops[idx[0]], tops[idx[-1]] - heights[idx[-1]]
        ax.add_patch(FancyBboxPatch((0.1, bottom), 0.4, top - bottom, facecolor="#9dc3e6", **style))
        ax.text(0.3, (top + bottom) / 2, phase, rotation=90, ha="center", va="center", fontsize=10,
                fontweight="bold", family="DejaVu Sans")
    if update is not None:
        total = counts.studies_included + update.studies_included
        y_top = tops[-1] - heights[-1] - 0.5
        box(left + 0.2, y_top, box_w, 0.6, f"Total studies included in review (n = {total})")
        for k in range(len(columns)):
            x = left + k * col_w + 0.2 + box_w / 2
            arrow(x, tops[-1] - heights[-1], left + 0.2 + box_w / 2 + (0.3 if k else 0), y_top)
    out.parent.mkdir(parents=True, exist_ok=True)
    fmt = out.suffix.lower()[1:]
    # text stays text; the same counts give the same file (fixed clip-path ids, no date stamp)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "screener-prisma"}):
        fig.savefig(out, format=fmt, dpi=150, metadata={"Date": None} if fmt == "svg" else None)
    return out
