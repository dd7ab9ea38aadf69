#!/usr/bin/env bash
# Regenerate the README's screenshots (docs/screenshots/*.png) from the demo vault.
#
#   packaging/screenshots.sh
#
# Each picture is one run of `monitor-app --demo --view NAME --lang CODE --screenshot FILE`
# on Qt's offscreen platform: no screen needed, and the throwaway demo vault is removed after
# each run. The app's settings go to a temporary folder, so that nothing is written to (or
# read from, such as a saved language) this computer's own. Cyrillic and Chinese need fonts
# that cover them: fonts-noto-core and fonts-noto-cjk on Debian (./dev.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
OUT=docs/screenshots
SIZE=1280x720  # a small laptop's screen: every page fits it in every language

if command -v fc-list >/dev/null; then
    for lang in ru ky zh-cn; do
        if [ -z "$(fc-list ":lang=$lang" family)" ]; then
            echo "screenshots.sh: no font covers '$lang': install fonts-noto-core and" \
                "fonts-noto-cjk, or its text is drawn as boxes" >&2
        fi
    done
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export QT_QPA_PLATFORM=offscreen
export XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data"
export XDG_CACHE_HOME="$scratch/cache" XDG_RUNTIME_DIR="$scratch/runtime"
mkdir -p "$XDG_RUNTIME_DIR" "$OUT"
chmod 700 "$XDG_RUNTIME_DIR"

shoot() {  # shoot LANG VIEW: docs/screenshots/VIEW-LANG.png
    local lang=$1 view=$2
    "$PYTHON" -m ui.shell.app --demo --lang "$lang" --view "$view" --size "$SIZE" \
        --screenshot "$OUT/$view-$lang.png" 2> >(grep -v 'propagateSizeHints' >&2)
    chmod 644 "$OUT/$view-$lang.png"  # the app writes private files; these are public docs
    echo "$OUT/$view-$lang.png"
}

for view in overview incident editor handoff contacts; do
    shoot en "$view"
done
for lang in ru ky zh_CN; do
    for view in overview editor; do
        shoot "$lang" "$view"
    done
done
