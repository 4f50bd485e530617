"""Review-project commands: init, import, screen, rank, status, settings, export (thin over the library)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from screener.cli._app import app, console, console_err
from screener.cli.options import output_file, reviewer_name


def _progress(message: str) -> None:
    console_err.print(f"[dim]{message}…[/]", highlight=False, soft_wrap=True)


@app.command("init")
def init_cmd(
    review: Annotated[Path, typer.Argument(help="Project folder to create.")],
    criteria: Annotated[Path, typer.Option("--criteria", "-c", help="Criteria file (.toml or text).")],
    seed: Annotated[int, typer.Option(help="Seed of every random choice in this project.")] = 0,
) -> None:
    """Create a review project (one folder: database + saved models)."""
    from screener.project import init_project

    init_project(review, criteria, seed=seed)
    console.print(f"created project {review} with criteria {criteria.name}", highlight=False, soft_wrap=True)


def _import_table(summary) -> Table:
    table = Table("file", "read", "added", "merged (duplicates)", "skipped (already there)",
                  "blank rows skipped")
    for row in summary.files.itertuples(index=False):
        table.add_row(row.file, str(row.read), str(row.added), str(row.merged), str(row.skipped),
                      str(getattr(row, "blank", 0)))
    t = summary.totals
    table.add_row("total", str(t["read"]), str(t["added"]), str(t["merged"]), str(t["skipped"]),
                  str(t["blank"]), style="bold")
    return table


@app.command("import")
def import_cmd(
    review: Annotated[Path, typer.Argument(help="Project folder.")],
    files: Annotated[list[Path], typer.Argument(help="Search exports (RIS, MEDLINE, CSV, TSV, XLSX).")],
) -> None:
    """Add records, de-duplicated within the import and against the project."""
    from screener.project import import_files

    console.print(_import_table(import_files(review, files, progress=_progress)))


@app.command("screen")
def screen_cmd(
    review: Annotated[Path, typer.Argument(help="Project folder.")],
    reviewer: Annotated[str | None, typer.Option(help="Your name in the ledger (default: login name).",
                                                 callback=reviewer_name)] = None,
    keys_from_stdin: Annotated[bool, typer.Option(
        "--keys-from-stdin", help="Read keys from stdin and print plain lines (scripts, pipes).")] = False,
    retrain: Annotated[bool, typer.Option(help="Ignore saved models and fit a new one.")] = False,
    stopping_rule: Annotated[str | None, typer.Option(
        "--stopping-rule", help="The rule whose advice the session shows and whose random checks it serves "
        "(e.g. 'biased_urn:check_share=0.02' or 'target'; default: the project's, see 'screener settings').")] = None,
    stage: Annotated[str, typer.Option("--stage", help="ta (titles and abstracts) or ft (full texts).")] = "ta",
    maybes: Annotated[bool, typer.Option("--maybes", help="Go through your own 'maybe' decisions again.")] = False,
) -> None:
    """Screen records one by one, best first: i include, e exclude, m maybe, s skip, u undo, n note, r reason, q quit."""
    from screener.project import load_pool
    from screener.project.store import Store
    from screener.session import Session
    from screener.stopping import make_rule
    from screener.tui import key_source, run

    if stopping_rule is not None:
        make_rule(stopping_rule)  # a bad spec fails here, before anything is opened
    from screener.conflicts import STAGES
    from screener.errors import ConfigError
    from screener.project.reviewers import check_reviewer, team

    if stage not in STAGES:
        raise ConfigError(f"--stage {stage!r}: use ta (titles and abstracts) or ft (full texts)")
    with Store.open(review) as store:
        # a team project names a known reviewer (default: its owner); a one-person project any name
        name = reviewer or (None if team(store).reviewers else getpass.getuser() or "reviewer")
        name = check_reviewer(store, name)  # an unknown reviewer fails before the features are built
        _progress("building features")
        session = Session(store, load_pool(store), reviewer=name, retrain=retrain, stopping_rule=stopping_rule,
                          stage=stage, maybes=maybes)
        keys, plain = key_source(keys_from_stdin)
        try:
            with keys:
                run(session, keys, console, plain=plain)
        finally:
            session.close()
        p = session.progress()
    console.print(f"stopped: {p.screened} screened, {p.included} included; "
                  f"'screener screen {review}' continues here", highlight=False, soft_wrap=True)


@app.command("rank")
def rank_cmd(
    review: Annotated[Path, typer.Argument(help="Project folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.", callback=output_file)],
    new: Annotated[list[Path] | None, typer.Option(
        "--new", help="Update search to import first; only its new records are ranked.")] = None,
    retrain: Annotated[bool, typer.Option(help="Ignore saved models and fit a new one.")] = False,
) -> None:
    """Rank unscreened records in the current model's queue order (with calibrated scores) into a CSV file."""
    from screener.project import rank_project
    from screener.project.export import escape_cells

    ranked, summary = rank_project(review, new=new or [], retrain=retrain, progress=_progress)
    if summary is not None:
        console.print(_import_table(summary))
    escape_cells(ranked).to_csv(out, index=False)  # a title starting '=' is text, not a formula
    console.print(f"ranked {len(ranked)} records into {out}", highlight=False, soft_wrap=True)


def _advice_table(advice) -> Table:
    from screener.stopping import RECOMMENDED

    table = Table("rule", "kind", "verdict", "recall (interval)", "explanation",
                  title=f"Stopping advice (target recall {advice.target:g} at {advice.confidence:.0%} confidence)")
    for v in sorted(advice.verdicts, key=lambda v: v.rule != RECOMMENDED):
        est = "-" if v.recall_estimate is None else f"{v.recall_estimate:.3f}"
        if v.recall_estimate is not None and v.interval is not None:
            est += f" ({v.interval[0]:.3f}-{v.interval[1]:.3f})"
        name = f"{v.rule} (recommended)" if v.rule == RECOMMENDED else v.rule
        table.add_row(name, "guarantee" if v.guaranteed else "heuristic", "STOP" if v.stop else "continue", est,
                      v.explanation, style="bold" if v.rule == RECOMMENDED else None)
    return table


@app.command("status")
def status_cmd(
    review: Annotated[Path, typer.Argument(help="Project folder.")],
    target: Annotated[float | None, typer.Option(help="Target recall (default: the project's settings).")] = None,
    confidence: Annotated[float | None, typer.Option(help="Confidence (default: the project's settings).")] = None,
    methods: Annotated[bool, typer.Option("--methods", help="Print a methods-section paragraph on the stopping "
                                          "decision (rule, settings, target, confidence, evidence) instead.")] = False,
    details: Annotated[bool, typer.Option("--details", help="Every rule's verdict and explanation, not only "
                                          "the recommended rule's.")] = False,
) -> None:
    """PRISMA numbers for screening, the model's state and the stopping advice (one verdict)."""
    from screener.project.advice import headline, methods_paragraph, project_advice
    from screener.project.status import project_status

    advice = project_advice(review, target=target, confidence=confidence)
    if methods:
        console.print(methods_paragraph(advice), highlight=False, soft_wrap=True)
        return
    s = project_status(review)
    table = Table("PRISMA (screening)", "records", show_lines=False)
    for source, n in s.identified.items():
        table.add_row(f"identified: {source}", str(n))
    table.add_row("identified: total", str(s.identified_total))
    table.add_row("duplicates removed", str(s.duplicates_removed))
    table.add_row("records screened", str(s.screened))
    table.add_row("records excluded", str(s.excluded))
    for reason, n in s.exclusion_reasons.items():
        table.add_row(f"  excluded: {reason}", str(n))
    table.add_row("included", str(s.included))
    table.add_row("maybe", str(s.maybe))
    table.add_row("not yet screened", str(s.not_screened))
    if any(f.reports_sought for f in s.flows):  # the full-text stage has begun
        for k, f in enumerate(s.flows):
            prefix = "" if len(s.flows) == 1 else ("first search: " if k == 0 else "update search: ")
            table.add_row(f"{prefix}reports sought for retrieval", str(f.reports_sought))
            table.add_row(f"{prefix}reports not retrieved", str(f.reports_not_retrieved))
            table.add_row(f"{prefix}reports assessed for eligibility", str(f.reports_assessed))
            for reason, n in f.reports_excluded.items():
                table.add_row(f"  {prefix}reports excluded: {reason}", str(n))
            table.add_row(f"{prefix}reports awaiting assessment", str(f.reports_awaiting))
            table.add_row(f"{prefix}studies included", str(f.studies_included))
    console.print(table)
    m = s.model
    if m.version is None:
        console.print("model: none yet (screen or rank to train one)")
    else:
        est = "" if m.estimated_unseen is None else f"; est. relevant unseen {m.estimated_unseen:.1f}"
        console.print(f"model: v{m.version} ({m.n_include} include / {m.n_exclude} exclude, {m.created})"
                      f"; file {m.path or '-'}: {m.check}"
                      f"{'' if m.up_to_date else '; not up to date with the ledger'}{est}",
                      highlight=False, soft_wrap=True)
    console.print(f"settings: {s.settings.describe()}", highlight=False, soft_wrap=True)
    console.print(f"stopping: {headline(advice)}", highlight=False, soft_wrap=True)
    if not details:
        console.print("(every rule's verdict: --details; a methods paragraph: --methods)", highlight=False)
        return
    console.print(_advice_table(advice))
    for r in advice.requests:
        console.print(f"random sample: '{r.rule}' asks for {r.n} random record{'s' if r.n > 1 else ''}, because "
                      f"{r.why}", highlight=False, soft_wrap=True)
    if advice.sample_screened or advice.sample_pending:
        console.print(f"random sample so far: {advice.sample_screened} screened, {len(advice.sample_pending)} "
                      "waiting in the session", highlight=False, soft_wrap=True)


@app.command("settings")
def settings_cmd(
    review: Annotated[Path, typer.Argument(help="Project folder.")],
    fit_policy: Annotated[str | None, typer.Option(
        "--fit-policy", help="How the model is refit as decisions arrive: warm (carry on from the last fit, "
        "what the benchmarks measure) or fresh (every fit from scratch).")] = None,
    stopping_rule: Annotated[str | None, typer.Option(
        "--stopping-rule", help="The rule sessions and 'status' follow (e.g. 'screener', 'target').")] = None,
    target: Annotated[float | None, typer.Option(help="Target recall of the stopping advice, in (0, 1).")] = None,
    confidence: Annotated[float | None, typer.Option(help="Confidence of the stopping advice, in (0, 1).")] = None,
    ranker: Annotated[str | None, typer.Option(
        "--ranker", help="interleave (word and character n-gram models' queues interleaved, the default) or "
        "word (one model on word n-grams).")] = None,
) -> None:
    """Show the project's settings (fit policy, ranker, stopping rule, target), or change the ones given."""
    from screener.project.settings import change_settings, project_settings
    from screener.project.store import Store
    from screener.settings import views_named

    views = None if ranker is None else views_named(ranker)
    with Store.open(review) as store:
        if any(v is not None for v in (fit_policy, stopping_rule, target, confidence, views)):
            settings = change_settings(store, fit_policy=fit_policy, stopping_rule=stopping_rule,
                                       target=target, confidence=confidence, views=views)
        else:
            settings = project_settings(store)
    console.print(f"settings: {settings.describe()}", highlight=False, soft_wrap=True)


@app.command("export")
def export_cmd(
    review: Annotated[Path, typer.Argument(help="Project folder.")],
    format: Annotated[str, typer.Option("--format", "-f", help="csv, tsv, xlsx or ris.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default: stdout).", callback=output_file)] = None,
) -> None:
    """Every record with its current decision, reasons, notes, reviewer, time and latest score."""
    from screener.project.export import export_project

    n, text = export_project(review, format.lower(), out)
    if text is not None:
        console.file.write(text)
    else:
        console_err.print(f"exported {n} records to {out}", highlight=False, soft_wrap=True)
