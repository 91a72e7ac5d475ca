"""The one voice: every message the bot writes is a template rendered here.

Every ``{{ value }}`` a template prints is quoted by the platform's :class:`Voice` (Jinja's
``finalize``) unless it is :class:`Safe`, which only the filters below make: ``mention``,
``channel``, ``link``, ``bold`` and ``code``. So no template can emit ``<!channel>``, a group
or a person from a value, whatever the value holds; what a template writes itself (its own
text) it writes on purpose. Templates keep their line breaks: nothing converts them after.

A refusal (:class:`Refusal`) is rendered the same way: its text is the code's own, its values
are quoted, a :class:`Mention` becomes a mention.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from watchstander.render.voice import Safe, Voice
from watchstander.services.effects import Mention, Note, Refusal

TEMPLATES = Path(__file__).with_name("templates")
View = Callable[[Mapping[str, Any]], Mapping[str, Any]]


class Renderer:
    def __init__(
        self,
        voice: Voice,
        views: Mapping[str, View] | None = None,
        templates: Path = TEMPLATES,
    ) -> None:
        self.voice = voice
        self._views = dict(views or {})
        self._env = Environment(
            loader=FileSystemLoader(str(templates)),
            autoescape=False,
            finalize=self._finalize,
            keep_trailing_newline=False,
            auto_reload=False,  # templates ship with the code: compiled once, never stat()ed again
        )
        self._env.filters.update(
            mention=self._mention,
            mentions=self._mentions,
            channel=lambda value: voice.channel(str(value or "")),
            link=lambda url, text="link": voice.link(str(url or ""), str(text)),
            bold=lambda value: voice.bold(str(value)),
            code=lambda value: voice.code(str(value)),
            tag=lambda handle, group="": voice.tag(str(handle or ""), str(group or "")),
            article=lambda value: Safe(article(str(value or ""))),
        )
        self._env.globals["buttons"] = voice.draws_controls  # what a message may ask to press

    def render(self, template: str, data: Mapping[str, Any]) -> str:
        """The template's text for ``data`` (shaped by the template's view, if it has one)."""
        view = self._views.get(template)
        context = dict(view(data) if view is not None else data)
        return _tidy(self._env.get_template(f"{template}.md").render(**context))

    def refusal(self, error: Exception) -> str:
        """The one line that says why a command was not done."""
        return "⚠️ " + self.explain(error)

    def explain(self, error: Exception) -> str:
        if isinstance(error, Refusal):
            return self.note(error.note)
        return self.voice.quote(str(error))

    def note(self, note: Note) -> str:
        return _format(note.text, {k: self._value(v) for k, v in note.values.items()})

    def _value(self, value: object) -> str:
        if isinstance(value, Mention):
            return self._mention(value.user)
        return self.voice.quote(str(value))

    def _finalize(self, value: object) -> object:
        if isinstance(value, Safe):
            return value
        if value is None:
            return ""
        return self.voice.quote(value if isinstance(value, str) else str(value))

    def _mention(self, user: object) -> Safe:
        return self.voice.mention(str(user)) if user else Safe("")

    def _mentions(self, users: Iterable[object] | None, joiner: str = ", ") -> Safe:
        people = [self._mention(u) for u in users or ()] if not isinstance(users, str) else []
        return Safe(self.voice.quote(joiner).join(people))


_AN_EXCEPTIONS = ("one", "once", "uni", "usa", "use", "usu", "uti", "eu", "ewe")  # "a", by sound
_AN_SILENT_H = ("hour", "honest", "honour", "honor", "heir")  # "an", by sound


def article(word: str) -> str:
    """``a`` or ``an`` for the word that follows (by its first sound, as far as letters tell);
    the template writes the word itself, quoted."""
    w = word.strip().lower()
    if w.startswith(_AN_SILENT_H):
        return "an"
    if w.startswith(_AN_EXCEPTIONS):
        return "a"
    return "an" if w[:1] in ("a", "e", "i", "o", "u") else "a"


def _format(text: str, values: Mapping[str, str]) -> str:
    """``text`` with its ``{name}`` fields filled: the code's own text is kept as it is."""
    out = []
    for literal, field, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if field is not None:
            out.append(values.get(field, ""))
    return "".join(out)


def _tidy(text: str) -> str:
    """No trailing spaces, no blank lines at the ends, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out)
