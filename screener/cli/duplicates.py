"""``screener duplicates``: the project's merges with their evidence, flagged pairs, unmerging."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from screener.cli._app import app, console


@app.command("duplicates")
def duplicates_cmd(
    review: Annotated[Path, typer.Argument(help="Project folder.")],
    unmerge: Annotated[list[int] | None, typer.Option(
        "--unmerge", help="Put this merged record back in the pool (a kept record's id: its whole group). "
        "Repeat for several.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write every merge with its evidence here (CSV).")] = None,
) -> None:
    """List every merge with its evidence and the pairs flagged but kept apart; undo merges."""
    from screener.project.duplicates import flagged, merges
    from screener.project.duplicates import unmerge as unmerge_records
    from screener.project.export import escape_cells

    if unmerge:
        back = unmerge_records(review, unmerge)
        console.print(f"{len(back)} record(s) back in the pool: {', '.join(map(str, back))}", highlight=False)
        return
    table = merges(review)
    if out:
        escape_cells(table).to_csv(out, index=False)
        console.print(f"{len(table)} merge(s) written to {out}", highlight=False)
    view = Table("kept", "duplicate", "source", "title", "evidence", title=f"{len(table)} merged record(s)")
    for row in table.itertuples(index=False):
        view.add_row(str(row.kept_id), str(row.duplicate_id), str(row.duplicate_source),
                     str(row.duplicate_title)[:60], str(row.evidence))
    console.print(view)
    pairs = flagged(review)
    if len(pairs):
        kept_apart = Table("record", "record", "why kept apart", "evidence", title=f"{len(pairs)} flagged pair(s)")
        for row in pairs.itertuples(index=False):
            kept_apart.add_row(str(row.id_1), str(row.id_2), str(row.reason), str(row.evidence))
        console.print(kept_apart)
    console.print("undo a merge with: screener duplicates REVIEW --unmerge ID", highlight=False)
