"""Repeat topics (pure part): which words of a post can name a topic, which terms the database
is asked about, and how its answers become topics."""

from datetime import UTC, datetime, timedelta

from watchstander.domain.review import (
    STOPWORDS,
    TopicThread,
    keywords,
    stopwords,
    topic_candidates,
    topic_terms,
    topics,
    week_terms,
)

WEEK = datetime(2026, 11, 23, tzinfo=UTC)


def thread(n: int, days: float) -> TopicThread:
    return TopicThread(f"C0SUPPORT/{n}.0", f"https://slack/{n}", WEEK + timedelta(days=days))


def test_keywords_drop_mentions_links_emoji_code_numbers_and_stopwords() -> None:
    text = (
        "Hi <!here> <@U0ALICE> the VPN is down again :fire: see <https://status.example.com|status>"
        " `vpn --reset` https://x.example/y 502 errors for Zoë’s team, can't log-in"
    )
    assert keywords(text) == ["vpn", "down", "zoë", "log-in"]
    assert keywords("") == []
    assert keywords("a an the of 42") == []
    assert keywords("x" * 100_000) == ["x" * 2000]  # a huge post: its beginning names it


def test_terms_are_words_and_pairs_in_most_posts_first() -> None:
    posts = ["VPN down since noon", "vpn down for everyone", "export broken", "vpn slow"]
    terms = topic_terms(posts)
    assert terms[:2] == ["vpn", "vpn down"]  # in 3 posts, then the pair in 2 before "down"
    assert terms[2] == "down"
    assert topic_terms(posts, limit=3) == terms[:3]
    assert topic_terms([]) == []


def test_a_candidate_needs_two_threads_and_one_this_week() -> None:
    counts = {"vpn": (2, 1), "export": (2, 0), "printer": (1, 1), "sso login": (3, 3)}
    assert topic_candidates(counts, window_threads=100) == ["sso login", "vpn"]


def test_rare_terms_come_first_and_common_ones_are_noise() -> None:
    counts = {"error": (30, 5), "slow": (9, 9), "vpn": (8, 2), "vpn down": (8, 2)}
    # slow: 9 of 100 threads is more than a twentieth (the floor is 10): kept
    assert topic_candidates(counts, window_threads=100) == ["slow", "vpn down", "vpn"]
    # in a bigger window, 30 threads are rare enough to be a topic, and the most telling
    assert topic_candidates(counts, window_threads=1000) == ["error", "slow", "vpn down", "vpn"]
    assert "error" not in topic_candidates(counts, window_threads=100)
    many = {f"w{n}": (2, 1) for n in range(30)}
    assert len(topic_candidates(many, window_threads=100, limit=15)) == 15


def test_terms_found_in_the_same_threads_are_one_topic_named_by_the_first() -> None:
    same = [thread(1, 1), thread(2, 2), thread(3, 3)]
    counts = {"password reset": (3, 3), "password": (3, 3), "vpn": (2, 1)}
    examples = {"password reset": same, "password": same, "vpn": [thread(4, 1), thread(5, -9)]}
    found = topics(["password reset", "password", "vpn"], counts, examples)
    assert [(t.words, t.count, t.this_week) for t in found] == [
        ("password reset", 3, 3),
        ("vpn", 2, 1),
    ]
    assert [t.key for t in found[0].threads] == [f"C0SUPPORT/{n}.0" for n in (3, 2, 1)]
    assert topics(["vpn"], counts, examples, limit=0) == []
    assert topics(["gone"], {"gone": (2, 1)}, {}) == []  # nothing came back to show


def test_the_weeks_most_frequent_terms_are_looked_for_before_it() -> None:
    counts = {"vpn": 4, "vpn down": 4, "export": 2, "the": 200, "printer": 1}
    assert week_terms(counts, week_threads=300) == ["vpn down", "vpn", "export", "printer"]
    assert week_terms(counts, week_threads=300, limit=2) == ["vpn down", "vpn"]
    assert "the" in week_terms(counts, week_threads=10_000)  # 2% of a big week: kept


def test_common_chat_words_name_no_topic() -> None:
    post = "Hi anyone? Since last Monday morning the export issue is back, please help, thanks"
    assert keywords(post) == ["export"]
    assert topic_terms([post, "last export today please", "thanks, last time export"]) == ["export"]
    assert "down" not in STOPWORDS  # "VPN down" names a problem


def test_a_team_adds_the_common_words_of_its_other_languages() -> None:
    stop = stopwords([" Bitte", "heute", ""])
    assert {"bitte", "heute"} < stop
    assert stop > STOPWORDS
    post = "Bitte: der Export ist heute kaputt"
    assert keywords(post, stop) == ["der", "export", "ist", "kaputt"]
    terms = topic_terms([post], stop=stop)
    assert "kaputt" in terms
    assert not [t for t in terms if "bitte" in t or "heute" in t]
    assert "bitte" in keywords(post)  # the built-in list alone is English
