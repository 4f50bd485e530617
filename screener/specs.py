"""Values written as text on the command line, in config files and in benchmark scripts.

``"0-9"`` or ``"0,3,5"`` for seeds, ``"12,57"`` or ``"none"`` for record ids, ``"0.8,0.9"``
for target recalls: each parses here once, and a bad value is a ``ConfigError`` that
names the option and shows a good one.
"""

from __future__ import annotations

from screener.errors import ConfigError


def parse_seeds(text: str) -> list[int]:
    """``"0-9"``, ``"0,3,5"`` or ``"0-4,10"`` → the sorted, distinct seeds."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(p) for p in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                seeds.extend(range(lo, hi + 1))
            elif part:
                seeds.append(int(part))
    except ValueError:
        raise ConfigError(f"--seeds: cannot read {text!r}; write e.g. 0-9 or 0,3,5") from None
    if not seeds:
        raise ConfigError("--seeds: no seed given")
    return sorted(set(seeds))


def parse_ids(text: str | None) -> tuple[str, ...] | None:
    """``"12,57"`` → ``("12", "57")``; ``"none"`` → ``()`` (no priors: a cold start); ``None`` stays ``None``."""
    if text is None:
        return None
    if text.strip().lower() == "none":
        return ()
    ids = tuple(p.strip() for p in text.split(",") if p.strip())
    if not ids:
        raise ConfigError("--prior-ids: give record ids separated by commas")
    return ids


def parse_targets(text: str) -> list[float]:
    """``"0.8,0.9,0.95"`` → target recalls, each in (0, 1)."""
    try:
        targets = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ConfigError(f"--targets: expected e.g. 0.8,0.9,0.95, got {text!r}") from None
    if not targets or any(not 0 < t < 1 for t in targets):
        raise ConfigError(f"--targets: each target must be between 0 and 1 (exclusive), got {text!r}")
    return targets
