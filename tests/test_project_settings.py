"""A project's one settings entry: written at init, read by status, followed by sessions and rank."""

from __future__ import annotations

import json

import pytest

import screener.cli.project  # noqa: F401  (registers the commands)
from conftest import CRITERIA, make_review, run_cli
from screener.active import FRESH, WARM
from screener.errors import ConfigError, ProjectError
from screener.project import load_pool, project_status, rank_project
from screener.project.advice import stopping_advice
from screener.project.create import SETTINGS_KEY
from screener.project.settings import change_settings, project_settings, set_project_settings
from screener.project.store import Store
from screener.session import Session
from screener.settings import ProjectSettings


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    crit = tmp_path_factory.mktemp("crit") / "c.toml"
    crit.write_text(CRITERIA.read_text().replace("target_recall = 0.95", "target_recall = 0.9"))
    return make_review(tmp_path_factory.mktemp("tpl") / "review", criteria=crit)


def test_init_stores_one_settings_entry_with_the_criteria_files_target(store):
    stored = json.loads(store.get_meta(SETTINGS_KEY))
    assert set(stored) == {"fit_policy", "features", "learner", "views", "stopping_rule", "target", "confidence"}
    settings = project_settings(store)
    assert settings == ProjectSettings(target=0.9, confidence=0.95) and settings.fit_policy == WARM
    assert ProjectSettings.from_dict(settings.as_dict()) == settings


def test_a_project_made_before_settings_reads_what_it_ran(store):
    with store.transaction():
        store.con.execute("DELETE FROM meta WHERE key = ?", (SETTINGS_KEY,))
    assert project_settings(store) == ProjectSettings(target=0.9, confidence=0.95)
    assert load_pool(store).settings.fit_policy == WARM


def test_session_status_and_advice_follow_the_projects_settings(store, review):
    change_settings(store, stopping_rule="target", target=0.8)
    pool = load_pool(store)
    assert pool.settings.stopping_rule == "target" and pool.settings.confidence == 0.95
    session = Session(store, pool, reviewer="ann", background=False)
    try:
        assert session.stopping_rule == "target"
        assert session.advice.verdicts[0].rule == "target"
    finally:
        session.close()
    advice = stopping_advice(store)
    assert advice.target == 0.8 and advice.verdicts[0].rule == "target"
    assert project_status(review).settings.stopping_rule == "target"


def test_the_fit_policy_decides_the_projects_learner_and_a_model_of_another_policy_is_not_reused(review):
    ranked, _ = rank_project(review)
    with Store.open(review) as store:
        change_settings(store, fit_policy="fresh")
        assert load_pool(store).settings.fit_policy == FRESH
        n_models = len(store.models())
    ranked_again, _ = rank_project(review)  # the saved model was fit warm: refit under the new policy
    with Store.open(review) as store:
        assert len(store.models()) == n_models + 1
        members = json.loads(store.models().iloc[-1]["settings"])["learner"]["members"]
        assert [m["params"]["fit_policy"] for m in members] == [FRESH.as_dict()] * 2
    assert sorted(ranked_again["record_id"]) == sorted(ranked["record_id"])


def test_bad_settings_change_nothing(store):
    before = store.get_meta(SETTINGS_KEY)
    with pytest.raises(ConfigError, match="unknown stopping rule|no_such_rule"):
        change_settings(store, stopping_rule="no_such_rule")
    with pytest.raises(ConfigError, match="fit policy 'lukewarm'"):
        change_settings(store, fit_policy="lukewarm")
    with pytest.raises(ConfigError, match="target recall"):
        change_settings(store, target=1.0)
    with pytest.raises(ConfigError, match="unknown parameter C2"):
        set_project_settings(store, ProjectSettings(learner={"C2": 1}))
    with pytest.raises(ConfigError, match="must not hold fit_policy"):
        ProjectSettings(learner={"fit_policy": {}}).check()
    assert store.get_meta(SETTINGS_KEY) == before


def test_unreadable_stored_settings_are_one_line_naming_the_fix(store):
    store.set_meta(SETTINGS_KEY, "{not json")
    with pytest.raises(ProjectError, match="stored project settings cannot be read.*screener settings"):
        project_settings(store)
    assert change_settings(store, stopping_rule="knee").stopping_rule == "knee"  # replaced, readable again


def test_status_shows_the_settings_and_the_settings_command_changes_them(review):
    code, out, err = run_cli(["settings", review])
    assert code == 0, err
    assert "fit policy warm-started, 0.5 passes" in out and "stopping rule screener" in out and "0.9" in out
    code, out, err = run_cli(["settings", review, "--stopping-rule", "knee", "--target", "0.85"])
    assert code == 0 and "stopping rule knee; target recall 0.85" in out, err
    code, out, err = run_cli(["status", review])
    assert code == 0 and "settings: fit policy warm-started" in out and "stopping rule knee" in out, err
    code, out, err = run_cli(["settings", review, "--fit-policy", "tepid"])
    assert code == 1 and err.startswith("error: fit policy 'tepid'"), err


def test_a_criteria_edit_that_changes_the_stopping_table_moves_the_projects_target(store):
    from screener.project.create import set_project_criteria

    change_settings(store, stopping_rule="knee")
    text = store.get_meta("criteria_text")
    set_project_criteria(store, text.replace("target_recall = 0.9", "target_recall = 0.8"), by="ann")
    settings = project_settings(store)
    assert settings.target == 0.8 and settings.stopping_rule == "knee"
    change_settings(store, target=0.85)
    set_project_criteria(store, store.get_meta("criteria_text") + "\n# a comment\n", by="ann")
    assert project_settings(store).target == 0.85  # the stopping table did not change: neither does the target


def test_the_ranker_setting_chooses_the_interleave_or_the_word_model_and_a_model_of_the_other_is_refit(review):
    code, out, err = run_cli(["settings", review])
    assert code == 0 and "ranker on word and character n-grams, interleaved" in out, err
    first, _ = rank_project(review)  # a criteria cold start: the word member's queue alone (three includes end it)
    for rid, label in zip(first["record_id"][:5], ["include", "include", "exclude", "include", "exclude"]):
        code, out, err = run_cli(["decide", review, str(rid), "--label", label, "--reviewer", "ann"])
        assert code == 0, err
    interleaved, _ = rank_project(review)
    code, out, err = run_cli(["settings", review, "--ranker", "word"])
    assert code == 0 and "ranker on word n-grams" in out, err
    with Store.open(review) as store:
        pool = load_pool(store)
        assert pool.settings.views == "word" and not isinstance(pool.X, list)
        n_models = len(store.models())
    word, _ = rank_project(review)  # the saved interleave does not fit the new settings: refit
    with Store.open(review) as store:
        assert len(store.models()) == n_models + 1
        assert "members" not in json.loads(store.models().iloc[-1]["settings"])["learner"]
    assert sorted(word["record_id"]) == sorted(interleaved["record_id"])
    assert word["record_id"].tolist() != interleaved["record_id"].tolist()
    code, out, err = run_cli(["settings", review, "--ranker", "bert"])
    assert code == 1 and err.strip() == "error: unknown ranker 'bert'; choose interleave (the default) or word", err


def test_a_project_whose_settings_name_no_views_ranks_with_the_interleave_and_refits_its_single_model(review):
    with Store.open(review) as store:
        change_settings(store, views="word")
    single, _ = rank_project(review)  # a model of the single learner, saved
    with Store.open(review) as store:
        stored = json.loads(store.get_meta(SETTINGS_KEY))
        del stored["views"]  # as a project made before issue 11 stored them
        with store.con:
            store.con.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(stored), SETTINGS_KEY))
        assert project_settings(store).views == "word+char"
        n_models = len(store.models())
        n_decisions = store.n_decisions()
    again, _ = rank_project(review)
    with Store.open(review) as store:
        assert len(store.models()) == n_models + 1 and store.n_decisions() == n_decisions
        assert "members" in json.loads(store.models().iloc[-1]["settings"])["learner"]
    assert sorted(again["record_id"]) == sorted(single["record_id"])
