"""The team pages of the browser app: conflicts and their resolution, agreement, reviewers and roles,
the PRISMA 2020 diagram, exports and importing new search results.

Each page calls the library function its CLI command calls (``consensus.conflicts``/``resolve``,
``consensus.stage_agreement``, ``reviewers.add_reviewer``/``set_role`` with
``accounts.set_password``, ``flow.flow_counts`` + ``prisma_diagram.draw_flow``,
``export.export_project``, ``ledger_export.export_ledger``, ``duplicates.merges``,
``pool.rank_project`` with the uploaded files), in a worker thread. The guards of
``app.ServeApp.guard`` apply first (log-in, project, CSRF), then the role rules of ``ACCESS``;
a refused request writes nothing.

Who sees what (blind dual screening: nobody but the owner sees another reviewer's votes
before they are decided):

- conflicts and their resolution: an adjudicator or the owner (who voted, not how);
- agreement statistics and exports (both carry every reviewer's votes): the owner, and
  everyone on the project once no stage is screened blind and dual;
- reviewers and roles: every member sees the list, the owner changes it;
- importing new search results: the owner; the PRISMA diagram: every member.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from screener.conflicts import STAGE_NAMES, STAGES
from screener.errors import ConfigError, ScreenerError
from screener.project.reviewers import RESOLVING_ROLES, ROLES, Team, exclusion_reasons, team
from screener.project.store import LABELS, Store

MAX_NOTE = 2000  # characters of a consensus note
MAX_UPLOAD = 200 * 1024 * 1024  # bytes of one import request
MAX_FILES = 10
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._() -]+")


def blind_dual(t: Team) -> bool:
    """Whether some stage is screened dual and blind (votes stay private until decided)."""
    return t.blind and "dual" in t.modes.values()


def _owner(t: Team, user: str) -> bool:
    return t.role(user) == "owner"


ACCESS: dict[str, tuple[Callable[[Team, str], bool], str]] = {
    "conflicts": (lambda t, u: t.role(u) in RESOLVING_ROLES,
                  "conflicts are resolved by an adjudicator or the owner; ask the owner for the role"),
    "votes": (lambda t, u: _owner(t, u) or not blind_dual(t),
              "in blind dual screening only the owner sees every reviewer's votes (agreement and exports "
              "carry them)"),
    "manage": (_owner, "only the project's owner adds reviewers and changes roles"),
    "import": (_owner, "only the project's owner imports new search results"),
    "member": (lambda t, u: True, ""),
}


def _download_name(slug: str, name: str) -> str:
    stem, _, ext = name.rpartition(".")
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    return f"{_SAFE_NAME.sub('_', slug).replace(' ', '_')}-{stem}-{day}.{ext}"


def _text_export(fmt: str):
    def make(folder: Path, tmp: Path) -> bytes:
        from screener.project.export import export_project

        return export_project(folder, fmt)[1].encode("utf-8")
    return make


def _xlsx_export(folder: Path, tmp: Path) -> bytes:
    from screener.project.export import export_project

    export_project(folder, "xlsx", tmp / "records.xlsx")
    return (tmp / "records.xlsx").read_bytes()


def _ledger(suffix: str):
    def make(folder: Path, tmp: Path) -> bytes:
        from screener.project.ledger_export import export_ledger

        export_ledger(folder, tmp / f"ledger.{suffix}")
        return (tmp / f"ledger.{suffix}").read_bytes()
    return make


def _prisma(suffix: str):
    def make(folder: Path, tmp: Path) -> bytes:
        from screener.project.flow import draw_project_flow

        path, _ = draw_project_flow(folder, tmp / f"prisma.{suffix}")
        return path.read_bytes()
    return make


def _merges(folder: Path, tmp: Path) -> bytes:
    from screener.project.duplicates import merges
    from screener.project.export import escape_cells

    return escape_cells(merges(folder)).to_csv(index=False, lineterminator="\n").encode("utf-8")


CSV, XLSX = "text/csv; charset=utf-8", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# name → (what it is, the CLI command that writes the same file, content type, how it is made)
EXPORTS: dict[str, tuple[str, str, str, Callable[[Path, Path], bytes]]] = {
    "records.csv": ("records with decisions (CSV)", "screener export -f csv", CSV, _text_export("csv")),
    "records.tsv": ("records with decisions (TSV)", "screener export -f tsv",
                    "text/tab-separated-values; charset=utf-8", _text_export("tsv")),
    "records.xlsx": ("records with decisions (Excel)", "screener export -f xlsx", XLSX, _xlsx_export),
    "records.ris": ("records with decisions (RIS, for reference managers)", "screener export -f ris",
                    "application/x-research-info-systems; charset=utf-8", _text_export("ris")),
    "ledger.csv": ("the whole ledger (CSV)", "screener ledger -o ledger.csv", CSV, _ledger("csv")),
    "ledger.xlsx": ("the whole ledger (Excel)", "screener ledger -o ledger.xlsx", XLSX, _ledger("xlsx")),
    "duplicates.csv": ("merged duplicates with their evidence (CSV)", "screener duplicates --out FILE",
                       CSV, _merges),
    "prisma.svg": ("PRISMA 2020 flow diagram (SVG)", "screener prisma -o flow.svg", "image/svg+xml",
                   _prisma("svg")),
    "prisma.png": ("PRISMA 2020 flow diagram (PNG)", "screener prisma -o flow.png", "image/png", _prisma("png")),
}


PRESENTATION = ("fill", "stroke", "stroke-width", "stroke-linejoin", "stroke-linecap", "stroke-dasharray",
                "font-size", "font-family", "font-weight", "font-style", "text-anchor", "opacity")


def _presentation(match: re.Match) -> str:
    out = []
    for part in match.group(1).split(";"):
        name, _, value = (p.strip() for p in part.partition(":"))
        if name in PRESENTATION and value:
            out.append(f'{name}="{value.replace(chr(39), "")}"')
    return " ".join(out)


def inline_svg(svg: str) -> Markup:
    """matplotlib's SVG file as an element for the page: no XML prolog, metadata or ``<style>``, and
    its ``style`` attributes as presentation attributes (the CSP allows no inline style), scaled by
    the stylesheet."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'style="([^"]*)"', _presentation, svg)
    if re.search(r"<script|\son\w+\s*=|javascript:", svg, flags=re.I):
        raise ScreenerError("the PRISMA diagram held markup that is not a drawing; download it instead")
    return Markup(svg)  # text is XML-escaped by matplotlib; checked above for anything active


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n:,} bytes"


def _upload_name(name: str | None) -> str:
    """The uploaded file's base name, safe as a file name in a temporary folder (its suffix kept:
    the reader goes by it); it becomes the records' source, as a file given to 'screener import'."""
    base = _SAFE_NAME.sub("_", Path((name or "").replace("\\", "/")).name).strip(" .")[:120]
    return base or "upload"


class TeamPages:
    """The team routes over one ``ServeApp`` (its guards, templates, folder and sittings)."""

    def __init__(self, web):
        self.web = web

    # -- helpers --------------------------------------------------------------------------------
    def _team(self) -> Team:
        with Store.open(self.web.folder) as store:
            return team(store)

    async def enter(self, request: Request, access: str, *, post: bool = False):
        """(user, form, team) once the guards and the role rule pass; else the refusing response."""
        user, form = await self.web.guard(request, post=post)
        if isinstance(user, Response):
            return user, None, None
        t = await run_in_threadpool(self._team)
        allowed, why = ACCESS[access]
        if not allowed(t, user):
            return self.page(request, "team_refused.html", user, t, status=403, message=why), None, None
        return user, form, t

    def page(self, request: Request, name: str, user: str, t: Team, *, status: int = 200, **context) -> Response:
        flash = request.session.pop("flash", "")
        context.setdefault("message", flash)
        return self.web.render(request, name, status, user=user, role=t.role(user), team=t,
                               sees_votes=ACCESS["votes"][0](t, user), resolves=ACCESS["conflicts"][0](t, user),
                               **context)

    @staticmethod
    def _stage(request: Request) -> str | None:
        stage = request.query_params.get("stage", "ta")
        return stage if stage in STAGES else None

    # -- conflicts ------------------------------------------------------------------------------
    def _conflicts(self, stage: str) -> dict:
        from screener.project.consensus import conflicts

        with Store.open(self.web.folder) as store:
            rows = conflicts(store, stage)
            records = store.records().set_index("id")
            reasons = exclusion_reasons(store)
        items = [{"record_id": int(r.record_id), "title": r.title, "conflict": r.conflict, "voters": r.voters,
                  "abstract": records.at[int(r.record_id), "abstract"],
                  "meta": " · ".join(str(v) for v in records.loc[int(r.record_id), ["authors", "year", "journal"]]
                                     if isinstance(v, str | int) and str(v))}
                 for r in rows.itertuples()]
        labels = [lab for lab in LABELS if not (stage == "ft" and lab == "maybe")]
        return {"conflicts": items, "stage": stage, "stage_name": STAGE_NAMES[stage], "stages": STAGE_NAMES,
                "reasons": reasons, "labels": labels}

    async def conflicts(self, request: Request) -> Response:
        user, _, t = await self.enter(request, "conflicts")
        if isinstance(user, Response):
            return user
        stage = self._stage(request)
        if stage is None:
            return self.page(request, "team_refused.html", user, t, status=404,
                             message="no such stage: use ta (titles and abstracts) or ft (full texts)")
        return self.page(request, "team_conflicts.html", user, t, **await run_in_threadpool(self._conflicts, stage))

    def _resolve(self, user: str, form) -> int:
        from screener.project.consensus import resolve

        stage, label = str(form.get("stage", "")), str(form.get("label", ""))
        note, reason = str(form.get("note", "")).strip(), str(form.get("reason", "")).strip()
        if stage not in STAGES:
            raise ConfigError(f"stage {stage[:20]!r}: use ta or ft")
        try:
            record_id = int(str(form.get("record_id", "")))
        except ValueError:
            raise ConfigError("choose a record to resolve") from None
        if len(note) > MAX_NOTE:
            raise ConfigError(f"the note is {len(note):,} characters; keep it to {MAX_NOTE:,}: nothing was saved")
        with Store.open(self.web.folder) as store:
            return resolve(store, record_id, label, by=user, reason=reason or None, stage=stage, note=note or None)

    async def resolve(self, request: Request) -> Response:
        user, form, t = await self.enter(request, "conflicts", post=True)
        if isinstance(user, Response):
            return user
        try:
            ledger_id = await run_in_threadpool(self._resolve, user, form)
        except ScreenerError as exc:
            stage = str(form.get("stage", "ta"))
            context = await run_in_threadpool(self._conflicts, stage if stage in STAGES else "ta")
            return self.page(request, "team_conflicts.html", user, t, status=400,
                             message=f"not saved: {exc}", **context)
        stage = str(form.get("stage"))
        request.session["flash"] = (f"saved #{ledger_id}: consensus {form.get('label')} on record "
                                    f"{form.get('record_id')}")
        return RedirectResponse(f"/p/{self.web.slug}/conflicts?stage={stage}", status_code=303)

    # -- agreement ------------------------------------------------------------------------------
    def _agreement(self) -> dict:
        from screener.project.consensus import stage_agreement

        with Store.open(self.web.folder) as store:
            results = {s: stage_agreement(store, s) for s in STAGES}
        return {"results": results, "stages": STAGE_NAMES}

    async def agreement(self, request: Request) -> Response:
        user, _, t = await self.enter(request, "votes")
        if isinstance(user, Response):
            return user
        return self.page(request, "team_agreement.html", user, t, **await run_in_threadpool(self._agreement))

    # -- reviewers and roles --------------------------------------------------------------------
    def _reviewers(self) -> dict:
        from screener.web.accounts import accounts

        with Store.open(self.web.folder) as store:
            return {"can_log_in": set(accounts(store)), "roles": ROLES, "stages": STAGE_NAMES}

    async def reviewers(self, request: Request) -> Response:
        user, _, t = await self.enter(request, "member")
        if isinstance(user, Response):
            return user
        return self.page(request, "team_reviewers.html", user, t, **await run_in_threadpool(self._reviewers))

    def _change_reviewers(self, action: str, form) -> str:
        from screener.project.reviewers import add_reviewer, set_role
        from screener.web.accounts import MAX_PASSWORD, MIN_PASSWORD, set_password

        name, role = str(form.get("name", "")).strip(), str(form.get("role", ""))
        password = str(form.get("password", ""))
        if not name:
            raise ConfigError("give the reviewer a name")
        with Store.open(self.web.folder) as store:
            if action == "add":
                if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:  # checked before the reviewer is added
                    raise ConfigError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters")
                r = add_reviewer(store, name, role)
                set_password(store, r.name, password)
                return f"added {r.name} ({r.role}), who can log in with the password you set"
            if action == "role":
                r = set_role(store, name, role)
                return f"{r.name} is now {r.role}"
            set_password(store, name, password)
            return f"{name} can log in with the new password"

    def _change(self, action: str):
        async def handler(request: Request) -> Response:
            user, form, t = await self.enter(request, "manage", post=True)
            if isinstance(user, Response):
                return user
            try:
                request.session["flash"] = await run_in_threadpool(self._change_reviewers, action, form)
                self.web.forget_members()
            except ScreenerError as exc:
                return self.page(request, "team_reviewers.html", user, t, status=400,
                                 message=f"not saved: {exc}", **await run_in_threadpool(self._reviewers))
            return RedirectResponse(f"/p/{self.web.slug}/reviewers", status_code=303)
        return handler

    # -- PRISMA 2020 ----------------------------------------------------------------------------
    def _prisma(self) -> dict:
        from screener.prisma_diagram import draw_flow
        from screener.project.flow import flow_counts

        with Store.open(self.web.folder) as store:
            flows = flow_counts(store)
        with tempfile.TemporaryDirectory(prefix="screener-prisma-") as tmp:
            path = draw_flow(flows[0], Path(tmp) / "prisma.svg", update=flows[1] if len(flows) > 1 else None)
            svg = inline_svg(path.read_text(encoding="utf-8"))
        return {"svg": svg, "flows": flows}

    async def prisma(self, request: Request) -> Response:
        user, _, t = await self.enter(request, "member")
        if isinstance(user, Response):
            return user
        return self.page(request, "team_prisma.html", user, t, **await run_in_threadpool(self._prisma))

    # -- exports --------------------------------------------------------------------------------
    async def exports(self, request: Request) -> Response:
        user, _, t = await self.enter(request, "votes")
        if isinstance(user, Response):
            return user
        return self.page(request, "team_exports.html", user, t, exports=EXPORTS)

    def _export(self, name: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="screener-export-") as tmp:
            return EXPORTS[name][3](self.web.folder, Path(tmp))

    async def export(self, request: Request) -> Response:
        name = request.path_params.get("name", "")
        access = "member" if name.startswith("prisma.") else "votes"
        user, _, t = await self.enter(request, access)
        if isinstance(user, Response):
            return user
        if name not in EXPORTS:
            return self.page(request, "team_refused.html", user, t, status=404,
                             message=f"no export called {name[:40]!r}: see the exports page")
        body = await run_in_threadpool(self._export, name)
        return Response(body, media_type=EXPORTS[name][2], headers={
            "content-disposition": f'attachment; filename="{_download_name(self.web.slug, name)}"'})

    # -- importing new search results -----------------------------------------------------------
    async def import_page(self, request: Request) -> Response:
        user, _, t = await self.enter(request, "import")
        if isinstance(user, Response):
            return user
        return self.page(request, "team_import.html", user, t, report=None, limit=_size(MAX_UPLOAD))

    def _import(self, uploads: list[tuple[str, bytes]]) -> dict:
        from screener.project import rank_project

        with tempfile.TemporaryDirectory(prefix="screener-upload-") as tmp:
            paths = []
            for name, data in uploads:
                path = Path(tmp) / str(len(paths)) / name  # one folder each: two uploads may share a name
                path.parent.mkdir()
                path.write_bytes(data)
                paths.append(path)
            ranked, summary = rank_project(self.web.folder, new=paths)
        self.web.sittings.reload()  # new records: every reviewer's next request sees the new pool
        return {"report": summary.files.to_dict("records"), "totals": summary.totals,
                "ranked": ranked.head(20).to_dict("records"), "n_ranked": len(ranked)}

    async def import_files(self, request: Request) -> Response:
        user = await self.web.current_user(request)
        too_big = int(request.headers.get("content-length") or 0) > MAX_UPLOAD
        if user is not None and request.path_params.get("slug") == self.web.slug and too_big:
            t = await run_in_threadpool(self._team)  # refused before the body is read
            return self.page(request, "team_import.html", user, t, status=400, report=None,
                             limit=_size(MAX_UPLOAD),
                             message=f"not imported: the upload is over {_size(MAX_UPLOAD)}")
        user, form, t = await self.enter(request, "import", post=True)
        if isinstance(user, Response):
            return user
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        message = ""
        if not files:
            message = "choose a search export to import (RIS, MEDLINE/nbib, CSV, TSV, XLSX, BibTeX, EndNote XML)"
        elif len(files) > MAX_FILES:
            message = f"at most {MAX_FILES} files at a time"
        elif sum(f.size or 0 for f in files) > MAX_UPLOAD:
            message = f"the upload is over {_size(MAX_UPLOAD)}"
        if message:
            return self.page(request, "team_import.html", user, t, status=400, report=None,
                             limit=_size(MAX_UPLOAD), message=f"not imported: {message}")
        uploads = [(_upload_name(f.filename), await f.read()) for f in files]
        try:
            result = await run_in_threadpool(self._import, uploads)
        except ScreenerError as exc:
            return self.page(request, "team_import.html", user, t, status=400, report=None,
                             limit=_size(MAX_UPLOAD), message=f"not imported: {exc}")
        t = await run_in_threadpool(self._team)
        totals = result["totals"]
        return self.page(request, "team_import.html", user, t, limit=_size(MAX_UPLOAD),
                         message=f"imported: {totals['added']} new records, {totals['merged']} merged as "
                                 f"duplicates, {totals['skipped']} already in the project", **result)


def team_routes(web) -> list[Route]:
    """The team pages' routes over ``web`` (a ``ServeApp``), mounted by ``app.create_app``."""
    pages = TeamPages(web)
    p = "/p/{slug}"
    return [
        Route(f"{p}/conflicts", pages.conflicts, methods=["GET"]),
        Route(f"{p}/conflicts/resolve", pages.resolve, methods=["POST"]),
        Route(f"{p}/agreement", pages.agreement, methods=["GET"]),
        Route(f"{p}/reviewers", pages.reviewers, methods=["GET"]),
        Route(f"{p}/reviewers/add", pages._change("add"), methods=["POST"]),
        Route(f"{p}/reviewers/role", pages._change("role"), methods=["POST"]),
        Route(f"{p}/reviewers/password", pages._change("password"), methods=["POST"]),
        Route(f"{p}/prisma", pages.prisma, methods=["GET"]),
        Route(f"{p}/exports", pages.exports, methods=["GET"]),
        Route(f"{p}/export/{{name}}", pages.export, methods=["GET"]),
        Route(f"{p}/import", pages.import_page, methods=["GET"]),
        Route(f"{p}/import", pages.import_files, methods=["POST"]),
    ]
