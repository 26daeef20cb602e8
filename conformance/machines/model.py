"""Comparing what was sent with what the server returns.

The server may add to what it was sent (server-set fields, extra metadata keys, href/type on
references) but may not drop or change anything: every member sent must come back equal. Date-times
compare as instants, so 08:00:00Z and 08:00:00.000Z agree.
"""

from __future__ import annotations

from typing import Any

from conformance.client import instant

DATE_TIME_MEMBERS = frozenset({"scoreDate", "assignDate", "dueDate", "dateLastModified"})
SERVER_SET = frozenset({"dateLastModified"})


def differences(sent: Any, got: Any, path: str = "") -> list[str]:
    """Every place where ``got`` does not hold what ``sent`` holds, as readable lines."""
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return [f"{path or '/'}: sent an object, got {_show(got)}"]
        out: list[str] = []
        for key, value in sent.items():
            where = f"{path}/{key}"
            if key in SERVER_SET and not path:
                continue  # the official binding's DTypes make a client send it; the server sets its own
            if key not in got:
                out.append(f"{where}: sent {_show(value)}, missing in the response")
            elif key in DATE_TIME_MEMBERS and isinstance(value, str) and isinstance(got[key], str):
                if value == got[key]:
                    continue  # the same text (a date-only scoreDate in the official binding, too)
                if instant(value) is None or instant(value) != instant(got[key]):
                    out.append(f"{where}: sent {value!r}, got {got[key]!r}")
            else:
                out += differences(value, got[key], where)
        return out
    if isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            return [f"{path}: sent {_show(sent)}, got {_show(got)}"]
        out = []
        for i, (a, b) in enumerate(zip(sent, got, strict=True)):
            out += differences(a, b, f"{path}/{i}")
        return out
    if isinstance(sent, bool) or isinstance(got, bool):
        return [] if type(sent) is type(got) and sent == got else [f"{path}: sent {_show(sent)}, got {_show(got)}"]
    if isinstance(sent, int | float) and isinstance(got, int | float):
        return [] if sent == got else [f"{path}: sent {sent!r}, got {got!r}"]
    return [] if sent == got and type(sent) is type(got) else [f"{path}: sent {_show(sent)}, got {_show(got)}"]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"
