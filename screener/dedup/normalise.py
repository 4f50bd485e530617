"""Record fields made comparable: titles, authors, journals, pages, volumes, identifiers
(DOI, PMID and the databases' own: WoS UT, Scopus EID, PMCID, accession numbers).

The same study reaches a review through several databases, each writing it its own
way: "[Review] [45 refs]" or "(Structured abstract)" after the title, "[Chinese]"
or "LA: Chi" for the language, ">or=" for "≥", "oesophageal" beside "esophageal",
"Zhou, Ailian" beside "Zhou, A.", "J Parenter Enteral Nutr" beside its full name.
These functions map each variant to one form so the matcher compares content.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

import numpy as np
import pandas as pd
from rapidfuzz.utils import default_process

_COMBINING = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
_MOJIBAKE = (r"[\u00c2\u00c3\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
             r"\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")

# Notes databases append to titles; removed before comparing (case-insensitive).
_LANGUAGES = (r"chinese|german|french|spanish|japanese|russian|italian|portuguese|polish|korean|"
              r"dutch|czech|hungarian|turkish|persian|danish|swedish|norwegian|finnish|hebrew|"
              r"greek|croatian|serbian|slovak|slovenian|romanian|bulgarian|ukrainian|arabic|"
              r"lithuanian|estonian|latvian|icelandic|thai|vietnamese|indonesian|malay|english")
DATABASE_NOTES = [
    r"\[\s*review\s*\]",
    r"\[\s*\d+\s*ref(?:s|erences)?\.?\s*\]",
    r"\(\s*structured abstract\s*\)",
    r"\(\s*author'?s'? transl\.?\s*\)",
    r"\[\s*(?:see )?comments?\s*\]",
    r"\[\s*(?:letter|editorial|news|abstract|meeting abstract|in process citation)\s*\]",
    rf"\[\s*(?:article in |text in )?(?:{_LANGUAGES})(?:\s*(?:,|and|&)\s*(?:{_LANGUAGES}))*"
    rf"(?:\s+(?:abstract|summary|translation))?\s*\]",
    rf"\(\s*(?:{_LANGUAGES})(?:\s+(?:abstract|summary|translation))?\s*\)\s*$",
    r"\[\s*(?:published )?erratum appears in[^\]]*\]",
    r"\bla:\s*[a-z]{2,4}\.?\s*$",
]
_NOTES_RE = re.compile("|".join(DATABASE_NOTES), re.IGNORECASE)

# Symbol spellings that databases transliterate differently; all become a word.
_SYMBOLS = [
    (r"≥|>\s*or\s*=|>\s*/\s*=|=\s*>|>=|⩾", " ge "),
    (r"≤|<\s*or\s*=|<\s*/\s*=|=\s*<|<=|⩽", " le "),
    (r"±|\+\s*/\s*-|\+\s*or\s*-|\+-", " pm "),
    (r">", " gt "), (r"<", " lt "), (r"&", " and "), (r"%", " percent "),
    (r"×", " x "), (r"→", " to "),
]
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "κ": "kappa",
          "λ": "lambda", "μ": "mu", "µ": "mu", "ω": "omega", "τ": "tau", "θ": "theta",
          "σ": "sigma", "ζ": "zeta", "η": "eta", "π": "pi", "χ": "chi", "ψ": "psi", "ϕ": "phi",
          "φ": "phi", "ν": "nu", "ρ": "rho", "ξ": "xi", "ι": "iota", "ο": "omicron", "υ": "upsilon"}
_GREEK_RE = re.compile("[" + "".join(_GREEK) + "]")
# British and American spellings of the same word (oesophageal/esophageal, haem/hem...).
_SPELLING = [
    (r"\boe(?=[a-z])", "e"), (r"(?<=[a-z])ae(?=[a-z])", "e"), (r"\bae(?=[a-z]{3})", "e"),
    (r"isation", "ization"), (r"ise(?=[ds]?\b)", "ize"), (r"yse(?=[ds]?\b)", "yze"),
    (r"(?<=[a-z]{2})our\b", "or"), (r"(?<=[a-z]{2})tre\b", "ter"),
]



def unmojibake(text: str) -> str:
    """UTF-8 text that was once decoded as cp1252 ('â€œ' for '“'), repaired where possible."""
    raw = bytearray()
    for ch in text:
        try:
            raw += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 255:
                return text
            raw.append(ord(ch))  # bytes cp1252 leaves undefined (0x81, 0x9d...) pass through
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


def _strings(s: pd.Series) -> pd.Series:
    return s.astype("object").where(s.notna(), "").astype(str)


_MOJIBAKE_RE = re.compile(_MOJIBAKE)
_MARKUP_RE = re.compile(r"</?[a-zA-Z][^>]{0,20}>(?<!<original>)(?<!<ORIGINAL>)")
_COMBINING_RE = re.compile(_COMBINING)
_NOTED_RE = re.compile(r"[\[(]|la:")
_SYMBOL_RES = [(re.compile(p), w) for p, w in _SYMBOLS]
_SYMBOLIC_RE = re.compile(r"[<>≥≤⩾⩽±&%×→+]")
_SPELLING_RES = [(re.compile(p), r) for p, r in _SPELLING]


def fold_one(text: str) -> str:
    """One string with mojibake repaired, entities and markup removed, Greek spelled out,
    accents dropped, lowercase (each step only where the text can need it)."""
    wide = not text.isascii()
    if wide and _MOJIBAKE_RE.search(text):
        text = unmojibake(text)
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _MARKUP_RE.sub(" ", text)
    if wide or not text.isascii():
        text = _GREEK_RE.sub(lambda m: f" {_GREEK[m.group(0)]} ", text)
        text = _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))
    return text.lower()


def fold(t: pd.Series) -> pd.Series:
    """``fold_one`` over a Series (each distinct value once)."""
    return _map_unique(_strings(t), fold_one)


def _map_unique(t: pd.Series, function) -> pd.Series:
    codes, uniques = pd.factorize(t.to_numpy(dtype=object))
    done = np.array([function(u) for u in uniques] + [""], dtype=object)
    return pd.Series(done[codes], index=t.index, dtype=object)


def normalise_title(s: pd.Series, *, folded: pd.Series | None = None) -> pd.Series:
    """Titles compared loosely: database notes, markup, accents, punctuation and spelling
    variants removed; symbols spelled out; lowercase, single spaces."""
    return _map_unique(fold(_strings(s)) if folded is None else folded, _normalise_folded_one)


# Where databases put a second-language title beside the first.
_TITLE_SPLIT = re.compile(r"\s*<original>\s*|\s*;\s+|\s*=\s+")


def title_variants(s: pd.Series, *, folded: pd.Series | None = None) -> pd.Series:
    """The parts of a title that carries an original-language title beside the English one
    ("Utilidad de...; Are antimicrobials useful...", "X. <ORIGINAL> Y"), each normalised;
    an empty list for a single title. ``folded``: the titles already through ``fold``."""
    folded = fold(_strings(s)) if folded is None else folded

    def parts(text: str) -> list[str]:
        if not (";" in text or "=" in text or "<original>" in text) or not _TITLE_SPLIT.search(text):
            return []
        return [p for p in (_normalise_folded_one(x) for x in _TITLE_SPLIT.split(text)) if p]

    return pd.Series([parts(t) for t in folded.to_numpy(dtype=object)], index=s.index, dtype=object)


def _normalise_folded_one(text: str) -> str:
    text = text.replace("<original>", " ")
    if _NOTED_RE.search(text):
        text = _NOTES_RE.sub(" ", text)
    if _SYMBOLIC_RE.search(text):
        for pattern, word in _SYMBOL_RES:
            text = pattern.sub(word, text)
    return " ".join(map(_respell, default_process(text).split()))


@functools.lru_cache(maxsize=1 << 16)
def _respell(word: str) -> str:
    for pattern, repl in _SPELLING_RES:
        word = pattern.sub(repl, word)
    return word


def normalise_text(s: pd.Series, *, limit: int = 500) -> pd.Series:
    """Long text (abstracts) made comparable cheaply: the first ``limit`` characters folded,
    punctuation removed, single spaces."""
    return _map_unique(_strings(s), lambda x: default_process(fold_one(x[:limit])))


def _on_unique(function):
    """Apply a Series → Series normaliser to each distinct value once (journals and author
    lists repeat across a search export)."""
    @functools.wraps(function)
    def wrapper(s: pd.Series, *args, **kwargs) -> pd.Series:
        values = _strings(s)
        codes, uniques = pd.factorize(values)
        done = function(pd.Series(uniques, dtype=object), *args, **kwargs).to_numpy(dtype=object)
        return pd.Series(done[codes] if len(codes) else [], index=s.index, dtype=object)
    return wrapper


_AUTHOR_SPLIT = re.compile(r"\s*;\s*|\s+and\s+|\s*\|\s*|\s*\n\s*")


def _surname(author: str) -> str:
    """The family name of one author as written: "Zhou, A." / "Zhou A" / "A. Zhou"."""
    author = author.strip()
    if "," in author:
        return author.split(",", 1)[0]
    parts = author.split()
    if not parts:
        return ""
    # "Smith JA" (MEDLINE AU, Scopus) keeps the family name first; "John A. Smith" last.
    if len(parts) > 1 and _INITIALS_AFTER.fullmatch(parts[-1]):
        return " ".join(parts[:-1])
    return parts[-1] if len(parts) > 1 and _INITIALS_BEFORE.fullmatch(parts[0]) else parts[0]


_INITIALS_AFTER = re.compile(r"[A-Z]{1,3}\.?|(?:[A-Z]\.)+")
_INITIALS_BEFORE = re.compile(r"(?:[A-Z]\.\s?)+")
_NOT_LETTERS = re.compile(r"[^a-z ]+")


@_on_unique
def author_surnames(s: pd.Series, *, limit: int = 8) -> pd.Series:
    """The first ``limit`` authors' family names, folded, joined by spaces ('' when none)."""
    def one(text: str) -> str:
        names = " ".join(_surname(a) for a in _AUTHOR_SPLIT.split(text, maxsplit=limit)[:limit] if a.strip())
        return " ".join(_NOT_LETTERS.sub("", fold_one(names)).split())

    return pd.Series([one(t) for t in _strings(s).to_numpy(dtype=object)], index=s.index, dtype=object)


_JOURNAL_STOP = {"the", "of", "and", "for", "in", "on", "de", "der", "la", "le", "et", "und"}


@_on_unique
def normalise_journal(s: pd.Series) -> pd.Series:
    """Journal names as lowercase words without punctuation or filler words ('of', 'the');
    the names of a journal known in several languages ("Ai zheng = Chinese journal of
    cancer") stay apart, joined by ' = '."""
    t = fold(_strings(s)).str.replace("&", " and ", regex=False).str.replace(r"['’`]", "", regex=True)
    t = t.str.replace(r"\s=\s", "\x1f", regex=True).str.replace(r"[^\w\x1f]+|_", " ", regex=True)
    return t.map(lambda x: " = ".join(filter(None, (
        " ".join(w for w in part.split() if w not in _JOURNAL_STOP) for part in x.split("\x1f")))))


def first_page(s: pd.Series) -> pd.Series:
    """The first page as written ('e8' of 'e8-e9', '1297' of '1297-306'); '' when none."""
    t = _strings(s).str.lower().str.strip()
    return t.str.extract(r"^\s*(?:pp?\.?\s*)?([a-z]{0,3}\d+[a-z]?)", expand=False).fillna("").str.lstrip("0")


def volume_number(s: pd.Series) -> pd.Series:
    """The volume's leading number ('' when none): '20' of '20 (Suppl 1)'."""
    return _strings(s).str.extract(r"^\s*(\d+)", expand=False).fillna("").str.lstrip("0")


def normalise_doi(s: pd.Series) -> pd.Series:
    """Lowercase DOIs without resolver prefixes, whitespace or trailing punctuation."""
    t = _strings(s).str.lower().str.replace(r"\s+", "", regex=True)
    t = t.str.replace(r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:)", "", regex=True)
    t = t.str.rstrip(".,;")
    return t.where(t.str.startswith("10."), "")


def normalise_pmid(s: pd.Series) -> pd.Series:
    """PMIDs as digit strings without leading zeros ('' when none)."""
    t = _strings(s).str.extract(r"^\s*(?:pmid:?\s*)?0*(\d{1,9})(?:\.0)?\s*$", flags=re.IGNORECASE, expand=False)
    return t.fillna("")


def year_number(s: pd.Series) -> pd.Series:
    """The first plausible four-digit year as a float (NaN when none)."""
    years = _strings(s).str.extract(r"(1[5-9]\d\d|20\d\d)", expand=False)
    return pd.to_numeric(years, errors="coerce").astype(float)




# A database id in the readers' "name:value; ..." form, whatever the export called the column.
_WOS_ID = re.compile(r"\b(?:wos|isi)\s*:\s*([0-9a-z]{15})\b")
_SCOPUS_EID = re.compile(r"\b(2-s2\.0-\d{6,})\b")
_PMC_ID = re.compile(r"\bpmc\s*:?\s*(?:pmc)?(\d{4,})\b")
_LABELLED_ID = re.compile(r"^([^:]{1,40}?)\s*:\s*(\S.*)$")
SOURCE_ID_KINDS = ("wos", "eid", "pmc", "other")


def _source_ids_one(text: str) -> tuple[str, ...]:
    ids = []
    for token in text.lower().split(";"):
        token = token.strip()
        if match := _WOS_ID.search(token):
            ids.append(f"wos:{match.group(1)}")
        elif match := _SCOPUS_EID.search(token):
            ids.append(f"eid:{match.group(1)}")
        elif match := _PMC_ID.search(token):
            ids.append(f"pmc:{match.group(1)}")
        elif match := _LABELLED_ID.match(token):  # "Embase:2019123456": only with the database named
            ids.append(f"other:{'_'.join(match.group(1).split())}:{''.join(match.group(2).split())}")
    return tuple(dict.fromkeys(ids))


@_on_unique
def normalise_source_ids(s: pd.Series) -> pd.Series:
    """Database ids as "kind:value" strings joined by ' ' (kind wos, eid, pmc or other:<database>);
    ids without a database name are left out (a bare number could be any database's)."""
    return _strings(s).map(lambda t: " ".join(_source_ids_one(t)))
