"""``python -m bench``: Watchstander's triage latency and burst drain against an echo bot."""

import sys

from bench.triage_latency import main

sys.exit(main())
