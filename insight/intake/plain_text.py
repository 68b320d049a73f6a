"""Text that came from a file, shown as text: never as a link, an image, a heading or HTML.

Streamlit renders labels, titles and messages as Markdown. A file name or header such as
``[Sign in again](https://evil.example)`` would otherwise become a working link on the
Upload page. Backslash-escaping every ASCII punctuation character (CommonMark allows it
for all of them) leaves the text as typed; line breaks become spaces. Escapes do not stop
GitHub-style autolinks (a bare ``https://...``, ``www.`` or e-mail address becomes a link
whatever its escapes: checked in Chromium), so an invisible word joiner (U+2060) goes after
every ``:`` and ``@`` and after a ``www`` before a dot.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_AUTOLINK_TRIGGER = re.compile(r"(?i)(?<=[:@])|(?<=www)(?=\.)")


def literal(text: str) -> str:
    """``text`` escaped so Markdown shows exactly these characters, and no link."""
    text = _AUTOLINK_TRIGGER.sub(WORD_JOINER, re.sub(r"[\r\n]+", " ", text))
    return _PUNCTUATION.sub(r"\\\1", text)
