"""Labels of the web workbench in Chinese (the default) and English, read from `messages/<lang>.toml`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

MESSAGES_DIR = Path(__file__).with_name("messages")
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """`{"a": {"b": "x"}}` → `{"a.b": "x"}`."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


@lru_cache(maxsize=len(LANGUAGES))
def messages(lang: str) -> dict[str, str]:
    """Every message of one language, by dotted key, read once."""
    path = MESSAGES_DIR / f"{lang}.toml"
    return _flatten(tomllib.loads(path.read_text(encoding="utf-8")))


def normalise_language(lang: str | None) -> str:
    """A supported language code; anything else gives the default (Chinese)."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """Looks up labels of one language, falling back to Chinese and then to the key itself."""

    lang: str

    def __call__(self, key: str, **values: Any) -> str:
        """The label for `key`, with `{name}` placeholders filled from `values`."""
        text = messages(self.lang).get(key) or messages(DEFAULT_LANGUAGE).get(key) or key
        return text.format_map(values) if values else text

    def enum(self, group: str, value: object) -> str:
        """The label of an enum value (e.g. group `customer_kind`, value `person` → 个人)."""
        if value is None or value == "":
            return ""
        raw = getattr(value, "value", value)
        key = f"enum.{group}.{raw}"
        text = self(key)
        return str(raw) if text == key else text

    @property
    def html_lang(self) -> str:
        """The value of the `lang` attribute of the page."""
        return HTML_LANG[self.lang]

    @property
    def other(self) -> str:
        """The language the switch link offers."""
        return "en" if self.lang == "zh" else "zh"


def translator(lang: str | None) -> Translator:
    """The translator for a (possibly unsupported) language code."""
    return Translator(normalise_language(lang))
