"""Child process for the crash and canary tests: writes to a vault until it is killed.

Run as ``python tests/crash_worker.py``. Everything it needs, the passphrase included, comes
as one JSON object on the first line of stdin (never argv or the environment, which other
users can read through /proc). It reports on stdout, one flushed line per event, and only
after the call that made a change has returned:

    ready
    begin <what>                      a write is about to start
    done record <id> <revision> <marker>
    done attachment <id> <sha256>     sha256 of what the worker handed over, computed here
    attaching <bytes>                 (canary mode) mid-way through a large attachment

Modes:
    crash   add and edit records and add attachments (a few KiB to a few MiB) forever
    canary  write the given canary records, then stream a large canary attachment and stop
            half-way, waiting on stdin (the parent kills it there)

It imports only monitor_app and the standard library (no Qt). The parent side of the
protocol (``spawn`` and ``LineReader``) lives here too, so the tests share one definition.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

MIN_ATTACHMENT_LOG2 = 11  # 2 KiB
MAX_ATTACHMENT_LOG2 = 22  # 4 MiB


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# -- parent side ---------------------------------------------------------------------------

WORKER = Path(__file__).resolve()
PROJECT_ROOT = WORKER.parent.parent
GUARD_SECONDS = 120.0  # only a guard against a hung worker; never a synchronisation delay


def spawn(
    config: dict[str, Any], *, stderr: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start the worker and hand it its configuration (and passphrase) on stdin.

    stdin is left open: a worker in canary mode blocks reading it until it is killed.
    """
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), child_env.get("PYTHONPATH", "")) if p
    )
    with open(stderr, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=PROJECT_ROOT,
            env=child_env,
            bufsize=0,
        )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(config).encode("utf-8") + b"\n")
    proc.stdin.flush()
    return proc


class LineReader:
    """Reads the worker's stdout lines straight from the pipe, with select timeouts.

    Reading the raw fd (not a buffered file) keeps select honest: no line can sit in a
    Python buffer while select reports the pipe empty.
    """

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.fd = proc.stdout.fileno()
        self.pending = b""
        self.lines: list[str] = []
        self.eof = False

    def _read(self, timeout: float | None) -> bool:
        """Take in what the pipe holds; False if nothing came within ``timeout``."""
        if self.eof:
            return False
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        data = os.read(self.fd, 1 << 16)
        if not data:
            self.eof = True
            return True
        *complete, self.pending = (self.pending + data).split(b"\n")
        self.lines += [line.decode("utf-8") for line in complete]
        return True

    def wait_for(self, predicate: Callable[[str], bool], start: int = 0) -> int:
        """Block until a line from index ``start`` on satisfies ``predicate``; its index."""
        deadline = time.monotonic() + GUARD_SECONDS
        index = start
        while True:
            while index < len(self.lines):
                if predicate(self.lines[index]):
                    return index
                index += 1
            if self.eof:
                raise AssertionError(f"worker exited early; last lines {self.lines[-5:]}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"worker hung; last lines {self.lines[-5:]}")
            self._read(remaining)

    def run_for(self, seconds: float) -> None:
        """Keep taking in lines until ``seconds`` have passed (the random kill moment)."""
        deadline = time.monotonic() + seconds
        while not self.eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._read(remaining)

    def kill_and_drain(self) -> int:
        """SIGKILL the worker, then read what it wrote before dying; its return code."""
        self.proc.kill()
        while not self.eof:
            self._read(None)
        if self.pending:
            # A line cut short by the kill was never completed: it reports nothing.
            self.pending = b""
        returncode = self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        return returncode


# -- crash mode ----------------------------------------------------------------------------


class CrashWriter:
    def __init__(self, vault: UnlockedVault, rng: random.Random, seed: int) -> None:
        self.vault = vault
        self.rng = rng
        self.seed = seed
        self.counter = 0
        self.ids: dict[str, list[str]] = {"place": [], "person": [], "incident": []}
        for summary in vault.records.list(limit=1_000_000):
            if summary.type in self.ids:
                self.ids[summary.type].append(summary.record_id)

    def marker(self) -> str:
        self.counter += 1
        return f"m{self.seed:x}x{self.counter:x}x{self.rng.getrandbits(32):08x}"

    def text(self, marker: str, words: int) -> str:
        vocabulary = ("задержан", "酷刑", "détenu", "cell", "interview", "Кыйноо", "审讯室")
        body = " ".join(self.rng.choice(vocabulary) for _ in range(words))
        return f"{marker} {body}"

    def record_data(self, type_name: str, marker: str) -> dict[str, Any]:
        rng = self.rng
        if type_name == "place":
            return {
                "name": f"Place {marker}",
                "place_type": "police_station",
                "notes": self.text(marker, rng.randint(0, 400)),
            }
        if type_name == "person":
            return {
                "pseudonym": f"Person {marker}",
                "notes": self.text(marker, rng.randint(0, 200)),
                "real_name": f"Real {marker}",
                "contact": self.text(marker, rng.randint(0, 20)),
            }
        data: dict[str, Any] = {
            "title": f"Incident {marker}",
            "incident_type": "torture",
            "description": self.text(marker, rng.randint(1, 3000)),
            "occurred_on": f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}",
        }
        if self.ids["place"] and rng.random() < 0.5:
            data["place_id"] = rng.choice(self.ids["place"])
        return data

    def add(self) -> None:
        type_name = self.rng.choice(("place", "person", "incident", "incident"))
        count = 1 if self.rng.random() < 0.8 else self.rng.randint(2, 5)
        markers = [self.marker() for _ in range(count)]
        items = [self.record_data(type_name, m) for m in markers]
        say(f"begin add {type_name} {count}")
        views = self.vault.records.add_many(type_name, items)
        for view, marker in zip(views, markers, strict=True):
            self.ids[type_name].append(view.record_id)
            say(f"done record {view.record_id} {view.revision} {marker}")

    def edit(self) -> None:
        candidates = [t for t, ids in self.ids.items() if ids]
        if not candidates:
            self.add()
            return
        type_name = self.rng.choice(candidates)
        record_id = self.rng.choice(self.ids[type_name])
        marker = self.marker()
        patch = {
            "place": {"notes": self.text(marker, self.rng.randint(1, 500))},
            "person": {"notes": f"edited {marker}", "address": self.text(marker, 5)},
            "incident": {"description": self.text(marker, self.rng.randint(1, 3000))},
        }[type_name]
        say(f"begin edit {type_name}")
        view = self.vault.records.edit(record_id, patch)
        say(f"done record {view.record_id} {view.revision} {marker}")

    def attach(self) -> None:
        owners = self.ids["incident"] + self.ids["person"]
        if not owners:
            self.add()
            return
        record_id = self.rng.choice(owners)
        size = int(2 ** self.rng.uniform(MIN_ATTACHMENT_LOG2, MAX_ATTACHMENT_LOG2))
        if self.rng.random() < 0.5:
            data = self.rng.randbytes(size)
        else:  # compressible content too
            data = (self.marker().encode() * (size // 16 + 1))[:size]
        digest = hashlib.sha256(data).hexdigest()
        say(f"begin attachment {size}")
        info = self.vault.attachments.add_stream(
            record_id,
            io.BytesIO(data),
            original_name=f"evidence-{self.counter}.bin",
            total=size if self.rng.random() < 0.5 else None,
        )
        if info.sha256 != digest or info.size != size:
            raise SystemExit(f"attachment hash mismatch {info.sha256} != {digest}")
        say(f"done attachment {info.attachment_id} {digest}")

    def run(self) -> None:
        while True:
            roll = self.rng.random()
            if roll < 0.35:
                self.add()
            elif roll < 0.7:
                self.edit()
            else:
                self.attach()


# -- canary mode ---------------------------------------------------------------------------


class CanarySource(io.RawIOBase):
    """A large attachment made of repeated canary text, generated in memory.

    Once half of it has been handed over it reports "attaching" and then blocks on stdin,
    which the parent never writes to: it kills the worker there, mid-write.
    """

    def __init__(self, text: str, total: int, stdin: Any) -> None:
        unit = (text + "\n").encode("utf-8")
        self.block = unit * (1024 * 1024 // len(unit) + 1)
        self.total = total
        self.served = 0
        self.stdin = stdin
        self.paused = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.paused and self.served >= self.total // 2:
            self.paused = True
            say(f"attaching {self.served}")
            self.stdin.readline()  # never answered
        count = min(len(buffer), self.total - self.served, len(self.block))
        buffer[:count] = self.block[:count]
        self.served += count
        return count


def run_canary(vault: UnlockedVault, config: dict[str, Any], stdin: Any) -> None:
    ids = []
    for item in config["records"]:
        view = vault.records.add(item["type"], item["data"])
        ids.append(view.record_id)
        say(f"done record {view.record_id} {view.revision} -")
    source = CanarySource(config["attachment_text"], config["attachment_size"], stdin)
    say("begin attachment")
    vault.attachments.add_stream(
        ids[-1], io.BufferedReader(source), original_name=config["attachment_name"]
    )
    say("finished")  # not reached: the parent kills the worker while it is paused


def main() -> None:
    stdin = sys.stdin
    config = json.loads(stdin.readline())
    vault = lifecycle.unlock(Path(config["vault"]), config["passphrase"])
    say("ready")
    if config["mode"] == "crash":
        seed = int(config["seed"])
        CrashWriter(vault, random.Random(seed), seed).run()
    elif config["mode"] == "canary":
        run_canary(vault, config, stdin)
    else:
        raise SystemExit(f"unknown mode {config['mode']!r}")


if __name__ == "__main__":
    main()
