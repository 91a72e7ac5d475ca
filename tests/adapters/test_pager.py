"""The PagerDuty adapter: the official client against a local Events API v2 server that
answers as PagerDuty does, including its errors. Backoff is shrunk, never slept on in tests."""

from __future__ import annotations

import pytest
from pagerduty_helpers import ROUTING_KEY as KEY
from pagerduty_helpers import pager_for

from watchstander.adapters.pager import Pager, PagerError
from watchstander_sandbox.pagerduty_server import Failure, LocalPagerDuty


def pager(pd: LocalPagerDuty, key: str = KEY, timeout: float = 2.0) -> Pager:
    return pager_for(pd, key, timeout)


def test_trigger_acknowledge_resolve(pd: LocalPagerDuty) -> None:
    p = pager(pd)
    p.trigger(
        "watchstander/C0SUPPORT/1.0",
        "x" * 5000,
        "#support",
        link="https://sandbox.slack.com/archives/C0SUPPORT/p10",
        details={"poster": "U0CAROL", "level": "emergency"},
    )
    p.acknowledge("watchstander/C0SUPPORT/1.0")
    p.resolve("watchstander/C0SUPPORT/1.0")
    assert pd.actions("watchstander/C0SUPPORT/1.0") == ["trigger", "acknowledge", "resolve"]
    first = pd.events[0]
    assert len(first["payload"]["summary"]) == 1024
    assert first["payload"]["custom_details"] == {"poster": "U0CAROL", "level": "emergency"}
    assert first["links"][0]["href"].endswith("/p10")
    assert pd.incidents["watchstander/C0SUPPORT/1.0"].status == "resolved"


def test_429_and_5xx_are_retried_a_bounded_number_of_times(pd: LocalPagerDuty) -> None:
    pd.fail_next(Failure(429, headers={"Retry-After": "1"}), Failure(503))
    pager(pd).trigger("k1", "down", "#support")
    assert pd.actions("k1") == ["trigger"]
    assert len(pd.requests) == 3
    pd.fail_next(*[Failure(500)] * 10)
    with pytest.raises(PagerError, match="answered 500"):
        pager(pd).trigger("k2", "down", "#support")
    # three attempts (attempts=3: two retries of the 500), then it gave up: seven still queued
    assert [r["body"]["dedup_key"] for r in pd.requests] == ["k1"] * 3 + ["k2"] * 3
    assert pd.actions("k2") == []


def test_a_slow_pagerduty_times_out(pd: LocalPagerDuty) -> None:
    pd.fail_next(*[Failure(202, delay=1.0)] * 4)
    with pytest.raises(PagerError, match=r"reached|in time"):
        pager(pd, timeout=0.2).trigger("k3", "down", "#support")


def test_an_unreadable_answer_is_an_error(pd: LocalPagerDuty) -> None:
    pd.fail_next(Failure(202, body="<html>gateway</html>"))
    with pytest.raises(PagerError, match="could not be read"):
        pager(pd).trigger("k4", "down", "#support")


def test_an_answer_the_transport_cannot_decode_is_an_error(pd: LocalPagerDuty) -> None:
    pd.fail_next(Failure(202, body="not gzip at all", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(PagerError, match=r"could not be reached for the trigger \(DecodingError\)"):
        pager(pd).trigger("k6", "down", "#support")


def test_an_invalid_key_is_refused_and_never_shown(pd: LocalPagerDuty) -> None:
    secret = "short-secret-key"
    with pytest.raises(PagerError, match="answered 400") as error:
        pager(pd, key=secret).trigger("k5", "down", "#support")
    assert secret not in str(error.value)
    assert pd.incidents == {}


def test_webhook_signatures() -> None:
    import hashlib
    import hmac

    from watchstander.adapters.pager import webhook_event, webhook_signed

    body = b'{"event": {"event_type": "incident.resolved", "data": {"incident_key": "k"}}}'
    good = "v1=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert webhook_signed("s3cret", body, good)
    assert webhook_signed("s3cret", body, f"v1={'a' * 64}, {good}")  # one of several
    assert not webhook_signed("s3cret", body + b" ", good)
    assert not webhook_signed("s3cret", body, None)
    assert not webhook_signed("", body, good)  # no secret set: nothing is trusted
    assert webhook_event(body) == ("incident.resolved", "k", "someone")
    for bad in (b"", b"[]", b'{"event": 1}', b"\xff"):
        with pytest.raises(PagerError):
            webhook_event(bad)
