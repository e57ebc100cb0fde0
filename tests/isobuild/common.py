"""Build settings for the image tests: fixed mirrors and a fixed build clock."""

from __future__ import annotations

from imagebuild import settings

EPOCH = 1_765_000_000  # 2025-12-06


def load(epoch: int = EPOCH) -> settings.Settings:
    return settings.load({"OPENSBC_MIRROR": "http://m/d", "OPENSBC_SECURITY_MIRROR": "http://m/s",
                          "SOURCE_DATE_EPOCH": str(epoch)})
