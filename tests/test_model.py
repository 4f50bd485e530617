import json

import numpy as np
import pytest

from screener.errors import ConfigError, ProjectError
from screener.model import calibrated_proba, class_weights, load_model, make_classifier, save_model, sidecar_path


def test_balanced_weights_give_each_class_the_same_total():
    y = np.array([1] * 3 + [0] * 97)
    w_pos, w_neg = class_weights(y, "balanced")
    assert w_pos * 3 == pytest.approx(w_neg * 97)


def test_numeric_weight_scales_the_relevant_class_total():
    y = np.array([1] * 2 + [0] * 8)
    w_pos, w_neg = class_weights(y, 3.0)
    assert (w_pos * 2) / (w_neg * 8) == pytest.approx(3.0)
    assert w_pos * 2 + w_neg * 8 == pytest.approx(10)  # weights add up to the examples: C keeps its meaning
    assert class_weights(y, 1.0) == pytest.approx(class_weights(y, "balanced"))
    with pytest.raises(ConfigError, match="class_weight"):
        class_weights(y, "heavy")


def test_calibration_undoes_the_class_weighting():
    # equal weights: plain sigmoid; upweighting the relevant class by 9 shifts the logit by log 9
    assert calibrated_proba(np.array([0.0]), 1.0, 1.0)[0] == pytest.approx(0.5)
    assert calibrated_proba(np.array([np.log(9)]), 9.0, 1.0)[0] == pytest.approx(0.5)


def test_bad_C_is_rejected():
    with pytest.raises(ConfigError, match="C must be"):
        make_classifier(C=0)


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
