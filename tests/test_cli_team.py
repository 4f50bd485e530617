"""A scripted two-reviewer review of the demo search through the CLI: blind dual screening at both
stages with keys from stdin, conflicts resolved, and a PRISMA diagram whose numbers match the ledger."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from screener.project.store import Store
from tests.test_prisma_diagram import svg_text

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


def cli(*args, stdin: str | None = None) -> str:
    old = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        code, out, err = run_cli(list(args))
    finally:
        sys.stdin = old
    assert code == 0, err
    return out


def refused(*args) -> str:
    code, out, err = run_cli(list(args))
    assert code != 0 and len(err.strip().splitlines()) == 1, (code, out, err)
    return err


def keys(seed: int, n: int, *, stage: str = "ta") -> str:
    """A reviewer's key presses: mostly exclude, some include and maybe (full text: exclude with reason)."""
    rng = np.random.default_rng(seed)
    if stage == "ta":
        return "".join(rng.choice(["e", "i", "m"], p=[0.7, 0.2, 0.1]) for _ in range(n)) + "q"
    return "".join(rng.choice(["r1e", "r2e", "i"], p=[0.3, 0.3, 0.4]) for _ in range(n)) + "q"


def first_records(ris: Path, n: int, out: Path) -> Path:
    """The first ``n`` records of a RIS file (a small pool keeps the scripted review quick)."""
    entries = ris.read_text(encoding="utf-8").split("ER  - ")
    out.write_text("ER  - ".join(entries[:n]) + "ER  - \n", encoding="utf-8")
    return out


def expected_flow(store: Store) -> dict:
    """The PRISMA numbers computed straight from the ledger rows (independently of screener.conflicts)."""
    d = store.decisions()
    kept = set(store.records()["id"])

    def outcome(stage):
        result = {}
        for rid, g in d[d["stage"] == stage].groupby("record_id"):
            cons = g[g["kind"] == "consensus"]
            if len(cons):
                result[rid] = (cons["label"].iloc[-1], cons["reason"].iloc[-1])
                continue
            votes = g[g["kind"] == "vote"].drop_duplicates("reviewer", keep="last")
            votes = votes[votes["label"] != "none"]
            cats = [("exclude" if lab == "exclude" else "include") for lab in votes["label"]
                    if not (stage == "ft" and lab == "maybe")]
            reasons = set(votes.loc[votes["label"] == "exclude", "reason"])
            if len(cats) == 2 and len(set(cats)) == 1 and (stage == "ta" or len(reasons) <= 1):
                labs = list(votes["label"])
                lab = "exclude" if cats[0] == "exclude" else ("include" if "include" in labs else "maybe")
                result[rid] = (lab, votes["reason"].iloc[0])
        return result

    ta, ft = outcome("ta"), outcome("ft")
    sought = {r for r, (lab, _) in ta.items() if lab in ("include", "maybe")}
    reports = store.reports().drop_duplicates("record_id", keep="last").set_index("record_id")["status"]
    assessed = {r for r in sought if r in ft}
    missing = {r for r in sought - assessed if reports.get(r) == "not_retrieved"}
    reasons = {}
    for r in assessed:
        if ft[r][0] == "exclude":
            reasons[ft[r][1]] = reasons.get(ft[r][1], 0) + 1
    return {"screened": len(ta), "excluded": sum(lab == "exclude" for lab, _ in ta.values()),
            "awaiting": len(kept) - len(ta), "sought": len(sought), "not_retrieved": len(missing),
            "assessed": len(assessed), "reasons": reasons,
            "included": sum(ft[r][0] == "include" for r in assessed)}


@pytest.mark.filterwarnings("ignore")
def test_two_reviewers_blind_dual_review_to_a_prisma_diagram(tmp_path):
    review = tmp_path / "review"
    cli("init", review, "--criteria", ROOT / "data" / "peer_support.criteria.toml")
    cli("import", review, first_records(DEMO / "update_search.ris", 70, tmp_path / "search.ris"))
    cli("reviewers", "add", review, "alice", "--role", "owner")
    cli("reviewers", "add", review, "bob")
    cli("reviewers", "add", review, "carol", "--role", "adjudicator")
    assert "title/abstract: single" in cli("reviewers", "list", review)
    for stage in ("ta", "ft"):
        assert "dual screening (blind)" in cli("mode", review, "--stage", stage, "--mode", "dual")
    with Store.open(review) as store:
        n = len(store.records())
    # title/abstract: both reviewers screen the whole pool, independently
    out_a = cli("screen", review, "--reviewer", "alice", "--keys-from-stdin", stdin=keys(1, n + 5))
    assert "reviewer alice · title/abstract · dual blind screening" in out_a
    assert "no records left" in out_a and out_a.count("saved #") == n
    cli("screen", review, "--reviewer", "bob", "--keys-from-stdin", stdin=keys(2, n + 5))
    # bad input: one line, nothing saved changed
    with Store.open(review) as store:
        before = store.n_decisions()
    refused("screen", review, "--reviewer", "mallory", "--keys-from-stdin")
    refused("decide", review, "1", "--label", "exclude", "--reviewer", "bob", "--reason", "not a reason")
    refused("resolve", review, "1", "--label", "include", "--by", "bob", "--note", "x")
    with Store.open(review) as store:
        assert store.n_decisions() == before
    # conflicts resolved by the adjudicator
    listed = cli("conflicts", review, "--stage", "ta")
    conflict_ids = [int(m) for m in re.findall(r"^│\s*(\d+)\s*│", listed, flags=re.MULTILINE)]
    assert len(conflict_ids) > 5 and f"{len(conflict_ids)} conflicts" in listed
    cli("resolve", review, str(conflict_ids[0]), "--label", "include", "--by", "carol", "--note", "discussed")
    with Store.open(review) as store:  # the rest through the library the CLI calls (quicker)
        from screener.project.consensus import resolve

        for rid in conflict_ids[1:]:
            resolve(store, rid, "include" if rid % 2 else "exclude", by="carol", note="discussed")
    assert "0 conflicts" in cli("conflicts", review, "--stage", "ta")
    # the full texts: one attached, one not retrieved, then both reviewers screen them
    with Store.open(review) as store:
        from screener.project.votes import fulltext_scope

        ids = store.records()["id"].to_numpy(np.int64)
        at_ft = [int(i) for i in ids[fulltext_scope(store, ids)]]
    assert len(at_ft) > 5
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.5\n%%EOF\n")
    not_pdf = tmp_path / "report.txt"
    not_pdf.write_text("hello")
    cli("fulltext", "attach", review, str(at_ft[0]), pdf, "--reviewer", "alice")
    refused("fulltext", "attach", review, str(at_ft[1]), not_pdf, "--reviewer", "alice")
    cli("fulltext", "not-retrieved", review, str(at_ft[1]), "--reviewer", "bob")
    out_ft = cli("screen", review, "--stage", "ft", "--reviewer", "alice", "--keys-from-stdin",
                 stdin=keys(3, len(at_ft) + 3, stage="ft"))
    assert "full text · dual blind screening" in out_ft and out_ft.count("saved #") == len(at_ft) - 1
    cli("screen", review, "--stage", "ft", "--reviewer", "bob", "--keys-from-stdin",
        stdin=keys(4, len(at_ft) + 3, stage="ft"))
    listed = cli("conflicts", review, "--stage", "ft")
    with Store.open(review) as store:
        from screener.project.reviewers import exclusion_reasons

        reason = exclusion_reasons(store)[0]
    ft_conflicts = [int(m) for m in re.findall(r"^│\s*(\d+)\s*│", listed, flags=re.M)]
    assert ft_conflicts
    for rid in ft_conflicts:
        cli("resolve", review, str(rid), "--label", "exclude", "--by", "alice+bob", "--reason", reason, "--stage", "ft")
    assert "0 conflicts" in cli("conflicts", review, "--stage", "ft")
    # the diagram, status and the ledger agree
    svg = tmp_path / "flow.svg"
    cli("prisma", review, "--out", svg)
    text = svg_text(svg)
    with Store.open(review) as store:
        want = expected_flow(store)
    assert f"Records screened (n = {want['screened']})" in text
    assert f"Records excluded (n = {want['excluded']})" in text
    assert f"Reports sought for retrieval (n = {want['sought']})" in text
    assert f"Reports not retrieved (n = {want['not_retrieved']})" in text and want["not_retrieved"] == 1
    assert f"Reports assessed for eligibility (n = {want['assessed']})" in text
    assert f"Studies included in review (n = {want['included']})" in text
    for reason, count in want["reasons"].items():
        assert f"{reason} (n = {count})" in text
    assert want["awaiting"] == 0 and "awaiting" not in text
    status = cli("status", review)
    for name, key in (("records screened", "screened"), ("records excluded", "excluded"),
                      ("reports sought for retrieval", "sought"), ("reports not retrieved", "not_retrieved"),
                      ("reports assessed for eligibility", "assessed"), ("studies included", "included")):
        assert re.search(rf"{name}\s*│\s*{want[key]}\s*│", status), (name, want[key], status)
    agree = cli("agreement", review)
    assert re.search(r"title/abstract · alice / bob: \d+ records, \d+ agree .* kappa -?[0-9.]+ · PABAK", agree)
    png = tmp_path / "flow.png"
    cli("prisma", review, "--out", png)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_reviewers_role_changes_a_role_and_keeps_an_owner(tmp_path):
    review = tmp_path / "review"
    cli("init", review, "--criteria", ROOT / "data" / "peer_support.criteria.toml")
    cli("reviewers", "add", review, "alice", "--role", "owner")
    cli("reviewers", "add", review, "bob")
    assert "bob is now adjudicator" in cli("reviewers", "role", review, "bob", "adjudicator")
    assert "only owner" in refused("reviewers", "role", review, "alice", "reviewer")
    assert "role 'boss'" in refused("reviewers", "role", review, "bob", "boss")
    assert "unknown reviewer 'carol'" in refused("reviewers", "role", review, "carol", "owner")
    cli("reviewers", "role", review, "bob", "owner")
    assert "alice is now reviewer" in cli("reviewers", "role", review, "alice", "reviewer")
    with Store.open(review) as store:
        assert [(r.name, r.role) for r in store.reviewers().itertuples()] == [("alice", "reviewer"), ("bob", "owner")]
