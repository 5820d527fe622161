"""Assertions on the generic reply to an unexpected failure."""

from __future__ import annotations

import re

from bot.tree import apology

REFERENCE = re.compile(r"error reference `([0-9A-F]{6})`")


def assert_apology(text: str | None) -> str:
    """`text` is the generic apology (never a claim about money); returns its error reference."""
    assert text is not None
    found = REFERENCE.search(text)
    assert found is not None, text
    assert text == apology(found[1])
    assert "`/wallet history`" in text and "Nothing was charged" not in text
    return found[1]
