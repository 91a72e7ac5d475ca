"""Who is on call. Until the bot keeps a rotation, the first of ``ROTATION_ADMINS`` is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watchstander.settings import Settings


@dataclass(frozen=True)
class OnCall:
    primary: str | None
    secondary: str | None
    until: datetime | None = None


class AdminsOnCall:
    """The first rotation admin is on call, the second is the secondary."""

    def __init__(self, settings: Settings) -> None:
        people = settings.rotation_admins or settings.bot_admins
        self._primary = people[0] if people else None
        self._secondary = people[1] if len(people) > 1 else None

    def __call__(self, now: datetime) -> OnCall:
        return OnCall(self._primary, self._secondary)
