"""Property: whatever bytes arrive, ingest gives a result or the project's own ExportError, nothing else.

Random bytes, and random mutations (flipped, inserted, deleted and truncated bytes; spliced
lines) of every example export, as CSV and as a workbook. The number of examples is bounded
so the test runs in CI in well under a minute; ``FUZZ_EXAMPLES`` raises it for a long run.
"""

from __future__ import annotations

import os
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insight.config.loader import load_config
from insight.intake.tidy import ExportError, IngestResult, ingest_bytes
from tests.conftest import EXPORTS, need_shared
from tests.messy import read_rows, to_xlsx

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure in CI is a failure here
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SURVEY_FILES = {
    "victim_survey_example.csv": "victim",
    "caller_101_example.csv": "caller_101",
    "live_chat_example.csv": "live_chat",
    "domestic_abuse_example.csv": "domestic_abuse",
    "public_confidence_example.csv": "public_confidence",
    "wmnow_members_example.csv": "wmnow",
}


@cache
def seeds() -> list[tuple[str, bytes, str]]:
    """(file name, bytes, dataset): each example as CSV, and the victim example as a workbook."""
    out = [(name, (EXPORTS / name).read_bytes(), dataset) for name, dataset in SURVEY_FILES.items()]
    victim = (EXPORTS / "victim_survey_example.csv").read_bytes()
    out.append(("victim.xlsx", to_xlsx(read_rows(victim)), "victim"))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes, str]:
    name, data, dataset = draw(st.sampled_from(seeds()))
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "splice", "quote"]))
        at = draw(st.integers(0, max(len(buf) - 1, 0)))
        if kind == "flip" and buf:
            buf[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            buf[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif kind == "delete":
            del buf[at : at + draw(st.integers(1, 200))]
        elif kind == "truncate":
            del buf[at:]
        elif kind == "splice":  # a line of one file inside another
            other = draw(st.sampled_from(seeds()))[1]
            start = draw(st.integers(0, len(other) - 1))
            buf[at:at] = other[start : start + draw(st.integers(1, 300))]
        elif kind == "quote":
            buf[at:at] = draw(st.sampled_from([b'"', b'""', b"\r", b"\n", b",", b"\x00", b"\xff\xfe", b"PK\x03\x04"]))
    return name, bytes(buf), dataset


def ingest_or_refuse(data: bytes, name: str, dataset: str) -> None:
    try:
        result = ingest_bytes(data, name, load_config().definitions[dataset])
    except ExportError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(result, IngestResult)
    result.report.describe()  # the account of problems must render too


@pytest.fixture(autouse=True)
def shared() -> None:
    need_shared()


@FUZZ
@given(data=st.binary(max_size=4096), name=st.sampled_from(["f.csv", "f.xlsx", "f.xls", "f"]))
def test_random_bytes(data, name):
    ingest_or_refuse(data, name, "victim")


@FUZZ
@given(case=mutated())
def test_mutated_exports(case):
    name, data, dataset = case
    ingest_or_refuse(data, name, dataset)
