"""The app around the pages: startup, window, navigation, overview, settings, auto-lock, audit."""
