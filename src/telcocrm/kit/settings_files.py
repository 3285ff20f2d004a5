"""Settings files: TOML read into a pydantic model, refused whole (naming the file) when any entry is wrong."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from telcocrm.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def load_settings_file(path: Path, model: type[M], *, field: str, digest: bool = False) -> M:
    """The file's settings; with `digest`, the model also gets the first 8 hex digits of the file's SHA-256.

    The digest goes into every result a file's rules decide, so a stored result names the exact file.
    """
    raw = path.read_bytes()
    extra = {"digest": hashlib.sha256(raw).hexdigest()[:8]} if digest else {}
    try:
        return model(**tomllib.loads(raw.decode("utf-8")), **extra)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValidationError) as exc:
        raise InvalidInput(f"配置文件 {path} 无效 / settings file {path} is not valid: {exc}", field=field) from exc
