"""Handing records off: export and import wizards, contacts, fingerprints and drives."""
