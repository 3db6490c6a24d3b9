"""Every piece of prose the report writes, one module per language, looked up by key.

``load_texts("zh-TW")`` returns a :class:`Texts`; ``texts("q1_title")`` gives the string and
``texts("q1_answer", share="45.0%")`` fills placeholders written ``{{share}}``. Double braces
(not ``str.format``'s single ones) leave LaTeX such as ``\\frac{1}{n}`` in the texts untouched.

Adding a language = adding one module here (``<code with _ for ->.py`` holding ``TEXTS``) and
its code to :data:`LANGUAGES`; ``tests/report_notebook/test_report_texts.py`` fails when a key
or a placeholder exists in one language and not in another.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

LANGUAGES = ("en", "zh-TW")
DEFAULT_LANGUAGE = "en"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def _module_name(language: str) -> str:
    return f"{__name__}.{language.replace('-', '_')}"


def raw_texts(language: str) -> dict[str, str]:
    """The language's key -> text table (KeyError-free lookups go through :class:`Texts`)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return importlib.import_module(_module_name(language)).TEXTS


def placeholders(text: str) -> set[str]:
    """Names of the ``{{name}}`` placeholders in ``text``."""
    return set(_PLACEHOLDER.findall(text))


@dataclass(frozen=True)
class Texts:
    """The texts of one language; call it with a key (and placeholder values)."""

    language: str
    table: dict

    def __call__(self, key: str, **values) -> str:
        if key not in self.table:
            raise KeyError(f"no text {key!r} for language {self.language!r}")
        text = self.table[key]
        missing = placeholders(text) - set(values)
        if missing:
            raise KeyError(f"text {key!r} needs values for {sorted(missing)}")
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)

    def list(self, key: str) -> list[str]:
        """A text holding a ``|``-separated list (e.g. class names)."""
        return [item.strip() for item in self(key).split("|")]


def load_texts(language: str = DEFAULT_LANGUAGE) -> Texts:
    return Texts(language, raw_texts(language))
