"""Fuzzing every reader: truncated, mis-encoded and malformed input gives a DataError or a
valid records table, never another exception."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.errors import DataError
from screener.readers import READERS, RECORD_COLUMNS, read_file

CSV = ("record_id,title,abstract,label_included,year,doi\n"
       '1,"Étude, première",Résumé “quoted”,1,2019,10.1/A\n'
       "2,Second title,,no,2020,\n"
       "3,Third,Some text,yes,,doi:10.2/b\n")
RIS = ("TY  - JOUR\nTI  - Étude première\nAU  - Müller, A\nAB  - Résumé\n    continued\n"
       "PY  - 2019\nDO  - 10.1/a\nKW  - x\nER  - \n\n"
       "TY  - JOUR\nT1  - Second\nN2  - Text\nY1  - 2020///\nER  - \n")
MEDLINE = ("PMID- 1\nTI  - Étude première\n      suite\nAB  - Résumé.\nFAU - Müller, Anna\n"
           "DP  - 2019 Jan\nLID - 10.1/a [doi]\n\nPMID- 2\nTI  - Second\nDP  - 2020\n")
WOS = ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Müller, A\nTI Étude\n   première\n"
       "AB Résumé\nPY 2019\nUT WOS:1\nER\n\nEF\n")

BIBTEX = ("@article{muller2019,\n  title = {{\\'E}tude premi{\\`e}re},\n  author = {M{\\\"u}ller, Anna and Smith, J.},\n"
          "  year = {2019},\n  journal = {J Test},\n  doi = {10.1/a},\n  abstract = {R\\'esum\\'e}\n}\n"
          "@inproceedings{second, title={Second}, year={2020}, booktitle={Proc}}\n")
ENDNOTE_XML = ('<?xml version="1.0" encoding="UTF-8"?><xml><records>'
               "<record><rec-number>1</rec-number><titles><title><style>Étude première</style></title>"
               "<secondary-title>J Test</secondary-title></titles><contributors><authors><author>Müller, A"
               "</author></authors></contributors><dates><year>2019</year></dates>"
               "<electronic-resource-num>10.1/a</electronic-resource-num><abstract>Résumé</abstract></record>"
               "<record><rec-number>2</rec-number><titles><title>Second</title></titles></record>"
               "</records></xml>")
ENDNOTE_TAGGED = ("%0 Journal Article\n%T Étude première\n%A Müller, Anna\n%D 2019\n%J J Test\n"
                  "%R 10.1/a\n%X Résumé\n\n%0 Journal Article\n%T Second\n%D 2020\n")


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    pd.read_csv(io.StringIO(CSV), dtype=str).to_excel(buffer, index=False)
    return buffer.getvalue()


ZOTERO_RDF = """<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:z="http://www.zotero.org/namespaces/export#" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:dcterms="http://purl.org/dc/terms/">
<rdf:Description rdf:about="#item_1"><z:itemType>journalArticle</z:itemType><dc:title>Peer support</dc:title>
<dcterms:abstract>An abstract.</dcterms:abstract><dc:date>2020</dc:date></rdf:Description>
</rdf:RDF>
"""


SEEDS: dict[str, bytes] = {
    ".csv": CSV.encode(),
    ".tsv": CSV.replace(",", "\t").encode(),
    ".txt": RIS.encode(),
    ".ris": RIS.encode(),
    ".nbib": MEDLINE.encode(),
    ".medline": MEDLINE.encode(),
    ".ciw": WOS.encode(),
    ".tab": CSV.replace(",", "\t").encode(),
    ".isi": WOS.encode(),
    ".bib": BIBTEX.encode(),
    ".bibtex": BIBTEX.encode(),
    ".xml": ENDNOTE_XML.encode(),
    ".enw": ENDNOTE_TAGGED.encode(),
    ".end": ENDNOTE_TAGGED.encode(),
    ".rdf": ZOTERO_RDF.encode(),
}
SEEDS[".xlsx"] = SEEDS[".xlsm"] = _xlsx()
# SCREENER_FUZZ_EXAMPLES raises the count for a long local run; CI keeps it quick.
FUZZ = settings(max_examples=int(os.environ.get("SCREENER_FUZZ_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_every_registered_reader_has_a_seed():
    assert set(READERS) <= set(SEEDS)


def check(content: bytes, ext: str) -> None:
    """Read ``content`` as a file with extension ``ext``: DataError or a valid table."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{ext}"
        path.write_bytes(content)
        try:
            df = read_file(path)
        except DataError as exc:
            message = str(exc)
            assert message and "\n" not in message and path.name in message
            return
    assert list(df.columns[: len(RECORD_COLUMNS)]) == RECORD_COLUMNS
    assert df["record_id"].notna().all() and df["record_id"].is_unique
    assert df["year"].dtype == "Int64"
    for col in RECORD_COLUMNS:
        if col != "year":
            assert df[col].notna().all()
    for col in df.columns[len(RECORD_COLUMNS):]:
        assert df[col].dtype == "Int64"


exts = st.sampled_from(sorted(SEEDS))


@FUZZ
@given(ext=exts, cut=st.floats(0, 1))
def test_truncated(ext, cut):
    seed = SEEDS[ext]
    check(seed[: int(len(seed) * cut)], ext)


@FUZZ
@given(ext=exts, encoding=st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-8-sig"]))
def test_reencoded(ext, encoding):
    seed = SEEDS[ext]
    if ext in (".xlsx", ".xlsm"):
        check(seed, ext)
        return
    check(seed.decode("utf-8").encode(encoding, errors="replace"), ext)


@FUZZ
@given(ext=exts, data=st.data())
def test_random_byte_edits(ext, data):
    content = bytearray(SEEDS[ext])
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(content)))
        chunk = data.draw(st.binary(min_size=0, max_size=12))
        span = data.draw(st.integers(0, 12))
        content[at: at + span] = chunk
    check(bytes(content), ext)


@FUZZ
@given(ext=exts, content=st.binary(max_size=400))
def test_random_bytes(ext, content):
    check(content, ext)


@FUZZ
@given(ext=exts, pieces=st.lists(st.sampled_from(
    list("TYAUIBERPMDOKW -\n\r\t,;\"'#") + ["  - ", "PMID- ", "TY  - ", "ER  - ", "é", "\ufeff",
                                           "\n      ", "\n   ", "title", "label"]),
    max_size=120))
def test_malformed_tagged_text(ext, pieces):
    check("".join(pieces).encode("utf-8"), ext)


@FUZZ
@given(ext=exts, lines=st.lists(st.sampled_from((CSV + RIS + MEDLINE + WOS).splitlines()),
                                max_size=30))
def test_shuffled_lines(ext, lines):
    check("\n".join(lines).encode("utf-8"), ext)


@pytest.mark.parametrize("ext", sorted(SEEDS))
def test_seeds_read_cleanly(ext):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"seed{ext}"
        path.write_bytes(SEEDS[ext])
        df = read_file(path)
    assert len(df) >= 1 and (df["title"] != "").all()
