"""Inclusion criteria as data: the pseudo-document for a cold start, highlight terms, exclusion reasons.

A criteria file is plain text (the criteria as published) or a small TOML file::

    include = "..."            # prose: what a relevant record is
    exclude = "..."            # prose: what is out (shown to reviewers, not used as a positive example)
    terms = ["peer support", "qualitative", "ethnograph*"]   # highlighted; '*' is a wildcard
    exclude_terms = ["randomi*ed", "protocol"]                # highlighted as signs of exclusion
    reasons = ["not peer support", "no qualitative evidence"] # exclusion reasons offered in a session
    [stopping]
    target_recall = 0.95
    confidence = 0.95
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from screener.errors import ConfigError

_WORD = re.compile(r"[A-Za-z][A-Za-z\-]{3,}")


@dataclass(frozen=True)
class Criteria:
    """A review's eligibility criteria."""

    include: str
    exclude: str = ""
    terms: tuple[str, ...] = ()
    exclude_terms: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    target_recall: float = 0.95
    confidence: float = 0.95
    source: str = field(default="", compare=False)

    def pseudo_document(self) -> str:
        """The text that stands in for a relevant record before any is labelled.

        The include prose plus the terms; the exclude prose is left out because it
        names the confounders in the same words as the includes.
        """
        return " ".join([self.include, *self.terms]).strip()

    def highlight_pattern(self) -> re.Pattern | None:
        """A case-insensitive regex matching any term (``*`` as a word-character wildcard)."""
        return _terms_pattern(self.terms or _content_words(self.include))

    def exclude_pattern(self) -> re.Pattern | None:
        """The same for ``exclude_terms`` (words that point to exclusion; None when there are none)."""
        return _terms_pattern(self.exclude_terms)


# What marks a statement of exclusion in criteria written as prose: it names the records that are
# out, in the words of the records that are in, so it must not count as a relevant example.
_EXCLUSION = re.compile(r"\bexclu[ds]|\bnot eligible\b|\bineligible\b|\bnot (?:be )?(?:included|considered)\b",
                        re.IGNORECASE)
# a heading: a short line of its own that starts with a capital, e.g. "Exclusion criteria:", "Exclusion Criteria"
_HEADING = re.compile(r"^([A-Z][^.:;,]{0,58})(?::|\s*)$")
_LABEL = re.compile(r"^\W*([A-Za-z][A-Za-z ]{0,40}):\s*(\S.*)$")  # "- Exclusion criteria: other populations"
# a clause that begins with "not" after a clause break ("? i.e. not a review", ", not children",
# "(not protocols)") says what is out; it runs to the end of its sentence, or of its brackets
_NEGATED_CLAUSE = re.compile(r"(?:(?<=[,;:?]\s)|^|(?<=\s)(?=\())\(?(?:(?:i\.e\.|e\.g\.),?\s+)?not\b", re.IGNORECASE)
# a sentence ends at . ! or ? before a capital (or bracket, quote), not after e.g., i.e., cf., vs., al., etc.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bcf\.)(?<!\bvs\.)(?<!\bal\.)(?<!\betc\.)"
                           r"\s+(?=[A-Z(\[\"'\u201c])")


def split_prose(text: str) -> tuple[str, str]:
    """Criteria written as prose → (what is in, what is out).

    A line under a heading that speaks of exclusion ("Exclusion criteria", "Exclude:"), up to the
    next heading, is out; so is a line labelled so ("- Exclusion criteria: students") and any
    sentence that states an exclusion ("We excluded case reports", "Reviews were not eligible"),
    and a clause that begins with "not" after a clause break ("primary data? i.e. not a
    literature review", "adults, not children", "(not protocols)"), to the end of its sentence (or brackets).
    The rest is in. When nothing would be in, everything is (the pseudo-document is never empty).
    A literal ``\\n`` (criteria pasted from a JSON string) breaks a line as a newline does.
    """
    include: list[str] = []
    exclude: list[str] = []
    in_exclusion = False
    for line in text.replace("\\n", "\n").splitlines():
        if not line.strip():
            continue
        heading = _HEADING.match(line.strip())
        if heading and (line.strip().endswith(":") or len(heading.group(1).split()) <= 4):
            in_exclusion = bool(_EXCLUSION.search(heading.group(1)))
            (exclude if in_exclusion else include).append(line.strip())
            continue
        if in_exclusion:
            exclude.append(line.strip())
            continue
        label = _LABEL.match(line)
        if label and _EXCLUSION.search(label.group(1)):
            exclude.append(line.strip())
            continue
        for sentence in _SENTENCE_END.split(line.strip()):
            if _EXCLUSION.search(sentence):
                exclude.append(sentence)
                continue
            while negated := _NEGATED_CLAUSE.search(sentence):
                start = negated.start()
                close = sentence.find(")", start) if sentence[start] == "(" else -1
                end = close + 1 if close >= 0 else len(sentence)  # "(not ...)" ends at its bracket
                exclude.append(sentence[start:end])
                sentence = (sentence[:start].rstrip() + " " + sentence[end:].lstrip()).strip()
            if sentence:
                include.append(sentence)
    if not include:
        return text.strip(), ""
    return "\n".join(include), "\n".join(exclude)


def criteria_from_prose(text: str, *, source: str = "") -> Criteria:
    """Criteria from a plain-text file: its statements of exclusion (``split_prose``) kept apart
    from the pseudo-document, as a TOML file's ``exclude`` is."""
    include, exclude = split_prose(text)
    return Criteria(include=include, exclude=exclude, source=source)


def _terms_pattern(terms) -> re.Pattern | None:
    if not terms:
        return None
    parts = sorted((re.escape(t).replace(r"\*", r"\w*") for t in terms), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(parts) + r")", re.IGNORECASE)


def _content_words(text: str) -> tuple[str, ...]:
    words = {w.lower() for w in _WORD.findall(text)}
    return tuple(sorted(w for w in words if w not in ENGLISH_STOP_WORDS))


def load_criteria(path: str | Path) -> Criteria:
    """Read a criteria file (``.toml`` or plain text)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: criteria file not found")
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raw = path.read_bytes().decode("latin-1")
    if path.suffix.lower() != ".toml":
        text = raw.strip()
        if not text:
            raise ConfigError(f"{path}: the criteria file is empty; write the inclusion criteria as prose")
        return criteria_from_prose(text, source=str(path))
    try:
        doc = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return criteria_from_dict(doc, source=str(path))


def criteria_from_dict(doc: dict, *, source: str = "") -> Criteria:
    """Criteria from the parsed TOML table (also used for criteria stored in a project)."""
    where = source or "criteria"
    unknown = set(doc) - {"include", "exclude", "terms", "exclude_terms", "reasons", "stopping"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                          "use include, exclude, terms, exclude_terms, reasons, [stopping]")
    include = doc.get("include", "")
    if not isinstance(include, str) or not (include.strip() or doc.get("terms")):
        raise ConfigError(f"{where}: 'include' must be the inclusion criteria as text (or give 'terms')")
    for key in ("terms", "exclude_terms", "reasons"):
        val = doc.get(key, [])
        if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
            raise ConfigError(f"{where}: '{key}' must be a list of strings")
    if not isinstance(doc.get("exclude", ""), str):
        raise ConfigError(f"{where}: 'exclude' must be the exclusion criteria as text")
    stopping = doc.get("stopping", {})
    if not isinstance(stopping, dict) or set(stopping) - {"target_recall", "confidence"}:
        raise ConfigError(f"{where}: [stopping] is a table of target_recall and confidence")
    for name in ("target_recall", "confidence"):
        if isinstance(stopping.get(name, 0.95), bool) or not isinstance(stopping.get(name, 0.95), (int, float)):
            raise ConfigError(f"{where}: [stopping] {name} must be a number between 0 and 1")
    target = float(stopping.get("target_recall", 0.95))
    confidence = float(stopping.get("confidence", 0.95))
    for name, v in (("target_recall", target), ("confidence", confidence)):
        if not 0.0 < v < 1.0:
            raise ConfigError(f"{where}: [stopping] {name} must be between 0 and 1, got {v}")
    return Criteria(
        include=include.strip(),
        exclude=str(doc.get("exclude", "")).strip(),
        terms=tuple(t.strip() for t in doc.get("terms", []) if t.strip()),
        exclude_terms=tuple(t.strip() for t in doc.get("exclude_terms", []) if t.strip()),
        reasons=tuple(r.strip() for r in doc.get("reasons", []) if r.strip()),
        target_recall=target,
        confidence=confidence,
        source=source,
    )
