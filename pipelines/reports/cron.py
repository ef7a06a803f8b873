"""A strict five-field cron check (minute hour day-of-month month day-of-week).

Dagster takes the expression as is; this check turns a typo into a spec error with a line
number instead of a schedule that never fires.
"""

from __future__ import annotations

import re

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_NAMES = {
    3: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    4: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
}
_ITEM = re.compile(r"^(?:\*|(?P<lo>\w+)(?:-(?P<hi>\w+))?)(?:/(?P<step>\d+))?$")


def _number(token: str, field: int) -> int | None:
    if token.isdigit():
        return int(token)
    names = _NAMES.get(field, [])
    return names.index(token.lower()) + (1 if field == 3 else 0) if token.lower() in names else None


def cron_problem(expression: str) -> str | None:
    """None when the expression is a valid five-field cron; otherwise what is wrong."""
    parts = expression.split(" ") if isinstance(expression, str) else []
    if len(parts) != 5 or any(not p for p in parts):
        return "a cron needs five fields separated by single spaces: minute hour day month weekday"
    for index, (part, (name, low, high)) in enumerate(zip(parts, _FIELDS, strict=True)):
        for item in part.split(","):
            match = _ITEM.match(item)
            if not match:
                return f"the {name} field {part!r} is not a cron field"
            for token in (match["lo"], match["hi"]):
                if token is None:
                    continue
                value = _number(token, index)
                if value is None or not low <= value <= high:
                    return f"the {name} field {part!r} must be in {low}-{high}"
            if match["step"] is not None and int(match["step"]) == 0:
                return f"the {name} field {part!r} has a zero step"
    return None
