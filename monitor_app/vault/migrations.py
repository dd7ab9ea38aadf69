"""Database schema and its migrations.

``SCHEMA_VERSION`` is stored in the ``meta`` table. Each migration moves the schema one
version up inside the caller's transaction. A vault written by a newer version of the app is
refused before anything is written to it.
"""

from __future__ import annotations

from collections.abc import Callable

from monitor_app.errors import VaultError
from monitor_app.vault.database import Connection

SCHEMA_VERSION = 12

_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE records (
    id               TEXT PRIMARY KEY,
    type             TEXT NOT NULL,
    current_revision INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    modified_at      TEXT NOT NULL,
    modified_by      TEXT NOT NULL,
    -- Denormalised from the current revision for list views: never sensitive fields.
    display          TEXT NOT NULL,
    sort_date        TEXT,
    place_id         TEXT,
    deleted_at       TEXT,
    deleted_by       TEXT,
    deleted_reason   TEXT
);
CREATE INDEX records_type_date ON records (type, sort_date, id);
CREATE INDEX records_date ON records (sort_date, id);
CREATE INDEX records_place ON records (place_id);
CREATE TABLE revisions (
    record_id  TEXT NOT NULL REFERENCES records (id),
    revision   INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    author     TEXT NOT NULL,
    fields     TEXT NOT NULL,   -- JSON of the non-sensitive fields
    sensitive  TEXT,            -- JSON of sensitive fields, read only on explicit request
    PRIMARY KEY (record_id, revision)
) WITHOUT ROWID;
CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    record_id     TEXT NOT NULL REFERENCES records (id),
    blob_name     TEXT NOT NULL UNIQUE,
    blob_key      BLOB NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    original_name TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    caption       TEXT,
    added_at      TEXT NOT NULL,
    added_by      TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX attachments_record ON attachments (record_id);
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    record_id TEXT,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
-- Full-text index of non-sensitive text only. Text is normalised before indexing (see
-- records/search.py): accents folded, Han characters spaced so a phrase query matches any
-- substring of them.
CREATE VIRTUAL TABLE search_index USING fts5 (
    record_id UNINDEXED,
    type UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
"""

# Version 2: the vault's identity and its contacts (monitor_app/identity). The key pairs are
# generated in Python, not here: a new vault gets them in its creation transaction and an older
# vault at its first unlock after this migration (identity.keys.ensure).
_V2 = """
CREATE TABLE identity (
    id                     INTEGER PRIMARY KEY CHECK (id = 1),
    signing_private_key    BLOB NOT NULL CHECK (length(signing_private_key) = 32),
    encryption_private_key BLOB NOT NULL CHECK (length(encryption_private_key) = 32),
    created_at             TEXT NOT NULL
);
CREATE TABLE contacts (
    id                    INTEGER PRIMARY KEY,
    fingerprint           TEXT NOT NULL,
    signing_public_key    BLOB NOT NULL UNIQUE CHECK (length(signing_public_key) = 32),
    encryption_public_key BLOB NOT NULL CHECK (length(encryption_public_key) = 32),
    name                  TEXT NOT NULL,
    organisation          TEXT,
    role                  TEXT,
    card                  BLOB NOT NULL,   -- the signed card as added, canonical form
    card_created_at       TEXT NOT NULL,
    added_at              TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    verified_at           TEXT,            -- NULL until the fingerprint was compared
    handoff_recipient     INTEGER NOT NULL DEFAULT 0 CHECK (handoff_recipient IN (0, 1))
);
CREATE INDEX contacts_fingerprint ON contacts (fingerprint)
"""


def _run_statements(script: str) -> Callable[[Connection], None]:
    # Statement by statement: executescript would commit and split the step's transaction.
    statements = [s.strip() for s in script.split(";\n") if s.strip()]

    def step(conn: Connection) -> None:
        for statement in statements:
            conn.execute(statement)

    return step


# Version 3: handoff bookkeeping (monitor_app/bundles). What was handed to whom, in which
# bundle, so that "everything not yet handed to these recipients" is a query, and the per-author
# sequence numbers that let a recipient notice a missing bundle.
_V3 = """
CREATE TABLE bundles_out (
    bundle_id          TEXT PRIMARY KEY,
    sequence           INTEGER NOT NULL UNIQUE,
    kind               TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    archive_recipients TEXT NOT NULL,   -- JSON list of age1... recipients
    sums_sha256        TEXT NOT NULL,   -- SHA-256 of the bundle's SHA256SUMS (receipts name it)
    file_sha256        TEXT NOT NULL,   -- of the encrypted file, as read back
    size               INTEGER NOT NULL,
    receipt_at         TEXT
);
CREATE TABLE bundle_recipients (
    bundle_id TEXT NOT NULL REFERENCES bundles_out (bundle_id),
    recipient TEXT NOT NULL,            -- contact fingerprint
    PRIMARY KEY (recipient, bundle_id)
) WITHOUT ROWID;
CREATE TABLE bundle_items (
    bundle_id TEXT NOT NULL REFERENCES bundles_out (bundle_id),
    item      TEXT NOT NULL,            -- 'revision' or 'attachment'
    item_id   TEXT NOT NULL,            -- record id or attachment id
    revision  INTEGER NOT NULL,         -- 0 for attachments
    PRIMARY KEY (item, item_id, revision, bundle_id)
) WITHOUT ROWID;
-- Where each record's row in the full-text index is (see records/search.py reindex).
ALTER TABLE records ADD COLUMN search_rowid INTEGER;
UPDATE records SET search_rowid = s.rowid FROM search_index AS s WHERE s.record_id = records.id;
"""

# Version 4: bundle import (monitor_app/bundles/importing.py). Which bundles were merged, from
# which author and with which sequence (to notice a missing one), and incoming revisions that
# carry a revision number already present with other content: both are kept, never overwritten.
_V4 = """
CREATE TABLE bundles_in (
    bundle_id          TEXT PRIMARY KEY,
    author_fingerprint TEXT NOT NULL,
    sequence           INTEGER NOT NULL,
    follows            INTEGER,         -- the author's previous bundle to this vault, if any
    sums_sha256        TEXT NOT NULL,   -- SHA-256 of the bundle's SHA256SUMS (receipts name it)
    imported_at        TEXT NOT NULL,
    status             TEXT NOT NULL
);
CREATE INDEX bundles_in_author ON bundles_in (author_fingerprint, sequence);
CREATE TABLE conflicts (
    record_id   TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    bundle_id   TEXT NOT NULL,
    created_at  TEXT NOT NULL,          -- as the incoming revision says; never used for ordering
    author      TEXT NOT NULL,
    fields      TEXT NOT NULL,          -- JSON of the non-sensitive fields
    sensitive   TEXT,                   -- JSON of sensitive fields, if the bundle carried them
    detected_at TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (record_id, revision, bundle_id)
) WITHOUT ROWID;
"""

# Version 5: receipts (monitor_app/bundles/receipts.py). Which recipient confirmed which
# outgoing bundle, with which receipt bundle; bundles_out.receipt_at holds the first receipt.
_V5 = """
CREATE TABLE bundle_receipts (
    bundle_id         TEXT NOT NULL REFERENCES bundles_out (bundle_id),
    recipient         TEXT NOT NULL,    -- contact fingerprint of the confirming recipient
    receipt_bundle_id TEXT NOT NULL,    -- the receipt bundle's id (also in bundles_in)
    received_at       TEXT NOT NULL,
    PRIMARY KEY (bundle_id, recipient)
) WITHOUT ROWID;
"""

# Version 6: purge and re-keying (monitor_app/bundles/purge.py, monitor_app/vault/rekey.py).
# A purged record keeps a stub row (id, type, date, the receipt that allowed the purge); its
# content, history, attachments and index entries are gone. Each key slot's key-encryption key
# is kept here, inside the encrypted database, so that a new data key can be wrapped for every
# slot without asking for the recovery code: whoever can read this table already holds the data
# key these slots unwrap. Which outgoing revisions went out redacted is kept, so that purge
# leaves a record alone when its withheld fields exist nowhere else.
_V6 = """
ALTER TABLE records ADD COLUMN purged_at TEXT;
ALTER TABLE records ADD COLUMN purged_receipt TEXT;
ALTER TABLE bundle_items ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0;
CREATE TABLE slot_keys (
    slot_id TEXT PRIMARY KEY,
    kek     BLOB NOT NULL CHECK (length(kek) = 32)
)
"""

# Version 7: drafts (monitor_app/records/drafts.py). Unsaved editor content, kept inside the
# encrypted database so that a lock or a crash loses nothing and nothing reaches disk in
# plaintext. At most one draft per existing record; a new record's draft has no record id.
_V7 = """
CREATE TABLE drafts (
    draft_id      TEXT PRIMARY KEY,
    record_type   TEXT NOT NULL,
    record_id     TEXT UNIQUE,        -- NULL for a record not created yet
    base_revision INTEGER,            -- the revision the edit started from
    data          TEXT NOT NULL,      -- JSON of the editor's values, valid or not yet
    updated_at    TEXT NOT NULL
)
"""

# Version 8: provenance (monitor_app/records/provenance.py). Every revision is identified by
# its hash, names its parent, and carries its author's key and signature; the revisions this
# vault wrote before are signed at the first unlock after this step (records/signing_migration),
# those it received before are marked as such, unsigned. Conflicts are forks of that chain, kept
# in ``revisions`` and listed here; the earlier table of kept-aside copies stays readable as
# ``legacy_conflicts``. Bundles taken in are keyed by their signer and id, with what each
# carried (so that a receipt says exactly what was kept); receipts confirm items one by one,
# and only the contacts marked as custodians free this vault of what they hold.
_V8 = """
ALTER TABLE revisions ADD COLUMN hash TEXT;
ALTER TABLE revisions ADD COLUMN parent TEXT;
ALTER TABLE revisions ADD COLUMN author_key BLOB;
ALTER TABLE revisions ADD COLUMN signature BLOB;
ALTER TABLE revisions ADD COLUMN sensitive_salt BLOB;
ALTER TABLE revisions ADD COLUMN sensitive_digest TEXT;
ALTER TABLE revisions ADD COLUMN sensitive_names TEXT NOT NULL DEFAULT '[]';
ALTER TABLE revisions ADD COLUMN brought_by TEXT;
ALTER TABLE revisions ADD COLUMN bundle_id TEXT;
CREATE UNIQUE INDEX revisions_hash ON revisions (hash);
CREATE INDEX revisions_parent ON revisions (record_id, parent);
ALTER TABLE conflicts RENAME TO legacy_conflicts;
CREATE TABLE conflicts (
    record_id   TEXT NOT NULL,
    hash        TEXT NOT NULL,          -- the revision that is not on the record's chain
    bundle_id   TEXT,
    reason      TEXT NOT NULL,          -- fork | parent_missing
    detected_at TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (record_id, hash)
) WITHOUT ROWID;
CREATE TABLE bundles_in_v8 (
    bundle_id          TEXT NOT NULL,
    author_fingerprint TEXT NOT NULL,
    sequence           INTEGER NOT NULL,
    follows            INTEGER,
    sums_sha256        TEXT NOT NULL,
    imported_at        TEXT NOT NULL,
    status             TEXT NOT NULL,
    PRIMARY KEY (author_fingerprint, bundle_id)
);
INSERT INTO bundles_in_v8 SELECT bundle_id, author_fingerprint, sequence, follows, sums_sha256,
    imported_at, status FROM bundles_in;
DROP TABLE bundles_in;
ALTER TABLE bundles_in_v8 RENAME TO bundles_in;
CREATE INDEX bundles_in_author ON bundles_in (author_fingerprint, sequence);
CREATE TABLE bundle_in_items (
    author_fingerprint TEXT NOT NULL,
    bundle_id          TEXT NOT NULL,
    item               TEXT NOT NULL,   -- 'revision' (key: its hash) or 'attachment' (its id)
    item_key           TEXT NOT NULL,
    record_id          TEXT NOT NULL,
    withheld           INTEGER NOT NULL DEFAULT 0,  -- came without the sensitive fields
    PRIMARY KEY (author_fingerprint, bundle_id, item, item_key)
) WITHOUT ROWID;
CREATE TABLE receipt_items (
    bundle_id         TEXT NOT NULL,    -- the outgoing bundle
    recipient         TEXT NOT NULL,    -- fingerprint of the recipient who holds the item
    item              TEXT NOT NULL,
    item_id           TEXT NOT NULL,
    revision          INTEGER NOT NULL,
    receipt_bundle_id TEXT NOT NULL,
    PRIMARY KEY (item, item_id, revision, recipient, bundle_id)
) WITHOUT ROWID;
ALTER TABLE contacts ADD COLUMN custodian INTEGER NOT NULL DEFAULT 0 CHECK (custodian IN (0, 1))
"""

# Lists of live records (neither deleted nor purged) in each order a list offers, with and
# without a type: a page is a range of one index from where the last one ended (keyset
# paging), and a count reads only the index, never the rows. A missing date sorts first, as
# the empty text. The date indexes also hold the two columns their condition tests, so that
# SQLite (which does not infer them from the condition) counts from the index alone.
_V9 = """
CREATE INDEX records_live_date ON records (type, ifnull(sort_date, ''), id, deleted_at, purged_at)
    WHERE deleted_at IS NULL AND purged_at IS NULL;
CREATE INDEX records_live_modified ON records (type, modified_at, id)
    WHERE deleted_at IS NULL AND purged_at IS NULL;
CREATE INDEX records_live_display ON records (type, display, id)
    WHERE deleted_at IS NULL AND purged_at IS NULL;
CREATE INDEX records_live_all_date ON records (ifnull(sort_date, ''), id, deleted_at, purged_at)
    WHERE deleted_at IS NULL AND purged_at IS NULL;
CREATE INDEX records_live_all_modified ON records (modified_at, id)
    WHERE deleted_at IS NULL AND purged_at IS NULL;
CREATE INDEX records_live_all_display ON records (display, id)
    WHERE deleted_at IS NULL AND purged_at IS NULL
"""

_LIVE = "WHERE deleted_at IS NULL AND purged_at IS NULL"

# Version 10: finding things in a hub's million records (records/facets.py, word_forms.py).
# The stems of every index row's words, for searching by word forms: rows written before
# this version get theirs after the unlock, in batches (word_forms.catch_up), from the
# rowid noted here down. The fields a list filters by are copied to the record's row like
# its date and place (a place's region to the records at that place), each with an index of
# live records that counts a facet's values without reading the rows; records_live_search
# leads from a search's matches to the rows and holds every facet, so that counting the
# matches of a word under any filter reads only that index. A visit without a summary is
# called by its place and date from now on (records/titles.py): older ones get that title.
_V10 = f"""
CREATE VIRTUAL TABLE search_forms USING fts5 (
    forms,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO meta (key, value)
    SELECT 'word_forms_below', ifnull(max(rowid), 0) + 1 FROM search_index;
ALTER TABLE records ADD COLUMN case_status TEXT;
ALTER TABLE records ADD COLUMN reprisal_risk TEXT;
ALTER TABLE records ADD COLUMN region TEXT;
UPDATE records SET
    case_status = json_extract(v.fields, '$.case_status'),
    reprisal_risk = json_extract(v.fields, '$.reprisal_risk'),
    region = CASE WHEN records.type = 'place' THEN json_extract(v.fields, '$.region') END
    FROM revisions AS v
    WHERE v.record_id = records.id AND v.revision = records.current_revision
    AND records.purged_at IS NULL;
UPDATE records SET region = p.region FROM records AS p
    WHERE p.id = records.place_id AND records.type != 'place';
UPDATE records SET display = substr(CASE
        WHEN ifnull(records.sort_date, '') = '' THEN trim(p.display)
        ELSE trim(p.display) || ', ' || substr(records.sort_date, 1, 10) END, 1, 200)
    FROM records AS p
    WHERE records.type = 'visit' AND trim(records.display) = '' AND records.purged_at IS NULL
    AND p.id = records.place_id AND p.purged_at IS NULL AND trim(p.display) != '';
UPDATE records SET display = substr(sort_date, 1, 10)
    WHERE type = 'visit' AND trim(display) = '' AND purged_at IS NULL AND sort_date IS NOT NULL;
CREATE INDEX records_live_search ON records (search_rowid, type, case_status, reprisal_risk,
    region, place_id, created_by, sort_date, deleted_at, purged_at) {_LIVE};
CREATE INDEX records_live_status ON records (type, case_status, deleted_at, purged_at) {_LIVE};
CREATE INDEX records_live_risk ON records (type, reprisal_risk, deleted_at, purged_at) {_LIVE};
CREATE INDEX records_live_region ON records (type, region, deleted_at, purged_at) {_LIVE};
CREATE INDEX records_live_place ON records (type, place_id, deleted_at, purged_at) {_LIVE};
CREATE INDEX records_live_author ON records (type, created_by, deleted_at, purged_at) {_LIVE}
"""

# Version 11: the reviewer's desk (records/dossiers.py, saved_searches.py, listing.py).
# record_links holds every reference a record's current revision makes (an incident's
# people with their roles, its visit, a place), kept in the same transaction as the record's
# row, so a person's or a place's dossier reads an index instead of every revision. Lists of
# one type sort by case status, reprisal risk and region as quickly as by date. Saved
# searches are a vault's own: a name, a list and its filters (facets.to_json).
_V11 = f"""
CREATE TABLE record_links (
    target_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    role      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (target_id, record_id, field, role)
) WITHOUT ROWID;
CREATE INDEX record_links_source ON record_links (record_id);
INSERT OR IGNORE INTO record_links (target_id, record_id, field, role)
    SELECT json_extract(p.value, '$.person_id'), r.id, 'people',
        ifnull(json_extract(p.value, '$.role'), '')
    FROM records AS r
    JOIN revisions AS v ON v.record_id = r.id AND v.revision = r.current_revision
    JOIN json_each(v.fields, '$.people') AS p
    WHERE r.purged_at IS NULL AND r.type = 'incident'
    AND json_type(p.value, '$.person_id') = 'text';
INSERT OR IGNORE INTO record_links (target_id, record_id, field, role)
    SELECT json_extract(v.fields, '$.visit_id'), r.id, 'visit_id', ''
    FROM records AS r
    JOIN revisions AS v ON v.record_id = r.id AND v.revision = r.current_revision
    WHERE r.purged_at IS NULL AND json_type(v.fields, '$.visit_id') = 'text';
INSERT OR IGNORE INTO record_links (target_id, record_id, field, role)
    SELECT place_id, id, 'place_id', '' FROM records
    WHERE purged_at IS NULL AND place_id IS NOT NULL;
CREATE INDEX records_live_sort_status ON records (type, ifnull(case_status, ''), id) {_LIVE};
CREATE INDEX records_live_sort_risk ON records (type, ifnull(reprisal_risk, ''), id) {_LIVE};
CREATE INDEX records_live_sort_region ON records (type, ifnull(region, ''), id) {_LIVE};
CREATE TABLE saved_searches (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    record_type TEXT NOT NULL DEFAULT '',
    filters     TEXT NOT NULL,
    sort        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    UNIQUE (record_type, name)
)
"""

# Version 12: each record's kind (an incident's incident_type, a visit's visit_type, a place's
# place_type) is a column like case_status, so a place's dossier counts its incidents by type
# from the rows it reads anyway instead of from each incident's revision. And each facet's
# index carries every other facet column and the date: a facet's counts under another facet
# (the places of the "referred" incidents) read one index instead of a row per record, which
# at a million incidents took 2 to 5 s.
_V12 = f"""
ALTER TABLE records ADD COLUMN kind TEXT;
UPDATE records SET kind = (
    SELECT json_extract(v.fields, CASE records.type WHEN 'incident' THEN '$.incident_type'
        WHEN 'visit' THEN '$.visit_type' ELSE '$.place_type' END)
    FROM revisions AS v
    WHERE v.record_id = records.id AND v.revision = records.current_revision
) WHERE purged_at IS NULL AND type IN ('incident', 'visit', 'place');
DROP INDEX records_live_status;
CREATE INDEX records_live_status ON records (type, case_status, deleted_at, purged_at,
    reprisal_risk, region, place_id, created_by, sort_date) {_LIVE};
DROP INDEX records_live_risk;
CREATE INDEX records_live_risk ON records (type, reprisal_risk, deleted_at, purged_at,
    case_status, region, place_id, created_by, sort_date) {_LIVE};
DROP INDEX records_live_region;
CREATE INDEX records_live_region ON records (type, region, deleted_at, purged_at,
    case_status, reprisal_risk, place_id, created_by, sort_date) {_LIVE};
DROP INDEX records_live_place;
CREATE INDEX records_live_place ON records (type, place_id, deleted_at, purged_at,
    case_status, reprisal_risk, region, created_by, sort_date) {_LIVE};
DROP INDEX records_live_author;
CREATE INDEX records_live_author ON records (type, created_by, deleted_at, purged_at,
    case_status, reprisal_risk, region, place_id, sort_date) {_LIVE}
"""

MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _run_statements(_V1),
    2: _run_statements(_V2),
    3: _run_statements(_V3),
    4: _run_statements(_V4),
    5: _run_statements(_V5),
    6: _run_statements(_V6),
    7: _run_statements(_V7),
    8: _run_statements(_V8),
    9: _run_statements(_V9),
    10: _run_statements(_V10),
    11: _run_statements(_V11),
    12: _run_statements(_V12),
}


def stored_version(conn: Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def check_supported(conn: Connection) -> int:
    version = stored_version(conn)
    if version > SCHEMA_VERSION:
        raise VaultError("vault_too_new", found=version, supported=SCHEMA_VERSION)
    return version


def migrate(conn: Connection) -> None:
    """Bring the schema to SCHEMA_VERSION, one transaction per step."""
    version = check_supported(conn)
    while version < SCHEMA_VERSION:
        target = version + 1
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[target](conn)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(target),),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        version = target
