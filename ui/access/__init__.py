"""Getting into a vault: create one, unlock it, and the recovery code and passphrase strength."""
