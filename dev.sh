#!/usr/bin/env bash
# Set up and run monitor_app from a fresh clone.
#   ./dev.sh run [--demo] [app options]   set up, then start the desktop app
#   ./dev.sh test [pytest options]        set up, then run the whole test suite
#   ./dev.sh lint                         ruff and mypy
#   ./dev.sh package                      build the standalone app and run its self-test
# Setup is idempotent: a virtual environment in .venv with the project installed in editable
# mode, plus (as root on Debian, when missing) the system tools the tests and the app use.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

system_packages() {
    # age and minisign: interop tests against the reference tools; xvfb: a virtual screen
    # for the app on machines without one, with the X libraries Qt's xcb platform loads;
    # fonts: Cyrillic, Chinese and emoji glyphs on Linux (without an emoji font, a title
    # with one shows an empty box); exfat-fuse, exfatprogs and ntfs-3g: the
    # exports onto exFAT and NTFS sticks (tests/test_stick_filesystems.py).
    local wanted=("$@") missing=()
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "dev.sh: installing ${missing[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    else
        echo "dev.sh: please install: ${missing[*]} (tests that need them will fail)" >&2
    fi
}

python_env() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] \
        || [ packaging/constraints.txt -nt "$stamp" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
        # The versions the tests last passed with (a new ruff, mypy or Babel release must not
        # fail a fresh clone that passed before).
        "$VENV/bin/python" -m pip install -q -c packaging/constraints.txt -e '.[dev]'
        touch "$stamp"
    fi
}

# What Qt 6's xcb platform plugin needs beyond a bare X server (Qt says so when one lacks).
QT_X11=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
        libxcb-xkb1 libxkbcommon-x11-0)

command=${1:-}
shift || true
case "$command" in
    run)
        command -v dpkg-query >/dev/null && system_packages xvfb xauth "${QT_X11[@]}" \
            fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
        python_env
        if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
            echo "dev.sh: no screen here; starting the app on a virtual screen (xvfb-run)" >&2
            exec xvfb-run -a "$VENV/bin/monitor-app" "$@"
        fi
        exec "$VENV/bin/monitor-app" "$@"
        ;;
    test)
        command -v dpkg-query >/dev/null && system_packages age minisign xvfb xauth "${QT_X11[@]}" \
            exfat-fuse exfatprogs ntfs-3g fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
        python_env
        export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    package)
        exec packaging/build.sh --self-test
        ;;
    lint)
        python_env
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        "$VENV/bin/mypy"
        ;;
    *)
        echo "usage: ./dev.sh run [--demo] | test [pytest options] | lint | package" >&2
        exit 2
        ;;
esac
