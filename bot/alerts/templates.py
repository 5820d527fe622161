"""The thank-you template language: `{sender} {gift} {count} {coins} {creator}`, validated once, rendered
safely. Several creators can be live at once, so every shout-out names its creator: the default template
says "to {creator}", and a creator's own template that leaves `{creator}` out gets it appended.

Whatever a template, a gift name or a gift message contains, the rendered text never carries a working
`@everyone`, `@here`, role or foreign user mention: only the sender's and the creator's mentions survive. (The Discord
side also sends with allowed mentions restricted to the sender; this is the second lock.)
"""

from __future__ import annotations

import re

from bot.errors import DomainError
from bot.text import neutralise_mentions, single_line

PLACEHOLDERS = ("sender", "gift", "count", "coins", "creator")
TEMPLATE_MAX = 300
MESSAGE_MAX = 200
DEFAULT_TEMPLATE = "{sender} sent {gift} ×{count} to {creator} (🪙 {coins})"

_ALLOWED = "{sender}, {gift}, {count}, {coins} and {creator}"
# `{{` and `}}` are literal braces; `{name}` a placeholder; a lone brace is a mistake.
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_MARKDOWN = re.compile(r"([\\*_~`|>])")
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


def _escape_markdown(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)


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
    gift_text = f"{neutralise_mentions(single_line(emoji))} **{_escape_markdown(neutralise_mentions(single_line(gift)))}**".strip()
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
        parts.append(neutralise_mentions(source[position : match.start()]))
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
            parts.append(neutralise_mentions(token))
    parts.append(neutralise_mentions(source[position:]))
    text = "".join(parts).strip()
    if count > 1 and not has_count:
        text += f" ×{count:,}"
    if not has_creator and creator_mention:
        text += f" → {creator_mention}"
    if message:
        quoted = single_line(message)[:MESSAGE_MAX]
        if quoted:
            text += "\n> " + quoted
    return _safe(text, [mention for mention in (sender_mention, creator_mention) if mention])
