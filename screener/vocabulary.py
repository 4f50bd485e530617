"""A word vocabulary (n-gram → column) held as one buffer of text, not millions of Python strings.

At 100,000 records the word view has about three million 1- and 2-grams. As a ``dict`` of
``str`` they take about 0.4 GB (a string object and a hash-table slot each); here they are one
UTF-8 buffer, newline-separated in column order (what a project's model file stores), plus the
start of each term: about 70 MB. Columns are in alphabetical order of their terms (scikit-learn's
``CountVectorizer`` sorts them so), which is what lets ``vocabulary[term]`` find a column by
bisection instead of a hash table.

``Vocabulary`` is a read-only ``Mapping``, so scikit-learn's ``TfidfVectorizer.transform`` uses
it as its ``vocabulary_`` unchanged, and it equals a ``dict`` with the same items. A lookup costs
tens of microseconds (a bisection in Python): right for the few texts transformed after a pool's
fit (a criteria pseudo-document), not for counting a whole pool, which ``screener.wordcounts`` does.
"""

from __future__ import annotations

import bisect
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView

import numpy as np

_NEWLINE = 10
_CHUNK = 100_000  # terms encoded at a time when a vocabulary is built


class Terms(Sequence):
    """The terms of a ``Vocabulary`` by column: ``terms[i]`` is column i's term."""

    def __init__(self, blob: np.ndarray, starts: np.ndarray):
        self._blob, self._starts = blob, starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"column {i} is outside the vocabulary's {len(self)} columns")
        return self._blob[self._starts[i] : self._starts[i + 1] - 1].tobytes().decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        # a chunk of terms decoded and split at once (term by term would be a Python call each)
        for a in range(0, len(self), _CHUNK):
            b = min(a + _CHUNK, len(self))
            yield from self._blob[self._starts[a] : self._starts[b] - 1].tobytes().decode("utf-8").split("\n")


def _check_order(terms: Iterable[str]) -> None:
    """``ValueError`` unless ``terms`` are in strictly increasing order."""
    previous = None
    for term in terms:
        if previous is not None and not previous < term:
            raise ValueError(f"vocabulary terms must be sorted and distinct: {previous!r} comes before {term!r}")
        previous = term


class _Items(ItemsView):
    def __iter__(self):
        return zip(self._mapping.terms, range(len(self._mapping)))


class _Values(ValuesView):
    def __iter__(self):
        return iter(range(len(self._mapping)))


class Vocabulary(Mapping):
    """Term → column, for terms in column order that are also in sorted order (see the module).

    Build it with ``Vocabulary.from_terms(sorted_terms)`` or ``Vocabulary.from_blob(blob)``;
    ``blob`` is the newline-joined UTF-8 of the terms in column order. No term may contain a
    newline (word n-grams are tokens joined by one space).
    """

    def __init__(self, blob: np.ndarray):
        blob = np.ascontiguousarray(blob, dtype=np.uint8)
        breaks = np.flatnonzero(blob == _NEWLINE)
        # starts[i] is where term i begins; starts[-1] is one past the end (as if a newline followed)
        self._starts = np.concatenate([[0], breaks + 1, [len(blob) + 1]]) if len(blob) else np.zeros(1, np.int64)
        self._blob = blob
        self.terms = Terms(blob, self._starts)

    @classmethod
    def from_blob(cls, blob: np.ndarray) -> Vocabulary:
        """From a model file's ``vocabulary`` array; ``ValueError`` unless its terms are in strictly
        increasing order (bisection would silently miss terms otherwise)."""
        blob = np.asarray(blob)
        if blob.dtype != np.uint8:
            raise ValueError(f"a vocabulary's bytes must be uint8, got {blob.dtype}")
        vocabulary = cls(blob)
        _check_order(vocabulary.terms)
        return vocabulary

    @classmethod
    def from_terms(cls, terms: Iterable[str]) -> Vocabulary:
        """From terms in column order, encoded ``_CHUNK`` at a time so that no list of them all is
        made; ``ValueError`` unless they are non-empty, without newlines, in strictly increasing order."""
        parts: list[np.ndarray] = []
        chunk: list[str] = []
        last: list[str] = []  # the previous chunk's last term

        def encode() -> None:
            joined = "\n".join(chunk)
            if "" in chunk or joined.count("\n") != len(chunk) - 1:
                raise ValueError("vocabulary terms must be non-empty and contain no newline")
            _check_order(last + chunk)
            parts.append(np.frombuffer(joined.encode("utf-8"), dtype=np.uint8))
            last[:] = chunk[-1:]

        for term in terms:
            chunk.append(term)
            if len(chunk) == _CHUNK:
                encode()
                chunk = []
        if chunk:
            encode()
        if not parts:
            return cls(np.zeros(0, dtype=np.uint8))
        joined = [parts[0]]
        for part in parts[1:]:
            joined += [np.array([_NEWLINE], dtype=np.uint8), part]
        return cls(np.concatenate(joined))

    @property
    def blob(self) -> np.ndarray:
        """The newline-joined UTF-8 of the terms in column order (read-only view)."""
        view = self._blob.view()
        view.flags.writeable = False
        return view

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms)

    def __getitem__(self, term: str) -> int:
        if not isinstance(term, str):
            raise KeyError(term)
        i = bisect.bisect_left(self.terms, term)
        if i < len(self.terms) and self.terms[i] == term:
            return i
        raise KeyError(term)

    def items(self) -> ItemsView:
        return _Items(self)

    def values(self) -> ValuesView:
        return _Values(self)

    def __contains__(self, term) -> bool:
        try:
            self[term]
        except KeyError:
            return False
        return True

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} terms)"

    @property
    def nbytes(self) -> int:
        return int(self._blob.nbytes + self._starts.nbytes)
