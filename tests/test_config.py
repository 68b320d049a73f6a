"""The one configuration loader: every mistake across every file at once, strict types, safe YAML."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from insight.config.files import MAX_CONFIG_BYTES, ConfigError
from insight.config.loader import load_config
from tests.conftest import REPO, copy_config
from tests.test_cli import run

# The classic "billion laughs" in a few hundred bytes: nine levels of ten aliases each, 10^9 strings if expanded.
ALIAS_BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def mistakes(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    return [str(m) for m in caught.value.mistakes]


def test_the_bundled_configuration_loads():
    config = load_config()
    assert list(config.definitions)[:2] == ["victim", "caller_101"]
    assert set(config.census.tables) == {"age", "ethnicity", "gender"}
    assert "waiting" in {t.key for t in config.themes}


def test_every_mistake_in_every_file_is_reported_at_once(tmp_path):
    config = copy_config(tmp_path)
    edit(config / "scales.yaml", "positive: [Very easy, Fairly easy]", "positive: [Very easy, Quite easy]")
    victim = config / "surveys" / "victim.yaml"
    edit(victim, "min_base: 10", "min_base: ten")
    edit(victim, "title: Victim satisfaction survey", "title: [1, 2]")
    edit(victim, "  npu: {use: npu, column: NPU}", "  npu: {use: npus, column: NPU}")
    edit(config / "surveys" / "caller_101.yaml", 'formats: ["%d/%m/%Y"]', 'formats: ["%d/%m/%Y", "dd/mm/yyyy"]')
    edit(config / "census" / "age.yaml", "16-24: 163739", "16-24: lots")
    edit(config / "themes.yaml", '"\\\\bwait"', '"(wait"')
    found = mistakes(config)
    expected = [
        "scales.yaml: easy_5.positive: 'Quite easy' is not on the scale",
        "surveys/victim.yaml: suppression.min_base: expected a whole number, got 'ten'",
        "surveys/victim.yaml: title: expected text, got [1, 2]",
        "surveys/victim.yaml: dimensions.npu.use: no dimension template 'npus'",
        "surveys/caller_101.yaml: period.formats[1]: 'dd/mm/yyyy' is not a date format that can be read back",
        "census/age.yaml: areas.Birmingham.16-24: expected a whole number, got 'lots'",
        "themes.yaml: waiting.patterns[0]: '(wait' is not a valid pattern",
    ]
    for text in expected:
        assert any(m.startswith(text) for m in found), (text, found)
    assert len(found) == len(expected), found


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("min_base: 10", "min_base: yes", "suppression.min_base: expected a whole number, got True"),
        ("min_base: 10", "min_base: ten", "suppression.min_base: expected a whole number, got 'ten'"),
        ("min_base: 10", "min_base: 10.5", "suppression.min_base: expected a whole number, got 10.5"),
        ("caution_base: 50", 'caution_base: 50\n  secondary: "false"',
         "suppression.secondary: expected true or false (unquoted), got 'false'"),
        ("title: Victim satisfaction survey", "title: [1, 2]", "title: expected text, got [1, 2]"),
        ("title: Victim satisfaction survey", "title: yes", "title: YAML read True as true/false"),
        ("kind: survey", "kind: poll", "kind: 'poll' is not one of ['survey', 'membership']"),
        ("  npu: {use: npu, column: NPU}", "  npu: {use: npu, column: NPU, area: 1}",
         "dimensions.npu.area: expected true or false (unquoted), got 1"),
        ('formats: ["%d/%m/%Y %H:%M", "%d/%m/%Y"]', 'formats: ["%d/%m/%Y %H:%M", "%Q"]',
         "period.formats[1]: '%Q' is not a date format that can be read back"),
        ("headline: overall", "headline: overall\ncolour: blue", "(top): unknown key(s) ['colour']"),
    ],
)  # fmt: skip
def test_types_are_checked_strictly(tmp_path, old, new, message):
    config = copy_config(tmp_path)
    edit(config / "surveys" / "victim.yaml", old, new)
    found = mistakes(config)
    assert len(found) == 1, found
    assert found[0].startswith(f"surveys/victim.yaml: {message}"), found


def test_a_census_table_a_survey_names_must_exist(tmp_path):
    config = copy_config(tmp_path)
    (config / "census" / "gender.yaml").unlink()
    found = mistakes(config)
    assert (
        "surveys/victim.yaml: dimensions.gender.census: no census table 'gender'; tables: ['age', 'ethnicity']" in found
    )
    assert any(m.startswith("surveys/wmnow.yaml: dimensions.gender.census") for m in found)


def test_an_npu_without_a_census_area_is_named(tmp_path):
    config = copy_config(tmp_path)
    edit(config / "census" / "areas.yaml", "  Walsall: Walsall\n", "")
    found = mistakes(config)
    assert "surveys/victim.yaml: dimensions.npu: no census area in census/areas.yaml for ['Walsall']" in found


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path):
    assert len(ALIAS_BOMB.encode()) < 400
    config = copy_config(tmp_path)
    (config / "themes.yaml").write_text(ALIAS_BOMB)
    start = time.perf_counter()
    found = mistakes(config)
    assert time.perf_counter() - start < 5  # expanded, it would take minutes and gigabytes
    assert found == ["themes.yaml: not valid YAML (line 1, column 4): YAML anchors and aliases (&name, *name) "
                     "are not allowed: write the value out"]  # fmt: skip


def test_an_anchor_alone_and_a_repeated_key_are_refused(tmp_path):
    config = copy_config(tmp_path)
    edit(config / "surveys" / "victim.yaml", "suppression:\n", "suppression: &s\n")
    edit(config / "surveys" / "wmnow.yaml", "title: WMNow membership", "title: WMNow membership\ntitle: Other")
    found = mistakes(config)
    assert any(m.startswith("surveys/victim.yaml: not valid YAML") and "anchors" in m for m in found)
    assert any(m.startswith("surveys/wmnow.yaml: not valid YAML") and "'title' appears twice" in m for m in found)


def test_an_oversized_file_is_refused_unread(tmp_path):
    config = copy_config(tmp_path)
    (config / "themes.yaml").write_text("# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    assert mistakes(config) == [
        f"themes.yaml: is {(config / 'themes.yaml').stat().st_size:,} bytes; "
        f"a configuration file may be at most {MAX_CONFIG_BYTES:,}"
    ]


def test_python_tags_are_refused(tmp_path):
    config = copy_config(tmp_path)
    marker = tmp_path / "pwned"
    (config / "surveys" / "evil.yaml").write_text(f"dataset: !!python/object/apply:os.system ['touch {marker}']\n")
    assert any(m.startswith("surveys/evil.yaml: not valid YAML") for m in mistakes(config))
    assert not marker.exists()


def broken(tmp_path: Path) -> Path:
    config = copy_config(tmp_path)
    edit(config / "surveys" / "victim.yaml", "min_base: 10", "min_base: yes")
    edit(config / "themes.yaml", '"\\\\bwait"', '"(wait"')
    return config


@pytest.mark.parametrize("command", [["check-config"], ["report", "victim"], ["ingest", "victim", "x.csv"]])
def test_every_command_lists_every_mistake_and_exits_1(tmp_path, monkeypatch, command):
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(broken(tmp_path)))
    done = run(*command)
    assert done.returncode == 1
    assert "rejected: 2 mistake(s) in the configuration files" in done.stderr
    assert "surveys/victim.yaml: suppression.min_base: expected a whole number, got True" in done.stderr
    assert "themes.yaml: waiting.patterns[0]: '(wait' is not a valid pattern" in done.stderr


def test_check_config_passes_on_the_bundled_files():
    done = run("check-config")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("config OK")


def test_the_app_lists_the_mistakes_instead_of_crashing(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("INSIGHT_CONFIG_DIR", str(broken(tmp_path)))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "The app's configuration needs correcting"
    assert "2 mistake(s)" in at.error[0].value
    assert at.code[0].value.splitlines() == [
        "surveys/victim.yaml: suppression.min_base: expected a whole number, got True",
        "themes.yaml: waiting.patterns[0]: '(wait' is not a valid pattern (unclosed group)",
    ]


def test_a_further_file_joins_the_one_list_of_mistakes(tmp_path, monkeypatch):
    """The hook for files such as access.yaml: parsed safely, mistakes listed with every other."""
    from insight.config import loader as config_module

    def parse_access(reader, raw, datasets):
        roles = reader.mapping(raw, "", required=True)
        for role, names in roles.items():
            for name in reader.labels(names, role):
                if name not in datasets:
                    reader.note(role, f"no survey {name!r}")
        return roles

    monkeypatch.setitem(config_module.EXTRA_FILES, "access.yaml", parse_access)
    config = broken(tmp_path)
    (config / "access.yaml").write_text("managers: [victim, victims]\n")
    found = mistakes(config)
    assert "access.yaml: managers: no survey 'victims'" in found and len(found) == 3
    (config / "access.yaml").write_text("managers: &m [victim]\n")
    assert any(m.startswith("access.yaml: not valid YAML") and "aliases" in m for m in mistakes(config))
    good = copy_config(tmp_path / "good")
    (good / "access.yaml").write_text("managers: [victim]\n")
    assert load_config(good).extra["access.yaml"] == {"managers": ["victim"]}
