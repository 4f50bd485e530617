from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- plain-text criteria: statements of exclusion are kept out of the pseudo-document ---------

def test_an_exclusion_heading_takes_the_lines_under_it_until_the_next_heading():
    from screener.criteria import split_prose

    text = ("Inclusion Criteria\n1. The study should be an RCT.\n2. It reports pain.\n\n"
            "Exclusion Criteria\n1. Studies not involving humans.\n- surveys of peer interventions that\n"
            "  report no qualitative evidence;\nNotes:\nWe read every abstract twice.")
    include, exclude = split_prose(text)
    assert "RCT" in include and "pain" in include and "twice" in include
    assert "humans" in exclude and "qualitative evidence" in exclude  # a wrapped line stays in its section
    assert "humans" not in include and "qualitative" not in include


def test_labelled_lines_and_sentences_of_exclusion_are_out():
    from screener.criteria import split_prose

    text = ("Population:\n- Inclusion criteria: teachers\n- Exclusion criteria: students, nurses\n"
            "We included cohort studies of obesity (e.g. BMI). We excluded case reports, animal studies. "
            "Reviews were not eligible for inclusion. Protocols were ineligible. Studies had to report i.e. "
            "hair samples.")
    include, exclude = split_prose(text)
    for out in ("students", "case reports", "Reviews", "Protocols"):
        assert out in exclude and out not in include
    for kept in ("teachers", "cohort studies of obesity (e.g. BMI).", "hair samples"):
        assert kept in include


def test_a_clause_that_begins_with_not_after_a_clause_break_is_out():
    from screener.criteria import split_prose

    include, exclude = split_prose(
        "- Did the paper report primary data? i.e. not a literature review or meta-analysis.\n"
        "Adults, not children. Studies (not protocols) of mice. Whether or not it worked was recorded.")
    assert exclude.splitlines() == ["i.e. not a literature review or meta-analysis.", "not children.", "(not protocols)"]
    assert include.splitlines() == ["- Did the paper report primary data?", "Adults,", "Studies of mice.",
                                    "Whether or not it worked was recorded."]  # "or not" breaks no clause


def test_prose_without_exclusions_or_with_only_exclusions_keeps_its_text():
    from screener.criteria import split_prose

    assert split_prose("We included RCTs of emicizumab.") == ("We included RCTs of emicizumab.", "")
    assert split_prose("We excluded reviews.") == ("We excluded reviews.", "")  # never an empty pseudo-document
    assert split_prose("INCLUSION CRITERIA:\\n- Was it about phones?")[0].splitlines() == [
        "INCLUSION CRITERIA:", "- Was it about phones?"]  # a literal \n from a JSON string breaks the line


def test_plain_text_criteria_files_and_projects_split_alike(tmp_path):
    from screener.project.create import parse_criteria_text

    text = "We included peer-led groups.\nExclude:\n- randomised trials\n"
    p = tmp_path / "c.txt"
    p.write_text(text, encoding="utf-8")
    for c in (load_criteria(p), parse_criteria_text(text, "c.txt")):
        assert "randomised" not in c.pseudo_document() and "randomised" in c.exclude
        assert "peer-led" in c.pseudo_document()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcE xclude:.-\n\\nNotelig(")) | st.characters(), max_size=200))
def test_any_prose_splits_into_a_non_empty_pseudo_document(text):
    from screener.criteria import split_prose

    include, exclude = split_prose(text)
    if text.replace("\\n", "").strip():
        assert include.strip()
    assert not exclude or _words(exclude) <= _words(text.replace("\\n", "\n"))


def _words(text: str) -> set[str]:
    return set(text.split())
