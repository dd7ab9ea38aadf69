"""Shared building blocks: plain-text widgets, background jobs, style and file dialogs."""
