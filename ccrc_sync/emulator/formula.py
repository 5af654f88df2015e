"""A deliberately small formula evaluator.

Enough for emulator users to see a computed value for common formulas (arithmetic, cell
and range references, SUM/COUNTIF/IF/CONCATENATE/HYPERLINK...). Anything else evaluates
to ``#NAME?`` like an unknown function in Sheets. Fidelity beyond that is out of scope.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ccrc_sync.emulator import a1
from ccrc_sync.emulator.jsontypes import JSON
from ccrc_sync.emulator.values import to_serial

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)"
    r'|(?P<str>"(?:[^"]|"")*")'
    r"|(?P<ref>(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)?!?\$?[A-Za-z]{1,3}\$?\d*(?::\$?[A-Za-z]{1,3}\$?\d*)?)"
    r"|(?P<name>[A-Za-z_][\w.]*)"
    r"|(?P<op><>|<=|>=|[-+*/^&=<>(),;:%])"
    r")"
)
MAX_DEPTH = 50


class FormulaError(Exception):
    """A Sheets error value such as ``#DIV/0!``; ``kind`` is the ErrorValue type."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind
        self.message = message


class _Range(list[Any]):
    """Values of a range reference (flattened), kept distinct from scalars."""


EffectiveFn = Callable[..., "JSON | None"]


def evaluate(ss: Any, sheet: Any, text: str, depth: int, effective: EffectiveFn) -> JSON:
    """Evaluate ``=...`` on ``sheet``; returns an ExtendedValue dict."""
    try:
        if depth > MAX_DEPTH:
            raise FormulaError("REF", "Circular dependency detected.")
        parser = _Parser(text[1:], ss, sheet, depth, effective)
        result = parser.parse()
        if isinstance(result, _Range):
            result = result[0] if result else None
        return _to_extended(result)
    except FormulaError as err:
        return {"errorValue": {"type": err.kind, "message": err.message or err.kind}}
    except (ZeroDivisionError, OverflowError):
        return {"errorValue": {"type": "DIVIDE_BY_ZERO", "message": "Division by zero."}}
    except (ValueError, TypeError, IndexError):
        return {"errorValue": {"type": "ERROR", "message": "Formula parse error."}}


def _to_extended(value: Any) -> JSON:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": str(value)}


class _Parser:
    def __init__(self, text: str, ss: Any, sheet: Any, depth: int, eff: EffectiveFn) -> None:
        self.tokens = self._tokenise(text)
        self.pos = 0
        self.ss, self.sheet, self.depth, self.eff = ss, sheet, depth, eff

    @staticmethod
    def _tokenise(text: str) -> list[tuple[str, str]]:
        out, pos = [], 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise FormulaError("ERROR", "Formula parse error.")
            kind = m.lastgroup or "op"
            value = m.group(kind)
            if (
                kind == "ref"
                and re.fullmatch(r"[A-Za-z_][\w.]*", value)
                and not re.search(r"\d", value)
            ):
                kind = "name"
            if kind == "ref" and text[m.end() :].lstrip().startswith("("):
                kind = "name"
            out.append((kind, value))
            pos = m.end()
        return out

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Any:
        value = self.comparison()
        if self.pos != len(self.tokens):
            raise FormulaError("ERROR", "Formula parse error.")
        return value

    def comparison(self) -> Any:
        left = self.concat()
        while self.peek() in ("=", "<>", "<", ">", "<=", ">="):
            op = self.take()[1]
            right = self.concat()
            left = _compare(op, _scalar(left), _scalar(right))
        return left

    def concat(self) -> Any:
        left = self.additive()
        while self.peek() == "&":
            self.take()
            left = _text(_scalar(left)) + _text(_scalar(self.additive()))
        return left

    def additive(self) -> Any:
        left = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            right = _number(_scalar(self.term()))
            left = _number(_scalar(left)) + (right if op == "+" else -right)
        return left

    def term(self) -> Any:
        left = self.power()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            right = _number(_scalar(self.power()))
            left = _number(_scalar(left)) * right if op == "*" else _number(_scalar(left)) / right
        return left

    def power(self) -> Any:
        left = self.unary()
        while self.peek() == "^":
            self.take()
            left = _number(_scalar(left)) ** _number(_scalar(self.unary()))
        return left

    def unary(self) -> Any:
        if self.peek() in ("-", "+"):
            op = self.take()[1]
            value = _number(_scalar(self.unary()))
            return -value if op == "-" else value
        value = self.primary()
        if self.peek() == "%":
            self.take()
            value = _number(_scalar(value)) / 100
        return value

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "num":
            return float(value)
        if kind == "str":
            return value[1:-1].replace('""', '"')
        if kind == "ref":
            return self.reference(value)
        if kind == "name":
            if self.peek() == "(":
                return self.call(value.upper())
            if value.upper() in ("TRUE", "FALSE"):
                return value.upper() == "TRUE"
            raise FormulaError("NAME", f"Unknown range name: '{value}'.")
        if value == "(":
            inner = self.comparison()
            self.expect(")")
            return inner
        raise FormulaError("ERROR", "Formula parse error.")

    def expect(self, op: str) -> None:
        if self.peek() != op:
            raise FormulaError("ERROR", "Formula parse error.")
        self.take()

    def call(self, name: str) -> Any:
        self.expect("(")
        args: list[Any] = []
        if self.peek() != ")":
            while True:
                args.append(self.comparison())
                if self.peek() in (",", ";"):
                    self.take()
                    continue
                break
        self.expect(")")
        fn = _FUNCTIONS.get(name)
        if fn is None:
            raise FormulaError("NAME", f"Unknown function: '{name}'.")
        return fn(*args)

    def reference(self, text: str) -> Any:
        target = self.sheet
        cells = text
        if "!" in text:
            title, cells_part = a1.split_sheet(text)
            target = self.ss.sheet_by_title(title or "")
            if target is None or cells_part is None:
                raise FormulaError("REF", f"Unresolved sheet name '{title}'.")
            cells = cells_part
        box = a1.parse_cells(cells.replace("$", "")).clip(target.rows, target.cols)
        out = _Range()
        assert box.start_row is not None and box.end_row is not None
        assert box.start_col is not None and box.end_col is not None
        for r in range(box.start_row, min(box.end_row, target.rows)):
            for c in range(box.start_col, box.end_col):
                ev = self.eff(self.ss, target, target.cells.get((r, c)), self.depth + 1)
                if ev and "errorValue" in ev:
                    raise FormulaError(
                        ev["errorValue"]["type"], ev["errorValue"].get("message", "")
                    )
                out.append(_python(ev))
        if ":" not in cells:
            return out[0] if out else None
        return out


def _python(ev: JSON | None) -> Any:
    if not ev:
        return None
    for key in ("numberValue", "stringValue", "boolValue"):
        if key in ev:
            return ev[key]
    return None


def _scalar(value: Any) -> Any:
    if isinstance(value, _Range):
        return value[0] if value else None
    return value


def _number(value: Any) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise FormulaError(
            "VALUE", f"Function expects number values. But '{value}' is a text."
        ) from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    elif isinstance(left, str) != isinstance(right, str):
        left, right = _text(left), _text(right)
    left = 0 if left is None else left
    right = 0 if right is None else right
    result: bool = {
        "=": left == right,
        "<>": left != right,
        "<": left < right,
        ">": left > right,
        "<=": left <= right,
        ">=": left >= right,
    }[op]
    return result


def _flat(args: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for arg in args:
        if isinstance(arg, _Range):
            out.extend(arg)
        else:
            out.append(arg)
    return out


def _numbers(args: tuple[Any, ...]) -> list[float]:
    out: list[float] = []
    for arg in args:
        if isinstance(arg, _Range):
            out.extend(
                float(v) for v in arg if isinstance(v, (int, float)) and not isinstance(v, bool)
            )
        elif arg is not None:
            out.append(_number(arg))
    return out


def _countif(rng: Any, criterion: Any) -> float:
    items = rng if isinstance(rng, _Range) else [rng]
    crit = _text(criterion)
    m = re.match(r"^(<>|<=|>=|<|>|=)?(.*)$", crit)
    assert m
    op, target = m.group(1) or "=", m.group(2)
    try:
        target_value: Any = float(target)
    except ValueError:
        target_value = target
    count = 0
    for item in items:
        if item is None and op == "=" and target_value != "":
            continue
        try:
            if _compare(op, item, target_value):
                count += 1
        except TypeError:
            continue
    return float(count)


def _round(value: Any, digits: Any = 0) -> float:
    factor = 10 ** int(_number(digits))
    number = _number(value) * factor
    return float(
        math.floor(number + 0.5) / factor if number >= 0 else -math.floor(-number + 0.5) / factor
    )


def _average(*args: Any) -> float:
    nums = _numbers(args)
    if not nums:
        raise FormulaError(
            "DIVIDE_BY_ZERO", "Evaluation of function AVERAGE caused a divide by zero error."
        )
    return sum(nums) / len(nums)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "SUM": lambda *a: sum(_numbers(a)),
    "AVERAGE": _average,
    "MIN": lambda *a: min(_numbers(a), default=0.0),
    "MAX": lambda *a: max(_numbers(a), default=0.0),
    "COUNT": lambda *a: float(
        len(_numbers(tuple(x for x in _flat(a) if isinstance(x, (int, float)))))
    ),
    "COUNTA": lambda *a: float(len([x for x in _flat(a) if x not in (None, "")])),
    "COUNTBLANK": lambda *a: float(len([x for x in _flat(a) if x in (None, "")])),
    "COUNTIF": _countif,
    "IF": lambda cond, yes=True, no=False: yes if _scalar(cond) else no,
    "IFERROR": lambda value, fallback="": value,
    "AND": lambda *a: all(bool(x) for x in _flat(a)),
    "OR": lambda *a: any(bool(x) for x in _flat(a)),
    "NOT": lambda x: not _scalar(x),
    "CONCATENATE": lambda *a: "".join(_text(x) for x in _flat(a)),
    "CONCAT": lambda a, b: _text(_scalar(a)) + _text(_scalar(b)),
    "LEN": lambda x: float(len(_text(_scalar(x)))),
    "UPPER": lambda x: _text(_scalar(x)).upper(),
    "LOWER": lambda x: _text(_scalar(x)).lower(),
    "TRIM": lambda x: " ".join(_text(_scalar(x)).split()),
    "ROUND": _round,
    "ABS": lambda x: abs(_number(_scalar(x))),
    "HYPERLINK": lambda url, label=None: _text(_scalar(label if label is not None else url)),
    "TODAY": lambda: float(to_serial(date.today())),
    "NOW": lambda: to_serial(datetime.now()),
    "ROWS": lambda r: float(len(r)) if isinstance(r, _Range) else 1.0,
}
