"""The meaning extra's index: resolved threads' vectors in memory, searched for the nearest
to a question's. ``usearch`` keeps them in half floats (a year of 300,000 threads in about
300 MB) and compares the question with every one of them (SIMD, one core: about 9 ms for
217,000): its HNSW graph, tried first, missed the nearest three of real questions more often
than not among a year of like posts (42% of them found at its default depth, 80% at 16 times
it), so the graph is kept minimal and never searched. A thread resolved again replaces its
vector."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from watchstander.adapters.minilm import WIDTH, NoModel

CHUNK = 500  # vectors added at a time, the index locked


class Nearest:
    """Thread ids by vector; safe to search while vectors are added."""

    def __init__(self, width: int = WIDTH) -> None:
        try:
            from usearch.index import Index
        except ImportError:
            raise NoModel("usearch is not installed (make meaning)") from None

        self.width = width
        # a graph of two links a vector costs next to nothing to build: it is not searched
        self._index = Index(ndim=width, metric="cos", dtype="f16", connectivity=2, expansion_add=2)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._index)

    def put(self, rows: Sequence[tuple[int, bytes]]) -> None:
        """Keep each (thread id, vector as float32 bytes), in place of the thread's last."""
        kept = {thread_id: vector for thread_id, vector in rows}  # the last of a thread wins
        if not kept:
            return
        keys = np.fromiter(kept, dtype=np.uint64, count=len(kept))
        vectors = np.vstack([self._vector(vector) for vector in kept.values()])
        for start in range(0, len(keys), CHUNK):  # questions are answered in between
            some = keys[start : start + CHUNK]
            with self._lock:
                present = [int(key) for key in some if self._index.contains(int(key))]
                if present:
                    self._index.remove(present)
                self._index.add(some, vectors[start : start + CHUNK])

    def nearest(self, vector: bytes, limit: int, floor: float) -> list[tuple[int, float]]:
        """Up to ``limit`` (thread id, cosine) at ``floor`` or nearer, the nearest first."""
        asked = self._vector(vector)
        with self._lock:
            size = len(self._index)
            if size == 0 or limit <= 0:
                return []
            found = self._index.search(asked, min(limit, size), exact=True, threads=1)
        near = zip(found.keys, found.distances, strict=True)
        return [(int(key), 1.0 - float(far)) for key, far in near if 1.0 - float(far) >= floor]

    def closeness(self, vector: bytes, ids: Sequence[int]) -> dict[int, float]:
        """The cosine of ``vector`` with each thread of ``ids`` held (as kept: half floats)."""
        asked = self._vector(vector)
        with self._lock:
            held = [key for key in dict.fromkeys(ids) if self._index.contains(key)]
            if not held:
                return {}
            kept = np.asarray(self._index.get(np.asarray(held, dtype=np.uint64)), np.float32)
        kept = kept.reshape(len(held), self.width)
        norms = np.linalg.norm(kept, axis=1) * float(np.linalg.norm(asked))
        cosines = kept @ asked / np.where(norms > 0, norms, 1.0)
        return {key: float(cosine) for key, cosine in zip(held, cosines, strict=True)}

    def _vector(self, raw: bytes) -> np.ndarray:  # type: ignore[type-arg]
        vector = np.frombuffer(raw, dtype="<f4")
        if vector.shape != (self.width,):
            raise ValueError(f"a vector of {vector.size} floats, not {self.width}")
        return vector
