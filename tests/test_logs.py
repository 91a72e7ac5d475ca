"""Structured logs: each line one JSON object (time, level, logger, message), the thread's
channel and ts while the services handle one (a real triage service on a real store), the
traceback as a field, and never a secret: the secret settings' values and anything shaped
like a token are masked, in the message and in the traceback. Errbot's config takes the
formatter with WATCHSTANDER_LOG_FORMAT=json."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from conftest import NOW

from watchstander.logs import MASK, JsonFormatter, current_thread, in_thread, secrets_from_env
from watchstander.services.inbound import InboundReaction
from watchstander.services.oncall import OnCall
from watchstander.services.triage import TriageService
from watchstander.settings import Settings, SettingsError
from watchstander.store import Store

BOT_TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
APP_TOKEN = "xapp-1-A0123456789-1234567890123-abcdef0123456789"
ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"  # no token shape: masked by value alone


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the ``watchstander`` loggers say, formatted as JSON lines."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter([ROUTING_KEY]))
    logger = logging.getLogger("watchstander")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(level)


def parsed(out: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_line_is_one_json_object(lines: io.StringIO) -> None:
    log = logging.getLogger("watchstander.somewhere")
    log.info("Watching #%s\nnext line %s", "support", "ünïcødé ✓")
    (line,) = parsed(lines)
    assert line["level"] == "INFO"
    assert line["logger"] == "watchstander.somewhere"
    assert line["message"] == "Watching #support\nnext line ünïcødé ✓"
    assert line["time"].endswith("+00:00")
    assert "channel" not in line
    assert "thread_ts" not in line
    assert len(lines.getvalue().splitlines()) == 1  # the newline is escaped inside


def test_a_line_logged_while_a_thread_is_handled_names_it(lines: io.StringIO) -> None:
    log = logging.getLogger("watchstander.x")
    with in_thread("C0SUPPORT", "1700000000.000100"):
        log.warning("inside")
        with in_thread("C0OTHER", "1700000001.000200"):
            log.warning("nested")
        log.warning("back")
    log.warning("outside")
    got = [(d["message"], d.get("channel"), d.get("thread_ts")) for d in parsed(lines)]
    assert got == [
        ("inside", "C0SUPPORT", "1700000000.000100"),
        ("nested", "C0OTHER", "1700000001.000200"),
        ("back", "C0SUPPORT", "1700000000.000100"),
        ("outside", None, None),
    ]
    assert current_thread() is None


def test_the_triage_service_says_which_thread_it_handles(lines: io.StringIO, store: Store) -> None:
    triage = TriageService(
        store,
        Settings.from_env({}),
        channel_id="C0SUPPORT",
        emit=lambda effect: None,
        oncall=lambda now: OnCall("U0ALICE", None),
    )
    # a reaction on a message not seen yet is kept, with a DEBUG line, inside its thread
    root, event = "1700000000.000100", "1700000060.000200"
    reaction = InboundReaction("C0SUPPORT", root, "U0DAVE", "eyes", True, event)
    assert triage.handle_reaction(reaction, NOW)
    (kept,) = [d for d in parsed(lines) if d["message"].startswith("reaction on a message")]
    assert (kept["channel"], kept["thread_ts"]) == ("C0SUPPORT", root)
    assert current_thread() is None  # and no more once it is handled


def test_no_secret_reaches_a_json_line(lines: io.StringIO) -> None:
    log = logging.getLogger("watchstander.adapters.slack_web")
    log.warning("Slack refused chat.postMessage with token %s for %s", BOT_TOKEN, APP_TOKEN)
    log.warning("PagerDuty said: bad key %s", ROUTING_KEY)
    log.warning("Authorization: Bearer %s", "ghp_" + "a" * 36)
    log.warning("PagerDuty REST: Authorization: Token token=%s", "c" * 20)
    log.warning("connecting to postgresql+psycopg2://watchstander:hunter2pass@db/ws")
    try:
        raise RuntimeError(f"refused {BOT_TOKEN}")
    except RuntimeError:
        log.exception("failed with %s", "github_pat_" + "B" * 30)
    text = lines.getvalue()
    for secret in (BOT_TOKEN, APP_TOKEN, ROUTING_KEY, "a" * 36, "c" * 20, "hunter2pass", "B" * 30):
        assert secret not in text
    got = parsed(lines)
    assert got[0]["message"] == f"Slack refused chat.postMessage with token {MASK} for {MASK}"
    assert got[1]["message"] == f"PagerDuty said: bad key {MASK}"
    assert got[2]["message"] == f"Authorization: Bearer {MASK}"
    assert got[3]["message"] == f"PagerDuty REST: Authorization: Token token={MASK}"
    assert got[4]["message"] == f"connecting to postgresql+psycopg2://{MASK}@db/ws"
    assert got[5]["message"] == f"failed with {MASK}"
    assert "RuntimeError: refused [secret]" in got[5]["exception"]
    assert got[5]["level"] == "ERROR"


def test_the_secret_settings_values_are_taken_from_the_environment() -> None:
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "GITHUB_TOKEN": ""}
    env |= {"PAGERDUTY_WEBHOOK_SECRET": "abc", "OTHER": "not-a-secret-value"}
    assert sorted(secrets_from_env(env)) == sorted([BOT_TOKEN, ROUTING_KEY])  # "abc": too short
    record = logging.LogRecord("w", logging.INFO, __file__, 1, "key=%s", (ROUTING_KEY,), None)
    assert ROUTING_KEY not in JsonFormatter(secrets_from_env(env)).format(record)


def errbot_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> ModuleType:
    monkeypatch.setenv("WATCHSTANDER_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import watchstander_errbot

    path = Path(watchstander_errbot.__file__).with_name("config.py")
    spec = importlib.util.spec_from_file_location("errbot_config_under_test", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop("errbot_config_under_test", None)
    return module


def test_errbot_logs_json_on_request_without_the_tokens(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = errbot_config(
        monkeypatch, tmp_path, WATCHSTANDER_LOG_FORMAT="JSON", SLACK_BOT_TOKEN=ROUTING_KEY
    )
    formatter = config.BOT_LOG_FORMATTER
    assert isinstance(formatter, JsonFormatter)
    assert not config.BOT_LOG_FILE  # one stream of JSON lines, on stderr
    record = logging.LogRecord("w", logging.INFO, __file__, 1, "t=%s", (ROUTING_KEY,), None)
    assert json.loads(formatter.format(record))["message"] == f"t={MASK}"


def test_errbot_logs_text_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WATCHSTANDER_LOG_FORMAT", raising=False)
    config = errbot_config(monkeypatch, tmp_path)
    assert not hasattr(config, "BOT_LOG_FORMATTER")
    assert str(tmp_path / "errbot" / "errbot.log") == config.BOT_LOG_FILE


def test_the_setting_takes_text_or_json_and_says_so_otherwise() -> None:
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env({"WATCHSTANDER_LOG_FORMAT": "Json"}).log_format == "json"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"WATCHSTANDER_LOG_FORMAT": "<!channel> yaml"})
    assert str(refused.value) == (
        "WATCHSTANDER_LOG_FORMAT: '<!channel> yaml' is not a choice: use text or json"
    )
