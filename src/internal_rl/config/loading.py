"""Loading a :class:`~internal_rl.config.sections.RunConfig` from YAML with ``--set key=value`` overrides, and
serialising it (``to_dict``, ``dump_yaml``, ``fingerprint``). Loading is strict: an unknown key, a duplicate key,
a value of the wrong type or an out-of-range value raises :class:`ConfigError` naming the field
(``pretrain.lr``), before anything runs."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from internal_rl.config.checks import ConfigError, require
from internal_rl.config.sections import RunConfig
from internal_rl.train.fields import ADDED_LATER


def _coerce(value: Any, tp: Any, name: str) -> Any:
    """Check ``value`` against the annotation ``tp`` (int, float, bool, str, tuple[...], dataclass)."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        require(isinstance(value, dict), name, f"expected a mapping, got {type(value).__name__}")
        return _from_dict(tp, value, name + ".")
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, name)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if errors else f"{name}: invalid value {value!r}")
    if origin is tuple:
        require(isinstance(value, (list, tuple)), name, f"expected a list, got {value!r}")
        (elem, *_rest) = typing.get_args(tp)
        return tuple(_coerce(v, elem, f"{name}[{i}]") for i, v in enumerate(value))
    if tp is bool:
        require(isinstance(value, bool), name, f"expected true/false, got {value!r}")
        return value
    if tp is int:
        require(isinstance(value, int) and not isinstance(value, bool), name, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        require(
            isinstance(value, (int, float)) and not isinstance(value, bool), name, f"expected a number, got {value!r}"
        )
        require(math.isfinite(float(value)), name, f"expected a finite number, got {value!r}")
        return float(value)
    if tp is str:
        require(isinstance(value, str), name, f"expected a string, got {value!r}")
        return value
    raise ConfigError(f"{name}: unsupported field type {tp!r}")


def _from_dict(cls: type, data: dict, prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            raise ConfigError(f"{prefix}{key}: unknown key (valid: {', '.join(sorted(names))})")
    kwargs = {k: _coerce(v, hints[k], prefix + k) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except ValueError as e:  # re-raise with the full dotted path (ConfigError is a ValueError)
        msg = str(e)
        raise ConfigError(msg if msg.startswith(prefix) else prefix + msg) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"pretrain.lr=1e-3"`` -> (["pretrain", "lr"], 0.001); the value is parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected key=value")
    key, raw = text.split("=", 1)
    value = yaml.safe_load(raw) if raw.strip() else ""
    if isinstance(value, str):  # YAML reads 1e-3 as a string; accept scientific notation as a number
        try:
            value = float(value) if any(c in value.lower() for c in ".e") else value
        except ValueError:
            pass
    return key.strip().split("."), value


def _at_added_default(obj: Any, f: dataclasses.Field) -> bool:
    if not f.metadata.get(ADDED_LATER):
        return False
    default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
    return getattr(obj, f.name) == default


def to_dict(cfg: Any, drop_added_defaults: bool = False) -> dict:
    """Dataclass -> plain dict (tuples become lists) suitable for YAML/JSON; ``drop_added_defaults`` leaves out
    fields added later that are at their default (see :func:`added_later`)."""

    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {
                f.name: conv(getattr(v, f.name))
                for f in dataclasses.fields(v)
                if not (drop_added_defaults and _at_added_default(v, f))
            }
        if isinstance(v, tuple):
            return [conv(x) for x in v]
        return v

    return conv(cfg)


def from_dict(data: dict, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Build a validated RunConfig from a (partial) dict plus ``key=value`` overrides."""
    data = json.loads(json.dumps(data))  # deep copy
    for text in overrides:
        path, value = parse_override(text)
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{'.'.join(path)}: {part} is not a section")
        node[path[-1]] = value
    return _from_dict(RunConfig, data)


def load_config(path: str | Path | None, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Load ``configs/<name>.yaml`` (or defaults when ``path`` is None) and apply overrides."""
    data: dict = {}
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"config file {p} does not exist")
        if not p.is_file():
            raise ConfigError(f"config file {p} is not a file")
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"config file {p} cannot be read as UTF-8 text ({e})") from None
        try:
            data = yaml.load(text, Loader=_StrictLoader)
        except yaml.YAMLError as e:
            where = getattr(e, "problem_mark", None)
            at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
            raise ConfigError(f"config file {p}: invalid YAML{at}: {getattr(e, 'problem', None) or e}") from None
        if data is None:
            raise ConfigError(f"config file {p} is empty (write the fields to change, or omit --config)")
        if not isinstance(data, dict):
            raise ConfigError(f"config file {p}: expected a mapping at the top level")
    return from_dict(data, overrides)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML keeps the last one silently)."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def dump_yaml(cfg: Any) -> str:
    return yaml.safe_dump(to_dict(cfg), sort_keys=False)


def fingerprint(*parts: Any) -> str:
    """Stable hash of config sections: a stage is redone when the sections it depends on change."""
    blob = json.dumps(
        [to_dict(p, drop_added_defaults=True) if dataclasses.is_dataclass(p) else p for p in parts], sort_keys=True
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
