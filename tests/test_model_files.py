"""Model files are data: saved and loaded without pickles, refused (with the recovering command) when
they leave models/, do not match their sidecar, or come from other library versions."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import screener.cli.project  # noqa: F401  (registers the commands)
from conftest import make_review, run_cli
from screener.errors import ProjectError
from screener.project import project_status, rank_project
from screener.project.model_files import CHECKED_LIBRARIES, _sha256, load_model, save_model, sidecar_path
from screener.project.store import Store


class _Planted:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    folder = make_review(tmp_path_factory.mktemp("models") / "review")
    rank_project(folder)
    return folder


def _saved(review: Path) -> tuple[Path, str]:
    with Store.open(review) as store:
        stored = store.latest_saved_model()["path"]
    return review / stored, stored


def _reseal(path: Path, **changes) -> None:
    """Rewrite the sidecar as an attacker with write access would: hash recomputed to match."""
    side = sidecar_path(path)
    meta = json.loads(side.read_text())
    meta.update(sha256=_sha256(path), **changes)
    side.write_text(json.dumps(meta))


def test_a_model_round_trips_as_arrays_and_json(tmp_path):
    (tmp_path / "models").mkdir()
    save_model({"coef": np.arange(3.0), "vocabulary": np.frombuffer(b"a\nb", np.uint8)},
               tmp_path / "models" / "m.npz", settings={"C": 1.0}, n_labelled=12)
    arrays, meta = load_model(tmp_path, "models/m.npz")
    assert arrays["coef"].tolist() == [0, 1, 2] and meta["n_labelled"] == 12 and meta["settings"] == {"C": 1.0}
    assert set(CHECKED_LIBRARIES) <= set(meta["versions"])
    with pytest.raises(ValueError, match="objects"):
        save_model({"x": np.array([object()])}, tmp_path / "models" / "o.npz", settings={}, n_labelled=0)


def test_a_planted_pickle_with_a_resealed_sidecar_is_refused_and_never_runs(review, tmp_path):
    marker = tmp_path / "MARKER"
    path, _ = _saved(review)
    with open(path, "wb") as fh:  # an npz whose array is a pickle calling os.system
        np.savez(fh, coef=np.array([_Planted(marker)], dtype=object))
    _reseal(path)
    assert "refused" in project_status(review).model.check
    code, out, err = run_cli(["rank", str(review), "--out", str(tmp_path / "r.csv")])
    err = " ".join(err.split())  # one message (rich may wrap it)
    assert code != 0 and "Traceback" not in err and "not loaded" in err
    assert f"screener rank {review} --retrain --out ranked.csv" in err
    assert not marker.exists()
    # the command the refusal names recovers the project
    code, _, err = run_cli(["rank", str(review), "--retrain", "--out", str(tmp_path / "r.csv")])
    assert code == 0, err
    assert project_status(review).model.check == "ok"
    assert not marker.exists()


@pytest.mark.parametrize("where", ["../outside/model.npz", "ABSOLUTE", "models/model.joblib", "screener.sqlite"])
def test_a_model_path_outside_models_is_refused(review, tmp_path, where):
    marker = tmp_path / "MARKER"
    path, stored = _saved(review)
    if where == "ABSOLUTE":
        where = str(tmp_path / "elsewhere" / "model.npz")
    target = review / where
    if target != review / "screener.sqlite":
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix == ".joblib":
            import pickle
            target.write_bytes(pickle.dumps(_Planted(marker)))
        else:
            shutil.copy(path, target)
            shutil.copy(sidecar_path(path), sidecar_path(target))
    with Store.open(review) as store:
        with store.transaction():
            store.con.execute("UPDATE models SET path = ? WHERE path = ?", (where, stored))
    status = project_status(review).model.check
    assert status.startswith("refused") and "models/ folder" in status
    code, _, err = run_cli(["rank", str(review), "--out", str(tmp_path / "r.csv")])
    err = " ".join(err.split())
    assert code != 0 and "not loaded" in err and f"screener rank {review} --retrain --out ranked.csv" in err
    assert not marker.exists()
    assert run_cli(["rank", str(review), "--retrain", "--out", str(tmp_path / "r.csv")])[0] == 0
    assert project_status(review).model.check == "ok"


@pytest.mark.parametrize("lib", ["scipy", "pandas", "scikit-learn", "numba"])
def test_other_library_versions_are_refused(review, lib):
    path, _ = _saved(review)
    meta = json.loads(sidecar_path(path).read_text())
    _reseal(path, versions={**meta["versions"], lib: "0.1"})
    assert f"saved with {lib} 0.1" in project_status(review).model.check
    with pytest.raises(ProjectError, match=f"{lib} 0.1.*--retrain"):
        rank_project(review)


def test_a_changed_file_or_a_missing_sidecar_is_refused(review):
    path, _ = _saved(review)
    path.write_bytes(path.read_bytes() + b"x")
    assert "hash" in project_status(review).model.check
    sidecar_path(path).unlink()
    assert "unknown origin" in project_status(review).model.check


def test_a_restored_model_ranks_as_the_fitted_one(review):
    first, _ = rank_project(review, retrain=True)
    again, _ = rank_project(review)  # the saved model, read back from the npz
    assert first["record_id"].tolist() == again["record_id"].tolist()
    np.testing.assert_array_equal(first["score"].to_numpy(), again["score"].to_numpy())


def test_the_interleave_saves_both_members_and_both_views_and_ranks_the_same_restored(review):
    with Store.open(review) as store:
        ids = store.records()["id"].tolist()
        for rid in ids[:6]:
            store.add_decision(int(rid), "exclude", reviewer="ann")
        store.add_decision(int(ids[6]), "include", reviewer="ann")
    first, _ = rank_project(review, retrain=True)
    path, stored = _saved(review)
    arrays, meta = load_model(review, stored)
    assert {"m0_coef", "m1_coef", "vocabulary", "char_terms", "char_idf"} <= set(arrays)
    assert len(meta["learner_state"]["members"]) == 2 and meta["settings"]["features"]["char"]["ngram_range"] == [4, 4]
    again, _ = rank_project(review)  # the saved model, read back from the npz
    assert first["record_id"].tolist() == again["record_id"].tolist()
    np.testing.assert_array_equal(first["score"].to_numpy(), again["score"].to_numpy())
