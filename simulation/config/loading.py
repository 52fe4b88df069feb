"""Reading scenario files: TOML or YAML in, a validated :class:`Scenario` out, or one clear error.

Every problem is reported with the file and the field path
(``population.segments[1].intent.a``) and what is allowed, before any work
starts. Command-line overrides (``--set path=value``) go through the same
validation and are reported with the override that caused them.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from simulation.config.scenario import Scenario, check_references
from simulation.config.shipped import find_file, shipped_names
from simulation.core.program import PROGRAM

HINT = (f"Fix the fields above. `{PROGRAM} defaults` prints every field with its default, "
        "and docs/scenarios.md lists each field's allowed range.")


class ScenarioError(Exception):
    """A scenario that cannot be run; ``str(error)`` is the whole message for the user."""

    exit_status = 2


def field_path(parts: typing.Sequence[str | int]) -> str:
    """('population', 'segments', 1, 'intent', 'a') -> 'population.segments[1].intent.a'."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_path(text: str) -> list[str | int]:
    """'population.segments[1].intent.a' -> ['population', 'segments', 1, 'intent', 'a']."""
    if not re.fullmatch(r"[A-Za-z_][\w\-]*(\.[A-Za-z_][\w\-]*|\[\d+\])*", text):
        raise ValueError(f"{text!r} is not a field path like population.segments[1].intent.a")
    return [int(p[1:-1]) if p.startswith("[") else p
            for p in re.findall(r"\[\d+\]|[^.\[\]]+", text)]


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a union annotation, or the annotation itself."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    return [annotation]


def _step(annotation: Any, key: str | int) -> Any | None:
    """The annotation one level down ``key``, or None if the schema has no such place."""
    for member in _members(annotation):
        origin = typing.get_origin(member)
        if isinstance(key, int) and origin is list:
            return typing.get_args(member)[0]
        if isinstance(key, str) and origin is dict:
            return typing.get_args(member)[1]
        if (isinstance(key, str) and isinstance(member, type) and issubclass(member, BaseModel)
                and key in member.model_fields):
            return member.model_fields[key].annotation
    return None


def annotation_at(parts: typing.Sequence[str | int], root: type[BaseModel] = Scenario) -> Any | None:
    """The type annotation at a place in a schema (default: the scenario), or None if no such place."""
    annotation: Any = root
    for part in parts:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    return annotation


def model_fields_at(parts: typing.Sequence[str | int],
                    root: type[BaseModel] = Scenario) -> list[str]:
    """Field names allowed at a place in the scenario schema (empty if not a table)."""
    annotation: Any = root
    for part in parts:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    return [name for member in _members(annotation)
            if isinstance(member, type) and issubclass(member, BaseModel)
            for name in member.model_fields]


def describe_errors(error: ValidationError,
                    root: type[BaseModel] = Scenario) -> list[tuple[str, str]]:
    """pydantic errors as (field path, message) pairs, with union branches folded together.

    ``root`` is the schema that was validated (the scenario, or a sweep file).
    """
    problems: dict[str, list[str]] = {}
    for item in error.errors():
        annotation: Any = root
        parts: list[str | int] = []
        for part in item["loc"]:
            below = _step(annotation, part) if annotation is not None else None
            if below is None and isinstance(part, str) and annotation is not None and \
                    len([m for m in _members(annotation) if m is not type(None)]) > 1:
                continue  # the name of a union branch, not a field (an optional table has none)
            parts.append(part)
            annotation = below
        path = field_path(parts)
        if item["type"] == "extra_forbidden":
            allowed = model_fields_at(parts[:-1], root)
            close = get_close_matches(str(parts[-1]), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"unknown key {parts[-1]!r}{hint}; allowed here: {', '.join(allowed)}"
        elif item["type"] == "missing":
            message = "this field is required"
        else:
            message = f"{item['msg'][0].lower()}{item['msg'][1:]} (got {item.get('input')!r})"
        problems.setdefault(path, [])
        if message not in problems[path]:
            problems[path].append(message)
    return [(path, " or ".join(messages)) for path, messages in problems.items()]


def format_problems(source: str, problems: list[tuple[str, str]]) -> str:
    """One message for the user: the file, each field path and what is wrong, and what to do."""
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    lines = [f"error: {source}: {count}"]
    lines += [f"  {path or '(top level)'}: {message}" for path, message in problems]
    lines.append(HINT)
    return "\n".join(lines)


def resolved(path: Path) -> Path:
    """``path`` made absolute with its links followed, or a ScenarioError for a link loop."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # a symbolic link that leads round in a loop
        raise ScenarioError(f"error: {path}: a symbolic link that leads round in a loop; "
                            "give the scenario file itself") from None


def read_text(path: str | Path) -> str:
    """The text of a scenario or sweep file, or a ScenarioError saying why it cannot be read.

    Refused with one message each: a path that does not exist, a folder, anything that is
    not a regular file (a device, a pipe), a file that cannot be read, and one that is not
    UTF-8 text (a binary file, or text saved in another encoding).
    """
    path = Path(path)
    resolved(path)
    if path.is_dir():
        inside = sorted(p.name for p in path.glob("*.toml"))[:6]
        hint = f" It holds: {', '.join(inside)}." if inside else ""
        raise ScenarioError(f"error: {path}: is a folder, not a scenario file; give a .toml, "
                            f".yaml or .yml file.{hint}")
    if not path.exists():
        shipped = shipped_names()
        hint = (f" Shipped scenarios run by name ({', '.join(shipped[:4])}, ...): "
                f"`{PROGRAM} scenarios` lists all {len(shipped)}." if shipped else "")
        raise ScenarioError(f"error: {path}: no such file. Check the path.{hint}")
    if not path.is_file():
        raise ScenarioError(f"error: {path}: not a regular file; give a .toml, .yaml or .yml file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"error: {path}: cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark, as some editors write, is dropped
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"error: {path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at position "
            f"{exc.start}); a scenario file is text: save it as UTF-8.") from None
    if "\x00" in text:
        raise ScenarioError(f"error: {path}: a binary file (it holds NUL bytes), not a scenario; "
                            "give a .toml, .yaml or .yml text file")
    return text


def read_document(path: str | Path) -> dict:
    """Parse a TOML (.toml) or YAML (.yaml, .yml) file into a dict, or raise ScenarioError."""
    path = Path(path)
    text = read_text(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ScenarioError(f"error: {path}: not valid YAML: {exc}") from None
        document = {} if document is None else document
    elif path.suffix.lower() == ".toml":
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"error: {path}: not valid TOML: {exc}. "
                                "Check quotes, brackets and '=' on that line.") from None
    else:
        raise ScenarioError(f"error: {path}: unknown file type {path.suffix!r}; "
                            "use .toml, .yaml or .yml")
    if not isinstance(document, dict):
        raise ScenarioError(f"error: {path}: the top level must be a table of fields, "
                            f"not {type(document).__name__}")
    return document


def check_seed(value: int, source: str = "--seed") -> int:
    """``value`` if it is a seed the schema allows (the rule of the ``seed`` field of a file:
    0 <= seed < 2**63), else a ScenarioError naming ``source``."""
    seed = Scenario.model_fields["seed"]
    try:
        return TypeAdapter(Annotated[int, *seed.metadata]).validate_python(value)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"]
        raise ScenarioError(f"error: {source}: {message[0].lower()}{message[1:]} (got {value!r}); "
                            "a seed is a whole number from 0 to 2**63 - 1, as the field `seed` "
                            "of a scenario file") from None


def validate_document(document: dict, source: str) -> Scenario:
    """Validate a parsed document against the schema and its cross-references."""
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(format_problems(source, describe_errors(exc))) from None
    problems = check_references(scenario)
    if problems:
        raise ScenarioError(format_problems(source, problems))
    return scenario


def parse_assignment(text: str) -> tuple[list[str | int], Any]:
    """'ranking.weights.like=2.5' -> (['ranking', 'weights', 'like'], 2.5); values are TOML."""
    if "=" not in text:
        raise ValueError(f"--set {text!r}: expected path=value, e.g. ranking.weights.like=2")
    path, raw = (piece.strip() for piece in text.split("=", 1))
    try:
        value = tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word is a string: ranking.policy=random
    return parse_path(path), value


def set_path(document: dict, parts: list[str | int], value: Any) -> None:
    """Set ``value`` at ``parts`` in a nested dict/list, creating tables as needed."""
    node: Any = document
    for depth, part in enumerate(parts[:-1]):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise ValueError(f"{field_path(parts[:depth + 1])}: no item {part} "
                                 f"(the list has {size})")
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise ValueError(f"{field_path(parts[:depth + 1])}: not a table")
            node = node.setdefault(part, {})
    last = parts[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise ValueError(f"{field_path(parts)}: no such list item")
        node[last] = value
    else:
        node[last] = value


def apply_overrides(scenario: Scenario, assignments: typing.Iterable[str],
                    source: str = "--set") -> Scenario:
    """A new scenario with ``path=value`` assignments applied, validated like a file."""
    assignments = list(assignments)
    if not assignments:
        return scenario
    document = scenario.model_dump(mode="json", exclude_none=True)
    for text in assignments:
        try:
            parts, value = parse_assignment(text)
            set_path(document, parts, value)
        except ValueError as exc:
            raise ScenarioError(f"error: {source}: {exc}\n{HINT}") from None
    labels = ", ".join(f"--set {a}" for a in assignments)
    return validate_document(document, f"{source} ({labels})")


def merge_documents(base: dict, changes: dict) -> dict:
    """``changes`` laid over ``base``: tables merge key by key; lists and values replace."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_documents(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_scenario_document(path: str | Path, chain: tuple[Path, ...] = ()) -> dict:
    """A scenario file as one document, with ``extends`` and ``set`` resolved.

    ``extends = "other.toml"`` (relative to this file) starts from another scenario
    file and lays this one over it; ``[set]`` assigns fields by path after that
    (``"creators[7].offer.price" = 20``), so a control can differ from its
    scenario in one named place.
    """
    path = Path(path)
    if resolved(path) in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path.resolve()))
        raise ScenarioError(f"error: {path}: `extends` goes round in a circle: {cycle}")
    document = read_document(path)
    base = document.pop("extends", None)
    assignments = document.pop("set", None)
    if base is not None:
        if not isinstance(base, str):
            raise ScenarioError(f"error: {path}: extends: expected a file name (a string), "
                                f"got {base!r}")
        document = merge_documents(
            read_scenario_document(path.parent / base, (*chain, resolved(path))), document)
    if assignments is not None:
        if not isinstance(assignments, dict):
            raise ScenarioError(f"error: {path}: set: expected a table of path = value")
        for key, value in assignments.items():
            try:
                set_path(document, parse_path(key), value)
            except ValueError as exc:
                raise ScenarioError(f"error: {path}: set.{key!r}: {exc}\n{HINT}") from None
    return document


def load_scenario(path: str | Path, overrides: typing.Iterable[str] = ()) -> Scenario:
    """Read, validate and override a scenario file; raises ScenarioError with a full message.

    The file is laid over the default scenario: its tables merge with the defaults
    key by key (``[styles.entertainment] trend_riding = 0.9`` keeps the style's other
    defaults and the other styles), and its lists replace the defaults' lists.
    """
    path = find_file(path)  # a file, or a shipped scenario by name (``baseline``)
    defaults = Scenario().model_dump(mode="json", exclude_none=True)
    document = merge_documents(defaults, read_scenario_document(path))
    scenario = validate_document(document, str(path))
    return apply_overrides(scenario, overrides, source=str(path))
