import json

import pytest

from screener.errors import ProjectError
from screener.project.model_files import load_model, save_model, sidecar_path


def test_saved_model_round_trips_with_its_sidecar(tmp_path):
    path = save_model({"coef": [1, 2]}, tmp_path / "m.joblib", settings={"C": 1.0}, n_labelled=12)
    obj, meta = load_model(path)
    assert obj == {"coef": [1, 2]} and meta["n_labelled"] == 12 and meta["settings"] == {"C": 1.0}
    assert len(meta["sha256"]) == 64 and "scikit-learn" in meta["versions"]


def test_a_changed_file_is_refused(tmp_path):
    path = save_model([1], tmp_path / "m.joblib", settings={}, n_labelled=1)
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(ProjectError, match="hash"):
        load_model(path)


def test_a_file_without_sidecar_is_refused(tmp_path):
    path = save_model([1], tmp_path / "m.joblib", settings={}, n_labelled=1)
    sidecar_path(path).unlink()
    with pytest.raises(ProjectError, match="unknown origin"):
        load_model(path)


def test_other_library_versions_are_refused(tmp_path):
    path = save_model([1], tmp_path / "m.joblib", settings={}, n_labelled=1)
    side = sidecar_path(path)
    meta = json.loads(side.read_text())
    meta["versions"]["scikit-learn"] = "0.1"
    side.write_text(json.dumps(meta))
    with pytest.raises(ProjectError, match="scikit-learn 0.1"):
        load_model(path)
