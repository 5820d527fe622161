"""Checks on numbers and text that members type: re-validated in the services, whatever the client
enforced (a crafted request can send anything)."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, overload

from bot.errors import InvalidAmount

_MENTION = re.compile(r"@(everyone|here|[!&]?[0-9]{15,21})")


def neutralise_mentions(text: str) -> str:
    """`@everyone`, `@here`, `<@123>`, `<@&123>` become inert text (a zero-width space after the @)."""
    return _MENTION.sub("@\u200b\\1", text)


def single_line(text: str) -> str:
    """Control characters (newlines included) become spaces; surrounding space is stripped."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text).strip()


def whole_number(value: object, low: int, high: int, what: str) -> int:
    """`value` as an int within [low, high], or InvalidAmount saying what is allowed."""
    if type(value) is not int or not low <= value <= high:
        shown = value if type(value) is int and abs(value) < 10**15 else "that"
        raise InvalidAmount(f"{what} must be a whole number from {low:,} to {high:,} (got {shown}).")
    return value


@overload
def short_text(value: object, max_length: int, what: str, *, required: Literal[True] = True) -> str: ...


@overload
def short_text(value: object, max_length: int, what: str, *, required: bool) -> str | None: ...


def short_text(value: object, max_length: int, what: str, *, required: bool = True) -> str | None:
    """A single-line text of at most `max_length` characters with mentions neutralised;
    None for an empty optional text."""
    if value is None:
        if required:
            raise InvalidAmount(f"{what} is required.")
        return None
    if not isinstance(value, str):
        raise InvalidAmount(f"{what} must be text.")
    text = single_line(value)
    if not text:
        if required:
            raise InvalidAmount(f"{what} cannot be empty.")
        return None
    if len(text) > max_length:
        raise InvalidAmount(f"{what} can be at most {max_length} characters (yours has {len(text)}).")
    return neutralise_mentions(text)


def coin_count(n: int) -> str:
    """ "1 coin", "1,000 coins"."""
    return f"{n:,} coin" if n == 1 else f"{n:,} coins"


def diamond_count(n: int) -> str:
    """ "1 diamond", "2,500 diamonds"."""
    return f"{n:,} diamond" if n == 1 else f"{n:,} diamonds"
