"""How far the sentence model reaches, before any rule decides: for each labelled set, the
share of its questions whose answering thread is among the nearest threads by meaning
(3, 10 and 60 of a year's resolved threads, with no floor at all), and the most that any
single floor could give on meaning alone (recall@3 at the floor that gives the set's own
unrelated questions a tenth of suggestions: an upper bound, never a setting).

The answers bench (``python -m bench.answers``) measures what the bot suggests; this one says
whether a target is within the model's reach at all: when the answering thread is not among
a question's 3 nearest, no floor, gate or margin on the model's cosines can suggest it (the
database's search by words still may: that bench asks both), and only a better model, or one
that reads the question and the thread together, can. The vectors are those
``bench.answers`` made and keeps in its cache; every question is compared with every vector
exactly. Figures only: no question is printed (two sets are blind).

    python -m bench.reach

Exits non-zero when held-out 5's answering threads are among the 3 nearest for fewer than
``RECALL_TARGET`` of its questions: then that target is out of reach by meaning alone.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from bench.answers import FALSE_TARGET, JUDGED, RECALL_TARGET, SETS, _key, load
from bench.nearest import cached
from watchstander.domain.answers import resolving_line

DEPTHS = (3, 10, 60)
CHUNK = 256  # questions compared with every vector at once


Rows = np.ndarray[Any, Any]


def nearest(questions: Rows, vectors: Rows) -> tuple[Rows, Rows]:
    """Each question's ``max(DEPTHS)`` nearest rows (nearest first) and their cosines."""
    deep = max(DEPTHS)
    rows = np.zeros((len(questions), deep), dtype=np.int64)
    cosines = np.zeros((len(questions), deep), dtype=np.float32)
    for start in range(0, len(questions), CHUNK):
        near = questions[start : start + CHUNK] @ vectors.T
        top = np.argpartition(-near, deep, axis=1)[:, :deep]
        order = np.argsort(-np.take_along_axis(near, top, 1), axis=1, kind="stable")
        rows[start : start + CHUNK] = np.take_along_axis(top, order, 1)
        cosines[start : start + CHUNK] = np.take_along_axis(near, rows[start : start + CHUNK], 1)
    return rows, cosines


def reach(rows: Rows, cosines: Rows, answers: Rows) -> dict[str, float]:
    """A set's figures: ``answers`` holds each question's answering row, -1 for unrelated."""
    asked, unrelated = answers >= 0, answers < 0
    found = rows == answers[:, None]
    got = {f"top{depth}": float(found[asked, :depth].any(1).mean()) for depth in DEPTHS}
    floor = float(np.quantile(cosines[unrelated, 0], 1 - FALSE_TARGET))
    kept = found[asked, :3] & (cosines[asked, :3] > floor)
    got["best floor"], got["at best floor"] = floor, float(kept.any(1).mean())
    return got


def main(argv: list[str] | None = None) -> int:
    del argv
    loaded = cached("reach")
    if isinstance(loaded, int):
        return loaded
    model, saved = loaded
    row = {str(key): n for n, key in enumerate(saved["keys"])}
    vectors = saved["vectors"].astype(np.float32)
    print(f"reach ({model.model}): {len(vectors)} threads, every question against every one")
    sets = {name: load(path) for name, path in SETS.items()}
    at = {  # every labelled thread's row: a question may be answered by another set's thread
        item["id"]: row[_key((item["root"], resolving_line(item["line"], [], "", "")))]
        for threads, _, _ in sets.values()
        for item in threads
    }
    met = True
    for name, (_, asked, unrelated) in sets.items():
        texts = [question for question, _, _ in asked] + unrelated
        answers = [at[answer] for _, answer, _ in asked] + [-1] * len(unrelated)
        questions = np.vstack([np.frombuffer(raw, "<f4") for raw in model.questions(texts)])
        got = reach(*nearest(questions, vectors), np.asarray(answers))
        depths = ", ".join(f"{got[f'top{depth}']:.1%} among {depth}" for depth in DEPTHS)
        print(
            f"  {name}: the answering thread {depths}; recall@3 {got['at best floor']:.1%} at "
            f"the set's own best floor ({got['best floor']:.2f}, {FALSE_TARGET:.0%} of "
            f"{len(unrelated)} unrelated given any)"
        )
        if name in JUDGED:
            met = got["top3"] >= RECALL_TARGET
            word = ["FAIL", "PASS"][met]
            print(
                f"verdict reach {word}: {name}'s answering thread among the 3 nearest for "
                f"{got['top3']:.1%} of {len(asked)} questions (target {RECALL_TARGET:.0%}: "
                + ("within reach)" if met else "beyond this model's cosines, whatever decides)")
            )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
