"""Importing search exports into a project, de-duplicated within the import and against it.

All files are read before anything is written; the original RIS/MEDLINE fields are kept
with each record for export. Nothing here prints.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from screener import readers
from screener.dedup import choose_kept, duplicate_groups
from screener.errors import DataError
from screener.project.store import RECORD_FIELDS, Store

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: ?(.*))?$")


def _ris_raw(path: Path, enc: str) -> list[list[list[str]]]:
    """Every RIS record as its original ``[tag, value]`` pairs (continuation lines joined).

    Raises ``DataError`` when the last record has no ``ER`` tag: the file was cut off.
    """
    entries: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in readers._lines(path, enc):
        match = _RIS_TAG.match(line.lstrip("\ufeff"))
        if match is None:
            if current and line.strip():
                current[-1][1] += " " + line.strip()
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            if current is not None:
                raise DataError(f"{path.name}: a record starting '{current[0][1]}' has no ER line "
                                "before the next TY; the file is malformed, re-export it")
            current = [[tag, value]]
        elif tag == "ER":
            if current is not None:
                entries.append(current)
            current = None
        elif current is not None:
            current.append([tag, value])
    if current is not None:
        raise DataError(f"{path.name}: the last record has no ER line; the file looks truncated, "
                        "re-export it")
    return entries


def _raw_fields(path: Path, n: int) -> tuple[str | None, list[str | None]]:
    """The original fields of RIS and MEDLINE records as JSON, aligned with ``read_file``'s rows."""
    suffix = path.suffix.lower()
    enc = readers._encoding(path)
    head = readers._head(path, enc, 5)
    if suffix == ".ris" or (suffix == ".txt" and any(h.startswith("TY  -") for h in head)):
        fmt, entries = "ris", _ris_raw(path, enc)
    elif suffix in (".nbib", ".medline") or (suffix == ".txt" and any(h.startswith("PMID-") for h in head)):
        fmt = "medline"
        entries = [e for e in readers._medline_entries(readers._lines(path, enc)) if "PMID" in e or "TI" in e]
    else:
        return None, [None] * n
    if len(entries) != n:  # cannot align with the reader's rows: keep none rather than wrong ones
        return None, [None] * n
    return fmt, [json.dumps(e, ensure_ascii=False) for e in entries]


def _fingerprints(df: pd.DataFrame) -> list[str]:
    """Content hash of a record as read (its id in the file included): the same file imported again matches."""
    cols = ["source_record_id", *RECORD_FIELDS]
    parts = [df[c].astype("string").fillna("") for c in cols]
    text = parts[0].str.cat(parts[1:], sep="\x1f")
    return [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in text]


@dataclass
class ImportSummary:
    """What an import did, per file and in total."""

    files: pd.DataFrame  # file, read, added, merged, skipped
    added_ids: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))

    @property
    def totals(self) -> dict[str, int]:
        return {c: int(self.files[c].sum()) for c in ("read", "added", "merged", "skipped")}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_files(folder: str | Path, paths: Sequence[str | Path], *,
                 progress: Progress = _quiet) -> ImportSummary:
    """Add records from search exports, de-duplicated within the import and against the project.

    All files are read before anything is written, and everything is written in one
    transaction: a malformed file changes nothing. A record already in the project
    (same content and file id) is skipped; a duplicate (DOI, PMID, title + year) is
    stored linked to the kept record of its group (``duplicate_of``) and not screened.
    Existing groups are never re-merged, so decisions already made stay where they are.
    """
    if not paths:
        raise DataError("no files given; pass at least one search export")
    with Store.open(folder) as store:
        done = store.imports().drop_duplicates("sha256").set_index("sha256")["n_read"]
    frames, again = [], []
    for path in map(Path, paths):
        sha = _sha256(path) if path.is_file() else ""
        if sha in done.index:  # byte-identical to an imported file: every record is already there
            again.append({"file": path.name, "read": int(done[sha]), "added": 0, "merged": 0,
                          "skipped": int(done[sha])})
            continue
        progress(f"reading {path.name}")
        df = readers.read_file(path)
        fmt, raw = _raw_fields(path, len(df))
        df = df[readers.RECORD_COLUMNS].rename(columns={"record_id": "source_record_id"})
        df["raw_format"], df["raw"], df["file"] = fmt, raw, path.name
        df["sha256"] = sha
        frames.append(df)
    if not frames:
        return ImportSummary(pd.DataFrame(again, columns=["file", "read", "added", "merged", "skipped"]))
    new = pd.concat(frames, ignore_index=True)
    new["fingerprint"] = _fingerprints(new)
    store = Store.open(folder)
    try:
        progress("finding duplicates")
        existing = store.records(kept_only=False)
        skipped = new["fingerprint"].isin(set(existing["fingerprint"])) | new["fingerprint"].duplicated()
        fresh = new[~skipped].reset_index(drop=True)
        fresh["id"] = store.next_record_id() + np.arange(len(fresh))
        combined = pd.concat([existing[["id", "title", "year", "doi", "pmid", "abstract"]],
                              fresh[["id", "title", "year", "doi", "pmid", "abstract"]]],
                             ignore_index=True)
        groups = duplicate_groups(combined)
        n_old = len(existing)
        roots = existing["duplicate_of"].fillna(existing["id"]).astype("int64")
        root_of_group = pd.Series(roots.to_numpy(), index=groups.iloc[:n_old].to_numpy()).groupby(level=0).min()
        fresh_groups = groups.iloc[n_old:].reset_index(drop=True)
        dup_of = fresh_groups.map(root_of_group)  # NaN: a group new to the project
        alone = dup_of.isna()
        if alone.any():
            sub, sub_groups = fresh[alone], fresh_groups[alone]
            kept = choose_kept(sub, sub_groups).to_numpy()
            kept_id = pd.Series(sub["id"].to_numpy()[kept], index=sub_groups.to_numpy()[kept])
            dup_of[alone] = sub_groups.map(kept_id).where(~kept)
        fresh["duplicate_of"] = dup_of.astype("Int64")
        new["status"] = "skipped"
        new.loc[~skipped, "status"] = np.where(fresh["duplicate_of"].isna(), "added", "merged")
        summary = new.groupby("file", sort=False)["status"].value_counts().unstack(fill_value=0)
        summary = summary.reindex(columns=["added", "merged", "skipped"], fill_value=0)
        summary["read"] = summary.sum(axis=1)
        summary.columns.name = None
        summary = summary.reindex(pd.unique(new["file"])).reset_index()[["file", "read", "added", "merged", "skipped"]]
        progress("writing records")
        with store.transaction():
            import_ids = {}
            for row in summary.itertuples(index=False):
                sha = new.loc[new["file"] == row.file, "sha256"].iloc[0]
                import_ids[row.file] = store.insert_import(
                    file_name=row.file, source=row.file, sha256=sha, n_read=row.read,
                    n_added=row.added, n_merged=row.merged, n_skipped=row.skipped)
            fresh["import_id"] = fresh["file"].map(import_ids)
            store.insert_records(fresh)
        if again:
            summary = pd.concat([summary, pd.DataFrame(again)], ignore_index=True)
        return ImportSummary(summary, fresh.loc[fresh["duplicate_of"].isna(), "id"].to_numpy(np.int64))
    finally:
        store.close()
