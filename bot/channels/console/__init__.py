"""The console channel: the terminal demo, a channel like any other."""
