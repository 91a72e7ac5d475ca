"""Slack's limits for a modal (title, texts, ids, blocks, metadata), as ``views.open``,
``views.push`` and ``views.update`` check them: ``invalid_arguments`` when one is broken."""

from __future__ import annotations

from typing import Any

from watchstander_sandbox.slack.world import JSON, SlackError

# Slack's limits, checked when a view is opened or updated (``invalid_arguments`` otherwise)
LIMITS = {"title": 24, "submit": 24, "close": 24, "section": 3000, "context": 3000}
LIMITS |= {"label": 2000, "hint": 2000, "placeholder": 150, "option": 75, "button": 75}
LIMITS |= {"metadata": 3000, "value": 2000, "id": 255, "blocks": 100}


def _text_of(obj: Any) -> str:
    return str(obj.get("text") or "") if isinstance(obj, dict) else ""


def check_view(spec: JSON) -> None:
    """Slack's limits for a view: ``invalid_arguments`` when one is broken."""
    blocks = spec.get("blocks") or []
    ids = [b.get("block_id") for b in blocks if b.get("block_id")]
    inputs = [b for b in blocks if b.get("type") == "input"]
    broken = (
        spec.get("type") != "modal"
        or not 0 < len(_text_of(spec.get("title"))) <= LIMITS["title"]
        or len(_text_of(spec.get("submit"))) > LIMITS["submit"]
        or len(_text_of(spec.get("close"))) > LIMITS["close"]
        or (inputs and not spec.get("submit"))
        or len(str(spec.get("private_metadata") or "")) > LIMITS["metadata"]
        or len(str(spec.get("callback_id") or "")) > LIMITS["id"]
        or len(blocks) > LIMITS["blocks"]
        or len(ids) != len(set(ids))
        or any(_block_broken(b) for b in blocks)
    )
    if broken:
        raise SlackError("invalid_arguments")


def _block_broken(block: JSON) -> bool:
    kind = block.get("type")
    if kind == "section" and len(_text_of(block.get("text"))) > LIMITS["section"]:
        return True
    if kind == "context" and any(len(_text_of(e)) > LIMITS["context"] for e in block["elements"]):
        return True
    if kind == "input":
        element = block.get("element") or {}
        if len(_text_of(block.get("label"))) > LIMITS["label"]:
            return True
        if len(_text_of(block.get("hint"))) > LIMITS["hint"]:
            return True
        if len(_text_of(element.get("placeholder"))) > LIMITS["placeholder"]:
            return True
        initial = str(element.get("initial_value") or "")
        if len(initial) > int(element.get("max_length") or 3000):
            return True
    elements = [block.get("element"), block.get("accessory"), *(block.get("elements") or [])]
    for element in elements:
        if not isinstance(element, dict):
            continue
        if len(str(element.get("action_id") or "")) > LIMITS["id"]:
            return True
        if element.get("type") == "button" and (
            len(_text_of(element.get("text"))) > LIMITS["button"]
            or len(str(element.get("value") or "")) > LIMITS["value"]
        ):
            return True
        for option in element.get("options") or []:
            if len(_text_of(option.get("text"))) > LIMITS["option"]:
                return True
            if len(_text_of(option.get("description"))) > LIMITS["option"]:
                return True
    return False
