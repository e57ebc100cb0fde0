"""The unattended installer the ISO boots by default (and its upgrade mode)."""
