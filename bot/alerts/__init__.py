"""Thank-you shout-outs in the alerts channel: the template language and the discord-free engine.

The gift service publishes a `GiftAlert` per send (`services.alerts.publish(alert)` returns a future:
True once the gift is in a posted or edited message, False if it could not be posted); cogs/alerts.py
starts the engine with a Discord sink and stops it (flushing what waits) when unloaded.
"""

from bot.alerts.engine import (
    AlertDeliveryError,
    AlertEngine,
    AlertPublisher,
    AlertSink,
    AlertStats,
    GiftAlert,
    MonotonicTimer,
    Timer,
    split_for_embeds,
)
from bot.alerts.templates import (
    DEFAULT_TEMPLATE,
    PLACEHOLDERS,
    TEMPLATE_MAX,
    InvalidTemplate,
    render_shoutout,
    validate_template,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "PLACEHOLDERS",
    "TEMPLATE_MAX",
    "AlertDeliveryError",
    "AlertEngine",
    "AlertPublisher",
    "AlertSink",
    "AlertStats",
    "GiftAlert",
    "InvalidTemplate",
    "MonotonicTimer",
    "Timer",
    "render_shoutout",
    "split_for_embeds",
    "validate_template",
]
