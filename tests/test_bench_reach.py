"""bench.reach's figures: the answering thread among the nearest, and the best single floor."""

from __future__ import annotations

import numpy as np
import pytest

from bench.reach import DEPTHS, nearest, reach


def test_nearest_is_every_vector_compared_nearest_first() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(700, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    questions = vectors[[5, 400]] + 0.01 * rng.normal(size=(2, 16)).astype(np.float32)
    rows, cosines = nearest(questions, vectors)
    wanted = np.argsort(-(questions @ vectors.T), axis=1)[:, : max(DEPTHS)]
    assert rows.tolist() == wanted.tolist()
    assert rows[:, 0].tolist() == [5, 400]
    assert np.all(np.diff(cosines, axis=1) <= 0)


def test_reach_counts_the_answer_by_depth_and_at_the_sets_own_floor() -> None:
    deep = max(DEPTHS)
    rows = np.arange(5 * deep).reshape(5, deep) + 1000  # no answer anywhere, at first
    cosines = np.tile(np.linspace(0.9, 0.1, deep, dtype=np.float32), (5, 1))
    rows[0, 0] = 7  # first nearest, cosine 0.9
    rows[1, 2] = 8  # third nearest, of a question whose nearest are all further
    cosines[1] = np.linspace(0.76, 0.1, deep)
    rows[2, 5] = 9  # sixth: among 10, not among 3
    cosines[3, 0], cosines[4, 0] = 0.8, 0.5  # the unrelated questions' nearest
    answers = np.array([7, 8, 9, -1, -1])
    got = reach(rows, cosines, answers)
    assert got["top3"] == pytest.approx(2 / 3)
    assert got["top10"] == pytest.approx(1.0)
    assert got["top60"] == pytest.approx(1.0)
    floor = 0.5 + 0.9 * (0.8 - 0.5)  # a tenth of the two unrelated given any: the quantile
    assert got["best floor"] == pytest.approx(floor)
    assert cosines[1, 2] < floor < cosines[0, 0]
    assert got["at best floor"] == pytest.approx(1 / 3)  # only the first is near enough
