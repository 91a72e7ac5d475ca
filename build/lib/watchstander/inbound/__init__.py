"""One module per chat platform: its payloads turned into the services' inbound records."""


class Ignored(Exception):
    """An event the triage has nothing to do with (the reason is for the debug log)."""
