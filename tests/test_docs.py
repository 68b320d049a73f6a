"""The docs cannot drift from the code: the generated references are complete, the key table is the
parser's, the README is short and points at what exists, and the benchmark figures come from a run."""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from insight.cli import build_parser
from insight.config import access as access_module
from insight.config import definition as definition_module
from insight.config import events as events_module
from insight.config.definition import parse_definition, parse_scales
from insight.config.files import Mistake, Reader
from insight.config.keys import ACCESS, EMPTY, EVENTS, KEYS, NONE, REQUIRED, SCALES, SURVEYS, Default, keys_under
from insight.config.loader import load_config
from tests.conftest import REPO

DOCS = REPO / "docs"


def _hooks() -> Any:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _hooks()


# --------------------------------------------------------------------------- the key table is the parser's


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "attr", getattr(n.func, "id", None)) == name
    ]


DEFINITION_SOURCE = Path(definition_module.__file__).read_text(encoding="utf-8")
DEFINITION_TREE = ast.parse(DEFINITION_SOURCE)
# The parsers whose keys the table holds: survey definitions and scales, and the access file.
PARSER_TREES = (
    DEFINITION_TREE,
    ast.parse(Path(access_module.__file__).read_text(encoding="utf-8")),
    ast.parse(Path(events_module.__file__).read_text(encoding="utf-8")),
)


def test_the_parser_takes_its_allowed_keys_only_from_the_key_table():
    """No literal set of keys in the parser: a key it accepts must have a row (and so be documented)."""
    derived = {"SCALE_KEYS", "DIMENSION_KEYS", "PERIOD_KEYS", "TOP_KEYS", "GRANT_KEYS"}
    for call in [c for tree in PARSER_TREES for c in _calls(tree, "known_keys")]:
        allowed = call.args[1]
        names = {n.id for n in ast.walk(allowed) if isinstance(n, ast.Name)}
        from_table = any(c for c in _calls(allowed, "keys_under")) or names & derived
        assert from_table, f"line {call.lineno}: known_keys with keys not from insight.config.keys"
        assert not any(isinstance(n, ast.Set) for n in ast.walk(allowed) if n is allowed), call.lineno
    for tree in PARSER_TREES:  # each name a parser checks keys against is built from the table in that parser
        calls = _calls(tree, "known_keys")
        used = {n.id for c in calls for n in ast.walk(c.args[1]) if isinstance(n, ast.Name)} & derived
        for name in used:
            assigned = [n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == name]
            assert assigned and _calls(assigned[0].value, "keys_under"), name


def test_every_part_with_keys_in_the_table_is_checked_by_the_parser():
    """Vice versa: each mapping the table gives keys for is one the parser checks with known_keys."""
    parents = {(k.file, k.parent) for k in KEYS if not k.name.startswith("<")}
    checked = set()
    for call in [c for tree in PARSER_TREES for c in _calls(tree, "keys_under")]:
        parent = call.args[0].value  # type: ignore[attr-defined]
        file = call.args[1].id if len(call.args) > 1 else "SURVEYS"  # type: ignore[attr-defined]
        checked.add(({"SURVEYS": SURVEYS, "SCALES": SCALES, "ACCESS": ACCESS, "EVENTS": EVENTS}[file], parent))
    assert checked == parents


def test_every_key_in_the_table_is_read_by_the_parser():
    """A documented key the parser never reads would be accepted and silently ignored."""
    literals = {
        n.value
        for tree in PARSER_TREES
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }
    unread = [k.path for k in KEYS if not k.name.startswith("<") and k.name not in literals]
    assert not unread


def test_the_keys_the_parser_accepts_are_the_ones_it_accepted_before_the_table():
    """The refactor into one table changed no behaviour: the same keys in every part."""
    assert keys_under("") == {
        "dataset", "title", "kind", "id_column", "period", "pii_columns", "headline", "dimensions", "questions",
        "free_text", "suppression", "population", "volumes", "missing", "include", "weight", "targets",
        "weighting", "order", "split_by", "id_pseudonymise", "pseudonymise",
        "derived", "sample_target",  # compliance checklists (issue 23)
    }  # fmt: skip
    assert keys_under("derived.<key>") == {"all_of", "label"}
    assert keys_under("dimensions.<key>") == {
        "use", "column", "label", "values", "groups", "not_stated", "census", "area", "codes", "separator",
        "several", "given_at_import", "columns", "not_chosen", "within", "optional", "others",
    }  # fmt: skip
    assert keys_under("period") == {"column", "formats", "granularity", "waves", "given_at_import", "earliest"}
    assert keys_under("questions.<key>") == {"column", "label", "scale"}
    assert keys_under("suppression") == {"min_base", "caution_base", "secondary"}
    volumes = {"period_column", "period_format", "contacts", "invitations", "contacts_label", "counts"}
    assert keys_under("volumes") == volumes  # counts: the funnel's named counts (reach)
    assert keys_under("weighting") == {"margins", "trim"}
    assert keys_under("weight") == {"column", "on_missing"}
    assert keys_under("<scale>", SCALES) == {"answers", "positive", "excluded", "codes", "negative"}


def test_a_key_missing_from_the_table_is_refused(monkeypatch):
    mistakes: list[Mistake] = []
    r = Reader("surveys/x.yaml", mistakes)
    r.known_keys({"dataset": "x", "shoe_size": 9}, definition_module.TOP_KEYS, "")
    assert [m.keypath for m in mistakes] == ["(top)"] and "shoe_size" in mistakes[0].message


def test_the_bundled_configuration_uses_only_documented_keys():
    """Every key written in config/surveys/*.yaml and scales.yaml is in the table (the loader agrees)."""
    config = load_config(REPO / "config")
    assert config.definitions and config.scales


# A definition with only what is required, plus the parts whose own keys have defaults.
MINIMAL = {
    "dataset": "minimal",
    "id_column": "ID",
    "period": {"column": "Date", "formats": ["%d/%m/%Y"], "granularity": "month"},
    "dimensions": {
        "area_x": {"column": "Area", "values": ["North", "South"]},
        "npu_x": {"column": "NPU", "values": ["Coventry"], "area": True},
    },
    "questions": {"q": {"column": "Q1", "scale": "s"}},
    "volumes": {"period_column": "Month"},
    "weighting": {"margins": ["npu_x"]},
    "weight": {"column": "W"},
}
CONCRETE = {"dimensions.<key>": ("dimensions", "area_x"), "questions.<key>": ("questions", "q")}


def _parsed(without: str | None = None, *, count: bool = False) -> tuple[Any, Any]:
    """``count``: the volumes with one named count (``c``), for the keys of ``volumes.counts.<key>``."""
    mistakes: list[Mistake] = []
    scale = {"s": {"answers": ["Yes", "No"], "positive": ["Yes"]}}
    scales, broken = parse_scales(Reader("scales.yaml", mistakes), scale)
    raw = {k: v for k, v in MINIMAL.items() if k != without}
    if count:
        raw["volumes"] = {**MINIMAL["volumes"], "counts": {"c": {"column": "C"}}}
    definition = parse_definition(
        Reader("surveys/minimal.yaml", mistakes), raw, Path("minimal.yaml"), scales, broken, {}
    )
    assert not mistakes, mistakes
    return definition, scales["s"]


def _field(definition: Any, scale: Any, key: Any) -> Any:
    if key.file == SCALES:
        return getattr(scale, key.name)
    node = definition
    if key.parent in CONCRETE:
        part, name = CONCRETE[key.parent]
        node = getattr(definition, part)[name]
    elif key.parent == "volumes.counts.<key>":
        node = definition.volumes.counts["c"]
    elif key.parent:
        node = getattr(definition, key.parent)
    return getattr(node, key.name)


WITH_DEFAULTS = [
    k
    for k in KEYS
    if k.file not in (ACCESS, EVENTS)  # the access file's defaults: tests/test_access.py; events: test_events.py
    and k.default is not REQUIRED and (not isinstance(k.default, Default) or k.default in (NONE, EMPTY))
    and k.path not in ("dimensions", "questions")  # a survey needs its questions, and weighting a dimension
]  # fmt: skip


@pytest.mark.parametrize("key", WITH_DEFAULTS, ids=lambda k: k.path)
def test_each_documented_default_is_the_parsers(key):
    """Parsed without the key (and, for a key inside a part, with that part present), the field is the default."""
    definition, scale = _parsed(
        without=key.path if key.file == SURVEYS else None, count=key.parent == "volumes.counts.<key>"
    )
    value = _field(definition, scale, key)
    if key.default is NONE:
        assert value is None
    elif key.default is EMPTY:
        assert value in ((), {}, [])
    else:
        assert value == key.default


def test_every_key_has_a_meaning_a_type_and_a_unique_path():
    paths = [(k.file, k.path) for k in KEYS]
    assert len(paths) == len(set(paths))
    for k in KEYS:
        assert k.meaning and k.type and "\n" not in k.meaning, k.path
        assert k.default is not None, k.path


# --------------------------------------------------------------------------- generated pages


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    return {name: sub for name, _, sub in hooks.subcommands(build_parser())}


def test_the_cli_reference_has_every_subcommand_and_option():
    page = hooks.cli_reference()
    for name, sub in _subcommands().items():
        assert f"### `{name}`" in page, name
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in page, (name, option)
            if action.help:
                assert hooks.text(action.help) in page, (name, action.help)
    assert str(REPO) not in page  # a default path is written relative to the repository


def test_the_survey_key_reference_has_every_key():
    page = hooks.survey_keys() + hooks.scale_keys() + hooks.access_keys() + hooks.event_keys()
    for k in KEYS:
        assert f"`{k.path}`" in page, k.path


def test_every_marker_in_the_docs_is_known_and_every_part_is_used():
    used = set()
    for page in DOCS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        used |= set(hooks.MARKER.findall(text))
        generated = hooks.generate(text, page.name)
        assert "<!-- generated:" not in generated, page.name
    assert used == set(hooks.PARTS)
    with pytest.raises(ValueError, match="unknown generated part"):
        hooks.generate("<!-- generated: nothing-like-this -->")


def test_the_layers_in_the_docs_are_the_enforced_ones():
    layers = hooks.layers()
    assert layers[0] == ["__main__"] and layers[-1] == ["periods"]
    packages = {p.name.removesuffix(".py") for p in (REPO / "insight").iterdir() if p.suffix == ".py" or p.is_dir()}
    packages -= {"__init__", "__pycache__"}
    assert {name for layer in layers for name in layer} == packages  # exhaustive, as the contract says
    diagram = hooks.layers_diagram()
    assert all(name in diagram for layer in layers for name in layer)


# --------------------------------------------------------------------------- benchmarks


def _summary() -> dict:
    return json.loads((DOCS / "benchmarks.json").read_text(encoding="utf-8"))


def _entries(summary: dict) -> list[dict]:
    return [
        *summary["engine"].values(),
        summary["store"],
        summary["app"],
        *([summary["load"]] if "load" in summary else []),
    ]


def test_every_benchmark_entry_says_when_and_where_and_its_targets_resolve():
    for entry in _entries(_summary()):
        assert entry["measured"] and entry["machine"] and entry["conditions"]
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", entry["measured"])
        for target in entry["targets"]:
            assert hooks._at(entry, target["value"]) is not None, target
            if isinstance(target["at_most"], str):
                assert hooks._at(entry, target["at_most"]) is not None, target


def test_the_benchmark_tables_are_drawn_from_the_file():
    summary = _summary()
    engine = hooks.benchmarks_engine(summary)
    one_million = summary["engine"]["1000000"]
    assert hooks.seconds(one_million["steps"]["cli_import"]["wall_median_s"]) in engine
    assert hooks.seconds(summary["store"]["undo_seconds"]) in hooks.benchmarks_store(summary)
    app = hooks.benchmarks_app(summary)
    assert hooks.seconds(summary["app"]["stores"]["sample"]["navigation_s"]) in app
    changed = json.loads(json.dumps(summary))
    changed["store"]["undo_seconds"] = 9.87
    assert "9.87 s" in hooks.benchmarks_store(changed)
    if "load" in summary:  # the load benchmark's table: each store and number of viewers measured
        store, entry = next(iter(summary["load"]["stores"].items()))
        n = next(iter(entry["levels"]))
        changed["load"]["stores"][store]["levels"][n]["filter"]["p95_s"] = 7.65
        assert "7.65 s" in hooks.benchmarks_load(changed) and "7.65 s" not in hooks.benchmarks_load(summary)


def test_a_benchmark_writes_its_entry_and_keeps_the_others(tmp_path):
    import sys

    sys.path.insert(0, str(REPO))
    from bench.summary import record, step_summary, target

    path = tmp_path / "benchmarks.json"
    path.write_text(json.dumps(_summary()))
    steps = step_summary(
        [{"wall_s": 1.0, "cpu_s": 1.5, "peak_mb": 800.0}, {"wall_s": 2.0, "cpu_s": 2.5, "peak_mb": 900.0}]
    )
    assert set(steps) >= {"wall_median_s", "wall_best_s", "cpu_median_s", "peak_median_mb"}
    record("store", {"conditions": "test", "undo_seconds": 0.5, "targets": [target("undo", "undo_seconds", 1, "s")]},
           path=path)  # fmt: skip
    written = json.loads(path.read_text())
    assert written["store"]["undo_seconds"] == 0.5 and written["store"]["measured"] == dt.date.today().isoformat()
    assert written["engine"] == _summary()["engine"] and written["app"] == _summary()["app"]
    assert "**met**" in hooks.verdicts(written["store"])


# --------------------------------------------------------------------------- the README


README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_short_and_starts_with_the_two_commands():
    assert len(README.splitlines()) <= 150
    first = README.index("bash scripts/run-app.sh")
    assert first < README.index("bash scripts/run-tests.sh") < README.index("## ")


def test_the_readme_code_map_names_every_package():
    code_map = README.split("## Where the code is", 1)[1].split("\n## ", 1)[0]
    for layer in hooks.layers():
        for name in layer:
            if name != "__main__":
                path = (
                    "cli.py" if name == "cli" else f"{name}.py" if (REPO / "insight" / f"{name}.py").exists() else name
                )
                assert re.search(rf"^\s+{re.escape(path)}/?\s", code_map, re.MULTILINE), name


def test_every_link_in_the_readme_and_the_docs_leads_somewhere():
    for link in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (REPO / link).exists(), link
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for page in DOCS.glob("*.md"):
        assert page.name in nav, f"{page.name} is not in mkdocs.yml's nav"
