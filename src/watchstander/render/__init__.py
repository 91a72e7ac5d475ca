"""The one voice: templates, the platform's quoting, and the one way messages go out."""

from watchstander.render.renderer import Renderer
from watchstander.render.speaker import ChatSpeaker
from watchstander.render.voice import (
    MattermostVoice,
    PlainVoice,
    Safe,
    SlackVoice,
    Voice,
)

__all__ = [
    "ChatSpeaker",
    "MattermostVoice",
    "PlainVoice",
    "Renderer",
    "Safe",
    "SlackVoice",
    "Voice",
]
