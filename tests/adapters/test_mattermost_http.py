"""The Mattermost REST client's calls against the local Mattermost server: 429s waited out as
Mattermost says (through a recorded sleeper: no test waits), a bound on them, calls that got
no answer sent again only where that does nothing twice, and the calls counted by method."""

from __future__ import annotations

import pytest

from watchstander.adapters.mattermost_api import (
    LOOKUPS,
    NOBODY_FOR,
    MattermostApi,
    MattermostApiError,
)
from watchstander.adapters.mattermost_http import (
    RATE_LIMIT_RETRIES,
    RETRY_MARGIN,
    MattermostHttp,
    method_of,
)
from watchstander_sandbox.bot_process import free_port
from watchstander_sandbox.mattermost import LocalMattermost

LIMITED = "limit exceeded\n"  # Mattermost's limiter answers plain text


class Clock:
    """A clock that moves only when the client sleeps (``advance``), or never."""

    def __init__(self, advance: bool = True) -> None:
        self.now, self.advance = 1000.0, advance
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.advance:
            self.now += seconds


def api_on(server: LocalMattermost, clock: Clock, **more: float) -> MattermostApi:
    api = MattermostApi(
        server.url, server.bot_token, proxies=False, sleep=clock.sleep, clock=clock, **more
    )
    api.connect(server.world.team.name)
    return api


def bot_posts(server: LocalMattermost, text: str) -> list[dict[str, object]]:
    bot = server.world.bot.id
    return [p for p in server.messages("support") if p["user_id"] == bot and p["message"] == text]


def test_429s_are_waited_out_as_retry_after_says_and_counted(mattermost: LocalMattermost) -> None:
    clock = Clock()
    api = api_on(mattermost, clock)
    support = api.channel_id("support")
    headers = {"Retry-After": "2", "X-Ratelimit-Reset": "5"}
    mattermost.fail_next("/api/v4/posts", 429, LIMITED, method="POST", times=3, headers=headers)
    api.create_post({"channel_id": support, "message": "after the limit"})
    assert len(bot_posts(mattermost, "after the limit")) == 1
    assert clock.slept == [2 + RETRY_MARGIN] * 3
    calls, limited = api.tally()
    assert calls["POST /posts"] == 1
    assert limited == {"POST /posts": 3}
    assert calls["GET /teams/name/{id}"] == 1  # ids and names are not labels


def test_without_retry_after_the_reset_header_then_a_second(mattermost: LocalMattermost) -> None:
    clock = Clock()
    api = api_on(mattermost, clock)
    mattermost.fail_next("/api/v4/users/me", 429, LIMITED, headers={"X-Ratelimit-Reset": "3"})
    mattermost.fail_next("/api/v4/users/me", 429, LIMITED)
    assert api.call("GET", "/users/me")["username"] == "watchstander"
    assert clock.slept == [3 + RETRY_MARGIN, 1 + RETRY_MARGIN]


def test_a_429_holds_the_other_calls_too(mattermost: LocalMattermost) -> None:
    clock = Clock(advance=False)  # everything below happens at one moment
    api = api_on(mattermost, clock)
    mattermost.fail_next("/api/v4/users/me", 429, LIMITED, headers={"Retry-After": "5"})
    api.call("GET", "/users/me")
    api.call("GET", f"/teams/{api.team['id']}")  # another call, at the same moment: it waits
    assert clock.slept == [5 + RETRY_MARGIN, 5 + RETRY_MARGIN]


def test_still_rate_limited_after_ten_waits_is_one_line(mattermost: LocalMattermost) -> None:
    clock = Clock()
    api = api_on(mattermost, clock)
    support = api.channel_id("support")
    mattermost.fail_next("/api/v4/posts", 429, LIMITED, method="POST", times=50)
    with pytest.raises(MattermostApiError) as refused:
        api.create_post({"channel_id": support, "message": "never"})
    assert refused.value.status == 429
    assert str(refused.value) == "POST /posts: 429 still rate limited after waiting 10 times"
    assert len(clock.slept) == RATE_LIMIT_RETRIES
    assert len(mattermost.calls_to("POST /api/v4/posts")) == RATE_LIMIT_RETRIES + 1
    assert api.tally()[1] == {"POST /posts": RATE_LIMIT_RETRIES + 1}
    assert not bot_posts(mattermost, "never")


def test_a_post_whose_answer_was_lost_is_sent_again_and_made_once(
    mattermost: LocalMattermost,
) -> None:
    clock = Clock()
    api = api_on(mattermost, clock)
    support = api.channel_id("support")
    mattermost.fail_next("/api/v4/posts", 502, method="POST", done=True)  # made; answer lost
    post = api.create_post({"channel_id": support, "message": "said once"})
    (made,) = bot_posts(mattermost, "said once")
    assert post["id"] == made["id"]
    assert len(mattermost.calls_to("POST /api/v4/posts")) == 2
    assert mattermost.deduplicated == 1  # Mattermost answered the second with the first post
    assert clock.slept == [0.5]


def test_a_post_that_timed_out_is_sent_again_and_made_once(mattermost: LocalMattermost) -> None:
    clock = Clock()
    api = api_on(mattermost, clock, timeout=0.3)
    support = api.channel_id("support")
    mattermost.fail_next("/api/v4/posts", 504, method="POST", done=True, delay=1.0)
    post = api.create_post({"channel_id": support, "message": "slow but once"})
    (made,) = bot_posts(mattermost, "slow but once")
    assert post["id"] == made["id"]
    assert mattermost.deduplicated == 1


def test_a_reaction_whose_answer_was_lost_is_not_sent_again(
    mattermost: LocalMattermost,
) -> None:
    clock = Clock()
    api = api_on(mattermost, clock)
    root = mattermost.post("carol", "support", "react to me")
    mattermost.fail_next("/api/v4/reactions", 502, done=True)  # no pending id: not repeatable
    reaction = {"user_id": api.me["id"], "post_id": root, "emoji_name": "eyes"}
    with pytest.raises(MattermostApiError) as refused:
        api.call("POST", "/reactions", json=reaction)
    assert refused.value.status == 502
    assert len(mattermost.calls_to("POST /api/v4/reactions")) == 1
    assert clock.slept == []


def test_a_get_is_sent_again_after_a_5xx_but_not_after_a_4xx(mattermost: LocalMattermost) -> None:
    clock = Clock()
    api = api_on(mattermost, clock)
    mattermost.fail_next("/api/v4/users/me", 503, times=2)
    assert api.call("GET", "/users/me")["username"] == "watchstander"
    assert clock.slept == [0.5, 2.0]
    mattermost.fail_next("/api/v4/users/me", 503, times=3)
    with pytest.raises(MattermostApiError, match="503"):
        api.call("GET", "/users/me")
    mattermost.heal()
    mattermost.fail_next("/api/v4/users/me", 400)
    before = len(clock.slept)
    with pytest.raises(MattermostApiError, match="400"):
        api.call("GET", "/users/me")
    assert len(clock.slept) == before


def test_a_call_never_sent_is_tried_again_then_said_in_one_line() -> None:
    clock = Clock()
    http = MattermostHttp(
        f"http://127.0.0.1:{free_port()}", "s3cret-token", proxies=False,
        sleep=clock.sleep, clock=clock,
    )  # fmt: skip
    with pytest.raises(MattermostApiError) as refused:
        http.call("POST", "/posts/ephemeral", json={"user_id": "x"})  # never sent: safe
    assert str(refused.value) == "POST /posts/ephemeral: no answer connection refused"
    assert clock.slept == [0.5, 2.0]
    assert "s3cret" not in str(refused.value)


def test_the_labels_of_calls_name_routes_not_ids() -> None:
    assert method_of("GET", "/channels/abc123/posts?since=5") == "GET /channels/{id}/posts"
    assert method_of("GET", "/users/username/carol") == "GET /users/username/{id}"
    assert method_of("PUT", "/posts/p1/patch") == "PUT /posts/{id}/patch"
    assert method_of("GET", "/users?in_team=t&page=0") == "GET /users"


def test_a_name_of_nobody_is_remembered_a_while_and_names_not_known_are_asked_within_a_budget(
    mattermost: LocalMattermost,
) -> None:
    clock = Clock(advance=False)
    api = api_on(mattermost, clock)
    lookups = "GET /api/v4/users/username/{username}"
    assert api.user_id_by_username("nobody-here") is None
    assert api.user_id_by_username("nobody-here") is None  # remembered: not asked again
    assert len(mattermost.calls_to(lookups)) == 1
    clock.now += NOBODY_FOR + 1
    assert api.user_id_by_username("nobody-here") is None  # an hour on: asked again
    assert len(mattermost.calls_to(lookups)) == 2
    for n in range(LOOKUPS + 20):  # a flood of names in one minute: LOOKUPS asked, no more
        api.user_id_by_username(f"ghost{n}")
    assert len(mattermost.calls_to(lookups)) == 2 + LOOKUPS - 1  # this minute's second counts
    assert api.user_id_by_username("dave") is None  # over the budget: words, for now
    clock.now += 61
    assert api.user_id_by_username("dave") == mattermost.user_id("dave")
    assert api.user_id_by_username("dave") == mattermost.user_id("dave")  # known: no budget
