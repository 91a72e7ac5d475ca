"""Issue 14's story in a real headless browser, with the real bot (``make run``: the sandbox
with its sample week), each step done on the page as a person would:

- Carol asks @oncall: the bot's first reply is the thread's card, with Claim, Resolve and a
  check-in menu; Dave claims it and picks a check-in, and the card changes in place (the
  same message); Erin's Claim is refused to Erin alone;
- Erin opens Ask for help from the app's shortcut, types, sees an earlier resolved thread
  suggested, gets an error by field for a URL that is none (nothing posted), fixes it and
  submits: the question is in #support, asked by Erin;
- the message shortcut on Carol's post opens the form about that message; ``/support`` in
  the composer opens it with its words, suggestions at once, and "This answers it" closes
  it without a post;
- Bob's question in the channel gets, for him alone, the earlier thread and "This answered
  it" on an ephemeral message; pressing it resolves his question;
- Dave resolves Carol's thread from the card: the card loses its controls;
- Erin's Home tab shows her open thread and who is on call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import THREAD_MESSAGES, Page

from watchstander.services.controls import ANSWERED
from watchstander.services.forms import ANSWERS, ASK, ASK_ABOUT

pytestmark = pytest.mark.e2e
BOB, CAROL, DAVE, ERIN = "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN"
MINE = f"{THREAD_MESSAGES}[data-ephemeral='true']"
CONTROLS = '[data-testid="bk-actions"]'
LIKE_A_RESOLVED_ONE = "the CSV export times out for a big customer"  # see sample_week.py


def test_claim_the_card_ask_for_help_answers_and_home_in_a_browser(
    sandbox: str, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    driver, page = browser, Page(browser, tmp_path)
    driver.get(sandbox)
    page.until("the sample week", lambda: len(page.find('[data-testid="message"]')) >= 10)

    def open_thread(words: str) -> None:
        page.until(
            f"the thread of '{words}' opened",
            lambda: (
                page.message_with(words)
                .find_element(By.CSS_SELECTOR, '[data-testid="open-thread"]')
                .click()
                or True
            ),
        )

    # --- Carol asks @oncall; the card --------------------------------------------------------
    page.be(CAROL)
    page.composer().send_keys("@oncall the invoice totals are off by a cent", Keys.ENTER)
    open_thread("off by a cent")

    def card() -> Any:  # the bot's first reply in the thread
        replies = [m for m in page.find(THREAD_MESSAGES) if m.get_attribute("data-root") != "true"]
        return replies[0] if replies and "APP" in replies[0].text else None

    first = page.until(
        "the card", lambda: card() if card().find_elements(By.CSS_SELECTOR, CONTROLS) else None
    )
    card_ts = first.get_attribute("data-ts")
    assert "@alice is on call" in first.text  # the announcement; the card from the first change

    def the_card(says: str) -> Any:
        shown = card()
        return shown if shown.get_attribute("data-ts") == card_ts and says in shown.text else None

    def press(label: str) -> bool:  # the page re-renders as events arrive: find it again
        button = next(b for b in card().find_elements(By.CSS_SELECTOR, "button") if b.text == label)
        button.click()
        return True

    page.be(DAVE)
    page.until("Claim pressed", lambda: press("Claim"))
    claimed = page.until("the card says Dave has it", lambda: the_card("@dave has this thread"))
    before = claimed.text

    def choose(value: str) -> bool:
        Select(card().find_element(By.CSS_SELECTOR, '[data-testid="bk-select"]')).select_by_value(
            value
        )
        return True

    page.until("a check-in chosen", lambda: choose("2h"))
    page.until("the check-in noted", lambda: page.said_in_thread("Noted"))
    page.until("the card's next check-in changed", lambda: card().text != before)
    assert card().get_attribute("data-ts") == card_ts  # updated in place

    page.be(ERIN)
    page.until("Erin's Claim pressed", lambda: press("Claim"))
    refusal = page.until("the refusal, to Erin alone", lambda: page.find(MINE)[0])
    assert "has this thread" in refusal.text
    assert "Only visible to you" in refusal.text
    page.be(DAVE)
    page.until("Dave does not see Erin's refusal", lambda: page.find(MINE) == [])
    driver.save_screenshot(str(tmp_path / "card.png"))

    # --- Erin asks for help with the form ----------------------------------------------------
    page.be(ERIN)
    page.until(
        "the form opened",
        lambda: page.find(f'[data-testid="shortcut"][data-callback="{ASK}"]')[0].click() or True,
    )
    modal = page.until("the modal", lambda: next(iter(page.find(".modal")), None))
    page.until("the modal shown", modal.is_displayed)
    summary = page.until("the summary's input", lambda: page.find("#f-summary")[0])
    summary.send_keys(LIKE_A_RESOLVED_ONE)
    page.until("a suggestion", lambda: "may answer it" in page.find(".modal")[0].text)
    assert page.find("#f-summary")[0].get_attribute("value") == LIKE_A_RESOLVED_ONE
    page.find("#f-url")[0].send_keys("the export page")
    page.find('[data-testid="field-radio"][value="question"]')[0].click()
    driver.save_screenshot(str(tmp_path / "help-form.png"))
    page.find('[data-testid="modal-submit"]')[0].click()
    url_error = '.field[data-block="url"] [data-testid="field-error"]'
    page.until(
        "the URL's error", lambda: "does not look like a link" in page.find(url_error)[0].text
    )
    assert page.find(".modal")[0].is_displayed()
    assert page.message_with("a big customer") is None  # nothing posted
    url = page.find("#f-url")[0]
    url.clear()
    url.send_keys("https://app.example.com/exports")
    page.find('[data-testid="modal-submit"]')[0].click()
    page.until("the form closed", lambda: not page.find(".modal")[0].is_displayed())
    posted = page.until("the question in #support", lambda: page.message_with("a big customer"))
    assert "Asked by @erin" in posted.text
    assert "app.example.com/exports" in posted.text

    # the message shortcut: the form about Carol's post; then Cancel
    page.until(
        "More actions",
        lambda: (
            page.message_with("off by a cent")
            .find_element(By.CSS_SELECTOR, '[data-testid="more-actions"]')
            .click()
            or True
        ),
    )
    page.until(
        "Ask #support about this",
        lambda: (
            page.find(f'[data-testid="message-shortcut"][data-callback="{ASK_ABOUT}"]')[0].click()
            or True
        ),
    )
    page.until("the form about the message", lambda: "off by a cent" in page.find(".modal")[0].text)
    assert "About this message" in page.find(".modal")[0].text
    page.find('[data-testid="modal-cancel"]')[0].click()
    page.until("the form closed", lambda: not page.find(".modal")[0].is_displayed())

    # /support with words: suggested at once; "This answers it" closes it, nothing posted
    page.composer().send_keys(f"/support {LIKE_A_RESOLVED_ONE} again", Keys.ENTER)
    answers = f'.modal [data-testid="bk-button"][data-action="{ANSWERS}"]'
    page.until("This answers it", lambda: page.find(answers)[0].click() or True)
    page.until(
        "the form's thanks",
        lambda: "Glad an earlier thread answered it" in page.find(".modal")[0].text,
    )
    page.find('[data-testid="modal-cancel"]')[0].click()
    page.until("the form closed", lambda: not page.find(".modal")[0].is_displayed())
    assert page.message_with(f"{LIKE_A_RESOLVED_ONE} again") is None

    # --- Bob's question: the earlier thread, for him alone, and "This answered it" ----------
    page.be(BOB)
    page.composer().send_keys(f"does {LIKE_A_RESOLVED_ONE} for you too?", Keys.ENTER)
    open_thread("for you too?")
    offer = page.until("the suggestion, to Bob alone", lambda: page.find(MINE)[0])
    assert "may answer it" in offer.text
    page.until(
        "This answered it pressed",
        lambda: (
            page.find(f'{MINE} [data-testid="bk-button"][data-action="{ANSWERED}"]')[0].click()
            or True
        ),
    )
    page.until("resolved", lambda: any("Resolved" in m.text for m in page.find(MINE)))
    page.be(ERIN)
    page.until("Erin sees neither", lambda: page.find(MINE) == [])

    # --- Dave resolves Carol's thread from the card: its controls go -------------------------
    page.be(DAVE)
    open_thread("off by a cent")
    page.until("Resolve pressed", lambda: press("Resolve"))
    done = page.until("the card says resolved", lambda: the_card("Resolved"))
    assert done.find_elements(By.CSS_SELECTOR, CONTROLS) == []

    # --- Erin's Home tab ---------------------------------------------------------------------
    page.be(ERIN)
    page.until("Home opened", lambda: page.find('[data-testid="home-tab"]')[0].click() or True)
    home = page.until("the Home published", lambda: page.find('[data-testid="home"] .blocks')[0])
    page.until("Erin's open thread at home", lambda: "a big customer" in home.text)
    assert "On call" in home.text
    assert not page.find('[data-testid="composer"]')[0].is_displayed()
    driver.save_screenshot(str(tmp_path / "home.png"))
