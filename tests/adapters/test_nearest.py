"""The meaning extra's index: the nearest threads first, a floor kept, a thread's vector
replaced when it is put again, and a vector of the wrong width refused; beyond its shortlist,
the threads whose signs are nearest compared exactly (their cosines as numpy has them)."""

from __future__ import annotations

import numpy as np
import pytest

from watchstander.adapters.nearest import Nearest


def unit(*values: float) -> bytes:
    vector = np.asarray(values, dtype=np.float32)
    return (vector / np.linalg.norm(vector)).astype("<f4").tobytes()


def test_the_nearest_first_and_none_under_the_floor() -> None:
    index = Nearest(4)
    index.put([(1, unit(1, 0, 0, 0)), (2, unit(1, 1, 0, 0)), (3, unit(0, 0, 1, 0))])
    found = index.nearest(unit(1, 0.2, 0, 0), 3, floor=0.5)
    assert [thread for thread, _ in found] == [1, 2]
    assert found[0][1] == pytest.approx(0.98, abs=0.01)
    assert index.nearest(unit(0, 0, 0, 1), 3, floor=0.5) == []
    assert Nearest(4).nearest(unit(1, 0, 0, 0), 3, floor=-1.0) == []  # empty


def test_a_thread_put_again_has_its_new_vector() -> None:
    index = Nearest(4)
    index.put([(7, unit(1, 0, 0, 0))])
    index.put([(7, unit(0, 1, 0, 0)), (8, unit(0, 0, 1, 0)), (8, unit(0, 0, 0, 1))])
    assert len(index) == 2
    assert index.nearest(unit(0, 1, 0, 0), 1, floor=0.9)[0][0] == 7
    assert index.nearest(unit(0, 0, 0, 1), 1, floor=0.9)[0][0] == 8  # the last put wins
    assert index.nearest(unit(1, 0, 0, 0), 2, floor=0.5) == []


def test_closeness_of_the_threads_held() -> None:
    index = Nearest(4)
    index.put([(1, unit(1, 0, 0, 0)), (2, unit(0, 1, 0, 0))])
    close = index.closeness(unit(1, 1, 0, 0), [2, 1, 99])
    assert set(close) == {1, 2}  # 99 is not held
    assert close[1] == pytest.approx(0.7071, abs=1e-3) == close[2]


def test_among_many_like_threads_the_nearest_is_found_exactly() -> None:
    """A year of like posts (here 20,000 the same) and the one thread near the question:
    found every time, as a search of every vector finds it (a graph's walk may not)."""
    rng = np.random.default_rng(7)
    index = Nearest(8)
    crowd = rng.normal(size=(20_000, 8)).astype(np.float32) * 0.01 + 1.0
    crowd /= np.linalg.norm(crowd, axis=1, keepdims=True)
    index.put([(n + 1, row.astype("<f4").tobytes()) for n, row in enumerate(crowd)])
    index.put([(99_999, unit(1, -1, 1, -1, 1, -1, 1, -1))])
    for _ in range(20):
        near = rng.normal(size=8).astype(np.float32) * 0.1 + np.asarray([1, -1] * 4)
        assert index.nearest(unit(*near), 1, floor=0.5)[0][0] == 99_999


def exact(held: np.ndarray, asked: np.ndarray, limit: int, floor: float) -> list[int]:  # type: ignore[type-arg]
    """The ``limit`` rows of ``held`` nearest ``asked`` at ``floor`` or nearer, by numpy."""
    rows = held.astype(np.float16).astype(np.float32)
    cosines = rows @ asked / (np.linalg.norm(rows, axis=1) * np.linalg.norm(asked))
    return [int(n) + 1 for n in np.argsort(-cosines)[:limit] if cosines[n] >= floor]


def test_beyond_the_shortlist_the_nearest_signs_are_compared_exactly() -> None:
    """5,000 threads on 100 topics and a shortlist of 200: a question on a topic finds what
    numpy finds comparing every vector, in its order, with its cosines."""
    rng = np.random.default_rng(11)
    index = Nearest(384, shortlist=200)
    topics = rng.normal(size=(100, 384)).astype(np.float32)
    held = np.repeat(topics, 50, axis=0) + rng.normal(size=(5_000, 384)).astype(np.float32) * 0.4
    held /= np.linalg.norm(held, axis=1, keepdims=True)
    index.put([(n + 1, row.astype("<f4").tobytes()) for n, row in enumerate(held)])
    for target in rng.choice(5_000, size=25, replace=False):
        asked = held[target] + rng.normal(size=384).astype(np.float32) * 0.015
        asked /= np.linalg.norm(asked)
        found = index.nearest(asked.astype("<f4").tobytes(), 5, floor=0.5)
        assert [thread for thread, _ in found] == exact(held, asked, 5, 0.5)
        assert found[0][0] == target + 1
        for thread, cosine in found:
            assert cosine == pytest.approx(float(held[thread - 1] @ asked), abs=2e-3)


def test_beyond_the_shortlist_a_thread_put_again_is_found_by_its_new_vector() -> None:
    rng = np.random.default_rng(12)
    index = Nearest(32, shortlist=50)
    held = rng.normal(size=(1_000, 32)).astype(np.float32)
    held /= np.linalg.norm(held, axis=1, keepdims=True)
    index.put([(n + 1, row.astype("<f4").tobytes()) for n, row in enumerate(held)])
    moved = -held[0]  # thread 1, resolved again: its vector points the other way
    index.put([(1, moved.astype("<f4").tobytes())])
    assert len(index) == 1_000
    assert index.nearest(moved.astype("<f4").tobytes(), 1, floor=0.99)[0][0] == 1
    assert 1 not in dict(index.nearest(held[0].astype("<f4").tobytes(), 10, floor=0.5))


def test_a_vector_of_another_width_is_refused() -> None:
    index = Nearest(4)
    with pytest.raises(ValueError, match="3 floats, not 4"):
        index.put([(1, np.zeros(3, dtype="<f4").tobytes())])
    with pytest.raises(ValueError, match="5 floats, not 4"):
        index.nearest(np.zeros(5, dtype="<f4").tobytes(), 1, floor=0.0)
    assert len(index) == 0
