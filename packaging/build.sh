#!/usr/bin/env bash
# Build the standalone app (one folder, both programs) and an archive of it, print the
# SHA-256 of every artefact, and (with --self-test) run the built app's self-test.
#
#   packaging/build.sh [--self-test]
#
# The build uses its own virtual environment (build/venv) with the exact versions of
# packaging/constraints.txt, not the development one: what is shipped is what was pinned.
# Needs no network once the packages are in pip's cache, and no admin rights.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=build/venv
DIST=dist
APP="$DIST/monitor_app"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q -c packaging/constraints.txt '.[gui,package]'

rm -rf "$APP" build/pyinstaller
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath build/pyinstaller packaging/monitor_app.spec

# Linux desktop integration travels with the app: a .desktop file and its icon.
cp packaging/linux/monitor-app.desktop "$APP/"
cp resources/icons/monitor_app-256.png "$APP/monitor_app.png"

version=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('monitor-app'))")
archive="$DIST/monitor_app-$version-$(uname -s | tr 'A-Z' 'a-z')-$(uname -m).tar.gz"
# Fixed owner, order and times, so the same build gives the same archive bytes.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2026-01-01 00:00Z' \
    -C "$DIST" -cf - monitor_app | gzip -n -9 > "$archive"

echo "built: $APP ($(du -sh "$APP" | cut -f1)), $archive ($(du -sh "$archive" | cut -f1))"
sha256sum "$archive" "$APP/monitor-app" "$APP/monitorctl"

if [ "${1:-}" = "--self-test" ]; then
    # Without any network where the system allows it (a network namespace of its own): the
    # app must never need one.
    if unshare -n true 2>/dev/null; then
        echo "self-test of the built app, with no network (unshare -n):"
        QT_QPA_PLATFORM=offscreen unshare -n "$APP/monitor-app" --self-test
    else
        echo "self-test of the built app:"
        QT_QPA_PLATFORM=offscreen "$APP/monitor-app" --self-test
    fi
fi
