"""The scenario schema as text: a commented TOML file and a Markdown reference.

``python run.py defaults`` prints :func:`render_toml` of the default scenario;
each run writes its resolved scenario the same way; the reference table of
docs/scenarios.md is :func:`render_markdown`, and a test checks that it is up to date.
"""

from __future__ import annotations

import json
import re
import types
import typing
from typing import Any

import annotated_types
import tomlkit
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from simulation.config.base import Section
from simulation.config.loading import _members
from simulation.config.scenario import Scenario
from simulation.core.program import PROGRAM

INLINE_MAX_FIELDS = 3


def allowed(field: FieldInfo) -> str:
    """A field's range or choices as text, e.g. '> 0, <= 1' or "'foryou' | 'random'"."""
    parts = []
    symbols = {annotated_types.Gt: (">", "gt"), annotated_types.Ge: (">=", "ge"),
               annotated_types.Lt: ("<", "lt"), annotated_types.Le: ("<=", "le")}

    def bounds(metadata: typing.Iterable[Any]) -> list[str]:
        found = []
        for constraint in metadata:
            for kind, (symbol, attribute) in symbols.items():
                if isinstance(constraint, kind):
                    bound = getattr(constraint, attribute)
                    found.append(f"{symbol} {bound:g}" if isinstance(bound, float) else
                                 f"{symbol} {bound}")
            if isinstance(constraint, annotated_types.MinLen):
                found.append(f"at least {constraint.min_length} item(s)")
            if isinstance(constraint, FieldInfo):  # Annotated[float, Field(gt=0)] in a union
                found += bounds(constraint.metadata)
        return found

    parts += bounds(field.metadata)
    choices = []
    union = typing.get_origin(field.annotation) in (typing.Union, types.UnionType)
    for member in typing.get_args(field.annotation) if union else (field.annotation,):
        if typing.get_origin(member) is typing.Literal:
            choices += [repr(choice) for choice in typing.get_args(member)]
        elif typing.get_origin(member) is typing.Annotated:
            number, *metadata = typing.get_args(member)
            choices.append(f"{type_name(number)} {', '.join(bounds(metadata))}".strip())
    if choices:
        parts.append(" | ".join(choices))
    elif not any(isinstance(c, annotated_types.Gt | annotated_types.Ge) for c in field.metadata) \
            and any(member in (int, float) for member in _members(field.annotation)):
        parts.insert(0, "any sign")  # negative values are meant (log-odds, weights of appeal)
    return ", ".join(parts)


def type_name(annotation: Any) -> str:
    """A short readable name of a field's type."""
    names = []
    for member in _members(annotation):
        origin = typing.get_origin(member)
        if origin is list:
            names.append(f"list of {type_name(typing.get_args(member)[0])}")
        elif origin is dict:
            names.append(f"table of {type_name(typing.get_args(member)[1])}")
        elif origin is typing.Literal:
            names.append("string")
        elif member is type(None):
            continue
        elif isinstance(member, type) and issubclass(member, BaseModel):
            names.append("table")
        else:
            names.append(getattr(member, "__name__", str(member)))
    return " or ".join(dict.fromkeys(names))


def _is_inline(value: Any) -> bool:
    """Small sections of scalars (distributions) are written as inline tables."""
    return (isinstance(value, Section) and len(type(value).model_fields) <= INLINE_MAX_FIELDS
            and all(not isinstance(getattr(value, f), BaseModel | list | dict)
                    for f in type(value).model_fields))


def _value(value: Any) -> str:
    """A TOML value; tables become inline tables."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ", ".join(f"{_key(key)} = {_value(item)}" for key, item in value.items())
        return f"{{ {items} }}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return tomlkit.item(value).as_string()


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_\-]+", key) else json.dumps(key)


def _comment(text: str, comments: bool) -> list[str]:
    return [f"# {text}"] if comments and text else []


def _render_section(section: Section, path: str, comments: bool, array: bool = False
                    ) -> list[str]:
    """Lines for one section: its header, scalar fields, then sub-tables (TOML's order)."""
    lines: list[str] = []
    if path:
        lines.append(f"[[{path}]]" if array else f"[{path}]")
    tables: list[tuple[str, FieldInfo, Any]] = []
    for name, field in type(section).model_fields.items():
        value = getattr(section, name)
        if value is None:
            if comments:
                lines.append(f"# {name}: {field.description} (absent by default)")
            continue
        is_table = (isinstance(value, BaseModel) and not _is_inline(value)) or (
            isinstance(value, list) and value and isinstance(value[0], BaseModel)) or (
            isinstance(value, dict) and value
            and isinstance(next(iter(value.values())), BaseModel))
        if is_table:
            tables.append((name, field, value))
            continue
        note = field.description or ""
        if _is_inline(value):
            inner = "; ".join(f"{k}: {(f.description or '').rstrip('.')}"
                              for k, f in type(value).model_fields.items())
            note = f"{note} ({inner})"
        elif allowed(field):
            note = f"{note} Allowed: {allowed(field)}."
        lines += _comment(note, comments)
        lines.append(f"{name} = {_value(value)}")
    for name, field, value in tables:
        child = f"{path}.{name}" if path else name
        lines.append("")
        lines += _comment(f"{child}: {field.description}", comments)
        if isinstance(value, list):
            for index, item in enumerate(value):
                if index:
                    lines.append("")
                lines += _render_section(item, child, comments, array=True)
        elif isinstance(value, dict):
            for key, item in value.items():
                lines += _render_section(item, f"{child}.{key}", comments)
                lines.append("")
            lines.pop()
        else:
            lines += _render_section(value, child, comments)
    return lines


def render_toml(scenario: Scenario, comments: bool = True) -> str:
    """The scenario as a TOML file that validates back to the same scenario."""
    header = []
    if comments:
        header = ["# Engagement simulator scenario: every field, with its default.",
                  f"# Validate with `{PROGRAM} validate FILE`; run with `{PROGRAM} run FILE`.",
                  ""]
    return "\n".join(header + _render_section(scenario, "", comments)) + "\n"


def _reference_rows(model: type[Section], path: str) -> list[tuple[str, str, str, str, str]]:
    rows = []
    defaults = model()
    for name, field in model.model_fields.items():
        here = f"{path}.{name}" if path else name
        nested = [m for m in _members(field.annotation)
                  if isinstance(m, type) and issubclass(m, Section)]
        item_models = []
        for member in _members(field.annotation):
            if typing.get_origin(member) in (list, dict):
                inner = typing.get_args(member)[-1]
                if isinstance(inner, type) and issubclass(inner, Section):
                    item_models.append((inner, "[]" if typing.get_origin(member) is list
                                        else ".<name>"))
        if item_models:
            inner, suffix = item_models[0]
            rows.append((here, type_name(field.annotation), "see scenario defaults",
                         allowed(field), field.description or ""))
            rows += _reference_rows(inner, here + suffix)
        elif nested and not _is_inline(getattr(defaults, name)):
            rows += _reference_rows(nested[0], here)
        else:
            default = getattr(defaults, name)
            shown = "absent" if default is None else _value(default)
            rows.append((here, type_name(field.annotation), shown, allowed(field),
                         field.description or ""))
    return rows


def render_markdown() -> str:
    """The scenario reference: one table row per field, generated from the schema."""
    lines = ["| field | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for path, kind, default, limits, meaning in _reference_rows(Scenario, ""):
        cell = default.replace("|", "\\|")
        lines.append(f"| `{path}` | {kind} | `{cell}` | {limits.replace('|', 'or')} | {meaning} |")
    return "\n".join(lines) + "\n"
