"""Locking the vault after a spell without input, and after the computer has been asleep.

``AutoLock`` watches every event of the application (an event filter on the QApplication, so
that typing in a dialog counts too) and restarts a single-shot timer on user input; when the
timer runs out it calls its callback (``VaultWindow.lock_now``). It is active only while a
vault is unlocked: the window starts it on unlock and stops it on lock, which also takes the
filter off, so a locked app pays nothing.

The filter sees every event the GUI thread handles, so it does the least possible: one lookup
of the event's type in a frozenset and, for input, a restart of the timer; no clock is read and
nothing is made beyond the wrapper PySide gives every event it hands to Python (about 1 µs an
event, 3 µs with the restart, measured on a 2-core laptop-class machine). It never consumes an
event.

Sleep: Qt's timers run on the monotonic clock, which on Linux and macOS stops while the
computer is suspended, so a laptop closed with four minutes left would open again with four
minutes left, unlocked. A heartbeat compares, once a second, the monotonic clock with one that
keeps counting through a suspend (CLOCK_BOOTTIME on Linux, the wall clock elsewhere); when
they drift apart by more than a few seconds, the computer was asleep and the vault is locked
at once. A wall clock set forward by hand also locks it, which is the safe side to err on.
Where the monotonic clock counts through a suspend (Windows), the timer itself runs out.

``expired_because`` says which it was ("idle" or "asleep"), for the unlock screen to tell the
person why the vault locked (``lock_reason_text``): a vault found locked for no stated reason
looks like a crash, and makes people fear for what they were typing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QGuiApplication

from monitor_app.i18n import _, ngettext
from monitor_app.settings import DEFAULT_AUTO_LOCK_MINUTES, clamp_auto_lock

MS_PER_MINUTE = 60_000  # tests make a "minute" a few milliseconds
HEARTBEAT_MS = 1_000
SUSPEND_SLACK_S = 3.0  # drift between the two clocks that means the computer slept

# Input from a person: keys (and text from input methods, which is how Chinese and many
# Cyrillic layouts arrive), mouse, wheel, touch and pen.
INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.InputMethod,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TouchEnd,
        QEvent.Type.TabletPress,
        QEvent.Type.TabletMove,
        QEvent.Type.TabletRelease,
        QEvent.Type.NativeGesture,
    }
)

_BOOTTIME = getattr(time, "CLOCK_BOOTTIME", None)


def asleep_seconds() -> float:
    """A clock that counts through a suspend, minus one that does not: grows only while the
    computer sleeps (or, off Linux, when the wall clock is changed)."""
    awake = time.monotonic()
    if _BOOTTIME is not None:
        return time.clock_gettime(_BOOTTIME) - awake
    return time.time() - awake


def lock_reason_text(reason: str | None, minutes: int, draft_kept: bool) -> str:
    """Why the vault locked by itself, for the unlock screen; "" for a lock by hand."""
    if reason == "idle":
        text = ngettext(
            "Locked after {n} minute without activity.",
            "Locked after {n} minutes without activity.",
            minutes,
        ).format(n=minutes)
    elif reason == "asleep":
        text = _("Locked while the computer was asleep.")
    else:
        return ""
    return text + " " + _("Your draft is kept.") if draft_kept else text


class AutoLock(QObject):
    """Calls ``on_expire`` after ``minutes`` without input, or when the computer slept."""

    def __init__(
        self,
        on_expire: Callable[[], None],
        minutes: int = DEFAULT_AUTO_LOCK_MINUTES,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_expire = on_expire
        self._minutes = clamp_auto_lock(minutes)
        self._active = False
        self._asleep = 0.0
        self.expired_because: str | None = None  # "idle" or "asleep", once it has expired
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self._minutes * MS_PER_MINUTE)
        self._timer.timeout.connect(self._expire)
        self._heartbeat = QTimer(self)
        self._heartbeat.setInterval(HEARTBEAT_MS)
        self._heartbeat.timeout.connect(self._beat)
        app = QCoreApplication.instance()
        if isinstance(app, QGuiApplication):
            # Emitted where the platform reports it (mobile, some desktops): lock then too.
            app.applicationStateChanged.connect(self._state_changed)

    # -- state -----------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._active

    @property
    def minutes(self) -> int:
        return self._minutes

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    @property
    def remaining_ms(self) -> int:
        """Milliseconds until the lock; -1 when not counting down."""
        return self._timer.remainingTime()

    def start(self) -> None:
        """Start watching (a vault was unlocked); restarts the countdown if already active."""
        app = QCoreApplication.instance()
        if not self._active and app is not None:
            app.installEventFilter(self)
        self._active = True
        self.expired_because = None
        self._asleep = asleep_seconds()
        self._timer.start()
        self._heartbeat.start()

    def stop(self) -> None:
        """Stop watching (the vault was locked). Safe to call when not active."""
        self._timer.stop()
        self._heartbeat.stop()
        if self._active:
            app = QCoreApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
        self._active = False

    @Slot(int)
    def set_minutes(self, minutes: int) -> None:
        """A new delay, from now on: an active countdown starts again with it."""
        self._minutes = clamp_auto_lock(minutes)
        self._timer.setInterval(self._minutes * MS_PER_MINUTE)
        if self._active:
            self._timer.start()

    # -- watching --------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self._timer.start()  # restarts with the same interval
        return False

    @Slot()
    def _beat(self) -> None:
        asleep = asleep_seconds()
        slept, self._asleep = asleep - self._asleep, asleep
        if slept > SUSPEND_SLACK_S:
            self._expire("asleep")

    @Slot(Qt.ApplicationState)
    def _state_changed(self, state: Qt.ApplicationState) -> None:
        if self._active and state == Qt.ApplicationState.ApplicationSuspended:
            self._expire("asleep")

    @Slot()
    def _expire(self, reason: str = "idle") -> None:
        if not self._active:
            return
        self.stop()
        self.expired_because = reason
        self._on_expire()
