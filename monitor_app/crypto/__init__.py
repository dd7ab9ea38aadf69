"""Cryptographic building blocks: the only place that touches primitives."""
