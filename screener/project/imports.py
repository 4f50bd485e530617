"""Importing search exports into a project, de-duplicated within the import and against it.

All files are read before anything is written; the original RIS/MEDLINE fields are kept
with each record for export. Nothing here prints.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

import numpy as np
import pandas as pd

from screener import readers
from screener.dedup import choose_kept, duplicate_groups
from screener.errors import DataError
from screener.project.store import FINGERPRINT_FIELDS, Store

Progress = Callable[[str], None]
IMPORT_LOCK = "import.lock"
BATCH_ROWS = 500  # records in the first write transaction; later ones are sized to take BATCH_S
BATCH_S = 0.2  # target length of one write transaction: a waiting decision waits about this long at most
BATCH_PAUSE_S = 0.02  # between batches; longer than a waiting writer's poll (``store.LOCK_POLL_S``)


def _quiet(_: str) -> None:
    pass


def _fingerprints(df: pd.DataFrame) -> list[str]:
    """Content hash of a record as read (its id in the file included): the same file imported again matches."""
    cols = ["source_record_id", *FINGERPRINT_FIELDS]
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

    All files are read before anything is written, so a malformed file changes nothing.
    Imports into one project take turns (``import_lock``; the one that waits says so through
    ``progress``); record ids are allocated inside the write transaction. The records are
    written in batches sized to take ``BATCH_S`` each, each its own short transaction, so that a
    session saving a decision meanwhile waits a moment at most; they stay invisible until the
    last transaction marks the import done, so a killed import changes nothing anyone sees (its
    batches are discarded by the next import). A record already in the project (same content
    and file id) is skipped; a duplicate (``screener.dedup``: the same DOI or PMID, or title,
    authors, year and journal alike, never two different DOIs) is stored linked to the kept
    record of its group (``duplicate_of``) and not screened. Blank rows are skipped and counted
    (``blank``). Existing groups are never re-merged, so decisions already made stay where they are.
    """
    if not paths:
        raise DataError("no files given; pass at least one search export")
    with Store.open(folder) as store:
        done = _done_files(store)
    frames, blanks = [], {}
    for path in map(Path, paths):
        sha = _sha256(path) if path.is_file() else ""
        if sha in done.index:  # byte-identical to an imported file: nothing to read
            frames.append(pd.DataFrame({"file": [path.name], "sha256": [sha]}))
            continue
        progress(f"reading {path.name}")
        parsed = readers.parse_file(path)  # one parse and one set of checks, as 'screener read'
        df = parsed.records[readers.RECORD_COLUMNS].rename(columns={"record_id": "source_record_id"})
        df["raw_format"], df["raw"] = parsed.raw_format, parsed.raw or [None] * len(df)
        df["file"], df["sha256"] = path.name, sha
        blanks[path.name] = parsed.blank_rows
        frames.append(df)
    store = Store.open(folder)
    try:
        with import_lock(store.folder, progress):
            store.discard_unfinished_imports()
            return _write_import(store, frames, blanks, progress)
    finally:
        store.close()


def _done_files(store: Store) -> pd.Series:
    """Records read per imported file, by the file's SHA-256."""
    return store.imports().drop_duplicates("sha256").set_index("sha256")["n_read"]


def _write_import(store: Store, frames: list[pd.DataFrame], blanks: dict[str, int],
                  progress: Progress) -> ImportSummary:
    """De-duplicate the read files against the project and write them (the import lock held)."""
    done = _done_files(store)  # again: another import may have added a file meanwhile
    again = [{"file": f["file"].iloc[0], "read": int(done[f["sha256"].iloc[0]]), "added": 0, "merged": 0,
              "skipped": int(done[f["sha256"].iloc[0]]), "blank": 0}
             for f in frames if f["sha256"].iloc[0] in done.index]
    frames = [f for f in frames if f["sha256"].iloc[0] not in done.index]
    if not frames:
        return ImportSummary(pd.DataFrame(again, columns=["file", "read", "added", "merged", "skipped", "blank"]))
    new = pd.concat(frames, ignore_index=True)
    new["fingerprint"] = _fingerprints(new)
    progress("finding duplicates")
    existing = store.records(kept_only=False)
    skipped = new["fingerprint"].isin(set(existing["fingerprint"])) | new["fingerprint"].duplicated()
    fresh = new[~skipped].reset_index(drop=True)
    first_id = store.next_record_id()  # provisional: the write transaction allocates them
    fresh["id"] = first_id + np.arange(len(fresh))
    compared = ["id", "title", "year", "doi", "pmid", "abstract", "authors", "journal", "volume", "pages",
                "source_ids"]
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
        # The ids are allocated here, inside the write transaction; with the import lock held
        # nothing else adds records, so this is the provisional first id (shifted if not).
        shift = store.next_record_id() - first_id
        if shift:
            fresh["id"] += shift
            fresh["duplicate_of"] = fresh["duplicate_of"].where(fresh["duplicate_of"] < first_id,
                                                                fresh["duplicate_of"] + shift)
        import_ids = {}
        for row in summary.itertuples(index=False):
            sha = new.loc[new["file"] == row.file, "sha256"].iloc[0]
            import_ids[row.file] = store.insert_import(
                file_name=row.file, source=row.file, sha256=sha, n_read=row.read,
                n_added=row.added, n_merged=row.merged, n_skipped=row.skipped, pending=True)
        fresh["import_id"] = fresh["file"].map(import_ids)
        # kept rows first: a duplicate's row refers to its kept record (foreign key)
        fresh = fresh.iloc[np.argsort(fresh["duplicate_of"].notna().to_numpy(), kind="stable")]
        started = time.perf_counter()
        store.insert_records(fresh.iloc[:BATCH_ROWS])
    took = time.perf_counter() - started  # the commit included
    start, size = BATCH_ROWS, BATCH_ROWS
    while start < len(fresh):
        # sized by the last batch's speed, so a batch takes about BATCH_S on a busy machine too
        size = int(np.clip(size * BATCH_S / max(took, 1e-3), 50, 20_000))
        time.sleep(BATCH_PAUSE_S)  # room for another writer (a decision) between batches
        progress(f"writing records ({start:,} of {len(fresh):,})")
        with store.transaction(wait=None, on_wait=_waiting(progress)):
            started = time.perf_counter()
            store.insert_records(fresh.iloc[start:start + size])
        took = time.perf_counter() - started
        start += size
    store.finish_imports(list(import_ids.values()))
    if again:
        summary = pd.concat([summary, pd.DataFrame(again)], ignore_index=True)
    return ImportSummary(summary, np.sort(fresh.loc[fresh["duplicate_of"].isna(), "id"].to_numpy(np.int64)))


def _waiting(progress: Progress) -> Callable[[float], None]:
    return lambda waited: progress(f"waiting for another process writing to the project ({waited:.0f} s)")


@contextmanager
def import_lock(folder: Path, progress: Progress = _quiet) -> Iterator[None]:
    """Imports into one project take turns: an OS lock on ``import.lock`` (released if the holder dies)."""
    with open(folder / IMPORT_LOCK, "a+b") as fh:
        start = report = time.monotonic()
        while not _try_lock(fh):
            if time.monotonic() >= report:
                progress(f"waiting for another import into this project to finish "
                         f"({time.monotonic() - start:.0f} s)")
                report += 2.0
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(fh)


def _try_lock(fh) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # Windows
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        return True
    except OSError:
        return False


def _unlock(fh) -> None:
    if fcntl is not None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    else:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
