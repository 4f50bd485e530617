"""``screener read``: record files into one table, with the duplicate groups across them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from screener.cli._app import app, console
from screener.cli.options import output_file
from screener.labels import LABEL_COLUMN


@app.command()
def read(
    files: list[Path] = typer.Argument(..., help="Record files: CSV, TSV, XLSX, RIS, PubMed MEDLINE/.nbib."),
    out: Path = typer.Option(None, help="Write the combined records table here (CSV).", callback=output_file),
    duplicates: Path = typer.Option(None, help="Write the duplicate groups here (CSV).", callback=output_file),
) -> None:
    """Read record files into one table and report duplicate groups across them (nothing is dropped)."""
    from screener.dedup import duplicate_report, find_duplicates
    from screener.readers import read_records

    records = read_records(files)
    found = find_duplicates(records)
    groups = found.groups
    report = duplicate_report(records, found)
    table = Table(title=f"{len(records)} records from {len(files)} file(s)")
    for col in ("source", "records", "with abstract", "labelled"):
        table.add_column(col, justify="left" if col == "source" else "right")
    label = LABEL_COLUMN if LABEL_COLUMN in records.columns else None
    for source, g in records.groupby("source", sort=False):
        table.add_row(str(source), str(len(g)), str(int((g["abstract"] != "").sum())),
                      str(int(g[label].notna().sum())) if label else "-")
    console.print(table)
    merged = report[report["status"] == "merged"]
    console.print(f"{len(merged)} duplicate group(s) holding {int(merged['size'].sum())} records "
                  f"(same DOI or PMID, or title, authors, year and venue alike; different DOIs never), "
                  f"{len(report) - len(merged)} pair(s) flagged (preprint or erratum); all records kept in the table.")
    from screener.project.export import escape_cells

    if out:
        escape_cells(records.assign(duplicate_group=groups)).to_csv(out, index=False)
        console.print(f"records written to {out}")
    if duplicates:
        escape_cells(report).to_csv(duplicates, index=False)
        console.print(f"duplicate groups written to {duplicates}")
