from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from insight.periods import check_period, period_expr, period_label


def test_periods():
    dates = pl.DataFrame({"d": [dt.date(2019, 9, 30), dt.date(2019, 1, 1), dt.date(2018, 12, 31)]})
    assert dates.select(period_expr(pl.col("d"), "month")).to_series().to_list() == ["2019-09", "2019-01", "2018-12"]
    assert dates.select(period_expr(pl.col("d"), "quarter")).to_series().to_list() == ["2019-Q3", "2019-Q1", "2018-Q4"]
    assert period_label("2019-09") == "September 2019" and period_label("2019-Q3") == "Jul-Sep 2019 (Q3)"
    assert check_period(" 2019-09 ", "month") == "2019-09"
    with pytest.raises(ValueError, match="2019-09"):
        check_period("2019-13", "month")
