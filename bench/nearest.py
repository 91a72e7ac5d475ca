"""The meaning index's shortlist (watchstander.adapters.nearest) against comparing every vector
exactly, in the same run, on a year of real vectors: the resolved threads that
``python -m bench.answers`` made into vectors with the meaning extra (kept in its cache; that
bench makes them when they are not there, in about half an hour) and the labelled sets'
questions, each asked as the bot asks (the 15 nearest at the meaning floor).

Prints the time per question of each and their ratio, the share of questions whose nearest
three and whose whole list are the exact ones, and the memory of each index; exits non-zero
when the shortlist changes the nearest three of more than ``SAME3_TARGET``'s complement, or is
not faster than ``RATIO_TARGET`` times the exact search.

    python -m bench.nearest [--shortlist 400] [--questions 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import numpy as np

from bench.answers import CACHE, SETS, load
from watchstander.adapters.minilm import WIDTH, MiniLM, NoModel
from watchstander.adapters.nearest import SHORTLIST, Nearest
from watchstander.domain.answers import MEANING_FLOOR, SUGGESTIONS
from watchstander.services.answers import CANDIDATES

LIMIT = SUGGESTIONS * CANDIDATES  # the nearest a question asks for (AnswerService)
SAME3_TARGET = 0.99  # questions whose nearest three are the exact search's
RATIO_TARGET = 0.5  # the shortlist's median time per question, against the exact search's


def exact_index(vectors: np.ndarray[Any, Any]) -> Any:
    """Every vector in half floats, searched exactly by usearch (installed for this baseline
    alone): what the index did before the shortlist."""
    from usearch.index import Index

    index = Index(ndim=WIDTH, metric="cos", dtype="f16", connectivity=2, expansion_add=2)
    index.add(np.arange(1, len(vectors) + 1, dtype=np.uint64), vectors)
    return index


def exact_nearest(index: Any, asked: np.ndarray[Any, Any]) -> list[int]:
    found = index.search(asked, LIMIT, exact=True, threads=1)
    near = zip(found.keys, found.distances, strict=True)
    return [int(key) for key, far in near if 1.0 - float(far) >= MEANING_FLOOR]


def cached(bench: str) -> tuple[MiniLM, Any] | int:
    """The sentence model and the vectors ``bench.answers`` kept in its cache; else, said in
    a line, the exit code (2: none, or another model's; 0: the meaning extra is missing)."""
    if not CACHE.exists():
        print(f"{bench}: no vectors at {CACHE}: run python -m bench.answers first")
        return 2
    try:
        model = MiniLM()
    except NoModel as missing:
        print(f"{bench}: skipped, the meaning extra is not installed ({missing})")
        return 0
    saved = np.load(CACHE)
    if str(saved["model"]) != model.model:
        print(f"{bench}: the vectors at {CACHE} are another model's: run python -m bench.answers")
        return 2
    return model, saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shortlist", type=int, default=SHORTLIST)
    parser.add_argument("--questions", type=int, default=0, help="ask only the first N")
    args = parser.parse_args(argv)
    loaded = cached("nearest")
    if isinstance(loaded, int):
        return loaded
    model, saved = loaded
    vectors = saved["vectors"].astype(np.float32)
    asked = [question for path in SETS.values() for question in _questions(path)]
    asked = asked[: args.questions or None]
    questions = [np.frombuffer(raw, "<f4") for raw in model.questions(asked)]
    exact = exact_index(vectors)
    shortlisted = Nearest(shortlist=args.shortlist)
    rows = [(n + 1, row.astype("<f4").tobytes()) for n, row in enumerate(vectors)]
    shortlisted.put(rows)
    del rows
    exact_s: list[float] = []
    listed_s: list[float] = []
    same3 = same = 0
    for question in questions:
        started = time.perf_counter()
        wanted = exact_nearest(exact, question)
        exact_s.append(time.perf_counter() - started)
        raw = question.astype("<f4").tobytes()
        started = time.perf_counter()
        got = [thread for thread, _ in shortlisted.nearest(raw, LIMIT, MEANING_FLOOR)]
        listed_s.append(time.perf_counter() - started)
        same3 += got[:SUGGESTIONS] == wanted[:SUGGESTIONS]
        same += got == wanted
    exact_ms, listed_ms = (statistics.median(s) * 1000 for s in (exact_s, listed_s))
    ratio = listed_ms / exact_ms
    share3, share = same3 / len(questions), same / len(questions)
    print(
        f"nearest: {len(vectors)} vectors, {len(questions)} questions, the 15 nearest at "
        f"cosine {MEANING_FLOOR} or nearer, shortlist {args.shortlist}"
    )
    print(f"  exact search (baseline): median {exact_ms:.2f} ms a question")
    print(f"  shortlist: median {listed_ms:.2f} ms a question ({ratio:.2f}x)")
    print(f"  the same nearest three: {share3:.2%}; the same 15: {share:.2%}")
    megabytes = (exact.memory_usage / 1e6, shortlisted.memory / 1e6)
    print("  memory: {:.0f} MB exact, {:.0f} MB shortlist".format(*megabytes))
    ok = [share3 >= SAME3_TARGET, ratio <= RATIO_TARGET]
    word = ["FAIL", "PASS"]
    print(
        f"verdict the same nearest three {word[ok[0]]}: {share3:.2%} (target >= {SAME3_TARGET:.0%})"
    )
    print(
        f"verdict time {word[ok[1]]}: {ratio:.2f}x of the exact search (target <= {RATIO_TARGET}x)"
    )
    return 0 if all(ok) else 1


def _questions(path: Any) -> list[str]:
    _, asked, unrelated = load(path)
    return [question for question, _, _ in asked] + unrelated


if __name__ == "__main__":
    sys.exit(main())
