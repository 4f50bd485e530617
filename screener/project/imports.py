"""Importing search exports into a project, de-duplicated within the import and against it.

All files are read before anything is written; the original RIS/MEDLINE fields are kept
with each record for export. Nothing here prints.
"""

from __future__ import annotations

import hashlib
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


def _fingerprints(df: pd.DataFrame) -> list[str]:
    """Content hash of a record as read (its id in the file included): the same file imported again matches."""
    cols = ["source_record_id", *RECORD_FIELDS]
    parts = [df[c].astype("string").fillna("") for c in cols]
    text = parts[0].str.cat(parts[1:], sep="\x1f")
    return [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in text]


@dataclass
class ImportSummary:
    """What an import did, per file and in total."""

    files: pd.DataFrame  # file, read, added, merged, skipped, blank (rows skipped as empty)
    added_ids: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))

    @property
    def totals(self) -> dict[str, int]:
        return {c: int(self.files[c].sum()) if c in self.files else 0
                for c in ("read", "added", "merged", "skipped", "blank")}


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
    (same content and file id) is skipped; a duplicate (``screener.dedup``: the same DOI or
    PMID, or title, authors, year and journal alike, never two different DOIs) is stored
    linked to the kept record of its group (``duplicate_of``) and not screened. Blank rows
    are skipped and counted (``blank``).
    Existing groups are never re-merged, so decisions already made stay where they are.
    """
    if not paths:
        raise DataError("no files given; pass at least one search export")
    with Store.open(folder) as store:
        done = store.imports().drop_duplicates("sha256").set_index("sha256")["n_read"]
    frames, again, blanks = [], [], {}
    for path in map(Path, paths):
        sha = _sha256(path) if path.is_file() else ""
        if sha in done.index:  # byte-identical to an imported file: every record is already there
            again.append({"file": path.name, "read": int(done[sha]), "added": 0, "merged": 0,
                          "skipped": int(done[sha]), "blank": 0})
            continue
        progress(f"reading {path.name}")
        df = readers.read_file(path)  # one parse and one set of checks, as 'screener read'
        fmt, raw = df.attrs.get("raw_format"), df.attrs.get("raw") or [None] * len(df)
        blank_rows = int(df.attrs.get("blank_rows", 0))
        df = df[readers.RECORD_COLUMNS].rename(columns={"record_id": "source_record_id"})
        df["raw_format"], df["raw"], df["file"] = fmt, raw, path.name
        df["sha256"] = sha
        blanks[path.name] = blank_rows
        frames.append(df)
    if not frames:
        return ImportSummary(pd.DataFrame(again, columns=["file", "read", "added", "merged", "skipped", "blank"]))
    new = pd.concat(frames, ignore_index=True)
    new["fingerprint"] = _fingerprints(new)
    store = Store.open(folder)
    try:
        progress("finding duplicates")
        existing = store.records(kept_only=False)
        skipped = new["fingerprint"].isin(set(existing["fingerprint"])) | new["fingerprint"].duplicated()
        fresh = new[~skipped].reset_index(drop=True)
        fresh["id"] = store.next_record_id() + np.arange(len(fresh))
        compared = ["id", "title", "year", "doi", "pmid", "abstract", "authors", "journal"]
        combined = pd.concat([existing[compared], fresh[compared]], ignore_index=True)
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
        summary["blank"] = summary["file"].map(blanks).fillna(0).astype(int)
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
