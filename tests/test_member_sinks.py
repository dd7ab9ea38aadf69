"""The padding of a bundle must be zeros, in pieces of any size, and is hashed as it passes."""

from __future__ import annotations

import hashlib

import pytest

from monitor_app.bundles.errors import BundleError
from monitor_app.bundles.member_sinks import PaddingSink

MIB = 1 << 20


@pytest.mark.parametrize("size", [1, 511, MIB - 1, MIB, MIB + 1])
def test_zeros_pass_and_are_hashed(size: int) -> None:
    sink = PaddingSink()
    data = bytearray(size)
    sink.write(memoryview(data))  # the importer hands views of its decryption buffer
    sink.write(memoryview(data))
    assert sink.digest.hexdigest() == hashlib.sha256(bytes(2 * size)).hexdigest()


@pytest.mark.parametrize("size", [1, MIB - 1, MIB, MIB + 1])
@pytest.mark.parametrize("where", ["first", "last"])
def test_one_byte_other_than_zero_is_refused(size: int, where: str) -> None:
    data = bytearray(size)
    data[0 if where == "first" else -1] = 1
    sink = PaddingSink()
    with pytest.raises(BundleError) as caught:
        sink.write(memoryview(data))
    assert caught.value.params["reason"] == "padding"
    sink.digest.close()
