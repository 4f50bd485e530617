"""Parsing helpers shared by CLI commands (seed ranges, id lists)."""

from __future__ import annotations

from screener.errors import ConfigError


def parse_seeds(text: str) -> list[int]:
    """``"0-9"``, ``"0,3,5"`` or ``"0-4,10"`` → a list of seeds."""
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
