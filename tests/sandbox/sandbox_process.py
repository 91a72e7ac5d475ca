"""`python -m watchstander_sandbox` in a subprocess, as `make run` starts it without Slack
tokens, on free ports, its data in a folder of the test's, its standard input kept open (as a
terminal's is) and its output collected line by line."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from watchstander_sandbox.bot_process import PROXIES, ROOT, free_port, log_tail


@dataclass
class Sandbox:
    process: subprocess.Popen[bytes]
    data: Path
    port: int  # the sandbox page's
    lines: list[str] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _reader: threading.Thread | None = None

    @property
    def output(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def wait_output(self, text: str, timeout: float) -> None:
        """Until ``text`` is in the output; an AssertionError with the output after
        ``timeout`` seconds, or when the sandbox ended without saying it."""
        with self._changed:
            self._changed.wait_for(lambda: text in "".join(self.lines) or self._ended(), timeout)
            said = text in "".join(self.lines)
        assert said, f"not said within {timeout} s: {text!r}\n{self.tail()}"

    def send(self, line: str) -> None:
        """A line typed at the sandbox's console."""
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def exit_code(self, timeout: float) -> int:
        """The exit code, once the sandbox has ended; an AssertionError with its output and
        the bot's log if it has not within ``timeout`` seconds."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {timeout} s\n{self.tail()}") from None

    def tail(self) -> str:
        return f"{self.output[-3000:]}\n--- the bot's log:\n{log_tail(self.data)}"

    def close(self) -> None:
        """Kill what still runs of it (a failed test), its bot included (its own process
        group: no bot is left behind), and close its pipes."""
        with contextlib.suppress(ProcessLookupError):  # all gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        if self._reader is not None:
            self._reader.join(10)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()

    def _ended(self) -> bool:
        return self._reader is not None and not self._reader.is_alive()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self._changed:
                self.lines.append(raw.decode(errors="replace"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()


def start_sandbox(data: Path) -> Sandbox:
    """Start the sandbox (its Slack server and its page on free ports, its data in ``data``)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in PROXIES}
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "WATCHSTANDER_DATABASE_URL", "RESET"):
        env.pop(name, None)
    env.update(
        WATCHSTANDER_DATA_DIR=str(data),
        WATCHSTANDER_SANDBOX_PORT=str(port),
        WATCHSTANDER_SLACK_PORT=str(free_port()),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "watchstander_sandbox"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its bot in its process group, for `Sandbox.close`
    )
    sandbox = Sandbox(process, data, port)
    sandbox._reader = threading.Thread(target=sandbox._read, name="sandbox-output", daemon=True)
    sandbox._reader.start()
    return sandbox
