"""GitHub through PyGithub against a local GitHub-compatible server: one issue per marker,
also when GitHub makes the issue and the answer is lost, and one-line errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchstander.adapters.code_host import CodeHost, CodeHostError, Made
from watchstander_sandbox.github_server import Failure, LocalGitHub

SINCE = datetime.now(UTC) - timedelta(days=1)
MARKER = "<!-- watchstander:thread=C0SUPPORT/1.0 kind=bug -->"


def create(host: CodeHost, marker: str = MARKER) -> Made:
    return host.create_once("Export fails", f"body\n{marker}", ("bug", "support"), marker, SINCE)


def test_made_once_then_found(gh: LocalGitHub, host: CodeHost) -> None:
    first = create(host)
    again = create(host)
    assert first == again
    assert len(gh.issues) == 1
    assert [label["name"] for label in gh.issues[0]["labels"]] == ["bug", "support"]


def test_a_create_accepted_but_answered_502_is_not_made_twice(
    gh: LocalGitHub, host: CodeHost
) -> None:
    gh.fail_next(Failure(502, accept=True, method="POST"))
    made = create(host)
    assert len(gh.issues) == 1
    assert made.number == 1
    assert create(host) == made
    assert len(gh.issues) == 1


@pytest.mark.parametrize(
    ("status", "match"),
    [
        (401, "refused the token"),
        (403, "rate limit"),
        (404, "repository"),
        (422, "labels"),
        (500, "500"),
    ],
)
def test_errors_are_one_line_and_make_nothing(
    gh: LocalGitHub, host: CodeHost, status: int, match: str
) -> None:
    gh.fail_next(Failure(status, method="POST"))
    with pytest.raises(CodeHostError, match=match) as error:
        create(host)
    assert "\n" not in str(error.value)
    assert gh.issues == []


def test_github_not_answering(gh: LocalGitHub) -> None:
    slow = CodeHost(gh.token, gh.repo, gh.url, timeout=1, seconds_between_writes=0)
    gh.fail_next(*[Failure(200, delay=1.5)] * 3)
    try:
        with pytest.raises(CodeHostError, match="did not answer"):
            create(slow)
    finally:
        slow.close()


def test_github_webhook_signature_and_body() -> None:
    import hashlib
    import hmac

    from watchstander.adapters.code_host import closed_issue, webhook_signed

    body = b'{"action": "closed", "issue": {"number": 7}}'
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert webhook_signed("s3cret", body, good)
    assert not webhook_signed("s3cret", body + b" ", good)
    assert not webhook_signed("", body, good)
    assert not webhook_signed("s3cret", body, None)
    assert closed_issue("issues", body) == 7
    assert closed_issue("issues", b'{"action": "opened", "issue": {"number": 7}}') is None
    assert closed_issue("push", body) is None
    with pytest.raises(CodeHostError, match="not a GitHub issues webhook"):
        closed_issue("issues", b"{oops")
