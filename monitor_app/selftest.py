"""The built app checks itself: ``monitor-app --self-test`` (and ``monitorctl self-test``).

A packaged app can miss a library, a data file or a native module that the source tree has
(PyInstaller collects what it can see). This runs the core end to end in a private temporary
folder: two vaults, a record with an attachment, a signed and encrypted bundle from one to
the other, its import and its content read back. Each step prints one line; the first
failure stops the test with its error code. Nothing is left behind.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor_app.crypto import kdf
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

ATTACHMENT_SIZE = 300_000  # more than four STREAM chunks
PASSPHRASE = "self-test passphrase, thrown away"  # noqa: S105 - a throwaway vault


class SelfTestFailed(Exception):
    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step


@contextmanager
def _vault(folder: Path, name: str) -> Iterator[UnlockedVault]:
    vault, _code = lifecycle.create_vault(
        folder / name, PASSPHRASE, name=name, kdf_params=kdf.MINIMUM
    )
    try:
        yield vault
    finally:
        vault.lock()


def run(report: Callable[[str], None]) -> None:
    """Run every check, reporting each as it passes; raise SelfTestFailed on the first
    failure (any exception is a failure: this is the app's own test)."""
    from monitor_app.bundles.export import export_bundle
    from monitor_app.bundles.importing import import_bundle
    from monitor_app.records import word_forms

    with tempfile.TemporaryDirectory(prefix="monitor_app-selftest-") as name:
        folder = Path(name)
        step = "create two vaults (SQLCipher, Argon2id, key slots)"
        try:
            with _vault(folder, "field") as field, _vault(folder, "hub") as hub:
                report(f"ok  {step}")
                step = "write and read a record with an attachment, search it"
                photo = secrets.token_bytes(ATTACHMENT_SIZE)
                place = field.records.add(
                    "place", {"name": "ИВС самопроверки 自检", "place_type": "police_station"}
                )
                attachment = field.attachments.add_stream(
                    place.record_id, io.BytesIO(photo), original_name="check.bin"
                )
                read = field.attachments.read_bytes(attachment.attachment_id)
                if read != photo or not field.records.search("самопроверка"):
                    raise SelfTestFailed(step, "content differs")
                if not word_forms.compiled():
                    # The pure Python stemmers work, 75 times slower per word.
                    raise SelfTestFailed(step, "compiled stemmers missing")
                report(f"ok  {step} (by word form, compiled stemmers)")
                step = "exchange contact cards, export a signed, encrypted bundle"
                field.contacts.add(hub.identity.card(), verified=True)
                hub.contacts.add(field.identity.card(), verified=True)
                stick = folder / "stick"
                stick.mkdir()
                bundle = export_bundle(field, stick, contacts=[field.contacts.get("hub")])
                report(f"ok  {step} ({bundle.size} bytes, read back)")
                step = "import the bundle in the second vault, compare the content"
                result = import_bundle(hub, bundle.path)
                held = hub.attachments.read_bytes(attachment.attachment_id)
                same = hashlib.sha256(held).digest() == hashlib.sha256(photo).digest()
                if result.status != "imported" or not same:
                    raise SelfTestFailed(step, result.status)
                if hub.records.get(place.record_id).fields != place.fields:
                    raise SelfTestFailed(step, "record differs")
                report(f"ok  {step}")
        except SelfTestFailed:
            raise
        except Exception as exc:  # every failure is reported, with its code
            raise SelfTestFailed(step, getattr(exc, "code", type(exc).__name__)) from None
