"""Does what a person asks with the controls of a thread (see
:mod:`watchstander.services.controls`) through the thread commands, with the same rules as
``!claim``, ``!resolve`` and ``!eta``. A control that cannot be done raises
:class:`~watchstander.services.effects.CommandError` (said to the presser alone) and changes
nothing."""

from __future__ import annotations

from datetime import datetime

from watchstander.services.commands import ThreadCommands
from watchstander.services.controls import CHECKIN, CHECKIN_CHOICES, CLAIM, RESOLVE, Action
from watchstander.services.effects import CommandContext, CommandError, Note


class ThreadActions:
    """Does what a thread control says through the thread commands."""

    def __init__(self, commands: ThreadCommands) -> None:
        self.commands = commands

    @staticmethod
    def knows(action_id: str) -> bool:
        return action_id in (CLAIM, RESOLVE, CHECKIN)

    def handle(self, action: Action, now: datetime) -> Note | None:
        ctx = CommandContext(
            channel=action.channel, user=action.user, ts=action.ts, thread_ts=action.root_ts
        )
        if action.action_id == CLAIM:
            return self.commands.claim(ctx, now)
        if action.action_id == RESOLVE:
            return self.commands.resolve(ctx, "", now)
        if action.action_id == CHECKIN:
            if action.value not in dict(CHECKIN_CHOICES):
                raise CommandError("'{value}' is not a check-in I offer.", value=action.value[:30])
            return self.commands.eta(ctx, action.value, now)
        raise CommandError("'{action}' is not a control I know.", action=action.action_id[:40])
