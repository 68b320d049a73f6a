"""Real-shaped exports from survey tools nobody here wrote, and their definitions (docs/surveys.md).

- ``social_survey``: one file holding several rounds of a multi-round social survey. A round column;
  the respondent number starts again each round (so it repeats across rounds, and only round +
  number name a response); trust in the police on a 0-10 scale with 77/88/99 refusal codes; the
  vendor's post-stratification weight, blank in every row of the newest round (not published yet);
  a blank written as a space here and there; fieldwork that runs from September into the next year.
- ``city_survey``: a US-style city resident survey: numeric codes, 9 = don't know; blanks written as
  a space; race as six columns, each blank or its own code; no date (the period is given at import:
  fieldwork ran December to January).

The definitions are read from docs/surveys.md itself, so the docs show what the tests run. Figures are
checked against pandas and hand counts on the same bytes (tests/test_waves.py).
"""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from insight.config.files import CONFIG_DIR
from tests.conftest import REPO

# --------------------------------------------------------------------------- the docs' examples


def docs_examples() -> tuple[dict[str, str], dict[str, str]]:
    """The definitions (dataset -> YAML) and scale blocks (name -> YAML) in docs/surveys.md's section on
    exports from other survey tools."""
    text = (REPO / "docs" / "surveys.md").read_text(encoding="utf-8")
    section = text.split("### Exports from other survey tools", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in section.split("```yaml\n")[1:]]
    surveys = {re.match(r"dataset: (\w+)", b).group(1): b for b in blocks if b.startswith("dataset: ")}  # type: ignore[union-attr]
    scales = {b.split(":", 1)[0]: b for b in blocks if not b.startswith("dataset: ")}
    return surveys, scales


def config_with_docs(tmp_path: Path, *, edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """A copy of config/ with every docs example added (``edits``: dataset -> (old, new) text replaced)."""
    config = tmp_path / "config"
    if not config.exists():
        shutil.copytree(CONFIG_DIR, config)
    surveys, scales = docs_examples()
    with (config / "scales.yaml").open("a", encoding="utf-8") as fh:
        for block in scales.values():
            fh.write("\n" + block)
    for name, block in surveys.items():
        old, new = (edits or {}).get(name, ("", ""))
        if old:
            assert old in block, f"{old!r} is not in the docs' {name} example"
            block = block.replace(old, new)
        (config / "surveys" / f"{name}.yaml").write_text(block, encoding="utf-8")
    return config


def csv_bytes(rows: list[list[str]]) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode()


# --------------------------------------------------------------------------- a multi-round social survey

# round -> the period its fieldwork is mapped to (as the docs' definition maps it)
ROUNDS = {
    "1": "2002-09..2003-02",
    "2": "2004-09..2005-01",
    "3": "2006-09..2007-01",
    "4": "2008-09..2009-01",
    "5": "2010-09..2011-01",
    "6": "2012-09",
}
SOCIAL_HEADER = ["cntry", "essround", "idno", "gndr", "agea", "trstplc", "pspwght", "dweight"]


@dataclass
class SocialFile:
    rows: list[list[str]]  # header first

    @property
    def data(self) -> bytes:
        return csv_bytes(self.rows)

    def round_file(self, essround: str) -> bytes:
        return csv_bytes([self.rows[0], *(r for r in self.rows[1:] if r[1] == essround)])


def social_survey(seed: int = 2002, sizes: dict[str, int] | None = None) -> SocialFile:
    """Six rounds; respondent numbers 1..n again in every round; trust drifting up over the years."""
    rng = random.Random(seed)
    sizes = sizes or {"1": 240, "2": 262, "3": 251, "4": 270, "5": 233, "6": 258}
    rows = [SOCIAL_HEADER]
    for r, n in sizes.items():
        lean = (int(r) - 1) * 0.28  # trust rises about 0.14 points of the scale a year
        for idno in range(1, n + 1):
            gender = rng.choices(["1", "2", "9"], [48, 50, 2])[0]
            score = min(10, max(0, round(rng.gauss(5.2 + lean, 2.3))))
            trust = rng.choices([str(score), "77", "88", "99", " "], [90, 2, 5, 1, 2])[0]
            weight = "" if r == "6" else f"{rng.uniform(0.35, 2.6):.4f}"
            idno_text = str(idno) if rng.random() > 0.05 else f" {idno} "  # a stray space, as exports have
            rows.append(["GB", r, idno_text, gender, str(rng.randint(15, 90)), trust, weight, "1"])
    return SocialFile(rows)


# --------------------------------------------------------------------------- a city resident survey

RACE_COLUMNS = {
    "Q32[01]  [Asian or Asian Indian]": "Asian",
    "Q32[02]  [Black or African American]": "Black",
    "Q32[03]  [Hispanic or Latino]": "Hispanic",
    "Q32[04]  [Native American]": "Native American",
    "Q32[05]  [White]": "White",
    "Q32[06]  [Other]": "Other",
}
SAFE = "Q4 Feel safe walking alone in your neighbourhood"
GENDER = "Q31 Gender"


@dataclass
class CityFile:
    rows: list[list[str]]  # race in six columns, blanks written as a space
    races: list[list[str]]  # each row's races chosen (labels), for the one-cell form and the oracle

    @property
    def data(self) -> bytes:
        return csv_bytes(self.rows)

    def one_cell(self, separator: str = ",") -> bytes:
        """The same answers with race as one multi-select cell (the form a `separator` dimension reads)."""
        header = [c for c in self.rows[0] if c not in RACE_COLUMNS] + ["Race"]
        keep = [i for i, c in enumerate(self.rows[0]) if c not in RACE_COLUMNS]
        body = [
            [row[i] for i in keep] + [separator.join(races)]
            for row, races in zip(self.rows[1:], self.races, strict=True)
        ]
        return csv_bytes([header, *body])


def city_survey(seed: int = 2023, n: int = 320) -> CityFile:
    """Codes 1-5 (5 = very safe), 9 = don't know; a space for every blank; race chosen in six columns."""
    rng = random.Random(seed)
    header = ["RespID", SAFE, GENDER, *RACE_COLUMNS, "Q40 Comments"]
    rows, races = [header], []
    labels = list(RACE_COLUMNS.values())
    for i in range(1, n + 1):
        k = rng.choices([0, 1, 2, 3], [6, 78, 13, 3])[0]
        chosen = sorted(rng.sample(labels, k), key=labels.index)
        if k == 1 and rng.random() < 0.4:
            chosen = ["White"]
        cells = []
        for code, label in enumerate(labels, start=1):
            cells.append(str(code) if label in chosen else " ")
        safe = rng.choices(["5", "4", "3", "2", "1", "9", " "], [22, 30, 18, 12, 8, 6, 4])[0]
        gender = rng.choices(["1", "2", "3", "9", " "], [46, 48, 2, 2, 2])[0]
        rows.append([str(1000 + i), safe, gender, *cells, " "])
        races.append(chosen)
    return CityFile(rows, races)
