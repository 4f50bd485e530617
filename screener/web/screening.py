"""The screening pages: one record in focus beside the list of one's own decisions, at either stage.

``GET /p/{slug}/screen`` (titles and abstracts) and ``GET /p/{slug}/fulltext`` (full texts) show
the reviewer's next record from their ``screener.session.Session``, or with ``?record=N`` one of
their own earlier decisions (← and → walk through them in the order they were made).
``POST /p/{slug}/decide`` applies one key: I/E/M with the reason and note fields of the same
form (``Session.decide``: saved before the next record is sent), U undo, W the terms that
lowered the score; with ``revise=1`` it changes an earlier decision (``Session.revise``: a new
ledger row). ``POST /p/{slug}/criteria`` saves edited criteria through
``screener.project.create.set_project_criteria`` (owners only). Every field is checked before
anything is written; a refusal re-renders the page with the message and what was typed.

``GET /p/{slug}/progress`` is the discovery curve and the PRISMA counts, which read the whole
ledger and every record's origin: the page fetches them after it is shown, so they never stand
between a decision and the next record, and they are computed again only when the ledger, the
full-text reports or the imports have changed.
"""

from __future__ import annotations

import threading

import pandas as pd
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from screener.conflicts import STAGE_NAMES
from screener.errors import ScreenerError
from screener.project.create import MAX_CRITERIA_CHARS, project_criteria, set_project_criteria
from screener.project.flow import flow_counts
from screener.project.history import decision_history, discovery_curve, neighbours
from screener.project.reviewers import team
from screener.project.store import Store
from screener.project.votes import MAX_NOTE
from screener.session import DECISION_KEYS
from screener.web.fulltext import report_state

PAGE_OF_STAGE = {"ta": "screen", "ft": "fulltext"}  # the URL segment of each stage's page
LABEL_OF_KEY = {k.upper(): v for k, v in DECISION_KEYS.items()}
LIST_WINDOW = 30  # decisions listed around the one in focus
CURVE_W, CURVE_H, CURVE_POINTS = 300, 150, 300


def highlight(text, include=None, exclude=None) -> Markup:
    """Escaped ``text`` with inclusion terms in ``<mark class="inc">`` and exclusion terms in
    ``<mark class="exc">`` (escaping happens piece by piece; where two overlap the earlier wins)."""
    text = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    spans = []
    for cls, pattern in (("inc", include), ("exc", exclude)):
        if pattern is not None:
            spans += [(m.start(), m.end(), cls) for m in pattern.finditer(text) if m.end() > m.start()]
    spans.sort(key=lambda s: (s[0], -s[1], s[2]))
    out, last = [], 0
    for start, end, cls in spans:
        if start < last:
            continue
        out += [escape(text[last:start]), Markup(f'<mark class="{cls}">'), escape(text[start:end]), Markup("</mark>")]
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _plain(row: dict) -> dict:
    """A table row for a template: missing values (NaN) as None, so they read as empty."""
    return {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()}


def curve(screened, found) -> dict:
    """The discovery curve as SVG polyline points (at most ``CURVE_POINTS``), with its axis maxima."""
    n = len(screened) - 1
    x_max, y_max = max(int(screened[-1]), 1), max(int(found[-1]), 1)
    step = max(1, -(-n // CURVE_POINTS))
    keep = list(range(0, n + 1, step)) + ([n] if n % step else [])
    points = " ".join(f"{screened[k] / x_max * CURVE_W:.1f},{CURVE_H - found[k] / y_max * CURVE_H:.1f}"
                      for k in keep)
    return {"points": points, "screened": int(screened[-1]), "found": int(found[-1]),
            "w": CURVE_W, "h": CURVE_H}


class Screening:
    """The screening routes over a ``screener.web.app.ServeApp`` (its guards, sittings and templates)."""

    def __init__(self, web):
        self.web = web
        self._titles: pd.Series | None = None
        self._cache: dict[str, tuple[tuple, object]] = {}  # project-wide panels, by what they were read from
        self._cache_lock = threading.Lock()
        web.env.filters["highlight"] = highlight

    def routes(self) -> list[Route]:
        return [
            Route("/p/{slug}/screen", self.screen, methods=["GET"]),
            Route("/p/{slug}/fulltext", self.fulltext, methods=["GET"]),
            Route("/p/{slug}/decide", self.decide, methods=["POST"]),
            Route("/p/{slug}/criteria", self.save_criteria, methods=["POST"]),
            Route("/p/{slug}/progress", self.progress, methods=["GET"]),
        ]

    def titles(self, pool) -> pd.Series:
        if self._titles is None:
            self._titles = pd.Series(pool.records["title"].to_numpy(object), index=pool.ids)
        return self._titles

    # -- pages ----------------------------------------------------------------------------------
    async def screen(self, request: Request) -> Response:
        return await self._page(request, "ta")

    async def fulltext(self, request: Request) -> Response:
        return await self._page(request, "ft")

    async def _page(self, request: Request, stage: str) -> Response:
        user, _ = await self.web.guard(request, post=False)
        if isinstance(user, Response):
            return user
        record = request.query_params.get("record")
        if record is not None and not record.isdigit():
            return HTMLResponse("no such record", status_code=404)
        return await run_in_threadpool(self.page, request, user, stage, None if record is None else int(record))

    def page(self, request: Request, user: str, stage: str, record_id: int | None = None, *, status: int = 200,
             message: str = "", typed: dict | None = None) -> Response:
        """The screening page (``record_id``: one of the reviewer's own decisions instead of the next record)."""
        with self.web.sittings.sitting(user, stage) as session:
            context = self._context(session, stage, record_id)
            if context is None and status != 200:  # a refusal about that record: the queue, with the message
                context = self._context(session, stage, None)
        if context is None:
            return HTMLResponse(f"no decision of yours on record {record_id} at this stage", status_code=404)
        flash = request.session.pop("flash", "") if status == 200 else ""
        message = message or flash  # the session's own message is shown once, by the request that made it
        return self.web.render(request, "screen.html", status=status, user=user, message=message,
                               typed=typed or {}, **context)

    def _context(self, session, stage: str, record_id: int | None) -> dict | None:
        """Everything the page shows, read under the reviewer's session lock."""
        store = session.store
        session.refresh_criteria()
        view = session.view()
        history = decision_history(store, session.reviewer, stage, titles=self.titles(session.pool))
        own = None
        if record_id is not None:
            mine = history[history["record_id"] == record_id]
            if mine.empty:
                return None
            own = _plain(mine.iloc[0].to_dict())
            record = session.record_at(record_id)
        else:
            record = view.record
        before, after = neighbours(history, record_id)
        at = len(history) if record_id is None else int(history.index[history["record_id"] == record_id][0])
        lo = max(0, at - LIST_WINDOW // 2)
        listing = [_plain(h) for h in history.iloc[lo:lo + LIST_WINDOW].to_dict("records")]
        t = team(store)
        criteria = project_criteria(store)
        return {
            "view": view, "record": record, "own": own, "stage": stage, "stage_name": STAGE_NAMES[stage],
            "page": PAGE_OF_STAGE[stage], "keys": LABEL_OF_KEY, "history": listing, "n_history": len(history),
            "history_from": lo, "before": before, "after": after,
            "criteria": criteria, "criteria_text": store.get_meta("criteria_text", ""),
            "criteria_name": store.get_meta("criteria_name", "criteria.txt"),
            "criteria_edited": store.get_meta("criteria_edited", ""),
            "can_edit_criteria": t.role(session.reviewer) == "owner",
            "max_note": MAX_NOTE, "max_criteria": MAX_CRITERIA_CHARS,
            "report": report_state(store, record["record_id"]) if stage == "ft" and record else None,
            "why_down": session.why_down,
        }

    # -- the curve and PRISMA counts, fetched by the page -------------------------------------------
    async def progress(self, request: Request) -> Response:
        user, _ = await self.web.guard(request, post=False)
        if isinstance(user, Response):
            return user
        stage = request.query_params.get("stage", "ta")
        if stage not in PAGE_OF_STAGE:
            return HTMLResponse("no such stage", status_code=404)
        return await run_in_threadpool(self._progress, request, user, stage)

    def _progress(self, request: Request, user: str, stage: str) -> Response:
        with self.web.sittings.sitting(user, stage) as session:
            store = session.store
            shared = session.ledger.shares_project_state
            t = team(store)
            key = (store.n_decisions(), len(store.reports()), len(store.imports()))
            if shared:
                points = self._cached("curve", key, lambda: curve(*discovery_curve(store, None, stage, shared=True)))
            else:
                points = curve(*discovery_curve(store, session.reviewer, stage, shared=False,
                                                titles=self.titles(session.pool)))
            blind = t.blind and "dual" in t.modes.values()
            flows = None if blind else self._cached("flows", key, lambda: flow_counts(store))
        return self.web.render(request, "screen_progress.html", user=user, curve=points, curve_shared=shared,
                               flows=flows)

    def _cached(self, name: str, key: tuple, compute):
        with self._cache_lock:
            hit = self._cache.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = compute()
        with self._cache_lock:
            self._cache[name] = (key, value)
        return value

    # -- decisions ------------------------------------------------------------------------------
    async def decide(self, request: Request) -> Response:
        user, form = await self.web.guard(request, post=True)
        if isinstance(user, Response):
            return user
        fields = {k: form.get(k, "") for k in ("key", "record_id", "stage", "reason", "note", "revise")}
        if not all(isinstance(v, str) for v in fields.values()):
            return HTMLResponse("a form field was a file: nothing was saved", status_code=400)
        return await run_in_threadpool(self._decide, request, user, fields)

    def _decide(self, request: Request, user: str, f: dict) -> Response:
        stage = f["stage"] or "ta"
        if stage not in PAGE_OF_STAGE:
            return HTMLResponse(f"unknown stage {stage[:20]!r}: nothing was saved", status_code=400)
        key, shown = f["key"].strip().upper(), f["record_id"].strip()
        revise = f["revise"] == "1"
        record_id = int(shown) if shown.isdigit() else None
        typed = {"note": f["note"], "reason": f["reason"]}
        back = record_id if revise else None

        def refuse(status: int, message: str) -> Response:
            return self.page(request, user, stage, back, status=status, message=message, typed=typed)

        if key not in (*LABEL_OF_KEY, "U", "W"):
            return refuse(400, f"unknown key {key[:20]!r}: use I, E, M, U or W; nothing was saved")
        if len(f["note"]) > MAX_NOTE:
            return refuse(400, f"a note is at most {MAX_NOTE:,} characters (this one has {len(f['note']):,}); "
                               "nothing was saved")
        if revise and record_id is None:
            return refuse(400, "which decision to change was not sent: nothing was saved")
        url = f"/p/{self.web.slug}/{PAGE_OF_STAGE[stage]}" + (f"?record={record_id}" if revise else "")
        with self.web.sittings.sitting(user, stage) as session:
            if key in ("U", "W"):
                session.handle_key(key.lower())
                request.session["flash"] = session.message
                return RedirectResponse(url if key == "W" else url.partition("?")[0], status_code=303)
            label = LABEL_OF_KEY[key]
            try:
                if revise:
                    saved = session.revise(record_id, label, reason=f["reason"], note=f["note"])
                else:
                    current = session.record()
                    if current is None or str(current["record_id"]) != shown:
                        return self._locked_refusal(request, user, stage, session, typed)
                    saved = session.decide(label, reason=f["reason"], note=f["note"])
            except ScreenerError as exc:
                message = str(exc)
                saved = None
            else:
                message = session.message
        if not saved:
            return refuse(400, message)
        request.session["flash"] = message
        return RedirectResponse(url, status_code=303)

    def _locked_refusal(self, request, user, stage, session, typed) -> Response:
        context = self._context(session, stage, None)
        return self.web.render(request, "screen.html", status=409, user=user, typed=typed,
                               message="that record is no longer the one to screen (decided in another tab?): "
                                       "nothing was saved; here is the current one", **context)

    # -- criteria -------------------------------------------------------------------------------
    async def save_criteria(self, request: Request) -> Response:
        user, form = await self.web.guard(request, post=True)
        if isinstance(user, Response):
            return user
        text, stage = form.get("text", ""), form.get("stage", "ta")
        if not isinstance(text, str) or not isinstance(stage, str) or stage not in PAGE_OF_STAGE:
            return HTMLResponse("the criteria form was not sent as text: nothing was saved", status_code=400)
        return await run_in_threadpool(self._save_criteria, request, user, text, stage)

    def _save_criteria(self, request: Request, user: str, text: str, stage: str) -> Response:
        with Store.open(self.web.folder) as store:
            if team(store).role(user) != "owner":
                return HTMLResponse("only the project's owner edits the criteria: nothing was saved", status_code=403)
            try:
                set_project_criteria(store, text, by=user)
            except ScreenerError as exc:
                return self.page(request, user, stage, status=400, message=f"criteria not saved: {exc}",
                                 typed={"criteria": text})
        request.session["flash"] = "criteria saved: highlighting and reasons follow them now"
        return RedirectResponse(f"/p/{self.web.slug}/{PAGE_OF_STAGE[stage]}", status_code=303)
