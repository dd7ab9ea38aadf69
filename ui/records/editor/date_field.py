"""Dates typed the way the interface language writes them, with a calendar to pick a day.

The text box is the editor: a monitor types "15.11.2026" (ru, ky), "15/11/2026" (fr) or ISO,
and ``monitor_app.records.date_input`` turns it into what is stored. Text it cannot read is
handed to the core as typed, so that the core's validation names the field and the reason
(one set of rules, the core's). The calendar button only fills the text box.

``TimestampEditor`` is a visit's start and end: a day, or a day and a time; without an offset
the time is this computer's wall clock, as "Now" gives it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QDate, QLocale, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from monitor_app.errors import ValidationError
from monitor_app.i18n import _
from monitor_app.records import date_input
from monitor_app.records.schema import Field
from ui.common.widgets import wipe
from ui.records.editor.base import FieldEditor, FormContext
from ui.records.editor.labels import placeholder


class CalendarPopup(QFrame):
    """A month calendar under its button; choosing a day (click, or Enter) closes it."""

    picked = Signal(str)  # the day, ISO

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.calendar = QCalendarWidget()
        self.calendar.setLocale(QLocale(language))  # month names, first day of the week
        self.calendar.setGridVisible(True)
        self.calendar.setMinimumDate(QDate(1900, 1, 1))
        self.calendar.clicked.connect(self._chosen)
        self.calendar.activated.connect(self._chosen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.calendar)

    def _chosen(self, day: QDate) -> None:
        self.hide()
        self.picked.emit(date(day.year(), day.month(), day.day()).isoformat())


class CalendarButton(QToolButton):
    """A small button beside a date's text box, opening a calendar at the date typed there."""

    picked = Signal(str)

    def __init__(self, beside: QLineEdit, language: str, shown: Callable[[], str | None]) -> None:
        super().__init__()
        self._shown = shown  # the ISO day the text box holds now, if any
        self.setText("📅")
        # As tall as the text box beside it (a tool button is shorter by default).
        self.setFixedHeight(beside.sizeHint().height())
        self.setToolTip(_("Choose the day on a calendar"))
        self.setAccessibleName(_("Calendar"))
        self.popup = CalendarPopup(language, self)
        self.popup.picked.connect(self.picked)
        self.clicked.connect(self.open_calendar)

    def open_calendar(self) -> None:
        day = self._shown()
        start = QDate.fromString(day, "yyyy-MM-dd") if day else QDate.currentDate()
        self.popup.calendar.setSelectedDate(start if start.isValid() else QDate.currentDate())
        self.popup.adjustSize()
        below = self.mapToGlobal(QPoint(0, self.height()))
        screen = self.screen().availableGeometry()
        x = max(screen.left(), min(below.x(), screen.right() - self.popup.width()))
        y = below.y()
        if y + self.popup.height() > screen.bottom():  # no room below: open above
            y = self.mapToGlobal(QPoint(0, 0)).y() - self.popup.height()
        self.popup.move(x, max(screen.top(), y))
        self.popup.show()
        self.popup.calendar.setFocus()


def typed_day(text: str, language: str) -> str | None:
    """The ISO day at the start of what is typed (a date-time's date), if it reads as one."""
    head = text.strip().replace("T", " ", 1).split(" ")[0]
    try:
        stored, precision = date_input.parse_date(head, "", language)
    except ValidationError:
        return None
    return stored if precision == "day" else None


class TimestampEditor(FieldEditor):
    def __init__(self, spec: Field, ctx: FormContext, parent: QWidget | None = None) -> None:
        super().__init__(spec, ctx, parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder(spec))
        self.edit.setToolTip(
            _("A day, or a day and a time: {example}").format(
                example=date_input.example_timestamp(date_input.date_format(ctx.language))
            )
        )
        self.edit.textChanged.connect(self._emit_changed)
        self.calendar_button = CalendarButton(self.edit, ctx.language, self._day)
        self.calendar_button.picked.connect(self._picked)
        # Visits are written up on the spot: "now" with this computer's UTC offset.
        self.now_button = QPushButton(_("Now"))
        self.now_button.clicked.connect(self._now)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.calendar_button)
        layout.addWidget(self.now_button)

    def value(self) -> Any:
        text = self.edit.text().strip()
        if not text:
            return None
        try:
            return date_input.parse_timestamp(text, self.spec.name, self.ctx.language)
        except ValidationError:
            return text  # the core refuses it, naming this field

    def _show(self, value: Any) -> None:
        wipe(self.edit)
        if value is not None:
            self.edit.setText(date_input.format_timestamp(str(value), self.ctx.language))
            self.edit.setCursorPosition(0)

    def focus_widget(self) -> QWidget:
        return self.edit

    def _day(self) -> str | None:
        return typed_day(self.edit.text(), self.ctx.language)

    def _picked(self, day: str) -> None:
        # A new day keeps the time already typed after the date.
        text = self.edit.text().strip().replace("T", " ", 1)
        _head, _sep, time_part = text.partition(" ")
        shown = date_input.format_date(day, self.ctx.language)
        self.edit.setText(f"{shown} {time_part}".strip() if self._day() else shown)
        self.edit.setFocus()

    def _now(self) -> None:
        now = datetime.now().astimezone().isoformat(timespec="minutes")
        self.edit.setText(date_input.format_timestamp(now, self.ctx.language))
