from pathlib import Path

import pytest

from screener.criteria import Criteria, load_criteria
from screener.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_toml_criteria_load_with_terms_reasons_and_stopping():
    c = load_criteria(ROOT / "data" / "peer_support.criteria.toml")
    assert "peer support" in c.include.lower()
    assert "qualitative" in c.terms and c.reasons and c.target_recall == 0.95
    doc = c.pseudo_document()
    assert "focus group" in doc and c.exclude and c.exclude not in doc


def test_plain_text_criteria_become_the_pseudo_document(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("\ufeffWe included qualitative studies of peer workers in harm reduction.\n", encoding="utf-8")
    c = load_criteria(p)
    assert c.pseudo_document().startswith("We included qualitative")
    assert c.highlight_pattern().search("Peer WORKERS said") is not None


def test_wildcard_terms_highlight_word_stems():
    c = Criteria(include="x", terms=("ethnograph*", "peer-led"))
    pat = c.highlight_pattern()
    assert [m.group(0) for m in pat.finditer("An ethnographic study of peer-led groups")] == ["ethnographic", "peer-led"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("include = ", "not valid TOML"),
        ("include = 3", "'include' must be"),
        ('include = "x"\nterms = "a"', "'terms' must be a list"),
        ('include = "x"\ncolour = 1', "unknown key"),
        ('include = "x"\n[stopping]\ntarget_recall = 1.5', "target_recall"),
    ],
)
def test_bad_toml_gives_one_clear_config_error(tmp_path, text, message):
    p = tmp_path / "c.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        load_criteria(p)
    assert "\n" not in str(err.value) and str(p) in str(err.value)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_criteria(tmp_path / "nope.toml")
    (tmp_path / "e.txt").write_text("  \n")
    with pytest.raises(ConfigError, match="empty"):
        load_criteria(tmp_path / "e.txt")
