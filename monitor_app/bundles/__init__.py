"""Signed, encrypted handoff bundles: the tar layout inside, and export and import.

See docs/bundle-format.md for the format, precise enough for a second implementation.
"""
