"""Bundle benchmark: export and import throughput beside the age CLI, and their peak memory.

Run from the repository root:

    .venv/bin/python bench/bench_bundles.py [--quick] [--size-mib N] [--dir DIR] [--json [FILE]]

A field vault gets N MiB of random attachments; the hub is a verified contact both ways. Each
measured export (``export_bundle`` to a folder) and import (``import_bundle`` in the hub) runs
in a fresh child process that unlocks its vault, resets the kernel's peak-RSS mark, then does
the one operation: its peak memory is that of the operation above that of unlocking alone,
the KDF's memory aside. ``age -r`` and ``age -d`` run on the same bytes in the same run. Figures
are printed with PASS/MISS against the targets; the script always exits 0. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The real, calibrated KDF, as on a user's machine (its memory is set aside by the RSS reset).
os.environ.pop("MONITOR_APP_KDF_PROFILE", None)

import corpus  # bench/corpus.py, next to this file
from report import Report  # bench/report.py

from monitor_app import direct_io, fsutil
from monitor_app.bundles import export, importing, read_back, reading, staging_blob
from monitor_app.crypto import age
from monitor_app.vault import lifecycle

PASSPHRASE = "correct horse battery staple, benchmark edition"
MB = 1_000_000  # throughput in MB/s and memory in MB are in 10^6 bytes
MIB = 1024 * 1024
KIB = 1024

TARGET_RATIO = 0.8  # our throughput / the age CLI's, export and import each
TARGET_EXTRA_MB = 200.0  # peak RSS of an export or import above that after unlocking

CHILD_FLAG = "--child"


# -- output ---------------------------------------------------------------------------------
def mbs(size: int, seconds: float) -> float:
    return size / seconds / MB


def runs_text(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


# -- memory (Linux /proc) -------------------------------------------------------------------
def status_kib(key: str) -> int | None:
    """A ``kB`` line of /proc/self/status (VmRSS, VmHWM), or None where there is none."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: "5" to clear_refs). ru_maxrss cannot be
    reset, and after unlocking it holds the Argon2id buffer, which the target sets aside."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


# -- child processes: one measured operation each -------------------------------------------
class Phases:
    """Wall time spent inside some core functions, wrapped without changing what they do."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def call(self, owner: Any, attr: str, label: str) -> None:
        original = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started

        setattr(owner, attr, timed)

    def iterator(self, owner: Any, attr: str, label: str) -> None:
        """For a callable returning an iterator: the time of each step, not of the consumer."""
        original = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            started = time.perf_counter()
            it = iter(original(*args, **kwargs))
            self.seconds[label] += time.perf_counter() - started
            while True:
                started = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    self.seconds[label] += time.perf_counter() - started
                    return
                self.seconds[label] += time.perf_counter() - started
                yield item

        setattr(owner, attr, timed)

    def context_exit(self, owner: Any, attr: str, label: str) -> None:
        """For a context manager: the time its exit takes (flush, fsync, rename)."""
        original = getattr(owner, attr)

        @contextlib.contextmanager
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with original(*args, **kwargs) as value:
                yield value
                started = time.perf_counter()
            self.seconds[label] += time.perf_counter() - started

        setattr(owner, attr, timed)


def instrument_export(phases: Phases) -> None:
    phases.call(export, "_plan", "plan")
    phases.call(age, "encrypt", "write")
    phases.iterator(export._AttachmentSource, "__call__", "attachments")
    phases.context_exit(export, "atomic_writer", "fsync")
    phases.call(read_back.ReadBack, "verify", "read_back")
    phases.call(export, "_record_handoff", "record")


def instrument_import(phases: Phases) -> None:
    phases.call(importing, "open_bundle", "open")
    phases.call(reading, "_decrypt_into", "decrypt")
    phases.call(staging_blob.BlobWriter, "write", "stage_write")
    phases.call(staging_blob.BlobWriter, "close", "stage_close")
    phases.call(importing, "_merge", "merge")
    phases.call(reading.Staging, "discard", "discard")


def exclusive_export(s: dict[str, float], total: float) -> dict[str, float]:
    """The nested timings made exclusive, in the order the export runs them."""
    parts = {
        "plan (records, manifest, signature)": s["plan"],
        "attachments out of the vault (decrypt)": s["attachments"],
        "tar + age encryption + write (+ read-back of synced segments)": s["write"]
        - s["attachments"],
        "flush + fsync + rename": s["fsync"],
        "read-back: the rest, after the final fsync": s["read_back"],
        "record the handoff (transaction)": s["record"],
    }
    parts["other"] = total - sum(parts.values())
    return parts


def exclusive_import(s: dict[str, float], total: float) -> dict[str, float]:
    parts = {
        "age decryption + tar parsing + SHA-256": s["decrypt"]
        - s["stage_write"]
        - s["stage_close"],
        "staging: re-encrypt into vault blobs (hash, writes: other threads)": s["stage_write"],
        "staging: close blobs (fsync)": s["stage_close"],
        "validate records (second pass)": s["open"] - s["decrypt"],
        "merge (transaction)": s["merge"],
        "discard staging": s["discard"],
    }
    parts["other"] = total - sum(parts.values())
    return parts


class NullSink(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


def child_main(spec: dict[str, Any]) -> dict[str, Any]:
    """Unlock, reset the peak-RSS mark, run one export or import; figures as a dict."""
    started = time.perf_counter()
    vault = lifecycle.unlock(Path(spec["vault"]), PASSPHRASE)
    out: dict[str, Any] = {"unlock_s": time.perf_counter() - started}
    out["unlock_peak_kib"] = status_kib("VmHWM")  # Argon2id's buffer included
    out["rss_unlocked_kib"] = status_kib("VmRSS")
    out["peak_reset"] = reset_peak_rss()
    phases = Phases()
    profiler = cProfile.Profile() if spec.get("profile") else None
    if spec["op"] == "export":
        instrument_export(phases)
        contact = vault.contacts.get(spec["hub"])

        def run() -> Any:
            return export.export_bundle(
                vault,
                Path(spec["out"]),
                contacts=[contact],
                archive_recipients=spec["archive"],
            )
    else:
        instrument_import(phases)

        def run() -> Any:
            return importing.import_bundle(vault, Path(spec["bundle"]))

    if profiler is not None:
        profiler.enable()
    cpu = os.times()
    started = time.perf_counter()
    result = run()
    out["seconds"] = time.perf_counter() - started
    after = os.times()
    out["cpu_s"] = after.user - cpu.user + after.system - cpu.system
    if profiler is not None:
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(14)
        out["profile"] = text.getvalue()
    out["peak_kib"] = status_kib("VmHWM")
    out["phases"] = dict(phases.seconds)
    if spec["op"] == "export":
        out["bundle"] = str(result.path)
        out["size"] = result.size
    else:
        out["status"] = result.status
        out["attachments_added"] = result.attachments_added
        # A sanity check, after the figures: an imported attachment reads back with the
        # SHA-256 the author's vault took at intake (write_to raises on a mismatch).
        with vault.reading() as conn:
            first = conn.execute("SELECT id FROM attachments ORDER BY id LIMIT 1").fetchone()
        vault.attachments.write_to(str(first[0]), NullSink())  # type: ignore[arg-type]
    vault.lock()
    return out


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), CHILD_FLAG, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise RuntimeError(f"the {spec['op']} child failed ({proc.returncode})")
    return dict(json.loads(proc.stdout.splitlines()[-1]))


# -- the age CLI ----------------------------------------------------------------------------
def run_timed(cmd: list[str]) -> tuple[float, float, int | None]:
    """(wall seconds, CPU seconds, peak RSS in KiB) of one command.

    The peak is the child's VmHWM, sampled by a thread while it runs: wait4's ru_maxrss would
    report this large process's peak, which a child started with vfork inherits at exec.
    """
    peak: list[int] = []
    done = threading.Event()

    def sample(status: Path) -> None:
        while not done.wait(0.02):
            with contextlib.suppress(OSError):
                found = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.MULTILINE)
                if found:
                    peak.append(int(found.group(1)))

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    sampler = threading.Thread(target=sample, args=(Path(f"/proc/{proc.pid}/status"),))
    sampler.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode})")
    return seconds, usage.ru_utime + usage.ru_stime, max(peak, default=None)


def fsync_time(path: Path) -> float:
    """Seconds to make ``path`` durable, right after the command that wrote it: what it
    would have taken age to fsync its output, as our export and import do theirs."""
    started = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - started


def drop_cached(path: Path) -> None:
    """Drop the clean page-cache pages of ``path``: the next read comes from the device, as
    the export's read-back does."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def same_work(
    root: Path, info: dict[str, Any], bundle: Path, encrypted_tar: Path
) -> dict[str, Any]:
    """The per-byte work of our import and export, done by the reference tools, in pipes.

    Import: decrypt the bundle, SHA-256 it, encrypt it again, make it durable:
    ``age -d | tee >(openssl dgst -sha256) | age -r`` then an fsync. Export: decrypt what
    is stored, encrypt it to the recipient, make it durable, read it back from the device
    and hash it: ``age -d | age -r``, an fsync, then ``openssl dgst -sha256`` after the
    file's pages are dropped. (openssl, not sha256sum: coreutils' SHA-256 does not use the
    CPU's SHA instructions and runs at a quarter of the speed here.) Context for the
    targets, which compare with age alone, and no like-for-like: the pipes copy every byte
    between processes once more per stage, so this is what the same work costs when
    composed from the reference tools, an upper bound rather than a floor.
    """
    size = bundle.stat().st_size
    identity = shlex.quote(str(info["identity_file"]))
    recipient = shlex.quote(info["hub_recipient"])

    def shell(script: str, source: Path) -> tuple[float, float]:
        """(seconds, CPU seconds) of ``script``, run as age's own commands are."""
        seconds, cpu, _ = run_on_recycled_pages(
            root, size, source, ["bash", "-c", f"set -o pipefail; {script}"]
        )
        return seconds, cpu

    out: dict[str, Any] = {}
    staged = root / "same-import.age"
    seconds, out["same_import_cpu_s"] = shell(
        f"age -d -i {identity} {shlex.quote(str(bundle))}"
        " | tee >(openssl dgst -sha256 >/dev/null)"
        f" | age -r {recipient} -o {shlex.quote(str(staged))}; wait $!",
        bundle,
    )
    out["same_import_s"] = seconds + fsync_time(staged)
    staged.unlink()
    written = root / "same-export.age"
    seconds, cpu = shell(
        f"age -d -i {identity} {shlex.quote(str(encrypted_tar))}"
        f" | age -r {recipient} -o {shlex.quote(str(written))}",
        encrypted_tar,
    )
    seconds += fsync_time(written)
    drop_cached(written)
    read_s, read_cpu, _ = run_timed(
        ["bash", "-c", f"openssl dgst -sha256 {shlex.quote(str(written))} >/dev/null"]
    )
    out["same_export_s"] = seconds + read_s
    out["same_export_cpu_s"] = cpu + read_cpu
    written.unlink()
    return out


def device_times(root: Path, size: int) -> tuple[float, float]:
    """Seconds the device alone takes to store ``size`` bytes and to give them back, past the
    page cache, as the export writes its bundle and reads it back (USB sticks lie): a new
    file written in 4 MiB pieces with O_DIRECT where the file system takes it, fdatasync,
    then read with O_DIRECT (elsewhere: its pages dropped first). age -r, writing into the
    page cache, pays neither; this is context for the export's figure, not part of it."""
    path = root / "device.bin"
    block = direct_io.aligned_buffer(4 * MIB)
    block[:] = os.urandom(len(block))  # incompressible, as a bundle is
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        direct = direct_io.set_direct(fd, True)
        started = time.perf_counter()
        for _ in range(-(-size // len(block))):
            os.write(fd, block)
        os.fdatasync(fd)
        write_s = time.perf_counter() - started
        if not direct:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.lseek(fd, 0, os.SEEK_SET)
        started = time.perf_counter()
        while os.readv(fd, [block]):
            pass
        read_s = time.perf_counter() - started
    finally:
        os.close(fd)
        path.unlink()
        direct_io.release(block)
    return write_s, read_s


# -- setup ----------------------------------------------------------------------------------
class RandomSource(io.RawIOBase):
    """``size`` incompressible bytes, made as they are read: never a whole file in memory."""

    def __init__(self, size: int) -> None:
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self._left)
        buffer[:count] = os.urandom(count)
        self._left -= count
        return count


def recycle_pages(root: Path, size: int) -> None:
    """Write and delete a scratch file of ``size`` bytes, so that the next command's output
    lands in page-cache pages that were just freed. On a virtual machine a page the guest
    has never touched costs far more to hand out than a recycled one: without this, age's
    time for the same file swung from 1.1 to 4.5 s. Ours writes past the page cache, so this
    gives age its best case, as on a machine with no hypervisor."""
    scratch = root / "scratch.bin"
    block = bytes(4 * MIB)
    with open(scratch, "wb", buffering=0) as f:
        for _ in range(-(-size // len(block))):
            f.write(block)
    scratch.unlink()
    os.sync()


def warm(*paths: Path) -> None:
    """Read files (folders: every file below) once, so each timed run starts with a warm page
    cache, the same way for both sides; then write back dirty pages so none interfere."""
    buffer = bytearray(4 * MIB)
    for path in paths:
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        for file in files:
            with open(file, "rb", buffering=0) as f:
                while f.readinto(buffer):
                    pass
    os.sync()


def run_on_recycled_pages(
    root: Path, size: int, source: Path, cmd: list[str]
) -> tuple[float, float, int | None]:
    """``run_timed(cmd)`` the way every reference command runs: its output lands in
    recycled page-cache pages (``recycle_pages``) and its input ``source`` is warm."""
    recycle_pages(root, size)
    warm(source)
    return run_timed(cmd)


def setup(report: Report, root: Path, size: int, files: int, records: int) -> dict[str, Any]:
    report.line("== setup (not timed against anything)")
    started = time.perf_counter()
    field, _ = lifecycle.create_vault(root / "field", PASSPHRASE, name="Field monitor")
    hub, _ = lifecycle.create_vault(root / "hub", PASSPHRASE, name="Hub", organisation="C")
    slot = field.slots.slot_of_type("passphrase")
    assert slot is not None
    params = slot.kdf_params
    hub_contact = field.contacts.add(hub.identity.card(), verified=True)
    hub.contacts.add(field.identity.card(), verified=True)
    created = time.perf_counter() - started
    report.line(
        f"  KDF argon2id (calibrated): memory {params.memory_kib // KIB} MiB, iterations"
        f" {params.iterations}, lanes {params.lanes}; two vaults created in {created:.1f} s"
    )
    started = time.perf_counter()
    incidents = []
    for batch in corpus.batches(records, 1000):
        incidents += field.records.add_many("incident", batch)
    each = size // files
    for i in range(files):
        part = each if i < files - 1 else size - each * (files - 1)
        field.attachments.add_stream(
            incidents[i % len(incidents)].record_id,
            RandomSource(part),
            original_name=f"visit-{i:02d}.mp4",
        )
    report.line(
        f"  {records} incidents and {files} attachments ({size // MIB} MiB) added in"
        f" {time.perf_counter() - started:.1f} s"
    )
    identity = age.X25519Identity(hub.identity.keys().encryption_private)
    # The hub's secret key for `age -d`, only ever inside the temporary directory.
    identity_file = root / "hub-identity.txt"
    fd = os.open(identity_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(identity.encode() + "\n")
    info = {
        "hub_fingerprint": hub_contact.fingerprint,
        "hub_recipient": identity.recipient.encode(),
        "identity_file": identity_file,
        "kdf": params.to_json(),
    }
    field.lock()
    hub.lock()
    # The hub before any import, copied afresh for each run so every import is the same.
    shutil.copytree(root / "hub", root / "hub-pristine")
    shutil.rmtree(root / "hub")
    return info


# -- one run --------------------------------------------------------------------------------
def one_run(root: Path, info: dict[str, Any], number: int, profile: bool = False) -> dict[str, Any]:
    """Export, import, age -d, age -r; every input warmed and os.sync() before each."""
    stick = root / "stick"
    stick.mkdir(exist_ok=True)
    # An export sends what its recipients lack: a fresh archive key (in every run, so all
    # runs are alike) makes every run hand over all the records and attachments again.
    archive = age.X25519Identity.generate().recipient.encode()
    warm(root / "field")
    exp = run_child(
        {
            "op": "export",
            "vault": str(root / "field"),
            "out": str(stick),
            "hub": info["hub_fingerprint"],
            "archive": [archive],
            "profile": profile,
        }
    )
    bundle = Path(exp["bundle"])
    hub = root / f"hub-{number}"
    shutil.copytree(root / "hub-pristine", hub)
    warm(bundle, hub)
    imp = run_child({"op": "import", "vault": str(hub), "bundle": str(bundle), "profile": profile})
    shutil.rmtree(hub)
    result: dict[str, Any] = {"export": exp, "import": imp, "size": bundle.stat().st_size}
    if not profile:
        tar = root / "plain.tar"
        again = root / "again.age"
        age_d = ["age", "-d", "-i", str(info["identity_file"]), "-o", str(tar), str(bundle)]
        result["age_d_s"], result["age_d_cpu_s"], result["age_d_rss_kib"] = run_on_recycled_pages(
            root, result["size"], bundle, age_d
        )
        result["age_d_sync_s"] = fsync_time(tar)
        result["tar_size"] = tar.stat().st_size
        age_r = ["age", "-r", info["hub_recipient"], "-o", str(again), str(tar)]
        result["age_r_s"], result["age_r_cpu_s"], result["age_r_rss_kib"] = run_on_recycled_pages(
            root, result["size"], tar, age_r
        )
        result["age_r_sync_s"] = fsync_time(again)
        tar.unlink()
        if shutil.which("openssl"):
            result.update(same_work(root, info, bundle, again))
        os.sync()
        result["device_write_s"], result["device_read_s"] = device_times(root, result["size"])
        again.unlink()
    bundle.unlink()
    return result


# -- reporting ------------------------------------------------------------------------------
def print_phases(report: Report, title: str, parts: list[dict[str, float]]) -> dict[str, float]:
    medians = {k: statistics.median(p[k] for p in parts) for k in parts[0]}
    report.line(f"  where {title}'s time goes (median per part over the runs):")
    for label, seconds in medians.items():
        report.line(f"    {label:54} {seconds:6.2f} s")
    return medians


def report_throughput(report: Report, runs: list[dict[str, Any]]) -> None:
    size = runs[0]["size"]
    n = len(runs)
    report.line(
        f"== throughput over the bundle file ({size / MIB:.1f} MiB; tar inside"
        f" {runs[0]['tar_size'] / MIB:.1f} MiB), median of {n} run(s)"
    )
    figures: dict[str, list[float]] = {
        "export": [r["export"]["seconds"] for r in runs],
        "age_r": [r["age_r_s"] for r in runs],
        "import": [r["import"]["seconds"] for r in runs],
        "age_d": [r["age_d_s"] for r in runs],
    }
    labels = {
        "export": "export_bundle (to a folder)",
        "age_r": "age -r (the same tar, to the hub's key)",
        "import": "import_bundle (in the hub)",
        "age_d": "age -d (our bundle, the hub's key)",
    }
    cpu: dict[str, list[float]] = {
        "export": [r["export"]["cpu_s"] for r in runs],
        "age_r": [r["age_r_cpu_s"] for r in runs],
        "import": [r["import"]["cpu_s"] for r in runs],
        "age_d": [r["age_d_cpu_s"] for r in runs],
    }
    speed = {k: mbs(size, statistics.median(v)) for k, v in figures.items()}
    cpu_median = {k: statistics.median(v) for k, v in cpu.items()}
    for key, times in figures.items():
        report.line(
            f"  {labels[key]:40} {speed[key]:7.0f} MB/s  (runs: {runs_text(times)} s;"
            f" CPU median {cpu_median[key]:.2f} s)"
        )
    ratio_export = speed["export"] / speed["age_r"]
    ratio_import = speed["import"] / speed["age_d"]
    report.line(
        f"  export / age -r: {ratio_export:.2f}; target >= {TARGET_RATIO}  "
        + report.verdict("export_ratio", ratio_export >= TARGET_RATIO)
    )
    report.line(
        f"  import / age -d: {ratio_import:.2f}; target >= {TARGET_RATIO}  "
        + report.verdict("import_ratio", ratio_import >= TARGET_RATIO)
    )
    # Context, not the target: age with its output made durable, as ours is.
    durable = {
        key: mbs(size, statistics.median(r[f"{key}_s"] + r[f"{key}_sync_s"] for r in runs))
        for key in ("age_r", "age_d")
    }
    report.line(
        f"  for context (not the target), age followed by an fsync of its output: age -r"
        f" {durable['age_r']:.0f} MB/s, age -d {durable['age_d']:.0f} MB/s; export / that"
        f" {speed['export'] / durable['age_r']:.2f}, import / that"
        f" {speed['import'] / durable['age_d']:.2f}"
    )
    same: dict[str, float] = {}
    if "same_import_s" in runs[0]:
        same = {
            key: mbs(size, statistics.median(r[f"same_{key}_s"] for r in runs))
            for key in ("import", "export")
        }
        same_cpu = {
            key: statistics.median(r[f"same_{key}_cpu_s"] for r in runs)
            for key in ("import", "export")
        }
        report.line(
            "  for context (not the target), the same work by the reference tools in pipes"
            " (see same_work):"
        )
        report.line(
            f"    import's: age -d | tee >(openssl sha256) | age -r, fsync: {same['import']:.0f}"
            f" MB/s (runs: {runs_text([r['same_import_s'] for r in runs])} s; CPU median"
            f" {same_cpu['import']:.2f} s); import / that {speed['import'] / same['import']:.2f}"
        )
        report.line(
            f"    export's: age -d | age -r, fsync, read back + openssl sha256:"
            f" {same['export']:.0f} MB/s (runs: {runs_text([r['same_export_s'] for r in runs])}"
            f" s; CPU median {same_cpu['export']:.2f} s); export / that"
            f" {speed['export'] / same['export']:.2f}"
        )
    device = {
        key: mbs(size, statistics.median(r[f"device_{key}_s"] for r in runs))
        for key in ("write", "read")
    }
    in_series = mbs(size, statistics.median(r["device_write_s"] + r["device_read_s"] for r in runs))
    report.line(
        f"  for context (not the target), the device alone, past the page cache (see"
        f" device_times): write + fdatasync {device['write']:.0f} MB/s, read"
        f" {device['read']:.0f} MB/s, one after the other {in_series:.0f} MB/s; an export"
        f" writes its bundle and reads it back, age -r does neither"
    )
    exp_parts = print_phases(
        report,
        "export",
        [exclusive_export(r["export"]["phases"], r["export"]["seconds"]) for r in runs],
    )
    imp_parts = print_phases(
        report,
        "import",
        [exclusive_import(r["import"]["phases"], r["import"]["seconds"]) for r in runs],
    )
    report.summary["throughput"] = {
        "bundle_bytes": size,
        "tar_bytes": runs[0]["tar_size"],
        "mbs": speed,
        "runs_s": figures,
        "cpu_runs_s": cpu,
        "export_ratio": ratio_export,
        "import_ratio": ratio_import,
        "durable_age_mbs": durable,
        "same_work_mbs": same,
        "device_mbs": {**device, "write_then_read": in_series},
        "export_parts_s": exp_parts,
        "import_parts_s": imp_parts,
    }


def report_memory(report: Report, runs: list[dict[str, Any]]) -> None:
    report.line("== peak memory (RSS) of each measured child process")
    summary: dict[str, Any] = {}
    for op in ("export", "import"):
        children = [r[op] for r in runs]
        if not all(c["peak_reset"] and c["peak_kib"] and c["rss_unlocked_kib"] for c in children):
            report.line(
                f"  {op}: not measured (needs Linux /proc/self/clear_refs)  "
                + report.verdict(f"{op}_memory", None)
            )
            continue
        extras = [(c["peak_kib"] - c["rss_unlocked_kib"]) * KIB / MB for c in children]
        worst = children[extras.index(max(extras))]
        unlocked = worst["rss_unlocked_kib"] * KIB / MB
        peak = worst["peak_kib"] * KIB / MB
        extra = peak - unlocked
        report.line(
            f"  {op}: after unlock {unlocked:.0f} MB (unlock's own peak, Argon2id included:"
            f" {worst['unlock_peak_kib'] * KIB / MB:.0f} MB); peak during {op} {peak:.0f} MB;"
            f" extra {extra:+.0f} MB (worst run; all: {', '.join(f'{e:+.0f}' for e in extras)});"
            f" target <= +{TARGET_EXTRA_MB:.0f} MB  "
            + report.verdict(f"{op}_memory", extra <= TARGET_EXTRA_MB)
        )
        summary[op] = {
            "rss_unlocked_mb": unlocked,
            "unlock_peak_mb": worst["unlock_peak_kib"] * KIB / MB,
            "peak_mb": peak,
            "extra_mb": extra,
            "extra_runs_mb": extras,
        }
    age_r = max(r["age_r_rss_kib"] or 0 for r in runs) * KIB / MB
    age_d = max(r["age_d_rss_kib"] or 0 for r in runs) * KIB / MB
    report.line(
        f"  for comparison, whole-process peak (VmHWM sampled every 20 ms) of age -r"
        f" {age_r:.0f} MB, age -d {age_d:.0f} MB"
    )
    summary["age_r_peak_mb"] = age_r
    summary["age_d_peak_mb"] = age_d
    report.summary["memory"] = summary


CAVEATS = (
    "== how to read these figures",
    "  Warm page cache: before each timed run its input is read once (the field vault for",
    "  export, the bundle for import and age -d, the tar for age -r) and os.sync() writes back",
    "  dirty pages, the same way for both sides. The benchmark never drops the page cache; to",
    "  see cold-cache figures, drop it yourself between runs (as root: sync; echo 3 >",
    "  /proc/sys/vm/drop_caches) and measure one operation at a time.",
    "  Not the same work: export also decrypts the attachments out of the vault, writes the",
    "  bundle past the page cache (O_DIRECT where the file system takes it), syncs it every",
    "  32 MiB and reads each synced segment back from the device to compare and hash it;",
    "  import hashes every member, re-encrypts it into the vault's blob store (also past the",
    "  page cache), syncs it and validates and merges every record. age only en/decrypts into",
    "  the page cache and does not fsync: the 'for context' line adds the fsync it skips.",
    "  age's times include starting the process; ours start after the unlock. Before each",
    "  age command a scratch file as large as the bundle is written and deleted, so that age",
    "  writes into recycled page-cache pages, its best case (fresh pages cost a virtual",
    "  machine much more). Use --runs 5 and look at every run. On a busy machine compare the",
    "  CPU seconds too: they depend less on what else runs.",
)


def profile_run(report: Report, root: Path, info: dict[str, Any]) -> None:
    report.line("== profile (--profile): one more export and import under cProfile")
    result = one_run(root, info, 999, profile=True)
    for op in ("export", "import"):
        report.line(f"  -- cProfile: {op} ({result[op]['seconds']:.2f} s with the profiler)")
        for text in result[op]["profile"].splitlines():
            if text.strip() and not text.startswith(("   Ordered", "   List reduced")):
                report.line("     " + text.rstrip())


# -- main -----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="128 MiB of attachments")
    parser.add_argument("--size-mib", type=int, help="MiB of attachments (default 1024)")
    parser.add_argument("--files", type=int, default=8, help="number of attachments (8)")
    parser.add_argument("--records", type=int, default=1000, help="number of incidents (1000)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs, median (5)")
    parser.add_argument("--dir", type=Path, help="parent of the temporary directory")
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="write a JSON summary (- = stdout)"
    )
    parser.add_argument("--profile", action="store_true", help="also cProfile one export/import")
    args = parser.parse_args()
    size = (args.size_mib or (128 if args.quick else 1024)) * MIB
    if args.files < 1 or args.records < 1 or args.runs < 1 or size < args.files:
        parser.error("--files, --records, --runs and --size-mib must be positive")
    version = subprocess.run(["age", "--version"], capture_output=True, text=True, check=False)
    report = Report()
    report.summary["params"] = {
        "size_mib": size // MIB,
        "files": args.files,
        "records": args.records,
        "runs": args.runs,
        "age_version": version.stdout.strip(),
    }
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="monitor-bench-bundles-", dir=args.dir))
    report.line(
        f"monitor_app bundle benchmark: {size // MIB} MiB of attachments in {args.files} files,"
        f" {args.records} incidents, {args.runs} run(s), dir {root}; python"
        f" {sys.version.split()[0]}, {os.cpu_count()} CPUs, age {version.stdout.strip()}"
    )
    total = time.perf_counter()
    try:
        fsutil.restrict_umask()
        info = setup(report, root, size, args.files, args.records)
        report.summary["kdf"] = info["kdf"]
        runs = []
        for number in range(args.runs):
            result = one_run(root, info, number)
            runs.append(result)
            report.line(
                f"  run {number + 1}: export {result['export']['seconds']:.2f} s, import"
                f" {result['import']['seconds']:.2f} s, age -d {result['age_d_s']:.2f} s,"
                f" age -r {result['age_r_s']:.2f} s ({result['import']['attachments_added']}"
                " attachments imported)"
            )
            assert result["import"]["status"] == "imported"
            assert result["import"]["attachments_added"] == args.files
        report_throughput(report, runs)
        report_memory(report, runs)
        for text in CAVEATS:
            report.line(text)
        if args.profile:
            profile_run(report, root, info)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report.finish(time.perf_counter() - total, args.json)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == CHILD_FLAG:
        print(json.dumps(child_main(json.loads(sys.argv[2]))), flush=True)
        sys.exit(0)
    with contextlib.suppress(KeyboardInterrupt):
        main()
    sys.exit(0)
