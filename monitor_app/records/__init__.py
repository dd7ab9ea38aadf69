"""Records: schemas, controlled vocabularies and validation of monitoring data."""
