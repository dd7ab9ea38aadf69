"""Vault identity (signing and encryption keys), fingerprints, contact cards and contacts."""
