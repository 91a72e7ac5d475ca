"""Repeat topics (pure part): which words of a post can name a topic, which terms the database
is asked about, and how its answers become topics."""

from datetime import UTC, datetime, timedelta

from watchstander.domain.review import TopicThread, keywords, topic_terms, topics

WEEK = datetime(2026, 11, 23, tzinfo=UTC)


def thread(n: int, days: float) -> TopicThread:
    return TopicThread(f"C0SUPPORT/{n}.0", f"https://slack/{n}", WEEK + timedelta(days=days))


def test_keywords_drop_mentions_links_emoji_code_numbers_and_stopwords() -> None:
    text = (
        "Hi <!here> <@U0ALICE> the VPN is down again :fire: see <https://status.example.com|status>"
        " `vpn --reset` https://x.example/y 502 errors for Zoë’s team, can't log-in"
    )
    assert keywords(text) == ["vpn", "down", "zoë", "log-in"]
    assert keywords("") == [] and keywords("a an the of 42") == []
    assert keywords("x" * 100_000) == ["x" * 2000]  # a huge post: its beginning names it


def test_terms_are_words_and_pairs_in_most_posts_first() -> None:
    posts = ["VPN down since noon", "vpn down for everyone", "export broken", "vpn slow"]
    terms = topic_terms(posts)
    assert terms[:2] == ["vpn", "vpn down"]  # in 3 posts, then the pair in 2 before "down"
    assert terms[2] == "down"
    assert topic_terms(posts, limit=3) == terms[:3]
    assert topic_terms([]) == []


def test_a_topic_needs_two_threads_and_one_this_week() -> None:
    hits = {
        "vpn": [thread(1, 1), thread(2, -10)],  # this week and four weeks back: came back
        "export": [thread(3, -3), thread(4, -20)],  # none this week: not this week's topic
        "printer": [thread(5, 2)],  # once: not a repeat
    }
    found = topics(hits, week_start=WEEK, window_threads=100)
    assert [(t.words, t.count, t.this_week) for t in found] == [("vpn", 2, 1)]
    assert [t.key for t in found[0].threads] == ["C0SUPPORT/1.0", "C0SUPPORT/2.0"]


def test_the_same_threads_make_one_topic_named_by_the_pair() -> None:
    same = [thread(1, 1), thread(2, 2), thread(3, 3)]
    hits = {"password": same, "reset": same, "password reset": same, "vpn": same[:2]}
    found = topics(hits, week_start=WEEK, window_threads=100)
    assert [t.words for t in found] == ["password reset"]


def test_words_in_most_threads_are_noise_and_the_limit_holds() -> None:
    many = [thread(n, 1) for n in range(30)]
    hits = {"error": many} | {
        f"w{n}": [thread(100 + 2 * n, 1), thread(101 + 2 * n, 1)] for n in range(9)
    }
    found = topics(hits, week_start=WEEK, window_threads=100, limit=5)
    assert "error" not in [t.words for t in found] and len(found) == 5
    assert topics({"error": many}, week_start=WEEK, window_threads=1000)[0].count == 30
