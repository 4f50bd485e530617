"""The full-text stage's reports: attach a PDF (a checked copy kept in the project) or mark it not retrieved.

A record enters the full-text stage when its title/abstract outcome is include or maybe
(``screener.project.votes.fulltext_scope``). Its report state is the latest row of the
append-only ``reports`` table: 'attached' (a PDF copied to ``fulltexts/`` in the project
folder) or 'not_retrieved' (PRISMA's "reports not retrieved"; attaching one later
undoes that). Stored paths are relative to the project folder and are checked to stay
inside it whenever they are read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from screener.errors import ConfigError, DataError, ProjectError
from screener.project.reviewers import check_reviewer
from screener.project.store import Store
from screener.project.votes import fulltext_scope

FULLTEXT_DIR = "fulltexts"
MAX_PDF_BYTES = 200 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


def _check_in_stage(store: Store, record_id: int) -> int:
    rid = int(record_id)
    if not fulltext_scope(store, np.array([rid], dtype=np.int64))[0]:
        raise ConfigError(f"record {rid} is not at the full-text stage (it was not included at title/abstract)")
    return rid


def check_pdf(path: str | Path, *, max_bytes: int = MAX_PDF_BYTES, name: str | None = None) -> Path:
    """A readable regular file that starts like a PDF and is not too large (else one DataError line
    naming the file, or ``name``: what the reviewer called it)."""
    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(f"{name}: {size / 1e6:.0f} MB is more than the {max_bytes / 1e6:.0f} MB allowed")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if PDF_MAGIC not in head:  # readers accept the header anywhere in the first 1024 bytes
        raise DataError(f"{name}: not a PDF (it does not start with %PDF-); attach the report as a PDF")
    return path


def attach_report(store: Store, record_id: int, pdf: str | Path, *, reviewer: str | None,
                  name: str | None = None, max_bytes: int = MAX_PDF_BYTES) -> Path:
    """Copy a PDF into the project as the record's full text; returns the copy's path.

    The copy's name is made here (``record-ID-HASH.pdf``); ``name`` (what the reviewer called the
    file, e.g. an upload's file name) is kept as the report's note, never used as a path.
    """
    who = check_reviewer(store, reviewer)
    rid = _check_in_stage(store, record_id)
    src = check_pdf(pdf, max_bytes=max_bytes, name=name)
    folder = store.folder / FULLTEXT_DIR
    folder.mkdir(exist_ok=True)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
        dest = folder / f"record-{rid}-{h.hexdigest()[:12]}.pdf"
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    store.add_report(rid, "attached", reviewer=who, path=dest.relative_to(store.folder).as_posix(),
                     sha256=h.hexdigest(), note=name or src.name)
    return dest


def mark_not_retrieved(store: Store, record_id: int, *, reviewer: str | None, note: str | None = None) -> int:
    """Record that the record's full text could not be obtained (PRISMA: reports not retrieved)."""
    who = check_reviewer(store, reviewer)
    return store.add_report(_check_in_stage(store, record_id), "not_retrieved", reviewer=who, note=note)


def report_file(store: Store, record_id: int) -> Path | None:
    """The attached PDF of a record (None when none), refused if its stored path leaves the project."""
    rows = store.reports(latest=True)
    row = rows[rows["record_id"] == int(record_id)]
    if row.empty or row["status"].iloc[0] != "attached":
        return None
    root = (store.folder / FULLTEXT_DIR).resolve()
    path = (store.folder / str(row["path"].iloc[0])).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise ProjectError(f"{store.folder}: the stored full text of record {int(record_id)} is not a file inside "
                           f"{FULLTEXT_DIR}/; attach it again")
    return path


def copy_report(store: Store, record_id: int, out: str | Path) -> Path:
    """Write a record's attached PDF to ``out`` (for a reviewer to open)."""
    path = report_file(store, record_id)
    if path is None:
        raise ConfigError(f"record {int(record_id)} has no attached full text")
    return Path(shutil.copyfile(path, out))
