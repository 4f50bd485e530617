"""A target recall must lie strictly between 0 and 1 wherever it enters (issue 10: bad input is one line)."""

import pytest

from screener.errors import ConfigError
from screener.specs import parse_targets
from screener.stopping.base import check_target


@pytest.mark.parametrize("target", [0.0, 1.0, 1.5, -0.2])
def test_check_target_refuses_outside_open_interval(target):
    with pytest.raises(ConfigError, match="between 0 and 1"):
        check_target(target, 0.95)


@pytest.mark.parametrize("confidence", [0.0, 1.0])
def test_check_target_refuses_certain_confidence(confidence):
    with pytest.raises(ConfigError, match="confidence"):
        check_target(0.95, confidence)


@pytest.mark.parametrize("text", ["1", "0.8,1.0", "0", "x"])
def test_parse_targets_refuses(text):
    with pytest.raises(ConfigError, match="--targets"):
        parse_targets(text)


def test_parse_targets_accepts():
    assert parse_targets("0.8, 0.9,0.95") == [0.8, 0.9, 0.95]
