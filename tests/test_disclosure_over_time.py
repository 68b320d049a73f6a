"""Domestic abuse: a month hidden for one group cannot be worked out as "quarter minus the other months".

The attacker sees every publishable view (each month and the quarter, by NPU and in total). Each
published figure is a linear equation on the hidden monthly cells' positive counts (a group's
quarter is the sum of its months, a month's total the sum of its groups); a hidden cell is given
away exactly when its unit vector lies in the span of those equations (numpy rank, an oracle
independent of the product's rule).
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from insight.figures.metrics import satisfaction
from insight.intake.tidy import ingest_file
from insight.periods import PeriodRange
from tests.test_cli import run

MONTHS = ["2019-07", "2019-08", "2019-09"]
QUARTER = "2019-07..2019-09"
NPUS = ["Birmingham East", "Birmingham West", "Coventry", "Dudley"]

# Coventry's July has 3 respondents (hidden); Dudley's July (12) is hidden beside it so the July total
# cannot give Coventry away. Before the rule, Coventry's quarter (43) less August and September gave July.
ONE_SMALL_MONTH = {
    "2019-07": {"Birmingham East": 20, "Birmingham West": 20, "Coventry": 3, "Dudley": 12},
    "2019-08": {"Birmingham East": 20, "Birmingham West": 20, "Coventry": 20, "Dudley": 20},
    "2019-09": {"Birmingham East": 20, "Birmingham West": 20, "Coventry": 20, "Dudley": 20},
}
# Coventry's July (4) and August (7) are hidden; together 11 >= 10, so its quarter may be shown.
TWO_SMALL_MONTHS = {
    "2019-07": {"Birmingham East": 20, "Birmingham West": 20, "Coventry": 4, "Dudley": 12},
    "2019-08": {"Birmingham East": 20, "Birmingham West": 12, "Coventry": 7, "Dudley": 20},
    "2019-09": {"Birmingham East": 20, "Birmingham West": 20, "Coventry": 20, "Dudley": 20},
}


def _write(tmp_path, exports, layout: dict[str, dict[str, int]]) -> str:
    with (exports / "domestic_abuse_example.csv").open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        template = next(reader)
    rows, n = [], 0
    for month, bases in layout.items():
        year, mm = month.split("-")
        for npu, base in bases.items():
            for i in range(base):
                row = list(template)
                row[0], row[1], row[2] = f"DA{n:05d}", f"{1 + i % 28:02d}/{mm}/{year}", npu
                row[8] = "Very satisfied" if (i + n) % 3 else "Fairly dissatisfied"  # Q6 overall
                rows.append(row)
                n += 1
    path = tmp_path / "da_months.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return str(path)


def _views(frame, definition) -> dict[tuple[str, str | None], dict]:
    """Every publishable overall figure for July-September: (period, group or None for the total) -> row."""
    out = {}
    for period in [*MONTHS, QUARTER]:
        for by in ("npu", None):
            for row in satisfaction(frame, definition, period=period, by=by, aspects=["overall"]).iter_rows(named=True):
                out[(period, row["group"])] = row
    return out


def _given_away(views: dict[tuple[str, str | None], dict]) -> list[tuple[str, str]]:
    """Hidden (month, NPU) cells whose positive count follows from the published figures by linear algebra."""
    cells = [(m, g) for m in MONTHS for g in NPUS if (m, g) in views]
    index = {c: i for i, c in enumerate(cells)}
    equations = []
    for (period, group), row in views.items():
        if row["status"] == "suppressed":
            continue
        months = MONTHS if period == QUARTER else [period]
        groups = NPUS if group is None else [group]
        vector = np.zeros(len(cells))
        for m in months:
            for g in groups:
                if (m, g) in index:
                    vector[index[(m, g)]] = 1
        equations.append(vector)
    known = np.array(equations)
    rank = np.linalg.matrix_rank(known)
    out = []
    for cell in cells:
        if views[cell]["status"] != "suppressed":
            continue
        unit = np.zeros(len(cells))
        unit[index[cell]] = 1
        if np.linalg.matrix_rank(np.vstack([known, unit])) == rank:
            out.append(cell)
    return out


@pytest.fixture()
def definition(definitions):
    return definitions["domestic_abuse"]


def test_a_small_month_is_not_given_away_by_its_quarter(tmp_path, exports, definition):
    frame = ingest_file(_write(tmp_path, exports, ONE_SMALL_MONTH), definition).frame
    views = _views(frame, definition)
    assert views[("2019-07", "Coventry")]["status"] == "suppressed"  # months stay as they are
    assert views[("2019-08", "Coventry")]["status"] != "suppressed"
    quarter = views[(QUARTER, "Coventry")]
    assert quarter["status"] == "suppressed" and quarter["pct"] is None and quarter["positive"] is None
    # Dudley's July was hidden only beside Coventry's; its quarter would give it, then July's total Coventry
    assert views[(QUARTER, "Dudley")]["status"] == "suppressed"
    assert views[(QUARTER, "Birmingham East")]["status"] == "ok"
    assert views[(QUARTER, None)]["pct"] is not None  # the total hides nothing: no month of it is hidden
    assert _given_away(views) == []


def test_the_cli_hides_the_quarter_too(tmp_path, exports):
    store = tmp_path / "store"
    assert run("ingest", "domestic_abuse", _write(tmp_path, exports, ONE_SMALL_MONTH), data_dir=store).returncode == 0
    out = run("report", "domestic_abuse", "--period", QUARTER, "--by", "npu", "--format", "json", data_dir=store)
    assert out.returncode == 0, out.stderr
    rows = {r["group"]: r for r in json.loads(out.stdout)["rows"] if r["aspect"] == "overall"}
    assert rows["Coventry"]["status"] == "suppressed"
    assert all(rows["Coventry"][k] is None for k in ("pct", "positive", "ci_low", "ci_high", "change_pp"))
    assert rows["Birmingham East"]["pct"] is not None


def test_hidden_months_that_together_reach_the_minimum_keep_the_quarter(tmp_path, exports, definition):
    frame = ingest_file(_write(tmp_path, exports, TWO_SMALL_MONTHS), definition).frame
    views = _views(frame, definition)
    assert views[("2019-07", "Coventry")]["status"] == views[("2019-08", "Coventry")]["status"] == "suppressed"
    coventry = views[(QUARTER, "Coventry")]
    assert coventry["status"] != "suppressed" and coventry["base"] == 31 and coventry["pct"] is not None
    # the groups hidden only to protect Coventry in one month each are hidden for the quarter too
    assert views[(QUARTER, "Dudley")]["status"] == views[(QUARTER, "Birmingham West")]["status"] == "suppressed"
    assert _given_away(views) == []


def test_the_oracle_sees_the_hole_without_the_rule(tmp_path, exports, definition):
    """Without the rule (each quarter figure judged on its own base), the oracle finds Coventry's July."""
    import dataclasses

    frame = ingest_file(_write(tmp_path, exports, ONE_SMALL_MONTH), definition).frame
    views = _views(frame, definition)
    for group in ("Coventry", "Dudley"):
        views[(QUARTER, group)] = {**views[(QUARTER, group)], "status": "ok"}
    assert ("2019-07", "Coventry") in _given_away(views)
    plain = dataclasses.replace(definition, suppression=dataclasses.replace(definition.suppression, secondary=False))
    unprotected = satisfaction(frame, plain, period=QUARTER, by="npu", aspects=["overall"])
    assert dict(unprotected.select("group", "status").iter_rows())["Coventry"] != "suppressed"


def test_a_year_hides_a_group_whose_one_month_is_hidden(tmp_path, exports, definition):
    frame = ingest_file(_write(tmp_path, exports, ONE_SMALL_MONTH), definition).frame
    year = PeriodRange("2019-04", "2020-03", "month")
    rows = {
        r["group"]: r
        for r in satisfaction(frame, definition, period=year, by="npu", aspects=["overall"]).iter_rows(named=True)
    }
    assert rows["Coventry"]["status"] == "suppressed" and rows["Coventry"]["pct"] is None
    assert rows["Birmingham East"]["pct"] is not None
