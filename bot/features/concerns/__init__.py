"""Concerns: intake, confirmation, corrections, the echo and /history."""
