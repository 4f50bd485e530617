"""PRISMA numbers for the screening stage, the model's state and the project's settings, read from a project."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from screener.errors import ScreenerError
from screener.prisma_diagram import FlowCounts
from screener.project.flow import flow_counts
from screener.project.model_files import load_model
from screener.project.settings import project_settings
from screener.project.store import Store
from screener.project.votes import stage_outcomes
from screener.settings import ProjectSettings

NO_REASON = "(no reason given)"


@dataclass
class ModelState:
    version: int | None = None
    created: str | None = None
    n_include: int = 0
    n_exclude: int = 0
    path: str | None = None
    check: str = "no model yet"  # "ok", or why the saved file is refused
    up_to_date: bool = False
    estimated_unseen: float | None = None  # sum of the latest scores of unscreened records


@dataclass
class Status:
    identified: dict[str, int]  # records per source file (duplicates included)
    duplicates_removed: int
    screened: int
    included: int
    excluded: int
    maybe: int
    not_screened: int
    exclusion_reasons: dict[str, int]
    model: ModelState = field(default_factory=ModelState)
    flows: list[FlowCounts] = field(default_factory=list)  # PRISMA 2020 counts: first search, update
    settings: ProjectSettings = field(default_factory=ProjectSettings)  # how the project ranks and advises stopping

    @property
    def identified_total(self) -> int:
        return sum(self.identified.values())

    @property
    def pool(self) -> int:
        return self.identified_total - self.duplicates_removed


def project_status(folder: str | Path) -> Status:
    """Counts for a PRISMA flow diagram's screening boxes, plus the latest model's state."""
    with Store.open(folder) as store:
        per_source = store.records_per_source()
        dups = store.n_duplicates()
        kept = store.records()
        # Title/abstract outcomes (in dual mode: agreed votes or a consensus, see screener.conflicts).
        outcomes = stage_outcomes(store, "ta", kept["id"].to_numpy())
        current = outcomes[outcomes["state"] == "decided"].set_index("record_id")
        labels = current["label"]
        excluded = current[labels == "exclude"]
        reasons = excluded["reason"].fillna(NO_REASON).value_counts()
        flows = flow_counts(store)
        counts = {lab: int((labels == lab).sum()) for lab in ("include", "exclude", "maybe")}
        screened = sum(counts.values())
        model = _model_state(store, kept, current)
        settings = project_settings(store)
    return Status(
        identified=per_source, duplicates_removed=dups,
        screened=screened, included=counts["include"], excluded=counts["exclude"],
        maybe=counts["maybe"], not_screened=len(kept) - screened,
        exclusion_reasons={str(k): int(v) for k, v in reasons.items()}, model=model, flows=flows,
        settings=settings)


def _model_state(store: Store, kept: pd.DataFrame, current: pd.DataFrame) -> ModelState:
    models = store.models()
    if models.empty:
        return ModelState()
    last = models.iloc[-1]
    state = ModelState(version=int(last["version"]), created=str(last["created"]),
                       n_include=int(last["n_include"]), n_exclude=int(last["n_exclude"]))
    saved = store.latest_saved_model()
    if saved is not None:
        state.path = saved["path"]
        try:
            _, meta = load_model(store.folder, saved["path"])
            state.check = "ok"
            state.up_to_date = (meta.get("settings", {}).get("ledger_rows") == store.n_decisions()
                                and int(saved["version"]) == state.version)
        except ScreenerError as exc:
            state.check = f"refused: {exc}"
    else:
        state.check = "not saved"
    scores = store.scores().set_index("record_id")["score"]
    screened = current.index[current["label"].isin(["include", "exclude", "maybe"])]
    unseen = kept["id"][~kept["id"].isin(screened)]
    if not scores.empty:
        state.estimated_unseen = float(scores.reindex(unseen).fillna(0).sum())
    return state
