"""The board pack as one self-contained, printable HTML file.

Charts are embedded as PNG data URIs with their alt text; every piece of text is escaped.
The sample-data mark is a fixed banner, which browsers repeat on every printed page.
"""

from __future__ import annotations

import base64
from html import escape

from insight.board.model import SAMPLE_MARK, BoardPack, Figure, Table

STYLE = """
body { font-family: Arial, Helvetica, sans-serif; color: #1a1a1a; max-width: 52rem; margin: 2rem auto;
       line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.8rem; } h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 2px solid #0072B2; }
.mark { position: fixed; top: 0; left: 0; right: 0; background: #b00020; color: #fff; text-align: center;
        font-weight: bold; padding: .3rem; z-index: 10; }
body.sample { padding-top: 2rem; }
figure { margin: 1rem 0; text-align: center; } figure img { max-width: 100%; }
figcaption, caption { font-size: .9rem; color: #333; }
table { border-collapse: collapse; margin: 1rem 0; width: 100%; font-size: .9rem; }
th, td { border: 1px solid #999; padding: .25rem .5rem; text-align: left; }
th { background: #e8f1f8; }
.note { font-size: .85rem; color: #333; }
@page { margin: 2cm 1.5cm 1.8cm 1.5cm; }
@media print {
  body { max-width: none; margin: 0; }
  body.sample { padding-top: 0; }
  .mark { position: static; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid-page; }
  figure, table, li { break-inside: avoid-page; }
}
"""


def _figure(figure: Figure) -> str:
    data = base64.b64encode(figure.png()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(figure.alt_text)}">'
        f"<figcaption>{escape(figure.title)}</figcaption></figure>"
    )


def _table(table: Table) -> str:
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    caption = f"<caption>{escape(table.title)}</caption>"
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


# Printed, the mark goes in every page's top margin (CSS page-margin boxes: Chrome and Edge 131+);
# on screen, and printed by a browser without margin boxes, it is the banner at the top.
PRINTED_MARK = (
    f'@page {{ @top-center {{ content: "{SAMPLE_MARK}"; color: #b00020; font: bold 12pt Arial, sans-serif; }} }}'
)


def write_html(pack: BoardPack) -> bytes:
    style = STYLE + (PRINTED_MARK if pack.sample else "")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>{escape(pack.title)}</title><style>{style}</style></head>",
        f'<body class="{"sample" if pack.sample else ""}">',
    ]
    if pack.sample:
        parts.append(f'<div class="mark" role="note">{escape(SAMPLE_MARK)}</div>')
    parts.append(f"<header><h1>{escape(pack.title)}</h1>")
    parts.append(f"<p>Prepared by the insight app on {pack.generated:%d %B %Y} from {escape(pack.period_words)}.</p>")
    parts.append("</header><main>")
    number = 1  # paragraphs are numbered through the paper, as in the Word version
    for section in pack.sections:
        parts.append(f'<section id="{escape(section.key)}"><h2>{escape(section.heading)}</h2>')
        items = "".join(f"<li>{escape(p)}</li>" for p in section.paragraphs)
        if section.key == "points":
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append(f'<ol start="{number}">{items}</ol>')
            number += len(section.paragraphs)
        if section.table:
            parts.append(_table(section.table))
        if section.figure:
            parts.append(_figure(section.figure))
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts).encode("utf-8")
