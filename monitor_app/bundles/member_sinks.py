"""Where each member of a bundle's tar goes while the bundle is decrypted (bundles/reading.py).

Small members (SHA256SUMS, its signature, the manifest) are kept in memory under a cap;
records.jsonl and the attachments are staged encrypted in the vault's blob store by a
``BlobWriter``, which hashes them on the way; the padding must be zeros. Each sink checks
what it can as the data streams: sizes against the signed manifest, each record line against
its own hash, so damage is reported where it is found.
"""

from __future__ import annotations

import hashlib

from monitor_app.background import BackgroundSha256
from monitor_app.bundles.manifest import RecordEntry, bad
from monitor_app.bundles.staging_blob import BlobWriter


class MemorySink:
    def __init__(self, cap: int) -> None:
        self.data = bytearray()
        self.cap = cap

    def write(self, data: bytes) -> int:
        if len(self.data) + len(data) > self.cap:
            raise bad("member_size")
        self.data += data
        return len(data)


class RecordsSink:
    """records.jsonl: staged encrypted; each line's size and hash checked as it streams."""

    def __init__(self, writer: BlobWriter, entries: tuple[RecordEntry, ...]) -> None:
        self.writer = writer
        self._entries = entries
        self._index = 0
        self._left = entries[0].size if entries else 0
        self._line = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.writer.write(data)
        view = memoryview(data)
        while view:
            if self._index >= len(self._entries):
                raise bad("records_size")
            if self._left:
                count = min(self._left, len(view))
                self._line.update(view[:count])
                self._left -= count
                view = view[count:]
                continue
            entry = self._entries[self._index]
            if view[0] != 0x0A or self._line.hexdigest() != entry.sha256:
                raise bad("record_hash", index=self._index)
            view = view[1:]
            self._index += 1
            self._line = hashlib.sha256()
            if self._index < len(self._entries):
                self._left = self._entries[self._index].size
        return len(data)

    def finish(self) -> None:
        if self._index != len(self._entries):
            raise bad("records_size")


class AttachmentSink:
    """One attachment member into one staged blob, however many attachment entries share
    its content: a manifest listing one content many times must not make the vault write it
    many times before anyone decided to trust the bundle. ``Staging.blob_for`` makes the
    other entries' copies, when merging."""

    def __init__(self, writer: BlobWriter) -> None:
        self.writer = writer
        self.digest = writer.digest  # the writer hashes what it stages: once is enough

    def write(self, data: bytes) -> int:
        self.writer.write(data)
        return len(data)


_ZEROS = bytes(1 << 20)  # the size of the pieces the importer decrypts


class PaddingSink:
    def __init__(self) -> None:
        self.digest = BackgroundSha256()  # up to an eighth of the bundle: off this thread

    def write(self, data: bytes | memoryview) -> int:
        # Copied once into bytes: compared with memcmp (comparing a memoryview goes byte by
        # byte, 2.5 ms a MiB), and the hashing thread takes the same bytes without a copy.
        piece = bytes(data)
        if piece != (_ZEROS if len(piece) == len(_ZEROS) else bytes(len(piece))):
            raise bad("padding")
        self.digest.update(piece)
        return len(piece)
