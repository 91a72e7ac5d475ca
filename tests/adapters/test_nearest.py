"""The meaning extra's index: the nearest threads first, a floor kept, a thread's vector
replaced when it is put again, and a vector of the wrong width refused."""

from __future__ import annotations

import numpy as np
import pytest

from watchstander.adapters.minilm import NoModel

try:
    from watchstander.adapters.nearest import Nearest

    Nearest(4)
except NoModel as missing:  # pragma: no cover - the extra is installed in CI
    pytest.skip(f"the meaning extra is not installed: {missing}", allow_module_level=True)


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


def test_a_vector_of_another_width_is_refused() -> None:
    index = Nearest(4)
    with pytest.raises(ValueError, match="3 floats, not 4"):
        index.put([(1, np.zeros(3, dtype="<f4").tobytes())])
    with pytest.raises(ValueError, match="5 floats, not 4"):
        index.nearest(np.zeros(5, dtype="<f4").tobytes(), 1, floor=0.0)
    assert len(index) == 0
