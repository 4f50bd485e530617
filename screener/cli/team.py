"""Team-workflow commands: reviewers, modes, reasons, votes, conflicts, agreement, full texts, PRISMA, ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from screener.cli._app import app, console

reviewers_app = typer.Typer(help="A project's reviewers and their roles.", no_args_is_help=True)
reasons_app = typer.Typer(help="The project's exclusion reasons (criteria file + custom).", no_args_is_help=True)
fulltext_app = typer.Typer(help="The full-text stage: attach PDFs, mark reports not retrieved.", no_args_is_help=True)
app.add_typer(reviewers_app, name="reviewers")
app.add_typer(reasons_app, name="reasons")
app.add_typer(fulltext_app, name="fulltext")

Project = Annotated[Path, typer.Argument(help="Project folder.")]
Stage = Annotated[str, typer.Option("--stage", help="ta (titles and abstracts) or ft (full texts).")]


def _say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True, markup=False)


def _store(review: Path):
    from screener.project.store import Store

    return Store.open(review)


@reviewers_app.command("add")
def reviewers_add(review: Project, name: Annotated[str, typer.Argument(help="The reviewer's name.")],
                  role: Annotated[str, typer.Option(help="owner, reviewer or adjudicator.")] = "reviewer",
                  password_stdin: Annotated[bool, typer.Option(
                      "--password-stdin", help="Read a password for the browser app from stdin.")] = False) -> None:
    """Add a reviewer (the first one is the project's owner)."""
    from screener.project.reviewers import add_reviewer

    password = _read_password() if password_stdin else None  # checked before the reviewer is added
    with _store(review) as store:
        r = add_reviewer(store, name, role)
        if password is not None:
            from screener.web.accounts import set_password

            set_password(store, r.name, password)
    _say(f"added {r.name} ({r.role})" + (", who can log in to 'screener serve'" if password else ""))


def _read_password() -> str:
    """The first line of stdin, checked (and the browser extra present) before anything is written."""
    import sys

    from screener.errors import ConfigError
    from screener.web import require_extra
    from screener.web.accounts import MAX_PASSWORD, MIN_PASSWORD

    require_extra()
    if sys.stdin.isatty():  # typed, not echoed
        import getpass

        password = getpass.getpass("password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ConfigError(f"--password-stdin: a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters "
                          "on the first line of stdin")
    return password


@reviewers_app.command("password")
def reviewers_password(review: Project, name: Annotated[str, typer.Argument(help="The reviewer's name.")],
                       password_stdin: Annotated[bool, typer.Option(
                           "--password-stdin", help="Read the new password from stdin.")] = False) -> None:
    """Set or change a reviewer's password for the browser app."""
    from screener.errors import ConfigError
    from screener.web.accounts import set_password

    if not password_stdin:
        raise ConfigError("pass the password on stdin: --password-stdin (never on the command line)")
    password = _read_password()
    with _store(review) as store:
        set_password(store, name, password)
    _say(f"{name} can log in to 'screener serve' with the new password")


@reviewers_app.command("role")
def reviewers_role(review: Project, name: Annotated[str, typer.Argument(help="The reviewer's name.")],
                   role: Annotated[str, typer.Argument(help="owner, reviewer or adjudicator.")]) -> None:
    """Change a reviewer's role (a project keeps at least one owner)."""
    from screener.project.reviewers import set_role

    with _store(review) as store:
        r = set_role(store, name, role)
    _say(f"{r.name} is now {r.role}")


@reviewers_app.command("list")
def reviewers_list(review: Project) -> None:
    """The reviewers, their roles and each stage's screening mode."""
    from screener.project.reviewers import team

    with _store(review) as store:
        t = team(store)
    table = Table("reviewer", "role", "added")
    for r in t.reviewers:
        table.add_row(r.name, r.role, r.added_at)
    console.print(table)
    _say(f"title/abstract: {t.modes['ta']} · full text: {t.modes['ft']}"
         f"{' · blind' if t.blind else ' · not blind'}" + ("" if t.reviewers else " · no reviewers yet (any name)"))


@app.command("mode")
def mode_cmd(review: Project, stage: Stage = "ta",
             mode: Annotated[str, typer.Option("--mode", help="single or dual.")] = "dual",
             blind: Annotated[bool | None, typer.Option("--blind/--no-blind", help="Blind dual screening "
                                                           "(default: unchanged; new projects are blind).")] = None) -> None:
    """Set a stage's screening mode: single (one vote decides) or dual independent screening."""
    from screener.project.reviewers import set_mode

    with _store(review) as store:
        t = set_mode(store, stage, mode, blind=blind)
    _say(f"{stage}: {t.modes[stage]} screening{' (blind)' if t.blind and t.modes[stage] == 'dual' else ''}")


@reasons_app.command("add")
def reasons_add(review: Project, reason: Annotated[str, typer.Argument(help="The reason's text.")],
                by: Annotated[str | None, typer.Option("--by", help="Who adds it (default: the project's).")] = None) -> None:
    """Add a custom exclusion reason to the project's list."""
    from screener.project.reviewers import add_reason

    with _store(review) as store:
        reasons = add_reason(store, reason, by=by)
    _say(f"{len(reasons)} reasons: " + "; ".join(reasons))


@reasons_app.command("list")
def reasons_list(review: Project) -> None:
    """The project's exclusion reasons, numbered as the session's r key offers them."""
    from screener.project.reviewers import exclusion_reasons

    with _store(review) as store:
        for i, r in enumerate(exclusion_reasons(store), 1):
            _say(f"{i}) {r}")


@app.command("decide")
def decide_cmd(review: Project, record: Annotated[int, typer.Argument(help="Record id.")],
               label: Annotated[str, typer.Option("--label", help="include, exclude or maybe.")],
               reviewer: Annotated[str | None, typer.Option(help="Who decides (default: the project's).")] = None,
               stage: Stage = "ta",
               reason: Annotated[list[str] | None, typer.Option("--reason", help="An exclusion reason (repeat).")] = None,
               tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeat).")] = None,
               note: Annotated[str | None, typer.Option(help="A note.")] = None) -> None:
    """Record or change a decision (a new ledger row; several reasons and tags allowed)."""
    from screener.project.votes import cast_vote

    with _store(review) as store:
        ledger_id = cast_vote(store, record, label, reviewer=reviewer, stage=stage, reasons=reason or (),
                              tags=tag or (), note=note)
    _say(f"saved #{ledger_id}: {label} record {record}")


@app.command("decisions")
def decisions_cmd(review: Project,
                  reviewer: Annotated[str | None, typer.Option(help="Whose decisions (default: the project's).")] = None,
                  label: Annotated[str | None, typer.Option(help="Only this label (e.g. maybe).")] = None,
                  stage: Annotated[str | None, typer.Option("--stage", help="ta or ft (default: both).")] = None,
                  search: Annotated[str | None, typer.Option(help="Words in the title.")] = None) -> None:
    """A reviewer's current decisions (their latest per record), to list, search and revisit."""
    from screener.project.votes import reviewer_decisions

    with _store(review) as store:
        rows = reviewer_decisions(store, reviewer, stage=stage, label=label, search=search)
    table = Table("ledger #", "stage", "record", "label", "reason", "decided", "title")
    for r in rows.itertuples():
        table.add_row(str(r.ledger_id), r.stage, str(r.record_id), r.label, r.reason or "", r.decided_at,
                      str(r.title)[:70])
    console.print(table)
    _say(f"{len(rows)} decisions")


@app.command("conflicts")
def conflicts_cmd(review: Project, stage: Stage = "ta") -> None:
    """Records whose votes disagree (who voted, not how: the resolving vote stays unbiased)."""
    from screener.project.consensus import conflicts

    with _store(review) as store:
        rows = conflicts(store, stage)
    table = Table("record", "conflict", "voters", "title")
    for r in rows.itertuples():
        table.add_row(str(r.record_id), r.conflict, r.voters, str(r.title)[:80])
    console.print(table)
    _say(f"{len(rows)} conflicts at the {stage} stage")


@app.command("resolve")
def resolve_cmd(review: Project, record: Annotated[int, typer.Argument(help="Record id.")],
                label: Annotated[str, typer.Option("--label", help="The consensus decision.")],
                by: Annotated[str | None, typer.Option("--by", help="Adjudicator, or the voters: alice+bob.")] = None,
                reason: Annotated[str | None, typer.Option(help="Exclusion reason from the list.")] = None,
                note: Annotated[str | None, typer.Option(help="Why (the consensus reasoning).")] = None,
                stage: Stage = "ta") -> None:
    """Record the consensus decision on a conflict (every vote stays in the ledger)."""
    from screener.project.consensus import resolve

    with _store(review) as store:
        ledger_id = resolve(store, record, label, by=by, reason=reason, stage=stage, note=note)
    _say(f"saved #{ledger_id}: consensus {label} record {record}")


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


@app.command("agreement")
def agreement_cmd(review: Project) -> None:
    """Agreement per stage and reviewer pair: raw agreement, Cohen's kappa, PABAK, with counts."""
    from screener.conflicts import STAGE_NAMES
    from screener.project.consensus import project_agreement

    results = project_agreement(review)
    _say("Agreement per stage and reviewer pair (each reviewer's latest vote; title/abstract: maybe counts "
         "as include)")
    for stage, pairs in results.items():
        for r in pairs:
            _say(f"{STAGE_NAMES[stage]} · {r.a} / {r.b}: {r.n} records, {r.n_agree} agree "
                 f"(both include {r.count('include', 'include')}, {r.a} include / {r.b} exclude "
                 f"{r.count('include', 'exclude')}, {r.a} exclude / {r.b} include {r.count('exclude', 'include')}, "
                 f"both exclude {r.count('exclude', 'exclude')}) · raw {_fmt(r.observed)} · "
                 f"kappa {_fmt(r.kappa)} · PABAK {_fmt(r.pabak)}")
    if not any(results.values()):
        _say("no record has votes from two reviewers yet")


@app.command("prisma")
def prisma_cmd(review: Project, out: Annotated[Path, typer.Option("--out", "-o", help="flow.svg or flow.png")]) -> None:
    """Draw the PRISMA 2020 flow diagram from the ledger (the counts 'status' shows)."""
    from screener.project.flow import draw_project_flow

    path, flows = draw_project_flow(review, out)
    included = sum(f.studies_included for f in flows)
    _say(f"wrote {path}: {flows[0].identified_total} identified, {included} studies included"
         + (" (first and update search)" if len(flows) > 1 else ""))


@fulltext_app.command("attach")
def fulltext_attach(review: Project, record: Annotated[int, typer.Argument(help="Record id.")],
                    pdf: Annotated[Path, typer.Argument(help="The report as a PDF (copied into the project).")],
                    reviewer: Annotated[str | None, typer.Option(help="Who attaches it.")] = None) -> None:
    """Attach a record's full text (a checked PDF, copied into the project folder)."""
    from screener.project.fulltext import attach_report

    with _store(review) as store:
        dest = attach_report(store, record, pdf, reviewer=reviewer)
    _say(f"attached {pdf.name} to record {record} as {dest.relative_to(review.resolve()) if dest.is_relative_to(review.resolve()) else dest.name}")


@fulltext_app.command("not-retrieved")
def fulltext_not_retrieved(review: Project, record: Annotated[int, typer.Argument(help="Record id.")],
                           reviewer: Annotated[str | None, typer.Option(help="Who marks it.")] = None,
                           note: Annotated[str | None, typer.Option(help="Why (e.g. asked the authors).")] = None) -> None:
    """Mark a record's report as not retrieved (PRISMA counts it so)."""
    from screener.project.fulltext import mark_not_retrieved

    with _store(review) as store:
        mark_not_retrieved(store, record, reviewer=reviewer, note=note)
    _say(f"record {record}: report not retrieved")


@fulltext_app.command("get")
def fulltext_get(review: Project, record: Annotated[int, typer.Argument(help="Record id.")],
                 out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the PDF.")]) -> None:
    """Write a record's attached PDF to a file."""
    from screener.project.fulltext import copy_report

    with _store(review) as store:
        copy_report(store, record, out)
    _say(f"wrote {out}")


@app.command("ledger")
def ledger_cmd(review: Project, out: Annotated[Path, typer.Option("--out", "-o", help="ledger.csv or ledger.xlsx")]) -> None:
    """Export the whole ledger: every vote, resolution, undo, reason, note, report and model version."""
    from screener.project.ledger_export import export_ledger

    n = export_ledger(review, out)
    _say(f"exported {n} ledger rows to {out}")
