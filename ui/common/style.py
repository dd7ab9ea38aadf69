"""A plain, calm look: Fusion, light neutral colours, one muted accent, no animation."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

STYLE_SHEET = """
QMainWindow, QStackedWidget, QWidget[role="page"] { background: #f7f8fa; }
QLabel[role="heading"] { font-size: 17pt; font-weight: 600; color: #1f2933; }
QLabel[role="muted"] { color: #52606d; }
QLabel[role="note"] {
    background: #eef2f6; border: 1px solid #d5dde6; border-radius: 4px; padding: 8px;
    color: #243b53;
}
QLabel[role="error"] {
    background: #fbf1f0; border: 1px solid #e2b6b0; border-radius: 4px; padding: 8px;
    color: #7a1f16;
}
QLabel[role="banner"] {
    background: #f4e3ad; color: #4d3900; padding: 6px 16px; font-weight: 600;
    border-bottom: 1px solid #dcc277;
}
QLabel[role="code"] {
    background: #ffffff; border: 1px solid #bcccdc; border-radius: 4px; padding: 16px;
    color: #102a43;
}
QLabel[role="count"] { font-size: 20pt; font-weight: 600; color: #243b53; }
QFrame[role="card"] { background: #ffffff; border: 1px solid #d9e2ec; border-radius: 6px; }
QLineEdit, QListWidget {
    background: #ffffff; border: 1px solid #bcc8d4; border-radius: 4px; padding: 5px;
}
QLineEdit:focus, QListWidget:focus { border-color: #4a6f96; }
QLineEdit:disabled { background: #eef1f4; color: #7b8794; }
QListWidget::item { padding: 4px 2px; }
QListWidget::item:selected { background: #dce6f0; color: #102a43; }
QListWidget[role="nav"] { background: transparent; border: none; padding: 0; }
QListWidget[role="nav"]::item { padding: 7px 10px; border-radius: 4px; color: #243b53; }
QListWidget[role="nav"]::item:selected { background: #dce6f0; color: #102a43; font-weight: 600; }
QTableView {
    background: #ffffff; alternate-background-color: #f5f7fa; border: 1px solid #bcc8d4;
    border-radius: 4px; selection-background-color: #dce6f0; selection-color: #102a43;
}
QTableView:focus { border-color: #4a6f96; }
QHeaderView::section {
    background: #eef2f6; color: #243b53; border: none; border-bottom: 1px solid #d5dde6;
    border-right: 1px solid #d5dde6; padding: 5px 6px;
}
QProgressBar[role="strength"] { background: #e4e8ec; border: none; border-radius: 3px; }
QProgressBar[role="strength"]::chunk { background: #8a96a3; border-radius: 3px; }
QProgressBar[level="too_short"]::chunk, QProgressBar[level="weak"]::chunk { background: #b4483a; }
QProgressBar[level="fair"]::chunk { background: #c08a1e; }
QProgressBar[level="strong"]::chunk { background: #3d8758; }
QPushButton {
    background: #ffffff; border: 1px solid #aab7c4; border-radius: 4px; padding: 6px 16px;
    color: #1f2933;
}
QPushButton:hover { background: #f0f4f8; }
QPushButton[role="menu"] { padding: 6px 10px; }
QPushButton[role="menu"]::menu-indicator { image: none; width: 0px; }
QPushButton[primary="true"] { background: #3e6690; border-color: #3e6690; color: #ffffff; }
QPushButton[primary="true"]:hover { background: #35587c; }
QPushButton:disabled, QPushButton[primary="true"]:disabled {
    background: #e4e8ec; border-color: #d0d7de; color: #8a96a3;
}
"""


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    font = app.font()
    if font.pointSizeF() < 10.5:
        font.setPointSizeF(10.5)
        app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
