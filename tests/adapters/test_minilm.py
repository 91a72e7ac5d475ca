"""The meaning extra's sentence model run with numpy gives sentence-transformers' vectors
(tests/fixtures/minilm_vectors.json, made with it from the same bundled weights), and they
compare as meaning does: a paraphrase in other words is nearer than another problem."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from watchstander.adapters.minilm import WIDTH, MiniLM, NoModel, model_dir

FIXTURE = Path(__file__).parent.parent / "fixtures" / "minilm_vectors.json"


def cos(a: bytes, b: bytes) -> float:
    return float(np.frombuffer(a, "<f4") @ np.frombuffer(b, "<f4"))


def test_the_vectors_are_sentence_transformers(model: MiniLM) -> None:
    known = json.loads(FIXTURE.read_text(encoding="utf-8"))
    ours = model.vectors(known["texts"])
    theirs = np.asarray(known["vectors"], dtype=np.float32)
    assert ours.shape == theirs.shape == (len(known["texts"]), WIDTH)
    assert np.abs(ours - theirs).max() < 1e-4  # long, odd and Unicode texts among them
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_paraphrase_is_nearer_than_another_problem(model: MiniLM) -> None:
    asked, same, other = model.questions(
        [
            "users get sent back to the okta login page over and over when signing in with SSO",
            "SSO login loops back to the Okta page",
            "the CSV export of the revenue report times out",
        ]
    )
    assert cos(asked, same) > 0.8 > 0.1 > cos(asked, other)


def test_a_thread_is_near_both_its_report_and_its_answer(model: MiniLM) -> None:
    (thread,) = model.threads(
        [("SSO login loops back to the Okta page", "the ACS URL had a trailing slash; removed it")]
    )
    report, answer, other = model.questions(
        [
            "okta sign in keeps looping",
            "does a trailing slash in the ACS URL break SAML?",
            "how do I change the currency on invoices?",
        ]
    )
    assert min(cos(thread, report), cos(thread, answer)) > cos(thread, other)


def test_no_text_at_all_still_has_a_vector(model: MiniLM) -> None:
    empty, spaces = model.questions(["", "   \n\t "])
    assert len(empty) == len(spaces) == WIDTH * 4
    assert abs(cos(empty, empty) - 1.0) < 1e-5


def test_a_lone_surrogate_or_a_huge_text_still_has_a_vector(model: MiniLM) -> None:
    odd, huge = model.vectors(["broken \ud800 text", "ünïcödé 🙃 " * 20_000])
    assert np.isfinite(odd).all()
    assert np.isfinite(huge).all()
    assert abs(float(np.linalg.norm(huge)) - 1.0) < 1e-5


def test_a_damaged_model_is_no_model_in_one_line(model: MiniLM, tmp_path: Path) -> None:
    folder = model_dir()
    (tmp_path / "tokenizer.json").symlink_to(folder / "tokenizer.json")
    (tmp_path / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes()[:4096])
    with pytest.raises(NoModel, match=r"^its files did not load \(\w+: [^\n]*\)$"):
        MiniLM(tmp_path)
