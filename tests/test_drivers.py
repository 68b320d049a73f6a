"""Key drivers: Johnson's relative weights checked against a hand-computed two-aspect case."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import statsmodels.api as sm

from insight.figures.drivers import TooFewRespondents, key_drivers, relative_weights
from tests.conftest import tidy

SAT, DIS = "Very satisfied", "Very dissatisfied"


def test_relative_weights_by_hand_for_two_correlated_aspects():
    rng = np.random.default_rng(7)
    x1 = rng.integers(0, 2, 400)
    x2 = np.where(rng.random(400) < 0.7, x1, rng.integers(0, 2, 400))  # correlated with x1
    y = np.where(rng.random(400) < 0.6, x1 | x2, rng.integers(0, 2, 400))
    weights, r_squared = relative_weights(np.column_stack([x1, x2]), y)
    # By hand: R = [[1, r], [r, 1]] has R^(1/2) = [[a, b], [b, a]], a, b = (sqrt(1+r) ± sqrt(1-r)) / 2;
    # beta = R^(-1/2) r_xy; eps_1 = a² beta_1² + b² beta_2², eps_2 = b² beta_1² + a² beta_2².
    r = np.corrcoef(x1, x2)[0, 1]
    r1, r2 = np.corrcoef(x1, y)[0, 1], np.corrcoef(x2, y)[0, 1]
    a, b = (math.sqrt(1 + r) + math.sqrt(1 - r)) / 2, (math.sqrt(1 + r) - math.sqrt(1 - r)) / 2
    det = a * a - b * b
    beta1, beta2 = (a * r1 - b * r2) / det, (a * r2 - b * r1) / det
    assert weights == pytest.approx([a * a * beta1**2 + b * b * beta2**2, b * b * beta1**2 + a * a * beta2**2])
    # the weights add up to the R² of the linear model (statsmodels OLS)
    ols = sm.OLS(y.astype(float), sm.add_constant(np.column_stack([x1, x2]).astype(float))).fit()
    assert r_squared == pytest.approx(ols.rsquared, rel=1e-9)


def test_uncorrelated_aspects_weigh_their_squared_correlation():
    x1 = np.array([1, 1, 0, 0] * 25)
    x2 = np.array([1, 0, 1, 0] * 25)
    y = np.array([1, 1, 1, 0] * 25)
    weights, _ = relative_weights(np.column_stack([x1, x2]), y)
    assert weights == pytest.approx([np.corrcoef(x1, y)[0, 1] ** 2, np.corrcoef(x2, y)[0, 1] ** 2])


def frame_of(victim, n: int, seed: int = 3, *, feedback_answered: float = 1.0):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        contact, actions = rng.random() < 0.65, rng.random() < 0.4  # actions: less often satisfied
        overall = actions if rng.random() < 0.7 else bool(rng.integers(0, 2))
        rows.append({
            "period": "2019-09",
            "initial_contact": SAT if contact else DIS,
            "actions": SAT if actions else DIS,
            "feedback": (SAT if rng.random() < 0.5 else DIS) if rng.random() < feedback_answered else "Don't know",
            "treatment": SAT,  # everyone satisfied: no variation, left out of the model
            "overall": SAT if overall else DIS,
        })  # fmt: skip
    return tidy(victim, rows)


def test_key_drivers_leave_out_rare_and_constant_aspects(victim):
    frame = frame_of(victim, 300, feedback_answered=0.3)  # feedback answered by fewer than half
    result = key_drivers(frame, victim)
    rows = {r.aspect: r for r in result.rows}
    assert rows["feedback"].importance is None and rows["treatment"].importance is None
    assert rows["treatment"].pct == 100.0
    modelled = [r for r in result.rows if r.importance is not None]
    assert [r.aspect for r in modelled] == ["actions", "initial_contact"]  # most important first
    assert sum(r.importance for r in modelled) == pytest.approx(100.0)
    # the same respondents by hand: everyone answered overall, initial contact and actions
    values = frame.select(
        [(frame[a].cast(str) == SAT).cast(int).alias(a) for a in ("initial_contact", "actions", "overall")]
    ).to_numpy()
    weights, r_squared = relative_weights(values[:, :2], values[:, 2])
    assert result.n == 300 and result.r_squared == pytest.approx(r_squared)
    assert rows["initial_contact"].importance == pytest.approx(weights[0] / r_squared * 100)
    assert rows["actions"].pct == pytest.approx(values[:, 1].mean() * 100)
    # the top priority: of the aspects at least averagely important, the least positive
    assert rows["actions"].pct < rows["initial_contact"].pct and result.top_priority().aspect == "actions"
    payload = result.to_json()
    assert list(payload) == [
        "dataset", "period", "target", "n", "r_squared", "weak_model", "top_priority", "warning", "rows"
    ]  # fmt: skip
    assert payload["top_priority"] == "actions" and not payload["weak_model"] and payload["warning"] is None
    assert list(payload["rows"][0]) == ["aspect", "pct", "importance"]


def test_too_few_respondents(victim):
    with pytest.raises(TooFewRespondents, match="only 30 respondent"):
        key_drivers(frame_of(victim, 30), victim)


def test_cli_drivers(sample_store):
    from tests.test_cli import run

    out = run("drivers", "victim", "--format", "json", data_dir=sample_store)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["target"] == "overall" and payload["n"] > 50
    assert sum(r["importance"] for r in payload["rows"] if r["importance"] is not None) == pytest.approx(100, abs=0.3)
    weak = run("drivers", "public_confidence", data_dir=sample_store)  # the paper's R² = 0.006 model
    assert weak.returncode == 0 and "weak_model=True" in weak.stdout and "no top priority is named" in weak.stdout
    few = run("drivers", "domestic_abuse", "--period", "2019-09", data_dir=sample_store)
    assert few.returncode == 1 and "key drivers need at least 50" in few.stderr


def test_top_priority_is_the_least_positive_of_the_important():
    from insight.figures.drivers import Driver, Drivers

    def top(rows: list[tuple[str, float, float]]) -> str:
        drivers = Drivers("victim", "2019-09", "overall", 100, 0.4, [Driver(a, pct, imp) for a, pct, imp in rows])
        return drivers.top_priority().aspect

    assert top([("a", 70, 60), ("b", 40, 30), ("c", 20, 10)]) == "a"  # only a is at least averagely important
    assert top([("a", 70, 40), ("b", 40, 35), ("c", 20, 25)]) == "b"


def test_a_model_explaining_little_names_no_top_priority(victim):
    from insight.display.wording import top_priority
    from insight.figures.drivers import WEAK_MODEL

    rng = np.random.default_rng(11)
    rows = [
        {"period": "2019-09", "initial_contact": SAT if rng.random() < 0.6 else DIS,
         "actions": SAT if rng.random() < 0.4 else DIS, "feedback": SAT if rng.random() < 0.5 else DIS,
         "treatment": SAT, "overall": SAT if rng.random() < 0.5 else DIS}  # overall: independent of the rest
        for _ in range(400)
    ]  # fmt: skip
    frame = tidy(victim, rows)
    result = key_drivers(frame, victim)
    cols = ("initial_contact", "actions", "feedback", "overall")
    values = np.column_stack([(frame[a].cast(str) == SAT).to_numpy().astype(float) for a in cols])
    ols = sm.OLS(values[:, 3], sm.add_constant(values[:, :3])).fit()  # the oracle: R² of the linear model
    assert result.r_squared == pytest.approx(ols.rsquared) and ols.rsquared < WEAK_MODEL
    assert result.weak and result.top_priority() is None
    payload = result.to_json()
    assert payload["weak_model"] and payload["top_priority"] is None and "no top priority" in payload["warning"]
    said = top_priority(result, {a: a for a in victim.aspects}, "Overall")
    assert said.startswith("No top priority") and f"{ols.rsquared * 100:.1f}%" in said and "Top priority" not in said
