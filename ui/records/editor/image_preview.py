"""An attachment's image, decoded in memory and fitted to the space it has.

``decode_preview`` runs on a worker thread: it reads the bytes through a ``QBuffer`` (never a
temporary file) with ``QImageReader``, which turns photos as the camera meant (EXIF
orientation) and keeps Qt's allocation limit against decompression bombs, then scales the
image down to ``PREVIEW_SIZE``. ``ImagePreview`` keeps that one image and draws it through a
``QPixmap`` made for it (``QPixmap.fromImage`` does not go through ``QPixmapCache``), so the
picture lives exactly as long as the widget holds it; ``clear`` drops it.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QSize, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui.common.widgets import PlainTextLabel

PREVIEW_SIZE = QSize(640, 480)


def decode_preview(data: bytes, size: QSize = PREVIEW_SIZE) -> QImage:
    """An image from memory, turned upright and scaled down; null if it is not one."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QBuffer.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    image = reader.read()
    buffer.close()
    if image.isNull() or (image.width() <= size.width() and image.height() <= size.height()):
        return image
    return image.scaled(
        size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class ImagePreview(PlainTextLabel):
    """A label showing one image (fitted to its size) or a plain-text message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.image = QImage()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(240, 180)
        self.setWordWrap(True)
        # Ignored: the picture follows the label's size and never pushes the layout wider.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def show_image(self, image: QImage) -> None:
        self.image = image
        self.setText("")
        self._fit()

    def show_message(self, text: str) -> None:
        self.clear()
        self.setText(text)

    def clear(self) -> None:
        self.image = QImage()
        self.setPixmap(QPixmap())
        super().clear()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        image, room = self.image, self.contentsRect().size()
        if image.isNull():
            return
        if image.width() > room.width() or image.height() > room.height():
            # At most PREVIEW_SIZE already: scaling it again takes a few milliseconds.
            image = image.scaled(
                room, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        self.setPixmap(QPixmap.fromImage(image))
