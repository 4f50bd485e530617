"""Terminal side of a session: rich rendering of a ``View`` and single-key input.

On a terminal, keys are read one at a time in cbreak mode and the screen is
redrawn after each. Without a terminal (a pipe, a script) keys are read from the
stream character by character and the output is plain lines: one per record shown
and one per committed decision (``saved #N: ...``), flushed at once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import IO

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from screener.session import HELP, Session, View


def _highlighted(text: str, view: View, style: str = "") -> Text:
    out = Text(text or "", style=style)
    if view.highlight is not None:
        out.highlight_regex(view.highlight, style="bold yellow")
    if view.highlight_exclude is not None:  # the criteria's exclusion terms
        out.highlight_regex(view.highlight_exclude, style="bold red")
    return out


def progress_line(view: View) -> str:
    p = view.progress
    training = " (retraining…)" if p.training else ""
    return (f"screened {p.screened}/{p.pool} ({p.share:.1%}) · included {p.included} · "
            f"excluded {p.excluded} · maybe {p.maybe} · est. relevant unseen "
            f"{p.estimated_unseen:.1f} · model v{p.model_version}{training}")


def why_lines(rec: dict) -> list[str]:
    """'ranked up by: term +0.41 · ...' and, when asked for, 'held back by: ...'."""
    lines = []
    view = " (the character view, in words)" if rec.get("why_view") == "character" else ""
    for key, lead in (("why_up", "ranked up by"), ("why_down", "held back by")):
        if rec.get(key):
            lines.append(f"{lead}{view}: " + " · ".join(str(c) for c in rec[key]))
    return lines


def render(view: View):
    """The whole screen for one view, as a rich renderable."""
    parts = []
    rec = view.record
    if rec is None:
        parts.append(Text("All records are screened (or skipped and none left). Press q to quit.",
                          style="bold green"))
    else:
        meta = " · ".join(str(x) for x in (rec["year"], rec["journal"], rec["authors"]) if x)
        body = Group(
            _highlighted(rec["title"], view, "bold"),
            Text(meta, style="dim"),
            Text(""),
            _highlighted(rec["abstract"] or "(no abstract)", view),
            Text(""),
            _highlighted(f"Keywords: {rec['keywords']}" if rec["keywords"] else "", view, "italic"),
        )
        why = why_lines(rec)
        if why:
            body = Group(body, Text(""), *(Text(line, style="dim") for line in why))
        check = " · random check" if rec.get("random_check") else ""
        parts.append(Panel(body, title=f"record {rec['record_id']} · score {rec['score']:.3f}{check}",
                           title_align="left"))
    if view.who:
        parts.append(Text(view.who, style="bold cyan"))
    parts.append(Text(progress_line(view), style="cyan"))
    if view.progress.stopping:
        parts.append(Text(view.progress.stopping, style="cyan"))
    if view.notice:
        parts.append(Text(view.notice, style="bold yellow"))
    pending = []
    if view.pending_reason:
        pending.append(f"reason: {view.pending_reason}")
    if view.pending_note:
        pending.append(f"note: {view.pending_note}")
    if pending:
        parts.append(Text(" · ".join(pending), style="magenta"))
    if view.mode == "note":
        parts.append(Text(f"note (Enter to keep, Esc to cancel): {view.note_buffer}▌"))
    elif view.mode == "reason":
        parts.append(Text("  ".join(f"{i}) {r}" for i, r in enumerate(view.reasons, 1))
                          + "   (Esc to cancel)"))
    else:
        parts.append(Text(HELP, style="dim"))
    if view.message:
        parts.append(Text(view.message, style="green"))
    return Group(*parts)


def plain_lines(view: View, *, record_changed: bool) -> list[str]:
    lines = list(view.acknowledged)
    if view.message and view.message not in view.acknowledged:
        lines.append(view.message)
    if view.notice:
        lines.append(view.notice)
    if record_changed:
        rec = view.record
        check = " (random check)" if rec is not None and rec.get("random_check") else ""
        lines.append("no records left" if rec is None else f"record {rec['record_id']}{check}: {rec['title']}")
        lines.extend(why_lines(rec) if rec is not None else [])
        lines.append(progress_line(view))
        if view.progress.stopping:
            lines.append(view.progress.stopping)
    return lines


class TerminalKeys:
    """Single key presses from a terminal; cbreak mode from ``__enter__`` until ``__exit__``.

    The mode is set before the first screen is drawn, so a key typed early is not
    line-buffered or echoed.
    """

    def __init__(self, fd: int):
        self.fd = fd

    def __enter__(self) -> TerminalKeys:
        import termios
        import tty

        self._old = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc) -> None:
        import termios

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self._old)

    def __iter__(self) -> Iterator[str]:
        while data := os.read(self.fd, 1):
            yield data.decode("utf-8", errors="ignore")


class StreamKeys:
    """Characters of a text stream one by one (newlines included: Enter ends a note)."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def __enter__(self) -> StreamKeys:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def __iter__(self) -> Iterator[str]:
        while ch := self.stream.read(1):
            yield ch


def run(session: Session, keys: Iterable[str], console: Console, *, plain: bool) -> None:
    """Drive a session with ``keys`` until 'q' or the keys run out; the caller closes it."""
    def show(record_changed: bool) -> None:
        view = session.view()
        if plain:
            for line in plain_lines(view, record_changed=record_changed):
                console.print(line, markup=False, highlight=False, soft_wrap=True)
            console.file.flush()
        else:
            console.clear()
            console.print(render(view))

    if plain and (who := session.view().who):
        console.print(who, markup=False, highlight=False, soft_wrap=True)
    show(True)
    for key in keys:
        before = session.current
        session.handle_key(key)
        if session.done:
            break
        show(session.current != before)


def key_source(from_stdin: bool) -> tuple[TerminalKeys | StreamKeys, bool]:
    """(keys as a context manager, plain output?): the terminal when there is one, else stdin."""
    if not from_stdin and sys.stdin.isatty() and sys.stdout.isatty():
        return TerminalKeys(sys.stdin.fileno()), False
    return StreamKeys(sys.stdin), True
