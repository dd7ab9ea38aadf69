"""Errors of bundle reading and writing. ``reason`` is a short stable word, never content."""

from __future__ import annotations

from monitor_app.errors import MonitorError


class BundleError(MonitorError):
    """A bundle is not well formed, or does not match its own checksums or manifest."""

    code = "bundle_malformed"
