"""Argon2id key derivation (pyca/cryptography), with calibration to the machine.

Parameters are stored beside each key slot, so a vault made on a fast desktop still opens on
a slow laptop (it just takes longer there).
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from monitor_app.errors import MonitorError

KEY_LENGTH = 32
SALT_LENGTH = 16
MIN_MEMORY_KIB = 64 * 1024
PREFERRED_MEMORY_KIB = 256 * 1024
MIN_ITERATIONS = 3
MAX_ITERATIONS = 64
MAX_MEMORY_KIB = 4 * 1024 * 1024
DEFAULT_LANES = 4
# Set to "minimum" to skip calibration and use the floor (64 MiB, t=3): for tests and CI,
# where a one-second unlock per command would make the suite crawl. Never weaker than the floor.
PROFILE_ENV = "MONITOR_APP_KDF_PROFILE"


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int
    iterations: int
    lanes: int = DEFAULT_LANES

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
        }

    @classmethod
    def from_json(cls, data: Any) -> KdfParams:
        try:
            if data["name"] != "argon2id":
                raise ValueError
            params = cls(int(data["memory_kib"]), int(data["iterations"]), int(data["lanes"]))
        except (KeyError, TypeError, ValueError):
            raise MonitorError("keyslots_damaged", reason="kdf_parameters") from None
        params.check_bounds()
        return params

    def check_bounds(self) -> None:
        # Refuse both weak parameters (a downgraded slot) and absurd ones (a hostile file
        # that would exhaust memory before the AEAD can say the slot is forged).
        if not (
            MIN_MEMORY_KIB <= self.memory_kib <= MAX_MEMORY_KIB
            and MIN_ITERATIONS <= self.iterations <= MAX_ITERATIONS
            and 1 <= self.lanes <= 16
        ):
            raise MonitorError("keyslots_damaged", reason="kdf_parameters")


MINIMUM = KdfParams(MIN_MEMORY_KIB, MIN_ITERATIONS)


# One derivation at a time in this process: two at once on different threads were seen to
# wait forever inside OpenSSL's Argon2 thread pool (cryptography 50, OpenSSL 4.0), e.g. a lock
# followed at once by a new unlock while the first was still deriving. Each takes a second and
# most of the memory it may use, so running them one after the other costs nothing in practice.
_DERIVE_LOCK = threading.Lock()


def derive_key(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    with _DERIVE_LOCK:
        return Argon2id(
            salt=salt,
            length=KEY_LENGTH,
            iterations=params.iterations,
            lanes=params.lanes,
            memory_cost=params.memory_kib,
        ).derive(secret)


def available_memory_kib() -> int | None:
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return int(pages * page_size // 1024)


def calibrate(target_seconds: float = 1.0) -> KdfParams:
    """Pick Argon2id parameters that take about ``target_seconds`` here."""
    if os.environ.get(PROFILE_ENV) == "minimum":
        return MINIMUM
    memory = PREFERRED_MEMORY_KIB
    available = available_memory_kib()
    if available is not None and available < 4 * PREFERRED_MEMORY_KIB:
        memory = max(MIN_MEMORY_KIB, available // 4)
    probe = KdfParams(memory, MIN_ITERATIONS)
    started = time.perf_counter()
    derive_key(b"calibration", b"\0" * SALT_LENGTH, probe)
    elapsed = max(time.perf_counter() - started, 1e-3)
    iterations = math.ceil(MIN_ITERATIONS * target_seconds / elapsed)
    iterations = min(max(iterations, MIN_ITERATIONS), MAX_ITERATIONS)
    return KdfParams(memory, iterations)
