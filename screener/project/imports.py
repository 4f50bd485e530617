"""A review project: create it, import search exports (de-duplicated), build the pool, rank it.

The pool is the project's kept records (one per duplicate group); features are
fit on the whole pool once (``load_pool``) and the classifier is refit as
decisions arrive (``fit_learner``: milliseconds). Nothing here prints.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from screener import readers
from screener.active import ActiveLearner
from screener.criteria import Criteria, criteria_from_dict, load_criteria
from screener.dedup import choose_kept, duplicate_groups
from screener.errors import DataError, ProjectError
from screener.features import TextFeatures
from screener.model import load_model, save_model
from screener.project.store import RECORD_FIELDS, Store, now

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --- creating --------------------------------------------------------------------------------

def init_project(folder: str | Path, criteria_path: str | Path, *, seed: int = 0) -> Path:
    """Create a project folder holding the criteria file's text (so it travels with the project)."""
    criteria_path = Path(criteria_path)
    load_criteria(criteria_path)  # refuse a broken criteria file before creating anything
    text = criteria_path.read_bytes().decode("utf-8-sig", errors="replace")
    store = Store.create(folder, {
        "criteria_name": criteria_path.name, "criteria_text": text, "seed": str(int(seed)),
        "created": now(),
    })
    store.close()
    return Path(folder)


def project_criteria(store: Store) -> Criteria:
    name = store.get_meta("criteria_name", "criteria.txt")
    text = store.get_meta("criteria_text", "")
    if name.lower().endswith(".toml"):
        try:
            return criteria_from_dict(tomllib.loads(text), source=name)
        except tomllib.TOMLDecodeError as exc:
            raise ProjectError(f"{store.folder}: stored criteria are not valid TOML ({exc})") from None
    return Criteria(include=text.strip(), source=name)


# --- importing -------------------------------------------------------------------------------

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


# --- the pool and the model ------------------------------------------------------------------

@dataclass
class Pool:
    """The kept records with their features (fit once), in project id order."""

    records: pd.DataFrame
    ids: np.ndarray
    X: sp.csr_matrix
    pseudo: sp.csr_matrix | None
    criteria: Criteria
    signature: str


def load_pool(store: Store) -> Pool:
    records = store.records()
    if records.empty:
        raise ProjectError(f"{store.folder}: the project has no records yet; add some with 'screener import'")
    criteria = project_criteria(store)
    features = TextFeatures()
    X = features.fit_transform(records)
    pseudo = features.transform([criteria.pseudo_document()]) if criteria.pseudo_document() else None
    ids = records["id"].to_numpy(np.int64)
    signature = hashlib.sha1(ids.tobytes()).hexdigest()[:16]
    return Pool(records, ids, X, pseudo, criteria, signature)


def training_labels(labels: np.ndarray) -> np.ndarray:
    """include 1, exclude 0, anything else (maybe, unscreened) -1: the learner's int8 labels."""
    return np.select([labels == "include", labels == "exclude"], [1, 0], -1).astype(np.int8)


def queue_labels(labels: np.ndarray) -> np.ndarray:
    """As ``training_labels`` but 'maybe' is 2, so it stays out of the queue."""
    out = training_labels(labels)
    out[labels == "maybe"] = 2
    return out


def learner_settings(learner: ActiveLearner) -> dict:
    params = inspect.signature(ActiveLearner).parameters
    return {k: getattr(learner, k) for k in params if k != "random_state"}


def fit_learner(pool: Pool, labels: np.ndarray, *, seed: int, n_ledger: int) -> ActiveLearner:
    """A fresh learner (the project's defaults) fit on the current labels.

    Its generator is seeded from the project seed and the ledger length, so a ranking
    depends only on the ledger: the same project state gives the same queue after a restart.
    """
    learner = ActiveLearner(random_state=np.random.default_rng([int(seed), int(n_ledger)]))
    return learner.fit(pool.X, training_labels(labels), pseudo=pool.pseudo)


def _model_settings(pool: Pool, learner: ActiveLearner, n_ledger: int) -> dict:
    return {"learner": learner_settings(learner), "features": TextFeatures().get_params(),
            "pool_signature": pool.signature, "ledger_rows": int(n_ledger)}


def register_model(store: Store, pool: Pool, learner: ActiveLearner, labels: np.ndarray,
                   n_ledger: int, *, save: bool) -> int:
    """Give a fitted model a version in the project (and save it under ``models/``)."""
    settings = _model_settings(pool, learner, n_ledger)
    version = store.add_model(n_include=int((labels == "include").sum()),
                              n_exclude=int((labels == "exclude").sum()), settings=settings)
    if save:
        save_project_model(store, version, learner, settings)
    return version


def save_project_model(store: Store, version: int, learner: ActiveLearner, settings: dict) -> Path:
    path = store.models_dir / f"model-v{version:05d}.joblib"
    save_model(learner, path, settings=settings, n_labelled=getattr(learner, "n_labelled_", 0))
    store.set_model_path(version, path)
    return path


def current_model(store: Store, pool: Pool, labels: np.ndarray, *, retrain: bool = False,
                  save: bool = True) -> tuple[ActiveLearner, int]:
    """The model for the current ledger: the latest saved one when it still fits, else a new fit.

    A saved model that no longer matches its sidecar (hash, library versions) is refused
    with a ``ProjectError``; ``retrain=True`` ignores saved models.
    """
    n_ledger = store.n_decisions()
    latest = store.latest_saved_model()
    if latest is not None and not retrain:
        learner, meta = load_model(store.folder / latest["path"])
        # Reused only if it was fit on this ledger, this pool and today's feature and learner
        # settings (a model from older defaults would score a differently built matrix).
        expected = json.loads(json.dumps(_model_settings(pool, ActiveLearner(), n_ledger)))
        if meta.get("settings") == expected:
            return learner, int(latest["version"])
    seed = int(store.get_meta("seed", "0"))
    learner = fit_learner(pool, labels, seed=seed, n_ledger=n_ledger)
    return learner, register_model(store, pool, learner, labels, n_ledger, save=save)


RANK_COLUMNS = ["record_id", "title", "score", "rank", "year", "authors", "journal", "doi", "pmid",
                "source", "source_record_id"]


def rank_project(folder: str | Path, *, new: Sequence[str | Path] = (), retrain: bool = False,
                 progress: Progress = _quiet) -> tuple[pd.DataFrame, ImportSummary | None]:
    """Rank the unscreened records by the current model (calibrated scores).

    With ``new`` files, they are imported first (de-duplicated against everything) and
    only their new records are ranked, by a model fit on every decision so far.
    """
    summary = import_files(folder, new, progress=progress) if new else None
    with Store.open(folder) as store:
        progress("building features")
        pool = load_pool(store)
        labels = store.label_array(pool.ids)
        progress("fitting the model")
        learner, version = current_model(store, pool, labels, retrain=retrain)
        scores = learner.scores(pool.X)
        store.set_scores(pool.ids, scores, version)
        order = learner.ranking(scores, queue_labels(labels))
    if summary is not None:
        order = order[np.isin(pool.ids[order], summary.added_ids)]
    ranked = pool.records.iloc[order].rename(columns={"id": "record_id"})
    ranked = ranked.assign(score=scores[order], rank=np.arange(1, len(order) + 1))
    return ranked[RANK_COLUMNS].reset_index(drop=True), summary
