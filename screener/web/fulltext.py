"""The full-text stage in the browser: upload a record's PDF, read it, or mark it not retrieved.

``POST /p/{slug}/fulltext/{record_id}/upload`` takes one PDF (a ``multipart/form-data`` field
``pdf``): refused with 400 and one line, before anything is written, when the request has no
Content-Length or a larger one than ``MAX_UPLOAD_BYTES``, the part is not ``application/pdf``,
or the bytes do not start with ``%PDF-``. The file is kept by
``screener.project.fulltext.attach_report`` under a name the server makes inside the project's
``fulltexts/`` folder; the client's file name is only a note. ``GET .../{record_id}/pdf``
serves the record's attached PDF to a logged-in reviewer of the project (anything else: 404).
Full-text votes go through the reviewer's full-text ``Session`` (``screening.py``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from screener.errors import ScreenerError
from screener.project.fulltext import PDF_MAGIC, attach_report, mark_not_retrieved, report_file
from screener.project.store import Store

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the other fields of the upload form
PDF_TYPES = ("application/pdf", "application/x-pdf")
MAX_NOTE_CHARS = 1000


def report_state(store: Store, record_id: int) -> dict | None:
    """The record's latest full-text report row (status 'attached' or 'not_retrieved'), if any."""
    rows = store.reports(latest=True)
    row = rows[rows["record_id"] == int(record_id)]
    if row.empty:
        return None
    return {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.iloc[0].to_dict().items()}


class FullTexts:
    """The full-text routes over a ``ServeApp`` and its ``Screening`` pages (which render refusals)."""

    def __init__(self, web, screening):
        self.web, self.screening = web, screening

    def routes(self) -> list[Route]:
        return [
            Route("/p/{slug}/fulltext/{record_id:int}/upload", self.upload, methods=["POST"]),
            Route("/p/{slug}/fulltext/{record_id:int}/pdf", self.pdf, methods=["GET"]),
            Route("/p/{slug}/fulltext/{record_id:int}/not-retrieved", self.not_retrieved, methods=["POST"]),
        ]

    def _refuse(self, request: Request, user: str, message: str, status: int = 400) -> Response:
        return self.screening.page(request, user, "ft", status=status, message=message)

    async def upload(self, request: Request) -> Response:
        user = await self.web.current_user(request)
        if user is None:
            return HTMLResponse("log in first", status_code=401)
        if request.path_params.get("slug") != self.web.slug:
            return HTMLResponse("no such project", status_code=404)
        length = request.headers.get("content-length", "")
        limit_mb = MAX_UPLOAD_BYTES // (1024 * 1024)
        if not length.isdigit():
            return await run_in_threadpool(self._refuse, request, user, "the upload did not say its size "
                                           "(no Content-Length): nothing was saved")
        if int(length) > MAX_UPLOAD_BYTES + FORM_OVERHEAD:
            return await run_in_threadpool(
                self._refuse, request, user, f"the file is {int(length) / 1024 / 1024:.0f} MB; a full text is at "
                                             f"most {limit_mb} MB: nothing was saved")
        form = await request.form(max_files=1, max_fields=4)
        if not await self.web.form_csrf_ok(request, form):
            return HTMLResponse("the form has expired (missing or wrong CSRF token): reload the page", status_code=403)
        pdf = form.get("pdf")
        if not isinstance(pdf, UploadFile) or not pdf.filename:
            return await run_in_threadpool(self._refuse, request, user, "choose a PDF file to upload: nothing was saved")
        name = Path(pdf.filename.replace("\\", "/")).name[:200]  # a note for the reviewer, never a path
        if (pdf.content_type or "").split(";")[0].strip().lower() not in PDF_TYPES:
            return await run_in_threadpool(
                self._refuse, request, user, f"{name}: sent as {(pdf.content_type or 'no type')[:60]}, not "
                                             "application/pdf; upload the report as a PDF: nothing was saved")
        head = await pdf.read(len(PDF_MAGIC))
        if head != PDF_MAGIC:
            return await run_in_threadpool(
                self._refuse, request, user, f"{name}: not a PDF (it does not start with %PDF-): nothing was saved")
        await pdf.seek(0)
        return await run_in_threadpool(self._attach, request, user, int(request.path_params["record_id"]), pdf, name)

    def _attach(self, request: Request, user: str, record_id: int, pdf: UploadFile, name: str) -> Response:
        fd, tmp = tempfile.mkstemp(suffix=".pdf")
        try:
            size = 0
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: pdf.file.read(1 << 20), b""):
                    size += len(chunk)
                    if size > MAX_UPLOAD_BYTES:
                        return self._refuse(request, user, f"{name}: a full text is at most "
                                                           f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB: nothing was saved")
                    out.write(chunk)
            with Store.open(self.web.folder) as store:
                try:
                    attach_report(store, record_id, tmp, reviewer=user, name=name, max_bytes=MAX_UPLOAD_BYTES)
                except ScreenerError as exc:
                    return self._refuse(request, user, f"{exc}: nothing was saved")
        finally:
            Path(tmp).unlink(missing_ok=True)
        request.session["flash"] = f"attached {name} to record {record_id}"
        return RedirectResponse(f"/p/{self.web.slug}/fulltext", status_code=303)

    async def pdf(self, request: Request) -> Response:
        user, _ = await self.web.guard(request, post=False)
        if isinstance(user, Response):
            return user
        record_id = int(request.path_params["record_id"])
        path = await run_in_threadpool(self._pdf_path, record_id)
        if path is None:
            return HTMLResponse("no full text attached to that record", status_code=404)
        return FileResponse(path, media_type="application/pdf", headers={
            "content-disposition": f'inline; filename="record-{record_id}.pdf"'})

    def _pdf_path(self, record_id: int) -> Path | None:
        with Store.open(self.web.folder) as store:
            try:
                return report_file(store, record_id)
            except ScreenerError:  # a stored path outside fulltexts/: never served
                return None

    async def not_retrieved(self, request: Request) -> Response:
        user, form = await self.web.guard(request, post=True)
        if isinstance(user, Response):
            return user
        note = form.get("note", "")
        if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
            return await run_in_threadpool(self._refuse, request, user,
                                           f"a note is at most {MAX_NOTE_CHARS:,} characters: nothing was saved")
        return await run_in_threadpool(self._not_retrieved, request, user, int(request.path_params["record_id"]),
                                       note.strip() or None)

    def _not_retrieved(self, request: Request, user: str, record_id: int, note: str | None) -> Response:
        with Store.open(self.web.folder) as store:
            try:
                mark_not_retrieved(store, record_id, reviewer=user, note=note)
            except ScreenerError as exc:
                return self._refuse(request, user, f"{exc}: nothing was saved")
        with self.web.sittings.sitting(user, "ft") as session:
            session.withdraw(record_id)
        request.session["flash"] = f"record {record_id}: full text marked not retrieved"
        return RedirectResponse(f"/p/{self.web.slug}/fulltext", status_code=303)
