"""Values in and out of the state file: JSON that keeps a value's type.

A date stays a date, 15.0 stays a float and a formula stays a formula across a round
trip, so the base compares with what the sides hold exactly as it did when it was agreed.
Times are stored as UTC ISO strings (fixed width, so they sort) and come back aware.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from ccrc_sync.errors import StateError
from ccrc_sync.schema import Formula, Value


def utc(moment: dt.datetime) -> dt.datetime:
    """Aware UTC. A naive time is taken to be UTC already (the injected clocks are aware)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    # Fixed width, so the text sorts in time order.
    return utc(moment).isoformat(timespec="microseconds")


def parse(text: str) -> dt.datetime:
    return utc(dt.datetime.fromisoformat(text))


# -- values


def _tag(value: Any) -> Any:
    """JSON-ready form of a value; dates, datetimes and formulas become tagged objects."""
    if isinstance(value, Formula):
        return {"$formula": str(value)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, Mapping):
        return {"$map": {str(k): _tag(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return [_tag(v) for v in value]
    raise StateError(f"A value of type {type(value).__name__} cannot be kept in the state file.")


def types_of(row: Mapping[str, Value] | None) -> tuple[tuple[str, type], ...]:
    """A row's value types: 15 and 15.0 are equal but not the same thing to keep."""
    return tuple((k, type(v)) for k, v in (row or {}).items())


def dumps(value: Any) -> str:
    return json.dumps(_tag(value), ensure_ascii=False, separators=(",", ":"))


def _hook(data: dict[str, Any]) -> Any:
    """The inverse of `_tag`, one JSON object at a time (json calls it innermost first)."""
    if len(data) == 1:
        ((key, value),) = data.items()
        if key == "$formula":
            return Formula(value)
        if key == "$datetime":
            return dt.datetime.fromisoformat(value)
        if key == "$date":
            return dt.date.fromisoformat(value)
        if key == "$map":
            return value
    return data


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_hook)


def encode(value: Value) -> str:
    return dumps(value)


def decode(text: str) -> Value:
    value: Value = loads(text)
    return value


def encode_row(row: Mapping[str, Value]) -> str:
    return dumps(dict(row))


def decode_row(text: str) -> dict[str, Value]:
    row: dict[str, Value] = loads(text)
    return row
