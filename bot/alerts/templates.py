"""The thank-you template language: `{sender} {gift} {count} {coins} {creator}`, validated once, rendered
safely. Several creators can be live at once, so every shout-out names its creator: the default template
says "to {creator}", and a creator's own template that leaves `{creator}` out gets it appended.

Whatever a template, a gift name or a gift message contains, the rendered text never carries a working
`@everyone`, `@here`, role or foreign user mention: only the sender's and the creator's mentions survive. (The Discord
side also sends with allowed mentions restricted to the sender; this is the second lock.) Text typed by
members (the template's own words, gift names, gift messages) is shown as plain text: see `plain_text`.
"""

from __future__ import annotations

import re
import unicodedata

from bot.errors import DomainError
from bot.text import neutralise_mentions, single_line

PLACEHOLDERS = ("sender", "gift", "count", "coins", "creator")
TEMPLATE_MAX = 300
MESSAGE_MAX = 200
DEFAULT_TEMPLATE = "{sender} sent {gift} ×{count} to {creator} (🪙 {coins})"

_ALLOWED = "{sender}, {gift}, {count}, {coins} and {creator}"
# `{{` and `}}` are literal braces; `{name}` a placeholder; a lone brace is a mistake.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
# What Discord's markdown reads anywhere in a line: emphasis, code, spoilers, masked links `[text](url)`.
_INLINE_MARKDOWN = re.compile(r"([\\*_~`|\[\]])")
# What it reads at the start of a line (a piece of member text may start one): headings, `-#` subtext,
# quotes, list items.
_LEADING_MARKDOWN = re.compile(r"^(\s*)(?:([#>\-+])|(\d+)([.)]))")
# Kept as they are: links (wrapped in <…>, no preview) and the server's custom emoji.
_VERBATIM = re.compile(r"(https?://[^\s<>]+)|(<a?:\w{2,32}:\d{15,21}>)", re.IGNORECASE)
_URL_TRAILING = ").,;:!?'\""
_ZERO_WIDTH_JOINER = "\u200d"
# Mass mentions in any case and every user/role mention form, whatever the number of digits.
_MASS_MENTION = re.compile(r"@(?=(?:everyone|here)\b)", re.IGNORECASE)
_TAG_MENTION = re.compile(r"<@(?=[!&]?\d+>)")


class InvalidTemplate(DomainError):
    """A thank-you template the alerts engine cannot use; the message says what to fix."""


def validate_template(text: str) -> str:
    """The template as it will be stored (one line, placeholders normalised), or InvalidTemplate."""
    if not isinstance(text, str):
        raise InvalidTemplate("The thank-you message must be text.")
    template = single_line(text)
    if not template:
        raise InvalidTemplate(f"The thank-you message cannot be empty. You can use {_ALLOWED}.")
    if len(template) > TEMPLATE_MAX:
        raise InvalidTemplate(
            f"The thank-you message can be at most {TEMPLATE_MAX} characters (yours has {len(template)})."
        )
    parts: list[str] = []
    position = 0
    for match in _TOKEN.finditer(template):
        parts.append(template[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token)
            continue
        if token in ("{", "}"):
            raise InvalidTemplate(
                f"There is a stray `{token}` in your thank-you message. Placeholders are written "
                f"{_ALLOWED}; write `{token * 2}` for a literal brace."
            )
        name = match.group(1).strip().lower()
        if name not in PLACEHOLDERS:
            shown = neutralise_mentions(single_line(match.group(0)))[:40]
            raise InvalidTemplate(f"Unknown placeholder `{shown}`: you can use {_ALLOWED}.")
        parts.append("{" + name + "}")
    parts.append(template[position:])
    return "".join(parts)


def _keeps_emoji_together(text: str, index: int) -> bool:
    """A zero-width joiner between two emoji (👩‍💻) is part of the emoji, not a hidden trick."""
    before = text[index - 1] if index else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return (
        bool(before and after)
        and unicodedata.category(after) == "So"
        and (unicodedata.category(before) in ("So", "Sk", "Mn"))
    )


def _without_invisible(text: str) -> str:
    """Control characters become spaces; format characters (Unicode Cf: bidi overrides, zero-width
    spaces, invisible tags) go, except a joiner inside an emoji."""
    kept = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cc":
            kept.append(" ")
        elif category != "Cf" or (char == _ZERO_WIDTH_JOINER and _keeps_emoji_together(text, index)):
            kept.append(char)
    return "".join(kept)


def _escape_words(text: str) -> str:
    text = _INLINE_MARKDOWN.sub(r"\\\1", text)
    return _LEADING_MARKDOWN.sub(_escape_leading, text)


def _escape_leading(match: re.Match[str]) -> str:
    space, mark, number, after_number = match.groups()
    return f"{space}\\{mark}" if mark else f"{space}{number}\\{after_number}"


def plain_text(text: str) -> str:
    """Member-typed text as Discord shows it literally: invisible format and control characters removed,
    markdown escaped (so `[free Nitro](https://…)` is not a masked link and `# big` not a heading), and
    every link wrapped in `<…>` so that Discord shows no preview for it. Pure: no discord import."""
    text = _without_invisible(text)
    pieces: list[str] = []
    position = 0
    for match in _VERBATIM.finditer(text):
        pieces.append(_escape_words(text[position : match.start()]))
        url = match.group(1)
        if url is None:  # a custom emoji
            pieces.append(match.group(0))
            position = match.end()
            continue
        trimmed = url.rstrip(_URL_TRAILING)
        if ")" in url[len(trimmed) :] and trimmed.count("(") > trimmed.count(")"):
            trimmed += ")"  # a link that really ends in ")" (Wikipedia's)
        pieces.append(f"<{trimmed}>")
        position = match.start() + len(trimmed)
    pieces.append(_escape_words(text[position:]))
    return "".join(pieces)


def _safe(text: str, kept: list[str]) -> str:
    """Neutralise every mention in `text` except the `kept` ones (the sender's and creator's)."""
    if not kept:
        return _neutralise(text)
    first, rest = kept[0], kept[1:]
    return first.join(_safe(piece, rest) for piece in text.split(first))


def _neutralise(text: str) -> str:
    text = neutralise_mentions(text)
    text = _MASS_MENTION.sub("@\u200b", text)
    return _TAG_MENTION.sub("<@\u200b", text)


def render_shoutout(
    template: str | None,
    *,
    sender_mention: str,
    creator_mention: str,
    gift: str,
    emoji: str,
    count: int,
    coins: int,
    message: str | None = None,
) -> str:
    """The shout-out text: the creator's template (or the default) filled in, with the sender's optional
    gift message quoted under it. Never raises: an unvalidated template's unknown placeholders stay as
    text. When the template has no `{count}` and more than one gift was sent, ` ×N` is appended; when it
    has no `{creator}`, ` → @creator` is."""
    gift_text = f"{neutralise_mentions(single_line(emoji))} **{plain_text(neutralise_mentions(single_line(gift)))}**".strip()
    values = {
        "sender": sender_mention,
        "gift": gift_text,
        "count": f"{count:,}",
        "coins": f"{coins:,}",
        "creator": creator_mention,
    }
    source = single_line(template) if template and template.strip() else DEFAULT_TEMPLATE
    has_count = has_creator = False
    parts: list[str] = []
    position = 0
    for match in _TOKEN.finditer(source):
        parts.append(neutralise_mentions(plain_text(source[position : match.start()])))
        position = match.end()
        token = match.group(0)
        name = (match.group(1) or "").strip().lower()
        if token in ("{{", "}}"):
            parts.append(token[0])
        elif name in values:
            has_count = has_count or name == "count"
            has_creator = has_creator or name == "creator"
            parts.append(values[name])
        else:
            parts.append(neutralise_mentions(plain_text(token)))
    parts.append(neutralise_mentions(plain_text(source[position:])))
    text = "".join(parts).strip()
    if count > 1 and not has_count:
        text += f" ×{count:,}"
    if not has_creator and creator_mention:
        text += f" → {creator_mention}"
    if message:
        quoted = plain_text(single_line(message)[:MESSAGE_MAX]).strip()
        if quoted:
            text += "\n> " + quoted
    return _safe(text, [mention for mention in (sender_mention, creator_mention) if mention])
