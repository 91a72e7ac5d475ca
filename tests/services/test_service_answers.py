"""Answers from past threads on a real database: the suggestions for a question, each with the
line that resolved its thread, and none for an unrelated question."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchstander.services.answers import AnswerService
from watchstander.store import Store, Tx

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CHANNEL = "C0SUPPORT"
POSTER, DEV, OTHER = "U0POSTER", "U0DEV", "U0OTHER"


def thread(tx: Tx, n: int, text: str, note: str = "", replies: tuple[str, ...] = ()) -> int:
    at = NOW - timedelta(days=30) + timedelta(hours=n)
    root_ts = f"{1000 + n}.000100"
    row, _ = tx.ensure_thread(CHANNEL, root_ts, at)
    tx.add_message(row, root_ts, POSTER, text, at)
    for k, reply in enumerate(replies):
        who, _, body = reply.partition(": ")
        tx.add_message(row, f"{1000 + n}.{k + 200:06d}", who, body, at + timedelta(minutes=k + 1))
    values = {"root_text": text, "posted_at": at, "poster": POSTER, "assignee": DEV}
    values |= {"resolved_at": at + timedelta(minutes=30), "resolved_by": DEV, "resolve_note": note}
    tx.save_thread(row, values)
    return row.id


def service(store: Store) -> AnswerService:
    return AnswerService(store, link=lambda c, t: f"https://slack/archives/{c}/p{t}")


def test_a_question_gets_the_thread_that_answered_it_with_its_line(store: Store) -> None:
    with store.transaction() as tx:
        thread(tx, 1, "Scheduled export to S3 fails with AccessDenied", note="fix bucket policy")
        thread(
            tx,
            2,
            "Okta SAML login says InResponseTo mismatch",
            replies=(f"{DEV}: looking", f"{DEV}: allow IdP-initiated login", f"{POSTER}: thanks!"),
        )
        thread(tx, 3, "password reset email never arrives", replies=(f"{OTHER}: check spam",))
    found = service(store).suggest("<@U0P0012> our nightly S3 export: AccessDenied again?", NOW)
    assert [(s.root_ts, s.line) for s in found] == [("1001.000100", "fix bucket policy")]
    assert found[0].link == "https://slack/archives/C0SUPPORT/p1001.000100"
    found = service(store).suggest("customer gets InResponseTo mismatch on okta login", NOW)
    assert [(s.root_ts, s.line) for s in found] == [("1002.000100", "allow IdP-initiated login")]
    found = service(store).suggest("the password reset email did not arrive", NOW)
    assert [s.line for s in found] == ["check spam"]


def test_an_unrelated_question_gets_no_suggestion(store: Store) -> None:
    with store.transaction() as tx:
        thread(tx, 1, "Scheduled export to S3 fails with AccessDenied", note="bucket policy")
        thread(tx, 2, "the revenue report export is slow", note="use the warehouse")
    answers = service(store)
    assert answers.suggest("can tasks have multiple assignees?", NOW) == []
    assert answers.suggest("export", NOW) == []  # one word in common is not enough
    assert answers.suggest("hi thanks :wave:", NOW) == []
    # many words, two in common: not alike enough
    long = "the gantt chart export to png cuts off the legend and the axis labels on big screens"
    assert answers.suggest(long, NOW) == []


def test_the_question_itself_and_later_resolutions_are_not_suggested(store: Store) -> None:
    with store.transaction() as tx:
        own = thread(tx, 1, "webhook deliveries are retried twice", note="idempotency keys")
    answers = service(store)
    assert answers.suggest("webhook deliveries retried twice", NOW, thread_id=own) == []
    early = NOW - timedelta(days=30)  # before it was resolved
    assert answers.suggest("webhook deliveries retried twice", early) == []
    assert len(answers.suggest("webhook deliveries retried twice", NOW)) == 1


def test_a_typo_and_the_resolving_lines_words_still_find_the_thread(store: Store) -> None:
    with store.transaction() as tx:
        thread(
            tx,
            1,
            "Webhooks stopped arriving for a customer",
            note="their endpoint failed for 3 days so we disabled it; re-enable it in Settings",
        )
    answers = service(store)
    found = answers.suggest("webhoks stopped comming in, their endpoint is back up", NOW)
    assert [s.root_ts for s in found] == ["1001.000100"]
    assert found[0].matched == 3  # "webhoks" and "stopped" in the root post, "endpoint" in the line


def test_a_question_that_asks_needs_more_than_the_features_name(store: Store) -> None:
    with store.transaction() as tx:
        thread(tx, 1, "Mobile app stuck on syncing", note="reset local data")
    answers = service(store)
    assert answers.suggest("is there a dark mode in the mobile app?", NOW) == []
    assert answers.suggest("mobile app dark mode broken", NOW) != []  # a report: alike enough
    assert answers.suggest("why is the mobile app stuck syncing?", NOW) != []


def test_the_most_alike_comes_first_whatever_the_databases_rank(store: Store) -> None:
    with store.transaction() as tx:
        thread(tx, 1, "csv export is slow, slow, slow for big accounts with csv", note="a")
        thread(tx, 2, "csv export drops the last row", note="b")
    found = service(store).suggest("the csv export drops its last row", NOW)
    assert [s.line for s in found][:1] == ["b"]


def test_a_question_that_asks_is_matched_like_a_report_with_a_thread_that_asked(
    store: Store,
) -> None:
    question = "can a customer be billed in euros instead of dollars from their renewal?"
    with store.transaction() as tx:
        thread(tx, 1, "Customer billed in euros by mistake", note="reissued in USD")
    assert service(store).suggest(question, NOW) == []  # a report: most words needed
    with store.transaction() as tx:
        thread(tx, 2, "Can we bill in euros?", note="yes, from the next renewal")
    assert [s.line for s in service(store).suggest(question, NOW)] == ["yes, from the next renewal"]


def test_a_thread_is_searched_for_by_the_words_as_written_and_compared_in_one_wording(
    store: Store,
) -> None:
    """ "CSV ... blank" is searched for as written (the earlier thread holds neither
    "spreadsheet" nor "empty"), and "sign in" with "2FA" finds "login" with "MFA"."""
    with store.transaction() as tx:
        thread(tx, 1, "Scheduled CSV comes out blank", note="re-run it after midnight UTC")
        thread(tx, 2, "MFA prompt loops at login for Acme", note="resync the authenticator")
    answers = service(store)
    assert [s.line for s in answers.suggest("our CSV is blank again", NOW)] == [
        "re-run it after midnight UTC"
    ]
    assert [s.line for s in answers.suggest("acme users cannot sign in, 2FA loops", NOW)] == [
        "resync the authenticator"
    ]
