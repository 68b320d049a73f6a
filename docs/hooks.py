"""MkDocs hook: the reference parts of the docs, generated from the code at build time.

A page asks for a part with a marker on a line of its own, ``<!-- generated: NAME -->``; this hook
replaces it with Markdown built from the project itself, so the docs cannot disagree with it:

- ``cli``: every subcommand of ``insight.cli.build_parser()``, its usage, arguments and help;
- ``survey-keys`` / ``scale-keys`` / ``access-keys``: the key table the parsers accept (``insight.config.keys``);
- ``layers``: the layers of ``insight/`` as ``.importlinter`` enforces them;
- ``packages``: each package and module of ``insight/`` with the first line of its docstring;
- ``benchmarks-engine`` / ``benchmarks-store`` / ``benchmarks-app`` / ``benchmarks-load``: tables from
  ``docs/benchmarks.json``, which the benchmarks write (``bench/summary.py``).

An unknown marker fails the build. The functions are plain (text in, text out) so tests/test_docs.py
calls them without MkDocs.
"""

from __future__ import annotations

import argparse
import ast
import configparser
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # MkDocs restores sys.path once the hook is loaded: import the project now
    sys.path.insert(0, str(REPO))

from insight.cli import build_parser  # noqa: E402
from insight.config.keys import ACCESS, EVENTS, KEYS, SCALES, SURVEYS, Key, default_words, keys_under  # noqa: E402

MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.MULTILINE)


# --------------------------------------------------------------------------- helpers


def text(value: str) -> str:
    """Prose for a table cell: ``|``, ``<`` and ``>`` outside code spans shown as written (a table keeps a
    code span's ``|`` whole)."""
    parts = value.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def code(value: str) -> str:
    return f"`{value}`"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the command line


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, help, parser) of each subcommand, in the order ``build_parser`` adds them."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
    return [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(prog=parser.prog, width=80)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups, prefix="")
    return formatter.format_help().strip()


def _shown_default(value: Any) -> str:
    if isinstance(value, str) and os.path.isabs(value):  # a path beside the repository: say it relatively
        value = os.path.relpath(value, REPO)
    return code(str(value))


def _argument(action: argparse.Action) -> list[str]:
    if action.option_strings:
        name = ", ".join(action.option_strings)
        if action.nargs != 0:
            name += f" {action.metavar or action.dest.upper()}"
    else:
        name = action.metavar or action.dest
        name += " ..." if action.nargs in ("*", "+") else ""
    notes = []
    if action.required and action.option_strings:
        notes.append("required")
    if action.nargs == "*" and not action.option_strings:
        notes.append("any number")
    if isinstance(action, argparse._AppendAction):
        notes.append("may be repeated")
    if action.choices:
        notes.append("one of " + ", ".join(code(str(c)) for c in action.choices))
    if action.default not in (None, False, argparse.SUPPRESS) and action.nargs != 0:
        notes.append("default " + _shown_default(action.default))
    return [code(name), text(action.help or ""), "; ".join(notes)]


def cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    parser = parser or build_parser()
    out = [
        "Generated from `insight.cli.build_parser()`. Run any command with `--help` for the same text.\n",
        table(["command", "what it does"], [[f"[`{n}`](#{n})", text(h)] for n, h, _ in subcommands(parser)]),
    ]
    for name, help_text, sub in subcommands(parser):
        out.append(f"\n### `{name}`\n\n{text(help_text)[:1].upper()}{text(help_text)[1:]}.\n")
        out.append(f"```\n{_usage(sub)}\n```\n")
        rows = [_argument(a) for a in sub._actions if not isinstance(a, argparse._HelpAction)]
        if rows:
            out.append(table(["argument", "meaning", "notes"], rows))
    return "\n".join(out)


# --------------------------------------------------------------------------- survey definition keys


def _keys_table(keys: list[Key]) -> str:
    return table(
        ["key", "holds", "default", "meaning"],
        [[code(k.path), text(k.type), text(default_words(k)), text(k.meaning)] for k in keys],
    )


def survey_keys() -> str:
    keys = [k for k in KEYS if k.file == SURVEYS]
    parents = {k.path.split(".", 1)[0] for k in keys if "." in k.path}
    sections: dict[str, list[Key]] = {}
    for k in keys:  # a key with keys under it gets a section of its own; the plain ones share the first
        top = k.path.split(".", 1)[0]
        sections.setdefault(top if top in parents else "", []).append(k)
    out = [f"Generated from the parser's own key table, `insight/config/keys.py` ({len(keys)} keys).\n"]
    titles = {"": "The survey"}
    for top, group in sections.items():
        out.append(f"\n#### {titles.get(top, code(top))}\n")
        out.append(_keys_table(group))
    templates = sorted(keys_under("dimensions.<key>") - {"use"})
    out.append(
        "\nA dimension template in `config/dimensions.yaml` may hold "
        + ", ".join(code(t) for t in templates)
        + " (every key of `dimensions.<key>` except `use`)."
    )
    return "\n".join(out)


def scale_keys() -> str:
    keys = [k for k in KEYS if k.file == SCALES]
    return f"Generated from `insight/config/keys.py`. Each scale in `config/{SCALES}`:\n\n" + _keys_table(keys)


def access_keys() -> str:
    keys = [k for k in KEYS if k.file == ACCESS]
    return (
        f"Generated from `insight/config/keys.py`, the key table the parser of `config/{ACCESS}` takes its keys "
        "from (`grants[]` is each grant in the list):\n\n" + _keys_table(keys)
    )


def event_keys() -> str:
    keys = [k for k in KEYS if k.file == EVENTS]
    return (
        f"Generated from `insight/config/keys.py`, the key table the parser of `config/{EVENTS}` takes its keys "
        "from (`events[]` is each event in the list):\n\n" + _keys_table(keys)
    )


# --------------------------------------------------------------------------- the layers


def layers(path: Path = REPO / ".importlinter") -> list[list[str]]:
    """The layers of insight/, top first, each a list of the packages that share it."""
    parser = configparser.ConfigParser()
    parser.read(path)
    listed = parser["importlinter:contract:layers"]["layers"].split("\n")
    return [[p.strip() for p in line.split("|")] for line in listed if line.strip()]


def _first_line(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().split("\n\n", 1)[0].replace("\n", " ").replace("``", "`")  # reST literals as Markdown


def _module_path(name: str) -> Path:
    base = REPO / "insight" / name
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _purpose(name: str) -> str:
    return _first_line(_module_path(name)).replace("`", "").rstrip(".")


def layers_diagram() -> str:
    """The layers as a text block: readable in the Markdown source, in a terminal and in the built site."""
    rows = [("   ".join(layer), "; ".join(_purpose(name) for name in layer)) for layer in layers()]
    width = max(len(name) for name, _ in rows) + 4
    lines = ["```text", "insight/   each layer imports only the layers below it (.importlinter)", ""]
    for i, (name, purpose) in enumerate(rows):
        purpose = purpose if len(purpose) <= 56 else purpose[:56].rsplit(" ", 1)[0] + " …"  # fits the page
        lines.append(f"  {name.ljust(width)}{purpose}")
        if i < len(rows) - 1:
            lines.append("    │")
    lines.append("```")
    return "\n".join(lines)


def packages() -> str:
    rows = []
    for layer in layers():
        for name in layer:
            path = _module_path(name)
            rows.append(
                [code(f"insight/{name}{'/' if path.name == '__init__.py' else '.py'}"), text(_first_line(path))]
            )
            if path.name == "__init__.py":
                for module in sorted(path.parent.glob("*.py")):
                    if module.name != "__init__.py":
                        rows.append([code(f"{name}/{module.name}"), text(_first_line(module))])
    return "Generated from the docstrings, layer by layer, top first.\n\n" + table(["module", "what it is"], rows)


# --------------------------------------------------------------------------- benchmarks

BENCHMARKS = Path(__file__).resolve().parent / "benchmarks.json"

STEPS = {
    "cli_import": "CLI import (`python -m insight ingest`, store write included)",
    "cli_import_unpseudonymised": "the same import, Crime Reference not kept (no pseudonyms to make)",
    "bare_read": "bare `pl.read_csv` (the floor)",
    "duckdb_copy": "DuckDB CSV to Parquet (peer)",
    "pandas_ingest": "pandas import (baseline)",
    "xlsx_import": "{xlsx_rows:,}-row .xlsx import, title lines above the header",
    "report_call": "`python -m insight report victim` (interpreter start included)",
}


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 10:
        return f"{value:.1f} s"
    return f"{value:.2f} s" if round(value, 2) == value else f"{value:.3f} s"


def megabytes(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 1000:.2f} GB" if value >= 1000 else f"{value:.0f} MB"


def figure(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "s":
        return seconds(value)
    if unit == "MB":
        return megabytes(value)
    return f"{value:.2f}{unit}"


def _at(entry: dict, path: str) -> Any:
    value: Any = entry
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def verdicts(entry: dict) -> str:
    rows = []
    for t in entry.get("targets", []):
        value = _at(entry, t["value"])
        limit = _at(entry, t["at_most"]) if isinstance(t["at_most"], str) else t["at_most"]
        met = "not measured" if value is None or limit is None else "**met**" if value <= limit else "**not met**"
        rows.append([text(t["figure"]), figure(value, t["unit"]), "≤ " + figure(limit, t["unit"]), met])
    return table(["target", "measured", "target", "verdict"], rows) if rows else ""


def _when(entry: dict) -> str:
    note = f" ({entry['note']})" if entry.get("note") else ""
    return f"Measured {entry['measured']} on {entry['machine']}; {entry['conditions']}{note}."


def _load_benchmarks(path: Path | None = None) -> dict:
    return json.loads((path or BENCHMARKS).read_text(encoding="utf-8"))


def benchmarks_engine(summary: dict | None = None) -> str:
    runs = (summary or _load_benchmarks())["engine"]
    out = []
    for rows, entry in sorted(runs.items(), key=lambda kv: int(kv[0])):
        rounds = f"{entry['rounds']} round{'s' if entry['rounds'] > 1 else ''}"
        out.append(f"\n#### {int(rows):,} responses ({entry['csv_mb']:,} MB CSV), {rounds}\n")
        out.append(_when(entry) + "\n")
        body = []
        for step, label in STEPS.items():
            s = entry["steps"].get(step)
            if not s:
                continue
            wall = seconds(s["wall_median_s"]) + (
                f" ({seconds(s['wall_best_s'])})" if entry["rounds"] > 1 and s.get("wall_best_s") else ""
            )
            peak = megabytes(s["peak_median_mb"])
            if s.get("peak_min_mb") is not None and s["peak_min_mb"] != s["peak_max_mb"]:
                peak += f" ({s['peak_min_mb']:.0f}-{s['peak_max_mb']:.0f})"
            body.append([text(label.format(**entry)), wall, seconds(s.get("cpu_median_s")), peak])
        for key, label in (("full_report_s", "full report, in process (every aspect × dimension × period)"),
                           ("pandas_report_s", "pandas full report, in process")):  # fmt: skip
            if entry["in_process"].get(key) is not None:
                body.append([label, seconds(entry["in_process"][key]), "", ""])
        out.append(table(["step", "wall, median (best)", "CPU, median", "peak memory, median (range)"], body))
        r = entry["ratios"]
        ratios = [f"CLI import / bare read: **{r['import_to_bare']:.2f}×** wall"]
        if r.get("unpseudonymised_to_bare") is not None:
            ratios.append(f"{r['unpseudonymised_to_bare']:.2f}× without pseudonyms")
        if r.get("import_to_bare_cpu") is not None:
            ratios.append(f"{r['import_to_bare_cpu']:.2f}× CPU")
        if r.get("import_to_duckdb") is not None:
            ratios.append(f"CLI import / DuckDB's copy: {r['import_to_duckdb']:.2f}×")
        out.append("\n" + "; ".join(ratios) + ".\n")
        out.append(verdicts(entry))
    return "\n".join(out)


def benchmarks_store(summary: dict | None = None) -> str:
    e = (summary or _load_benchmarks())["store"]
    month = f"{e['month_rows']:,}"
    rows = [[f"import a month of {month} onto {'an empty store' if s == '0' else f'{int(s):,} rows'}", seconds(v)]
            for s, v in e["import_seconds"].items()]  # fmt: skip
    largest = f"{max(int(s) for s in e['import_seconds']):,}"
    rows += [
        [
            f"the same month again, 1% of its answers corrected, onto {largest} rows",
            seconds(e["corrected_month_seconds"]),
        ],
        [f"undo that month on {largest} rows", seconds(e["undo_seconds"])],
        ["first import of a file", seconds(e["reimport"]["first_seconds"])],
        ["re-import of the same file, unchanged", seconds(e["reimport"]["unchanged_seconds"])],
    ]
    rows += [[f"read on {largest} rows: {what}", seconds(v)] for what, v in e["read_seconds"].items()]
    return "\n".join([_when(e) + "\n", table(["", "time"], rows), "", verdicts(e)])


def benchmarks_app(summary: dict | None = None) -> str:
    e = (summary or _load_benchmarks())["app"]
    rows = []
    for size, r in e["stores"].items():
        name = "sample data" if size == "sample" else f"{int(size):,} responses"
        filters = f"{r['filter_change_s'] * 1000:.0f} ms"
        rows.append([name, seconds(r["navigation_s"]), filters, seconds(r["baseline_data_page_s"])])
    header = ["store", "navigation to first chart", "filter change", "baseline: Data page (no figures)"]
    parts = [_when(e) + "\n", table(header, rows), "", verdicts(e)]
    firsts = [
        [
            "sample data" if size == "sample" else f"{int(size):,} responses",
            page,
            seconds(times["cold_s"]),
            seconds(times["warm_s"]),
            seconds(times["returning_s"]) if "returning_s" in times else "not measured",
        ]
        for size, r in e["stores"].items()
        for page, times in r.get("first_view", {}).items()
    ]
    if firsts:
        header = ["store", "page", "first view after a server start (cold)", "opened again (warm)",
                  "after a restart, a browser that has opened the app before"]  # fmt: skip
        parts += ["", table(header, firsts)]
    return "\n".join(parts)


def benchmarks_load(summary: dict | None = None) -> str:
    e = (summary or _load_benchmarks()).get("load")
    if not e:
        return "Not measured yet: run `python bench/bench_load.py`."
    out = [_when(e) + "\n"]
    header = ["store", "viewers", "filter change p50 / p95", "page p95", "errors", "server CPU (cores)",
              "memory per viewer", "runs a second"]  # fmt: skip
    rows = []
    for size, store in e["stores"].items():
        name = f"{int(size):,} responses" if size.isdigit() else size
        for n, f in sorted(store["levels"].items(), key=lambda kv: int(kv[0])):
            filters = f["filter"]
            rows.append([name, n, f"{seconds(filters['p50_s'])} / {seconds(filters['p95_s'])}",
                         seconds(f["page"]["p95_s"]), str(f["errors"]), figure(f.get("server_cores"), ""),
                         megabytes(f.get("mb_per_session")), f"{f['runs_per_s']:.1f}"])  # fmt: skip
        found = store.get("saturates_at")
        verdict = (
            f"passes the p95 target first at {found['sessions']} viewers" if found else "did not pass the p95 target"
        )
        rows.append([name, "", verdict, "", "", "", "", ""])
    out.append(table(header, rows))
    out.append("")
    out.append(verdicts(e))
    return "\n".join(out)


# --------------------------------------------------------------------------- the hook

PARTS: dict[str, Callable[[], str]] = {
    "cli": cli_reference,
    "survey-keys": survey_keys,
    "scale-keys": scale_keys,
    "access-keys": access_keys,
    "event-keys": event_keys,
    "layers": layers_diagram,
    "packages": packages,
    "benchmarks-engine": benchmarks_engine,
    "benchmarks-store": benchmarks_store,
    "benchmarks-app": benchmarks_app,
    "benchmarks-load": benchmarks_load,
}


def generate(markdown: str, where: str = "a page") -> str:
    def part(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PARTS:
            raise ValueError(f"{where}: unknown generated part {name!r}; known: {sorted(PARTS)}")
        return PARTS[name]()

    return MARKER.sub(part, markdown)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return generate(markdown, page.file.src_uri)
