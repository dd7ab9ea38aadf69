"""monitor_app core: encrypted vault, records, attachments and handoff. Never imports Qt."""

__version__ = "0.1.0"
