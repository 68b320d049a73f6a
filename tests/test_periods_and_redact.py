from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from insight.periods import check_period, period_expr, period_label
from insight.redact import mask_text


def test_periods():
    dates = pl.DataFrame({"d": [dt.date(2019, 9, 30), dt.date(2019, 1, 1), dt.date(2018, 12, 31)]})
    assert dates.select(period_expr(pl.col("d"), "month")).to_series().to_list() == ["2019-09", "2019-01", "2018-12"]
    assert dates.select(period_expr(pl.col("d"), "quarter")).to_series().to_list() == ["2019-Q3", "2019-Q1", "2018-Q4"]
    assert period_label("2019-09") == "September 2019" and period_label("2019-Q3") == "Jul-Sep 2019 (Q3)"
    assert check_period(" 2019-09 ", "month") == "2019-09"
    with pytest.raises(ValueError, match="2019-09"):
        check_period("2019-13", "month")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ring 07700 900123 please", "ring [phone] please"),
        ("ring +44 7700 900123", "ring [phone]"),
        ("landline 0121 626 5000.", "landline [phone]."),
        ("me@home.net", "[email]"),
        ("ref 20BE/598646/19", "ref [crime ref]"),
        ("I live at B15 2TT", "I live at [postcode]"),
        ("called 101 and 999 on 12/09/2019 at 14:05", "called 101 and 999 on 12/09/2019 at 14:05"),
    ],
)
def test_masking(text, masked):
    assert mask_text(text) == masked
