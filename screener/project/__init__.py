"""A review project: one folder holding the store, and the operations over it.

``store`` (the SQLite database: records, decision ledger, models, scores; all SQL),
``create`` (init, the stored criteria), ``imports`` (search exports in, de-duplicated),
``pool`` (the pool's features, the model fit on the ledger, rank),
``advice`` (stopping advice and random checks), ``status`` (PRISMA counts and the
model's state) and ``export``. The names the CLI and the session use are re-exported here.
"""

from screener.project.advice import (
    Advice,
    draw_sample,
    pending_sample,
    project_advice,
    stopping_advice,
)
from screener.project.create import init_project, project_criteria
from screener.project.export import export_project
from screener.project.imports import ImportSummary, import_files
from screener.project.pool import (
    Pool,
    current_model,
    fit_learner,
    load_pool,
    project_learner,
    queue_labels,
    rank_project,
    register_model,
    training_labels,
)
from screener.project.status import Status, project_status
from screener.project.store import Store

__all__ = [
    "Advice", "ImportSummary", "Pool", "Status", "Store", "current_model", "draw_sample",
    "export_project", "fit_learner", "import_files", "init_project", "load_pool", "pending_sample",
    "project_advice", "project_criteria", "project_learner", "project_status", "queue_labels", "rank_project",
    "register_model", "stopping_advice", "training_labels",
]
