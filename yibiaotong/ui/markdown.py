"""User text in Streamlit Markdown (captions, labels, toasts, errors): shown exactly as typed.

Streamlit renders these strings as GitHub Markdown with its own directives, so a saved query
named ![x](http://…) would show an image, [重新登录](http://…) a link, :material/…: an icon.
literal() backslash-escapes every Markdown character and breaks the patterns that escapes do
not stop (bare-URL autolinks, e-mail autolinks, Streamlit icons) with an invisible U+200B.
"""

from __future__ import annotations

import re
from typing import Any

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&^\"'])")
# Autolinked without any Markdown syntax: schemes, www., e-mail addresses; and icon directives.
_UNLINK = re.compile(r"(?i)(?<=[a-z])(?=\\:)|(?<=www)(?=\\\.)|(?<=@)|(?<=:)(?=material/)")
_SPACE = re.compile(r"\s+")
BREAK = "\u200b"


def literal(value: Any) -> str:
    """`value` as Markdown that displays the same characters and nothing else (one line)."""
    if value is None:
        return ""
    text = _SPACE.sub(" ", str(value)).strip()
    return _UNLINK.sub(BREAK, _SPECIAL.sub(r"\\\1", text))
