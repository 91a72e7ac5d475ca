"""The meaning extra's index: resolved threads' vectors in memory, searched for the nearest
to a question's. ``usearch`` keeps them in half floats (a year of 300,000 threads in about
300 MB) and, beside them, the sign of each of their numbers (48 bytes a vector). A question
is compared with every vector's signs (the bits that differ: about 3 ms for 217,000), and the
``SHORTLIST`` whose signs are nearest are compared exactly, by cosine (with no more vectors
than that, every one is). Comparing every vector exactly took 14 ms a question at 165,000
vectors and 23 ms at 217,000 (reading them all is the cost); the shortlist keeps the exact
nearest three for 99.6% of the labelled sets' questions (``python -m bench.nearest``). An HNSW
graph, tried before, missed the nearest three of real questions more often than not among a
year of like posts (42% of them found at its default depth, 80% at 16 times it): the graphs
are kept minimal and never searched. A thread resolved again replaces its vector."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from watchstander.adapters.minilm import WIDTH, NoModel

CHUNK = 500  # vectors added at a time, the index locked
SHORTLIST = 400  # vectors compared exactly a question, those of the nearest signs


class Nearest:
    """Thread ids by vector; safe to search while vectors are added."""

    def __init__(self, width: int = WIDTH, shortlist: int = SHORTLIST) -> None:
        try:
            from usearch.index import Index
        except ImportError:
            raise NoModel("usearch is not installed (make meaning)") from None

        self.width = width
        self.shortlist = shortlist
        # graphs of two links a vector cost next to nothing to build: they are not searched
        self._index = Index(ndim=width, metric="cos", dtype="f16", connectivity=2, expansion_add=2)
        self._signs = Index(
            ndim=width, metric="hamming", dtype="b1", connectivity=2, expansion_add=2
        )
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._index)

    @property
    def memory(self) -> int:
        """Bytes its vectors, their signs and the graphs take."""
        return int(self._index.memory_usage) + int(self._signs.memory_usage)

    def put(self, rows: Sequence[tuple[int, bytes]]) -> None:
        """Keep each (thread id, vector as float32 bytes), in place of the thread's last."""
        kept = {thread_id: vector for thread_id, vector in rows}  # the last of a thread wins
        if not kept:
            return
        keys = np.fromiter(kept, dtype=np.uint64, count=len(kept))
        vectors = np.vstack([self._vector(vector) for vector in kept.values()])
        for start in range(0, len(keys), CHUNK):  # questions are answered in between
            some, these = keys[start : start + CHUNK], vectors[start : start + CHUNK]
            with self._lock:
                present = [int(key) for key in some if self._index.contains(int(key))]
                if present:
                    self._index.remove(present)
                    self._signs.remove(present)
                self._index.add(some, these)
                self._signs.add(some, _signs(these))

    def nearest(self, vector: bytes, limit: int, floor: float) -> list[tuple[int, float]]:
        """Up to ``limit`` (thread id, cosine) at ``floor`` or nearer, the nearest first."""
        asked = self._vector(vector)
        with self._lock:
            size = len(self._index)
            if size == 0 or limit <= 0:
                return []
            wanted = min(self.shortlist, size)  # all of them, when they are no more
            listed = self._signs.search(_signs(asked), wanted, exact=True, threads=1)
            keys = np.asarray(listed.keys, dtype=np.uint64)
            cosines = self._cosines(asked, keys)
        order = np.argsort(-cosines, kind="stable")[:limit]
        return [(int(keys[n]), float(cosines[n])) for n in order if cosines[n] >= floor]

    def closeness(self, vector: bytes, ids: Sequence[int]) -> dict[int, float]:
        """The cosine of ``vector`` with each thread of ``ids`` held (as kept: half floats)."""
        asked = self._vector(vector)
        with self._lock:
            held = [key for key in dict.fromkeys(ids) if self._index.contains(key)]
            if not held:
                return {}
            cosines = self._cosines(asked, np.asarray(held, dtype=np.uint64))
        return {key: float(cosine) for key, cosine in zip(held, cosines, strict=True)}

    def _cosines(self, asked: NDArray[np.float32], keys: NDArray[np.uint64]) -> NDArray[np.float32]:
        """The cosine of ``asked`` with each held vector of ``keys`` (the lock held)."""
        kept = np.asarray(self._index.get(keys), np.float32).reshape(len(keys), self.width)
        norms = np.linalg.norm(kept, axis=1) * float(np.linalg.norm(asked))
        cosines = kept @ asked / np.where(norms > 0, norms, 1.0)
        return cosines.astype(np.float32)

    def _vector(self, raw: bytes) -> NDArray[np.float32]:
        vector = np.frombuffer(raw, dtype="<f4")
        if vector.shape != (self.width,):
            raise ValueError(f"a vector of {vector.size} floats, not {self.width}")
        return vector


def _signs(vectors: NDArray[np.float32]) -> NDArray[np.uint8]:
    """Each vector's signs as bits (a number above zero: 1), packed eight to a byte."""
    return np.packbits(vectors > 0, axis=-1)
