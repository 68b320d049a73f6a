"""Reading configuration files safely, and naming every mistake in them.

Every YAML file under ``config/`` is read here: size-capped before parsing, with a safe
loader that refuses anchors and aliases (a few hundred bytes of nested aliases can
expand to gigabytes) and repeated keys (YAML would keep the last one silently). The
``Reader`` walks the parsed mapping with strict types and *collects* mistakes, each
naming the file, the key path and what is wrong, so one run reports them all.
``insight.config.loader`` drives the readers of every file and checks the files against each other.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"  # the bundled configuration
MAX_CONFIG_BYTES = 1_000_000  # the largest bundled file is a few kB; a census table for every ward fits easily
SAMPLE_DATE = dt.datetime(2019, 9, 23, 14, 5, 6)  # date formats are tried on this date
_MISSING: Any = object()


@dataclass(frozen=True)
class Mistake:
    file: str  # relative to the config folder, e.g. surveys/victim.yaml
    keypath: str  # e.g. dimensions.npu.use; empty for the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.keypath}: {self.message}" if self.keypath else f"{self.file}: {self.message}"


class ConfigError(ValueError):
    """One or more configuration files are wrong; ``mistakes`` lists every one found."""

    def __init__(self, mistakes: list[Mistake] | str) -> None:
        self.mistakes = [Mistake("config", "", mistakes)] if isinstance(mistakes, str) else list(mistakes)
        super().__init__("\n".join(str(m) for m in self.mistakes))


class Skip(Exception):
    """Abandon the part being read; its mistake is already recorded."""


# --------------------------------------------------------------------------- parsing


class _NoRepeatedKeys(yaml.constructor.SafeConstructor):
    """Refuses a key given twice in one mapping (YAML would keep the last one silently).

    Mixed in before a safe loader, whose SafeConstructor it extends (so the loader's MRO is unchanged).
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _StrictLoader(_NoRepeatedKeys, yaml.SafeLoader):
    """PyYAML's safe loader without anchors, aliases or repeated keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None,
                None,
                "YAML anchors and aliases (&name, *name) are not allowed: write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)


# libyaml's parser (C) reads a file about ten times faster; it is used only where it cannot differ
# from the loader above: no & or * anywhere (no anchor, no alias), no character PyYAML refuses,
# and any error at all sends the file through the loader above, so every mistake is named as it was.
_FastLoader = type("_FastLoader", (_NoRepeatedKeys, yaml.CSafeLoader), {}) if yaml.__with_libyaml__ else None


def _parse(text: str) -> Any:
    if (
        _FastLoader is not None
        and "&" not in text
        and "*" not in text
        and not yaml.reader.Reader.NON_PRINTABLE.search(text)
    ):
        with suppress(yaml.YAMLError):
            return yaml.load(text, Loader=_FastLoader)
    return yaml.load(text, Loader=_StrictLoader)


def read_yaml(path: Path, name: str, mistakes: list[Mistake]) -> Any:
    """The parsed file, or None with a mistake recorded (too big, unreadable, not YAML, aliases)."""
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            mistakes.append(
                Mistake(name, "", f"is {size:,} bytes; a configuration file may be at most {MAX_CONFIG_BYTES:,}")
            )
            return None
        text = path.read_bytes()[: MAX_CONFIG_BYTES + 1].decode("utf-8")
    except UnicodeDecodeError:
        mistakes.append(Mistake(name, "", "is not UTF-8 text"))
        return None
    except OSError as exc:
        mistakes.append(Mistake(name, "", f"cannot be read ({exc.strerror or exc})"))
        return None
    try:
        return _parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        mistakes.append(Mistake(name, "", f"not valid YAML{where}: {problem}"))
        return None


# --------------------------------------------------------------------------- walking


def join(keypath: str, key: object) -> str:
    return f"{keypath}.{key}" if keypath else str(key)


def normalise_label(text: str) -> str:
    """The form two labels are compared in: case, spacing and apostrophes don't matter."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip().casefold()


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Reader:
    """Strictly typed access to one parsed file; every mistake is recorded with its key path.

    A getter that finds a mistake records it and raises ``Skip``; wrap each independent
    part in ``with reader.part():`` so reading carries on with the next part and one run
    reports every mistake.
    """

    def __init__(self, name: str, mistakes: list[Mistake]) -> None:
        self.name = name
        self.mistakes = mistakes
        self._start = len(mistakes)
        self.incomplete = False  # a part was left out because a file it relies on has mistakes (reported there)

    def depends_on_broken(self) -> Skip:
        """Leave this part out quietly: the file it relies on has its own mistakes, reported there."""
        self.incomplete = True
        return Skip()

    @property
    def clean(self) -> bool:
        """No mistake recorded in this file since the reader was made."""
        return len(self.mistakes) == self._start

    def note(self, keypath: str, message: str) -> None:
        self.mistakes.append(Mistake(self.name, keypath, message))

    def fail(self, keypath: str, message: str) -> Skip:
        self.note(keypath, message)
        return Skip()

    @contextmanager
    def part(self) -> Iterator[None]:
        with suppress(Skip):
            yield

    # -- shapes

    def mapping(self, value: Any, keypath: str, *, required: bool = False) -> dict[Any, Any]:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            what = "is required" if value is None else f"expected a mapping (key: value lines), got {_shown(value)}"
            raise self.fail(keypath or "(top)", what)
        return value

    def known_keys(self, node: dict[Any, Any], allowed: set[str] | tuple[str, ...], keypath: str) -> None:
        unknown = sorted(str(k) for k in node if str(k) not in allowed)
        if unknown:
            self.note(keypath or "(top)", f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")

    def get(self, node: dict[Any, Any], key: str, keypath: str, default: Any) -> Any:
        value = node.get(key)
        if value is None:
            if default is _MISSING:
                raise self.fail(join(keypath, key), "is required")
            return default
        return value

    # -- scalars

    def text(self, node: dict[Any, Any], key: str, keypath: str, default: Any = _MISSING) -> str:
        value = self.get(node, key, keypath, default)
        if value is default and default is not _MISSING:
            return value
        return self.as_text(value, join(keypath, key))

    def as_text(self, value: Any, keypath: str) -> str:
        if isinstance(value, bool):
            raise self.fail(keypath, f'YAML read {value!r} as true/false: quote it, e.g. "Yes"')
        if isinstance(value, str):
            if not value.strip():
                raise self.fail(keypath, "is empty")
            return value
        if isinstance(value, int):  # an unquoted number used as a name, e.g. a column called 2019
            return str(value)
        raise self.fail(keypath, f"expected text, got {_shown(value)}")

    def integer(self, node: dict[Any, Any], key: str, keypath: str, default: Any = _MISSING) -> int:
        value = self.get(node, key, keypath, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(join(keypath, key), f"expected a whole number, got {_shown(value)}")
        return value

    def number(self, node: dict[Any, Any], key: str, keypath: str, default: Any = _MISSING) -> float:
        value = self.get(node, key, keypath, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(join(keypath, key), f"expected a number, got {_shown(value)}")
        return float(value)

    def boolean(self, node: dict[Any, Any], key: str, keypath: str, default: Any = _MISSING) -> bool:
        value = self.get(node, key, keypath, default)
        if not isinstance(value, bool):
            raise self.fail(join(keypath, key), f"expected true or false (unquoted), got {_shown(value)}")
        return value

    def choice(
        self, node: dict[Any, Any], key: str, keypath: str, options: tuple[str, ...], default: Any = _MISSING
    ) -> str:
        value = self.text(node, key, keypath, default)
        if value not in options:
            raise self.fail(join(keypath, key), f"{value!r} is not one of {list(options)}")
        return value

    # -- lists

    def labels(self, value: Any, keypath: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of labels; each once (compared as normalise_label does)."""
        if value is None:
            if required:
                raise self.fail(keypath, "is required")
            return ()
        if not isinstance(value, list):
            raise self.fail(keypath, f"expected a list of labels, got {_shown(value)}")
        out = tuple(self.as_text(v, f"{keypath}[{i}]") for i, v in enumerate(value))
        seen: set[str] = set()
        for label in out:
            norm = normalise_label(label)
            if norm in seen:
                raise self.fail(keypath, f"label {label!r} is listed twice")
            seen.add(norm)
        if required and not out:
            raise self.fail(keypath, "is empty")
        return out

    def date_format(self, value: Any, keypath: str, *, prefix: str = "") -> str:
        """A strftime format that reads back the sample date's year and month (``prefix`` is added to both)."""
        fmt = self.as_text(value, keypath)
        if _month_read_back(prefix + fmt) != (SAMPLE_DATE.year, SAMPLE_DATE.month):
            raise self.fail(
                keypath,
                f"{fmt!r} is not a date format that can be read back: 23 September 2019 written this way is "
                f"{SAMPLE_DATE.strftime(fmt)!r}, which it does not read as that month (use codes such as %d/%m/%Y)",
            )
        return fmt


@functools.lru_cache(maxsize=256)
def _month_read_back(fmt: str) -> tuple[int, int] | None:
    """The year and month Polars reads from the sample date written in ``fmt`` (None: unreadable).
    Definitions share a few formats: each is tried once per process."""
    import polars as pl

    try:
        read = pl.Series([SAMPLE_DATE.strftime(fmt)]).str.strptime(pl.Datetime("us"), fmt, strict=False).item()
    except Exception:
        return None
    return None if read is None else (read.year, read.month)
