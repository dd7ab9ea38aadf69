"""Render resources/icons/monitor_app.svg into the formats each platform needs.

    python packaging/make_icons.py

Writes PNGs (Linux, 16 to 512 px), monitor_app.ico (Windows) and monitor_app.icns (macOS)
with Qt's own image plugins, so no other tool is needed. The outputs are committed; run this
again only when the SVG changes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "monitor_app.svg"))
    if not renderer.isValid():
        print("cannot read the SVG", file=sys.stderr)
        return 1
    images = {size: render(renderer, size) for size in SIZES}
    for size, image in images.items():
        image.save(str(ICONS / f"monitor_app-{size}.png"), "PNG")
    # Qt's ico writer takes one image per file; 256 px is what Windows scales from.
    ok = images[256].save(str(ICONS / "monitor_app.ico"), "ICO")
    ok = images[512].save(str(ICONS / "monitor_app.icns"), "ICNS") and ok
    del app
    print("icons written" if ok else "some icons could not be written")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
