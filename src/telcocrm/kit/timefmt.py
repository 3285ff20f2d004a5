"""Times as people in the operator read them: Asia/Shanghai, ISO 8601."""

from __future__ import annotations

from datetime import datetime

from telcocrm.config import get_settings


def local_iso(moment: datetime | None) -> str | None:
    """The moment in the operator's time zone as ISO 8601 with offset (e.g. 2026-11-22T10:00:00+08:00)."""
    if moment is None:
        return None
    return moment.astimezone(get_settings().zone).isoformat(timespec="seconds")
