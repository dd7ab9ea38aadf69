"""The PySide6 desktop app: a thin layer over ``monitor_app``, which never imports it."""
