"""The text values of the command line and the benchmark scripts: seeds, record ids, targets."""

import pytest

from screener.errors import ConfigError
from screener.specs import parse_ids, parse_seeds, parse_targets


def test_seeds_are_ranges_and_lists_sorted_without_repeats():
    assert parse_seeds("0-3,7") == [0, 1, 2, 3, 7]
    assert parse_seeds(" 5, 1-2 ,5") == [1, 2, 5]


@pytest.mark.parametrize("text", ["a-b", "3-1", "", " , ", "1.5"])
def test_bad_seeds_name_the_option(text):
    with pytest.raises(ConfigError, match="--seeds"):
        parse_seeds(text)


def test_ids_and_a_cold_start():
    assert parse_ids("12, 57") == ("12", "57")
    assert parse_ids("None") == ()
    assert parse_ids(None) is None
    with pytest.raises(ConfigError, match="--prior-ids"):
        parse_ids(" , ")


def test_targets_are_recalls():
    assert parse_targets("0.8,0.95") == [0.8, 0.95]
    for text in ["0.8,1.5", "0", "x", ""]:
        with pytest.raises(ConfigError, match="--targets"):
            parse_targets(text)
