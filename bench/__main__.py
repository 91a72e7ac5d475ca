"""``python -m bench``: triage latency and burst drain, then emergency paging latency, each
against an echo bot measured in the same run; then the weekly review, the digest and the
weekly figures over a year of history against the same week alone (and the bot's peak memory
while it computes the figures); then Slack at scale, the project's backend against upstream's
plain SlackV3; then Slack's posting pace under its limit; then answers from past threads on a
labelled set, the meaning index's shortlist against its exact search, and how far the sentence
model reaches before any rule decides; then replicas, two bots on one PostgreSQL database
against one, and failover (when WATCHSTANDER_TEST_DATABASE_URL names a database, whose tables
are dropped); then Mattermost's post -> reply latency against an echo bot on the same backend.
Exits non-zero when a target is missed."""

import sys

from bench import (
    answers,
    figures_history,
    mattermost_latency,
    nearest,
    paging_latency,
    reach,
    replicas,
    review_history,
    slack_pace,
    slack_scale,
    triage_latency,
)

triage = triage_latency.main()
paging = paging_latency.main([])
review = review_history.main([])
figures = figures_history.main([])
slack = slack_scale.main([])
pace = slack_pace.main([])
suggested = answers.main([])
shortlisted = nearest.main([])
reached = reach.main([])
replicated = replicas.main([])
mattermost = mattermost_latency.main([])
failed = (
    triage,
    paging,
    review,
    figures,
    slack,
    pace,
    suggested,
    shortlisted,
    reached,
    replicated,
    mattermost,
)
sys.exit(next((code for code in failed if code), 0))
