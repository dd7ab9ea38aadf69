"""``monitorctl age encrypt`` and ``monitorctl age decrypt``: age v1 files with X25519 keys.

The flags mean what they mean for the age command line: ``-r RECIPIENT`` (repeatable) and
``-i IDENTITY_FILE`` (repeatable, ``-`` for standard input), ``-o OUT``, and an optional
input file; input and output default to standard input and output. No vault or passphrase
is involved.

An output file is written under a temporary name in its directory and renamed into place
only when the whole file is written and, for decryption, the final chunk verified; on any
error it is removed, so a refused file never leaves plaintext behind. Standard output cannot
be taken back: there, like age, plaintext of the chunks before a damaged one has already been
written when the error is reported.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from monitor_app.cli import io
from monitor_app.crypto import age
from monitor_app.errors import MonitorError
from monitor_app.fsutil import NamedSource, atomic_writer, storage_error
from monitor_app.i18n import N_, _

if TYPE_CHECKING:
    from monitor_app.cli.commands import Outcome

__all__ = ["AGE_HELP", "add_age_parser", "cmd_age"]

# Translated when the parser is built (after main() installs the language).
AGE_HELP = N_("encrypt or decrypt files in the age format (X25519 keys; no vault needed)")

_STDIO = "-"
_MAX_IDENTITY_FILE = 16 * 1024 * 1024
_MAX_IDENTITY_LINE = 4096


def add_age_parser(
    parser: argparse.ArgumentParser, add_globals: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Add the ``encrypt`` and ``decrypt`` actions to the ``age`` command's parser."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    encrypt = actions.add_parser(
        "encrypt",
        help=_("encrypt IN to age recipients"),
        description=_("Encrypt IN (default: standard input) to one or more age recipients."),
    )
    add_globals(encrypt)
    encrypt.add_argument(
        "-r",
        "--recipient",
        dest="recipients",
        action="append",
        required=True,
        metavar="RECIPIENT",
        help=_("an age public key (age1...); may be repeated"),
    )
    _add_io_arguments(encrypt)

    decrypt = actions.add_parser(
        "decrypt",
        help=_("decrypt an age file with identity files"),
        description=_("Decrypt the age file IN (default: standard input)."),
    )
    add_globals(decrypt)
    decrypt.add_argument(
        "-i",
        "--identity",
        dest="identities",
        action="append",
        required=True,
        metavar="IDENTITY_FILE",
        help=_(
            "a file of AGE-SECRET-KEY-1... lines as age-keygen writes it ('-' for standard "
            "input); may be repeated"
        ),
    )
    _add_io_arguments(decrypt)


def _add_io_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help=_("write to OUT (replaced only once complete) instead of standard output"),
    )
    parser.add_argument(
        "input", nargs="?", metavar="IN", help=_("input file (default: standard input)")
    )


def cmd_age(args: argparse.Namespace) -> Outcome:
    from monitor_app.cli.commands import Outcome

    to_stdout = args.output in (None, _STDIO)
    if to_stdout and args.json:
        # Standard output carries the data; the JSON result would be mixed into it.
        raise MonitorError("age_output_required")
    try:
        result = _encrypt(args, to_stdout) if args.action == "encrypt" else _decrypt(args)
    except OSError as exc:  # the input's read errors name it already (NamedSource)
        raise storage_error(exc, None if to_stdout else Path(args.output)) from None
    return Outcome(result, [])


def _encrypt(args: argparse.Namespace, to_stdout: bool) -> dict[str, object]:
    recipients = [age.X25519Recipient.parse(text) for text in args.recipients]
    if to_stdout and sys.stdout.isatty():
        raise MonitorError("age_binary_to_terminal")
    with _open_input(args.input) as (source, size), _open_output(args.output) as sink:
        done = age.encrypt(recipients, source, sink, size=size, progress=io.terminal_progress())
    return {"output": args.output or _STDIO, "bytes": done, "recipients": len(recipients)}


def _decrypt(args: argparse.Namespace) -> dict[str, object]:
    reads_stdin = args.input in (None, _STDIO)
    identities: list[age.X25519Identity] = []
    for path in args.identities:
        if path == _STDIO and reads_stdin:
            raise MonitorError("age_stdin_conflict")
        identities += _load_identities(path)
    with _open_input(args.input) as (source, _size):
        # The header is checked and the file key found before any output is created.
        header = age.read_header(source)
        file_key = age.unwrap_file_key(header, identities)
        with _open_output(args.output) as sink:
            done = age.decrypt_payload(file_key, source, sink, progress=io.terminal_progress())
    return {"output": args.output or _STDIO, "bytes": done}


def _load_identities(path: str) -> list[age.X25519Identity]:
    try:
        with contextlib.ExitStack() as stack:
            if path == _STDIO:
                handle: BinaryIO = sys.stdin.buffer
            else:
                handle = stack.enter_context(open(path, "rb"))
            identities = age.parse_identity_lines(_identity_lines(handle))
    except OSError:
        raise MonitorError("file_unreadable", path=path) from None
    except age.AgeError as exc:
        exc.params["path"] = path
        raise
    if not identities:
        raise age.AgeError("age_identity_missing", path=path)
    return identities


def _identity_lines(handle: BinaryIO) -> Iterator[str]:
    """Lines of an identity file, within size limits; errors never quote the content."""
    total = 0
    number = 0
    while True:
        raw = handle.readline(_MAX_IDENTITY_LINE + 1)
        if not raw:
            return
        number += 1
        total += len(raw)
        if len(raw) > _MAX_IDENTITY_LINE or total > _MAX_IDENTITY_FILE:
            raise age.AgeError("age_identity_invalid", reason="too_long", line=number)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise age.AgeError("age_identity_invalid", reason="not_text", line=number) from None


@contextlib.contextmanager
def _open_input(path: str | None) -> Iterator[tuple[BinaryIO, int | None]]:
    """The input stream and, for a regular file, its size (for progress)."""
    if path in (None, _STDIO):
        yield sys.stdin.buffer, None
        return
    assert path is not None
    with contextlib.ExitStack() as stack:
        try:
            # A read error (a stick pulled out) is a storage error naming the input.
            handle = stack.enter_context(NamedSource(Path(path)))
            info = os.fstat(handle.fileno())
        except OSError:
            raise MonitorError("file_unreadable", path=path) from None
        yield handle, info.st_size if stat.S_ISREG(info.st_mode) else None


@contextlib.contextmanager
def _open_output(path: str | None) -> Iterator[BinaryIO]:
    """Standard output, or a private temporary file renamed to ``path`` only on success."""
    if path in (None, _STDIO):
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    assert path is not None
    with atomic_writer(io.check_output_path(Path(path))) as handle:
        yield handle
