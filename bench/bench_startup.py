"""Start-up time of the built app beside ``python -m ui.shell.app``, to the unlock window.

    .venv/bin/python bench/bench_startup.py [--app dist/monitor_app/monitor-app] [--runs 5]

Each run starts the program on an existing vault (portable mode, in a temporary folder), so it
opens the unlock window, renders it to a PNG with ``--screenshot`` and exits; the wall time of
the whole process is measured. Both variants pay the same fixed costs (the screenshot waits
100 ms after the window is shown, then saves and exits), so their difference and ratio are
what the packaging adds or saves. The first run of each is reported apart: it is the coldest
(files not yet in the page cache; the cache is not dropped, which needs root and a quiet
machine). The figures are printed, never asserted; the script exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor_app import locations  # noqa: E402
from monitor_app.crypto import kdf  # noqa: E402
from monitor_app.vault import lifecycle  # noqa: E402


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {result.stderr.strip()[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / "monitor_app" / "monitor-app")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.app.is_file():
        print(f"no built app at {args.app}: run packaging/build.sh first")
        return 0
    with tempfile.TemporaryDirectory(prefix="monitor_app-startup-") as name:
        base = Path(name)
        vault_dir = base / locations.PORTABLE_DIR_NAME / "vault"
        vault, _ = lifecycle.create_vault(
            vault_dir, "startup bench passphrase", name="Bench", kdf_params=kdf.MINIMUM
        )
        vault.lock()
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        shot = str(base / "shot.png")
        common = ["--portable", str(base), "--screenshot", shot]
        variants = {
            "built app": [str(args.app), *common],
            "python -m ui.shell.app": [sys.executable, "-m", "ui.shell.app", *common],
        }
        times: dict[str, list[float]] = {key: [] for key in variants}
        for _ in range(args.runs + 1):  # interleaved, so both see the same machine
            for key, command in variants.items():
                times[key].append(timed(command, {**env, "PYTHONPATH": str(ROOT)}))
    size = sum(f.stat().st_size for f in args.app.parent.rglob("*") if f.is_file())
    print(f"built app folder: {size / 2**20:.0f} MiB ({args.app.parent})")
    for key, values in times.items():
        rest = values[1:]
        print(
            f"{key:18} first run {values[0] * 1000:7.0f} ms;"
            f" median of next {len(rest)}: {statistics.median(rest) * 1000:7.0f} ms"
        )
    built, source = (statistics.median(times[k][1:]) for k in variants)
    print(f"ratio built / python -m (medians): {built / source:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
