"""monitorctl: the command-line interface to the core."""
