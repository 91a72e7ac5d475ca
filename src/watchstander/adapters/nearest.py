"""The meaning extra's index: resolved threads' vectors in memory, searched for the nearest
to a question's, with numpy. Each vector is kept in half floats (a year of 300,000 threads in
about 230 MB) and, beside them, the sign of each of its numbers (48 bytes a vector, kept as
six columns of 64-bit words). A question is compared with every vector's signs (the bits
that differ, counted a column at a time: about 1.5 ms for 217,000), and the ``SHORTLIST``
whose signs are nearest are compared exactly, by cosine (with no more vectors than that,
every one is). Comparing every vector exactly took 14 ms a question at 165,000 vectors and
23 ms at 217,000 (reading them all is the cost); the shortlist keeps the exact nearest three
for 99.6% of the labelled sets' questions (``python -m bench.nearest``).

Before this, ``usearch`` held them (its exact search, in half floats and then of the signs):
its search of the signs took 3-4 ms where numpy's columns take 1.5, and its HNSW graph, the
point of it, missed the nearest three of real questions more often than not among a year of
like posts (42% found at its default depth, 80% at 16 times it), so it was never searched.
A thread resolved again replaces its vector, in its row."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from watchstander.adapters.minilm import WIDTH

CHUNK = 500  # vectors added at a time, the index locked
SHORTLIST = 400  # vectors compared exactly a question, those of the nearest signs
FIRST_ROOM = 1024  # rows made room for at first; doubled when full
Kept = TypeVar("Kept", bound=np.generic)


class Nearest:
    """Thread ids by vector; safe to search while vectors are added."""

    def __init__(self, width: int = WIDTH, shortlist: int = SHORTLIST) -> None:
        self.width = width
        self.shortlist = shortlist
        self._words = -(-width // 64)  # 64-bit words of signs a vector
        self._size = 0  # rows in use
        self._rows: dict[int, int] = {}  # a thread's row
        self._keys = np.zeros(0, dtype=np.uint64)  # a row's thread
        self._vectors = np.zeros((0, width), dtype=np.float16)
        self._norms = np.zeros(0, dtype=np.float32)  # of the half floats kept
        self._signs = np.zeros((self._words, 0), dtype=np.uint64)  # a word of each row a line
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    @property
    def memory(self) -> int:
        """Bytes its vectors, their signs and the thread ids take (the rows in use)."""
        row = self._vectors.itemsize * self.width + 4 + 8 * self._words + 8
        return self._size * row + sys.getsizeof(self._rows)

    def put(self, rows: Sequence[tuple[int, bytes]]) -> None:
        """Keep each (thread id, vector as float32 bytes), in place of the thread's last."""
        kept = {thread_id: vector for thread_id, vector in rows}  # the last of a thread wins
        if not kept:
            return
        keys = list(kept)
        vectors = np.vstack([self._vector(vector) for vector in kept.values()])
        for start in range(0, len(keys), CHUNK):  # questions are answered in between
            with self._lock:
                self._place(keys[start : start + CHUNK], vectors[start : start + CHUNK])

    def nearest(self, vector: bytes, limit: int, floor: float) -> list[tuple[int, float]]:
        """Up to ``limit`` (thread id, cosine) at ``floor`` or nearer, the nearest first."""
        asked = self._vector(vector)
        with self._lock:
            if self._size == 0 or limit <= 0:
                return []
            rows = self._shortlisted(asked)
            cosines = self._cosines(asked, rows)
            keys = self._keys[rows]
        order = np.argsort(-cosines, kind="stable")[:limit]
        return [(int(keys[n]), float(cosines[n])) for n in order if cosines[n] >= floor]

    def closeness(self, vector: bytes, ids: Sequence[int]) -> dict[int, float]:
        """The cosine of ``vector`` with each thread of ``ids`` held (as kept: half floats)."""
        asked = self._vector(vector)
        with self._lock:
            held = [key for key in dict.fromkeys(ids) if key in self._rows]
            if not held:
                return {}
            rows = np.fromiter((self._rows[key] for key in held), np.int64, len(held))
            cosines = self._cosines(asked, rows)
        return {key: float(cosine) for key, cosine in zip(held, cosines, strict=True)}

    def _place(self, keys: list[int], vectors: NDArray[np.float32]) -> None:
        """Each thread's vector in its row, or in a new one (the lock held)."""
        fresh = [key for key in keys if key not in self._rows]
        self._room(self._size + len(fresh))
        for key in fresh:
            self._rows[key] = self._size
            self._size += 1
        rows = np.fromiter((self._rows[key] for key in keys), np.int64, len(keys))
        halves = vectors.astype(np.float16)
        self._keys[rows] = keys
        self._vectors[rows] = halves
        self._norms[rows] = np.linalg.norm(halves.astype(np.float32), axis=1)
        self._signs[:, rows] = _signs(vectors, self._words).T

    def _room(self, size: int) -> None:
        """Rows for ``size`` vectors at least (the lock held): twice as many when full."""
        if size <= len(self._keys):
            return
        room, used = max(FIRST_ROOM, len(self._keys) * 2, size), self._size
        self._keys = _grown(self._keys, room, used)
        self._vectors = _grown(self._vectors, room, used)
        self._norms = _grown(self._norms, room, used)
        signs = np.zeros((self._words, room), dtype=np.uint64)
        signs[:, :used] = self._signs[:, :used]
        self._signs = signs

    def _shortlisted(self, asked: NDArray[np.float32]) -> NDArray[np.int64]:
        """The rows of the ``shortlist`` vectors whose signs differ least from ``asked``'s
        (the lock held): all rows when they are no more; among those as far as the last
        one taken, the first rows."""
        size = self._size
        wanted = min(self.shortlist, size)
        if wanted == size:
            return np.arange(size, dtype=np.int64)
        mine = _signs(asked[None, :], self._words)[0]
        differ = np.zeros(size, dtype=np.uint16)
        bits = np.empty(size, dtype=np.uint64)
        count = np.empty(size, dtype=np.uint8)
        for word in range(self._words):
            np.bitwise_xor(self._signs[word, :size], mine[word], out=bits)
            np.bitwise_count(bits, out=count)
            differ += count
        # the distance of the last one taken, by counting: a distance is at most the width
        last = int(np.searchsorted(np.bincount(differ).cumsum(), wanted))
        nearer = np.flatnonzero(differ < last)
        return np.concatenate([nearer, np.flatnonzero(differ == last)[: wanted - len(nearer)]])

    def _cosines(self, asked: NDArray[np.float32], rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """The cosine of ``asked`` with the vector of each of ``rows`` (the lock held)."""
        kept = self._vectors[rows].astype(np.float32)
        norms = self._norms[rows] * float(np.linalg.norm(asked))
        cosines = kept @ asked / np.where(norms > 0, norms, 1.0)
        return cosines.astype(np.float32)

    def _vector(self, raw: bytes) -> NDArray[np.float32]:
        vector = np.frombuffer(raw, dtype="<f4")
        if vector.shape != (self.width,):
            raise ValueError(f"a vector of {vector.size} floats, not {self.width}")
        return vector


def _signs(vectors: NDArray[np.float32], words: int) -> NDArray[np.uint64]:
    """Each vector's signs as bits (a number above zero: 1), packed in ``words`` 64-bit
    words (the last padded with zeros)."""
    packed = np.packbits(vectors > 0, axis=-1)
    padded = np.zeros((len(vectors), words * 8), dtype=np.uint8)
    padded[:, : packed.shape[1]] = packed
    return padded.view(np.uint64)


def _grown(kept: NDArray[Kept], room: int, used: int) -> NDArray[Kept]:
    """``kept`` with rows for ``room``, its first ``used`` rows copied."""
    grown = np.zeros((room, *kept.shape[1:]), dtype=kept.dtype)
    grown[:used] = kept[:used]
    return grown
