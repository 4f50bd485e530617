"""Writing a stopping sweep's results: one JSON line per run, the per-pool summary, markdown
tables and the plots (the files under benchmarks/results/ that the README quotes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from screener.experiments.summary import summarise
from screener.model import library_versions


def markdown_table(summary: pd.DataFrame, target: float | None = None, pool: str = "all") -> str:
    """The overall table (one row per rule) for one target, or for each target."""
    s = summary[summary["pool"] == pool]
    if target is not None:
        s = s[np.isclose(s["target"], target)]
    s = s.sort_values(["target", "excess"])
    lines = ["| target | rule | kind | runs | recall at stop | reliability [Wilson 95%] | effort | excess effort |",
             "|--:|---|---|--:|--:|--:|--:|--:|"]
    for _, r in s.iterrows():
        kind = "guarantee" if r["guaranteed"] else "heuristic"
        lines.append(f"| {r['target']:g} | {r['rule']} | {kind} | {r['runs']} | {r['recall']:.3f} | "
                     f"{r['reliability']:.3f} [{r['reliability_lo']:.3f}, {r['reliability_hi']:.3f}] | "
                     f"{r['effort']:.3f} | {r['excess']:.3f} |")
    return "\n".join(lines) + "\n"


def write_jsonl(path: Path, records, extra: dict | None = None, mode: str = "w") -> Path:
    """``records`` (dicts) as JSON lines, each with ``extra``'s fields added."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode) as fh:
        fh.writelines(json.dumps({**rec, **(extra or {})}, default=float) + "\n" for rec in records)
    return path


def read_jsonl(path: str | Path) -> pd.DataFrame:
    return pd.DataFrame([json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()])


def summary_report(summary: pd.DataFrame, title: str, extra: dict | None = None) -> str:
    """The markdown report of a summary: settings, then the table over all pools and per pool."""
    parts = [f"# {title}\n"]
    if extra:
        parts.append("\n" + "".join(f"- {k}: {v}\n" for k, v in extra.items()))
    parts.append("\n## All pools\n\n" + markdown_table(summary))
    for pool in sorted(p for p in summary["pool"].unique() if p != "all"):
        parts.append(f"\n## {pool}\n\n" + markdown_table(summary, pool=pool))
    return "".join(parts)


SUMMARY_COLUMNS = ["pool", "rule", "target", "guaranteed", "runs", "reached", "recall", "reliability", "reliability_lo",
                   "reliability_hi", "effort", "excess"]


def report_from_summary(summary_path: str | Path, table_path: str | Path, title: str) -> Path:
    """Rebuild a sweep's markdown report from its summary file alone (no per-run rows); the
    settings recorded in the summary lines head it."""
    lines = read_jsonl(summary_path)
    settings = {k: lines[k].iloc[-1] for k in lines.columns if k not in SUMMARY_COLUMNS}
    settings["summary"] = Path(summary_path).name
    path = Path(table_path)
    path.write_text(summary_report(lines[[c for c in SUMMARY_COLUMNS if c in lines.columns]], title, settings))
    return path


def write_reports(rows: pd.DataFrame, out_dir: str | Path, *, stem: str = "stopping", extra: dict | None = None,
                  plots: bool = True, title: str = "Stopping rules: recall at stop, reliability, effort") -> dict[str, Path]:
    """Write ``<stem>.jsonl`` (one line per pool × seed × rule × target, with the library versions and
    ``extra``'s scalar settings), ``<stem>_summary.jsonl`` (per rule, target and pool, with the same
    settings), ``<stem>.md`` (overall and per-pool tables) and the plots (``<stem>_effort_recall`` and
    ``<stem>_reliability``, each SVG and PNG); returns the paths."""
    out_dir = Path(out_dir)
    summary = summarise(rows)
    paths = {"runs": out_dir / f"{stem}.jsonl", "summary": out_dir / f"{stem}_summary.jsonl", "table": out_dir / f"{stem}.md"}
    per_line = {k: v for k, v in (extra or {}).items() if not isinstance(v, (dict, list))}
    write_jsonl(paths["runs"], rows.to_dict("records"), {**per_line, "versions": library_versions()})
    write_jsonl(paths["summary"], summary.to_dict("records"), per_line)
    paths["table"].write_text(summary_report(summary, title, extra))
    if plots:
        from screener.experiments.plots import plot_effort_recall, plot_reliability

        for name, written in (("effort_plot", plot_effort_recall(rows, out_dir / f"{stem}_effort_recall")),
                              ("reliability_plot", plot_reliability(summary, out_dir / f"{stem}_reliability",
                                                                    rows=rows))):
            for p in written:  # SVG and 300-dpi PNG
                paths[name if p.suffix == ".png" else f"{name}_{p.suffix[1:]}"] = p
    return paths
