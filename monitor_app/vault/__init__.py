"""The vault: key slots, the SQLCipher database, the attachment store, the unlocked session."""
