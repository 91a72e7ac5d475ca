"""``python -m bench``: triage latency and burst drain, then emergency paging latency, each
against an echo bot measured in the same run. Exits non-zero when a target is missed."""

import sys

from bench import paging_latency, triage_latency

triage = triage_latency.main()
paging = paging_latency.main([])
sys.exit(triage or paging)
