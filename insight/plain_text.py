"""Text that came from a file, shown as text: never as a link, an image, a heading or HTML.

Streamlit renders labels, titles and messages as Markdown. A file name or header such as
``[Sign in again](https://evil.example)`` would otherwise become a working link on the
Upload page. Backslash-escaping every ASCII punctuation character (CommonMark allows it
for all of them) leaves the text as typed; line breaks become spaces.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def literal(text: str) -> str:
    """``text`` escaped so Markdown shows exactly these characters."""
    return _PUNCTUATION.sub(r"\\\1", re.sub(r"[\r\n]+", " ", text))
