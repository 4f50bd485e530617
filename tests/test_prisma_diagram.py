"""The PRISMA 2020 diagram: every number of the counts object is in the drawing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from screener.errors import ConfigError
from screener.prisma_diagram import FlowCounts, draw_flow

COUNTS = FlowCounts(identified={"ebscohost.ris": 612, "pubmed.nbib": 540}, duplicates_removed=301,
                    records_screened=851, records_excluded=790, reports_sought=61, reports_not_retrieved=3,
                    reports_assessed=58, reports_excluded={"no qualitative evidence": 21, "not peer support": 15},
                    studies_included=22)


def svg_text(path) -> str:
    """All text of an SVG drawn with text kept as text, one element per line."""
    root = ET.parse(path).getroot()
    return "\n".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))


def test_svg_holds_every_box_and_number(tmp_path):
    text = svg_text(draw_flow(COUNTS, tmp_path / "flow.svg"))
    for expected in ("ebscohost.ris (n = 612)", "pubmed.nbib (n = 540)", "Duplicate records removed (n = 301)",
                     "Records screened (n = 851)", "Records excluded (n = 790)",
                     "Reports sought for retrieval (n = 61)", "Reports not retrieved (n = 3)",
                     "Reports assessed for eligibility (n = 58)", "no qualitative evidence (n = 21)",
                     "not peer support (n = 15)", "Studies included in review (n = 22)"):
        assert expected in text
    assert "awaiting" not in text  # nothing in progress


def test_update_search_is_drawn_beside_with_a_total(tmp_path):
    update = FlowCounts(identified={"update_search.ris": 165}, duplicates_removed=40, records_screened=100,
                        records_excluded=95, reports_sought=5, reports_not_retrieved=0, reports_assessed=4,
                        reports_excluded={"not peer support": 2}, studies_included=2, records_awaiting=25,
                        reports_awaiting=1)
    text = svg_text(draw_flow(COUNTS, tmp_path / "flow.svg", update=update))
    assert "Total studies included in review (n = 24)" in text
    assert "update_search.ris (n = 165)" in text and "Update search" in text
    assert re.search(r"awaiting \(n = 25\)", text) and "awaiting (n = 1)" in text


def test_png_and_bad_suffix(tmp_path):
    path = draw_flow(COUNTS, tmp_path / "flow.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ConfigError, match=r"\.svg or \.png"):
        draw_flow(COUNTS, tmp_path / "flow.pdf")
    assert not (tmp_path / "flow.pdf").exists()
