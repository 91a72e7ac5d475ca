"""Things a support channel writes many ways, for answers from past threads: an abbreviation
and its words ("gcal", "google calendar"), and the phrases that name one thing ("sign in",
"log in", "login"). A question and an earlier thread's root post and resolving line are
compared in one wording (:func:`plain`); the database's search looks for the question's own
words, as written (searching for every way too doubled the slowest questions' time and, on
the sets tuned on, found as many wrong threads as right ones). The list is general SaaS support
vocabulary, not any team's. Pure."""

from __future__ import annotations

import re

# the one word each is compared as -> the other ways people write it (lower case)
SAME: dict[str, tuple[str, ...]] = {
    "login": (
        "log in", "logging in", "logged in", "log on", "logon", "logins", "sign in", "signin",
        "signing in", "signed in", "sign-in", "log-in",
    ),
    "logout": (
        "log out", "logging out", "logged out", "sign out", "signout", "signed out", "sign-out",
        "log-out",
    ),
    "signup": ("sign up", "signing up", "signed up", "sign-up"),
    "mfa": (
        "2fa", "two factor", "two-factor", "2-factor", "2 factor", "two step", "two-step",
        "2-step", "2sv", "multi factor", "multi-factor", "authenticator", "otp", "totp",
    ),
    "sso": ("single sign on", "single sign-on", "single signon", "saml"),
    "password": ("pwd", "passwd", "passcode", "passwords"),
    "gcal": ("google calendar", "google cal", "g cal"),
    "salesforce": ("sfdc",),
    "permission": ("perms", "perm", "privileges", "access rights"),
    "notification": ("notif", "notifs", "notifications"),
    "spreadsheet": ("csv", "xlsx", "xls", "excel", "spreadsheets"),
    "timezone": ("time zone", "time-zone", "timezones", "time zones"),
    "email": ("e-mail", "emails", "e-mails"),
    "organization": ("org", "orgs", "organisation", "organisations", "organizations"),
    "configuration": ("config", "configs"),
    "admin": ("administrator", "administrators", "admins"),
    "delete": ("deleted", "deleting", "remove", "removed", "removing", "erase", "erased"),
    "duplicate": ("dupe", "dupes", "duplicated", "duplicates", "double", "twice"),
    "slow": ("sluggish", "laggy", "lagging", "lag", "slowness"),
    "missing": ("disappeared", "vanished", "gone"),
    "download": ("dl",),
    "sync": ("synch", "syncing", "synced", "synchronize", "synchronise", "synchronization"),
    "apikey": ("api key", "api keys", "api-key", "api token", "api tokens"),
    "webhook": ("web hook", "web-hook", "webhooks"),
    "empty": ("blank",),
    "license": ("licence", "licenses", "licences"),
    "invoice": ("invoices",),
}  # fmt: skip

_CANONICAL = {way: word for word, others in SAME.items() for way in (word, *others)}
_FIRST = frozenset(way.split()[0] for way, word in _CANONICAL.items() if way != word)
_LONGEST = max(len(way.split()) for way in _CANONICAL)
_WORDS = re.compile(r"([^\W_]+(?:-[^\W_]+)*)")  # a word, hyphens and all ("e-mail", "two-step")


def plain(text: str) -> str:
    """``text`` with each thing written in :data:`SAME`'s one word (in lower case; the rest as
    it was): a way counts where its words stand alone and apart by spaces only
    ("double-check" stays)."""
    parts = _WORDS.split(text)  # gap, word, gap, word, ..., gap: word i is 2i + 1
    words = [word.lower() for word in parts[1::2]]
    out: list[str] = []
    done = upto = 0  # parts copied; words taken
    for i in [i for i, word in enumerate(words) if word in _FIRST]:
        if i < upto:
            continue
        for n in range(min(_LONGEST, len(words) - i), 0, -1):
            apart = all(parts[2 * (i + j) + 2].isspace() for j in range(n - 1))
            found = _CANONICAL.get(" ".join(words[i : i + n])) if apart else None
            if found is not None:
                out += ("".join(parts[done : 2 * i + 1]), found)
                done, upto = 2 * (i + n), i + n
                break
    return "".join(out) + "".join(parts[done:])
