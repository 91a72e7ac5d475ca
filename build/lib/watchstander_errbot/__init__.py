"""The Errbot door: what the plugins and backends share to reach the core (the runtime that
builds the composition root once, the chat platform each backend gives, the plugins' base)."""
