"""A synthetic screening pool modelled on the running example (peer support in drug addiction).

``make demo`` must run without outside data, so this module composes a realistic but
entirely fictional pool of bibliographic records from phrase banks. Included records
(about 3%) describe peer support as a central component of a drug addiction
intervention AND report qualitative evidence from peers, clients or staff. The pool is
full of confounders that share their vocabulary: trials and surveys of peer
interventions, qualitative studies of treatment without peers, peer support for other
conditions, commentaries and protocols, plus background noise. None of the records,
authors, DOIs or PMIDs are real.

Regenerate the shipped files with ``python -m screener.demo_data data/demo``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from screener.demo_phrases import (
    BORDERLINE_TWISTS,
    GENERIC,
    GIVEN,
    JOURNAL_MIX,
    JOURNALS,
    KEYWORDS,
    LINKED,
    OTHER_CONDITIONS,
    SLOTS,
    SURNAMES,
    TEMPLATES,
)
from screener.errors import ConfigError
from screener.labels import LABEL_COLUMN
from screener.seeding import check_random_state

__all__ = ["CATEGORIES", "COLUMNS", "make_demo_pool", "write_demo_files"]

COLUMNS = ["record_id", "title", "abstract", "keywords", "authors", "year", "doi", "pmid",
           "journal", LABEL_COLUMN, "label_abstract_screening"]

# category -> (share of the pool, label_included, label_abstract_screening).
# "background" takes whatever the others leave.
CATEGORIES: dict[str, tuple[float, int, int]] = {
    "include": (0.03, 1, 1),
    "borderline": (0.045, 0, 1),          # mixed methods, alcohol-only, peers as one part
    "peer_quantitative": (0.11, 0, 0),    # (a) RCTs, cohorts, surveys of peer interventions
    "qualitative_no_peer": (0.11, 0, 0),  # (b) qualitative studies of treatment, no peers
    "peer_other_condition": (0.11, 0, 0), # (c) peer support in mental health / HIV care
    "peer_non_primary": (0.05, 0, 0),     # (d) commentaries, editorials, protocols, reviews
    "background": (0.0, 0, 0),            # (e) pharmacology, epidemiology, smoking ...
}

# Confounders borrow one background or conclusions sentence from the include bank this often:
# vocabulary is shared; the difference is in what the study did.
CONTAMINATION = 0.5
# Label noise, as in real screening: records whose text reads like the neighbouring class.
INCLUDE_AS_BORDERLINE = 0.12
BORDERLINE_AS_INCLUDE = 0.10



class _Slots(dict):
    """A record's slot values: drawn on first use, then reused so an abstract stays coherent."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        if key in LINKED:
            if "_other" not in self:
                self["_other"] = OTHER_CONDITIONS[int(self.rng.integers(len(OTHER_CONDITIONS)))]
            return self["_other"][LINKED[key]]
        bank = SLOTS[key.rstrip("0123456789")]
        value = bank[int(self.rng.integers(len(bank)))]
        self[key] = value
        return value


_NEAR = ("peer_quantitative", "qualitative_no_peer", "peer_other_condition", "peer_non_primary")


def _pick(rng: np.random.Generator, bank: tuple[str, ...]) -> str:
    return bank[int(rng.integers(len(bank)))]


def _sample(rng: np.random.Generator, bank: tuple[str, ...], k: int) -> list[str]:
    return [bank[i] for i in sorted(rng.choice(len(bank), size=min(k, len(bank)), replace=False))]


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:]


def _abstract(rng: np.random.Generator, category: str, slots: _Slots, twist: tuple[str, ...] | None,
              length: str) -> str:
    """Background/Methods/Results/Conclusions from the category's bank (sometimes unstructured)."""
    bank = TEMPLATES["include" if category == "borderline" else category]
    if length == "short":
        n_per = (1, 1, 1, 1)
    else:
        n_per = (int(rng.integers(2, 5)), int(rng.integers(4, 7)), int(rng.integers(3, 6)), int(rng.integers(1, 4)))
    sections = []
    for (name, k) in zip(("background", "methods", "results", "conclusions"), n_per):
        pool = bank[name] + GENERIC.get(name, ())
        sentences = [_sentence(t.format_map(slots)) for t in _sample(rng, pool, k)]
        if (category in _NEAR and name in ("background", "conclusions")
                and rng.random() < CONTAMINATION):
            sentences[-1] = _sentence(_pick(rng, TEMPLATES["include"][name]).format_map(slots))
        if twist is not None and name == "methods":
            sentences[0] = _sentence(twist[1].format_map(slots))
        if twist is not None and name == "results":
            sentences.insert(0, _sentence(twist[2].format_map(slots)))
        sections.append((name, " ".join(sentences)))
    if rng.random() < 0.3:
        return " ".join(text for _, text in sections)
    heads = {"background": ("Background", "Introduction", "Aims"), "methods": ("Methods", "Design", "Methods"),
             "results": ("Results", "Findings", "Results"), "conclusions": ("Conclusions", "Conclusion", "Implications")}
    style = int(rng.integers(3))
    return " ".join(f"{heads[name][style]}: {text}" for name, text in sections)


def _record(rng: np.random.Generator, category: str) -> dict:
    """One synthetic record of the given category (labels are set by the caller)."""
    slots = _Slots(rng)
    twist = None
    # Label noise: some includes read like borderline records, some borderline like includes.
    if (category == "borderline" and rng.random() > BORDERLINE_AS_INCLUDE) or (
            category == "include" and rng.random() < INCLUDE_AS_BORDERLINE):
        twist = BORDERLINE_TWISTS[_pick(rng, tuple(BORDERLINE_TWISTS))]
    title_bank = TEMPLATES["include" if category == "borderline" else category]["title"]
    title = _sentence((twist[0] if twist else _pick(rng, title_bank)).format_map(slots))
    u = rng.random()
    abstract = "" if u < 0.05 else _abstract(rng, category, slots, twist, "short" if u < 0.15 else "long")
    early = category in ("background", "qualitative_no_peer") and rng.random() < 0.4
    year = int(rng.integers(1995, 2008)) if early else int(min(2025, 2026 - rng.geometric(0.12)))
    year = max(year, 1995)
    authors = "; ".join(f"{_pick(rng, SURNAMES)}, {_pick(rng, GIVEN)}" + (f" {chr(65 + int(rng.integers(26)))}."
                        if rng.random() < 0.5 else "") for _ in range(int(rng.integers(1, 7))))
    journal = _pick(rng, JOURNALS[_pick(rng, JOURNAL_MIX[category])])
    keywords = "; ".join(_sample(rng, KEYWORDS[category], int(rng.integers(3, 6))))
    return {"title": title, "abstract": abstract, "keywords": keywords, "authors": authors,
            "year": year, "journal": journal}


def _make_pool(n_records: int, rng: np.random.Generator, *, first_id: int = 1) -> pd.DataFrame:
    counts = {c: int(round(share * n_records)) for c, (share, _, _) in CATEGORIES.items()}
    counts["background"] = n_records - sum(v for c, v in counts.items() if c != "background")
    categories = np.array([c for c, k in counts.items() for _ in range(k)], dtype=object)
    rng.shuffle(categories)
    rows = [_record(rng, c) for c in categories]
    df = pd.DataFrame(rows)
    ids = np.arange(first_id, first_id + n_records)
    df.insert(0, "record_id", [str(i) for i in ids])
    df["doi"] = [f"10.9999/demo.{10000 + i}" for i in ids]
    has_pmid = rng.random(n_records) < 0.72
    jitter = rng.integers(0, 997, n_records)
    df["pmid"] = [f"{24000000 + 1000 * i + j}" if h else "" for i, j, h in zip(ids, jitter, has_pmid)]
    df[LABEL_COLUMN] = [CATEGORIES[c][1] for c in categories]
    df["label_abstract_screening"] = [CATEGORIES[c][2] for c in categories]
    # A title-only peer record cannot be ruled out from the title: screeners keep some.
    keep = (np.isin(categories, ["peer_quantitative", "peer_non_primary"]) & (df["abstract"] == "")
            & (rng.random(n_records) < 0.6))
    df.loc[keep, "label_abstract_screening"] = 1
    df["category"] = categories
    return df[[*COLUMNS, "category"]]


def make_demo_pool(n_records: int = 1500, *, random_state: int = 0,
                   with_category: bool = False) -> pd.DataFrame:
    """A synthetic labelled screening pool modelled on the peer-support review.

    ``with_category`` adds the generating class (``include``, ``borderline``, the four
    confounder classes and ``background``) for inspecting what a ranker pushes down.
    """
    if not isinstance(n_records, (int, np.integer)) or n_records < 1:
        raise ConfigError(f"n_records must be a positive integer, got {n_records!r}")
    df = _make_pool(int(n_records), check_random_state(random_state))
    return df if with_category else df.drop(columns="category")


# ---------------------------------------------------------------- search exports
def _title_variant(rng: np.random.Generator, title: str) -> str:
    """How the same title drifts between databases: case, punctuation, dashes."""
    u = rng.random()
    if u < 0.08:
        return title.upper()
    if u < 0.16:
        return " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in title.split(" "))
    if u < 0.22:
        return title.replace(": ", " - ").replace('"', "")
    return title


def _authors(rec: dict) -> list[tuple[str, str]]:
    return [tuple(a.split(", ", 1)) for a in rec["authors"].split("; ")]


def _ris_entry(rec: dict, title: str, doi: str, accession: str) -> str:
    lines = ["TY  - JOUR", f"TI  - {title}"]
    lines += [f"AU  - {last}, {first}" for last, first in _authors(rec)]
    lines += [f"PY  - {rec['year']}", f"JO  - {rec['journal']}"]
    if rec["abstract"]:
        lines.append(f"AB  - {rec['abstract']}")
    if doi:
        lines.append(f"DO  - {doi}")
    lines += [f"KW  - {k}" for k in rec["keywords"].split("; ") if k]
    lines += [f"AN  - {accession}", "ER  - "]
    return "\n".join(lines) + "\n"


def _nbib_field(tag: str, value: str) -> list[str]:
    """One MEDLINE field: tag padded to four characters, continuation lines indented six spaces."""
    wrapped = textwrap.wrap(value, width=82) or [""]
    return [f"{tag:<4}- {wrapped[0]}", *("      " + w for w in wrapped[1:])]


def _nbib_entry(rec: dict, title: str, doi: str) -> str:
    lines = [f"PMID- {rec['pmid']}", "OWN - NLM", "STAT- MEDLINE", f"DP  - {rec['year']}"]
    lines += _nbib_field("TI", title if title.endswith((".", "?")) else title + ".")
    if rec["abstract"]:
        abstract = rec["abstract"]
        for head in ("Background", "Introduction", "Aims", "Methods", "Design", "Results", "Findings",
                     "Conclusions", "Conclusion", "Implications"):
            abstract = abstract.replace(f"{head}: ", f"{head.upper()}: ")
        lines += _nbib_field("AB", abstract)
    for last, first in _authors(rec):
        initials = "".join(p[0] for p in first.replace(".", "").split())
        lines += [f"FAU - {last}, {first.replace('.', '')}", f"AU  - {last} {initials}"]
    lines += ["LA  - eng", "PT  - Journal Article", f"JT  - {rec['journal']}"]
    if doi:
        lines.append(f"LID - {doi} [doi]")
    lines += [f"OT  - {k}" for k in rec["keywords"].split("; ") if k]
    return "\n".join(lines) + "\n"


def _wos_row(rec: dict, title: str, doi: str) -> dict:
    authors = _authors(rec)
    return {"Publication Type": "J",
            "Authors": "; ".join(f"{last}, {''.join(p[0] for p in first.split())}" for last, first in authors),
            "Author Full Names": "; ".join(f"{last}, {first}" for last, first in authors),
            "Article Title": title, "Source Title": rec["journal"].upper(),
            "Author Keywords": rec["keywords"], "Abstract": rec["abstract"],
            "Publication Year": rec["year"], "DOI": doi, "Pubmed Id": rec["pmid"],
            "UT (Unique WOS ID)": f"WOS:9999{int(rec['record_id']):011d}"}


def _memberships(pool: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Which search found which record: ~50% each, overlapping, every record found at least once."""
    n = len(pool)
    found = {"ebscohost": rng.random(n) < 0.45,
             "pubmed": (pool["pmid"].to_numpy() != "") & (rng.random(n) < 0.65),
             "webofscience": rng.random(n) < 0.45}
    lost = ~(found["ebscohost"] | found["pubmed"] | found["webofscience"])
    to_wos = rng.random(n) < 0.5
    found["ebscohost"] |= lost & ~to_wos
    found["webofscience"] |= lost & to_wos
    return found


def _export_rows(pool: pd.DataFrame, mask: np.ndarray, rng: np.random.Generator, *,
                 p_no_doi: float, p_dup: float = 0.0) -> list[tuple[dict, str, str, bool]]:
    """(record, title as exported, DOI as exported, is an in-file duplicate) in export order."""
    idx = np.flatnonzero(mask)
    dups = idx[rng.random(len(idx)) < p_dup]
    idx = np.concatenate([idx, dups])
    is_dup = np.arange(len(idx)) >= len(idx) - len(dups)
    records = pool.to_dict("records")
    rows = []
    for j in rng.permutation(len(idx)):
        rec = records[int(idx[j])]
        doi = "" if rng.random() < p_no_doi else rec["doi"]
        rows.append((rec, _title_variant(rng, rec["title"]), doi, bool(is_dup[j])))
    return rows


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_demo_files(out_dir: Path, *, n_records: int = 1500, n_update: int = 200,
                     random_state: int = 0) -> dict[str, Path]:
    """Write the labelled demo pool, three overlapping unlabelled search exports and an update search.

    Returns the written paths by name: ``pool`` (peer_support_demo.csv), ``ebscohost``
    (RIS), ``pubmed`` (MEDLINE .nbib), ``webofscience`` (CSV), ``update`` (RIS of new
    records not in the pool) and ``update_labels`` (their labels, for evaluating a demo).
    The default size keeps the shipped files under 5 MB.
    """
    for name, value in (("n_records", n_records), ("n_update", n_update)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = check_random_state(random_state)
    pool = _make_pool(int(n_records), rng)  # same stream start as make_demo_pool: same records
    update_rng = rng.spawn(1)[0]
    found = _memberships(pool, rng)
    pool = pool.drop(columns="category")
    paths = {"pool": out_dir / "peer_support_demo.csv"}
    pool.to_csv(paths["pool"], index=False, lineterminator="\n", encoding="utf-8")

    # EBSCOhost searches several databases at once; a record found in two of them comes
    # twice, with a different accession number (demo-eb-... and demo-ps-...).
    ebsco = _export_rows(pool, found["ebscohost"], rng, p_no_doi=0.15, p_dup=0.02)
    paths["ebscohost"] = _write_text(out_dir / "ebscohost.ris", "\n".join(
        _ris_entry(r, t, d, f"demo-{'ps' if dup else 'eb'}-{r['record_id']}") for r, t, d, dup in ebsco))
    pubmed = _export_rows(pool, found["pubmed"], rng, p_no_doi=0.10)
    paths["pubmed"] = _write_text(out_dir / "pubmed.nbib", "\n".join(_nbib_entry(r, t, d) for r, t, d, _ in pubmed))
    wos = _export_rows(pool, found["webofscience"], rng, p_no_doi=0.20)
    paths["webofscience"] = out_dir / "webofscience.csv"
    pd.DataFrame([_wos_row(r, t, d) for r, t, d, _ in wos]).to_csv(
        paths["webofscience"], index=False, lineterminator="\n", encoding="utf-8")

    update = _make_pool(int(n_update), update_rng, first_id=int(n_records) + 1)
    update["year"] = 2025  # the update search runs months after the first one
    paths["update"] = _write_text(out_dir / "update_search.ris", "\n".join(
        _ris_entry(r, r["title"], r["doi"], f"demo-eb-{r['record_id']}") for r in update.to_dict("records")))
    paths["update_labels"] = out_dir / "update_search_labels.csv"
    update[["record_id", "doi", "title", LABEL_COLUMN, "label_abstract_screening"]].to_csv(
        paths["update_labels"], index=False, lineterminator="\n", encoding="utf-8")
    return paths


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m screener.demo_data", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("data/demo"))
    parser.add_argument("--n-records", type=int, default=1500)
    parser.add_argument("--n-update", type=int, default=200)
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args()
    for name, path in write_demo_files(args.out_dir, n_records=args.n_records, n_update=args.n_update,
                                       random_state=args.random_state).items():
        print(f"{name:>14}  {path}  {path.stat().st_size / 1e6:.2f} MB")
