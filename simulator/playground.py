"""The playground's page and its JSON API, served by the simulator's own aiohttp app on 127.0.0.1.

Whoever uses the page acts as one person of the demo guild at a time: commands and button presses become
interactions the simulator sends the bot over the gateway, exactly as the e2e tests send them (through the
same `Driver`, from the schema the bot registered). Nothing here talks to the bot in any other way.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from simulator.demo import DemoPeople, label_of
from simulator.discord_payloads import ADMINISTRATOR, MANAGE_GUILD, MEMBER_PERMISSIONS, Member, snowflake
from simulator.driver import (
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    USER,
    Driver,
)
from simulator.fake_discord import GENERAL_CHANNEL_ID, FakeDiscord, InteractionLog
from simulator.tour import PAUSE_S, Tour
from simulator.views import Views

STATIC = Path(__file__).with_name("static")
ANSWER_WITHIN_S = 10.0
NAME_MAX = 32
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "frame-src http://127.0.0.1:* http://localhost:*; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
JSON = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_new_user_ids = itertools.count(960_000_000_000_000_001)


class RequestError(Exception):
    """A request the page should not have sent; its message is shown to the person."""


class Playground:
    """Adds the page and `/play/api/*` to a FakeDiscord's app (call before `fake.start`)."""

    def __init__(self, fake: FakeDiscord, people: DemoPeople, *, tour_pause_s: float = PAUSE_S) -> None:
        self.fake = fake
        self.people = people
        self.views = Views(fake)
        self.tour = Tour(fake, people, tour_pause_s)
        # Each creator's alert box, as `/overlay url` gave it to them: shown beside the channel.
        self.overlays: dict[int, str] = {}

    def install(self) -> None:
        app = self.fake.app
        app.middlewares.append(self._guard)
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC, show_index=False)
        app.router.add_get("/play/api/people", self._api(self._people))
        app.router.add_get("/play/api/state", self._api(self._state))
        app.router.add_post("/play/api/command", self._api(self._command))
        app.router.add_post("/play/api/autocomplete", self._api(self._autocomplete))
        app.router.add_post("/play/api/press", self._api(self._press))
        app.router.add_post("/play/api/people", self._api(self._add_person))
        app.router.add_post("/play/api/roles", self._api(self._add_role))
        app.router.add_post("/play/api/role-grants", self._api(self._grant_role))
        app.router.add_post("/play/api/tour", self._api(self._start_tour))
        app.router.add_get("/play/api/attachment/{message_id}/{index}", self._attachment)

    async def stop(self) -> None:
        await self.tour.cancel()

    # ------------------------------------------------------------------ plumbing

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The page's routes answer only to the loopback names (a page elsewhere cannot rebind a name to
        127.0.0.1 and drive the playground) and carry a CSP that allows no inline script."""
        if request.path.startswith(("/api/", "/gateway")):
            return await handler(request)
        host = (request.host or "").rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost"):
            return web.Response(status=403, text="The playground answers only on 127.0.0.1.")
        if request.method == "POST" and request.content_type != "application/json":
            # Another site's form or no-preflight fetch cannot act as someone here: they cannot send JSON.
            return web.json_response({"error": "Send JSON."}, status=415)
        response = await handler(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def _api(self, action: Callable[[JSON], Awaitable[JSON]]) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                body: JSON = dict(request.query) if request.method == "GET" else await request.json()
                if not isinstance(body, dict):
                    raise RequestError("Expected a JSON object.")
                return web.json_response(await action(body))
            except (RequestError, ValueError, KeyError, TypeError) as error:
                return web.json_response({"error": _reason(error)}, status=400)
            except AssertionError as error:  # the driver: no such command or option, or no answer
                return web.json_response({"error": str(error)}, status=422)

        return handle

    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    def _person(self, raw: object) -> Member:
        user = self.fake.users.get(int(str(raw)))
        if user is None:
            raise RequestError("There is no such person in this server.")
        return user

    def _driver(self, body: JSON) -> Driver:
        channel_id = int(body.get("channel_id") or GENERAL_CHANNEL_ID)
        if channel_id not in self.fake.channels:
            raise RequestError("There is no such channel.")
        return Driver(self.fake, channel_id)

    # ------------------------------------------------------------------ reading

    def _everyone(self) -> list[JSON]:
        return [
            {
                "id": str(user.user_id),
                "name": user.name,
                "label": label_of(user, self.people),
                "roles": [self.fake.roles[r]["name"] for r in user.roles if r in self.fake.roles],
            }
            for user in self.fake.users.values()
        ]

    async def _people(self, _body: JSON) -> JSON:
        return {"people": self._everyone()}

    async def _state(self, body: JSON) -> JSON:
        viewer = self._person(body["as"])
        return {
            "server": self.fake.guild_name,
            "me": str(viewer.user_id),
            "people": self._everyone(),
            "roles": [
                {"id": str(role_id), "name": role["name"]}
                for role_id, role in self.fake.roles.items()
                if int(role_id) != self.fake.guild_id
            ],
            "channels": [{"id": str(c["id"]), "name": c["name"]} for c in self.fake.channels.values()],
            "commands": self._commands_for(viewer),
            "seen": self.views.seen_by(viewer.user_id),
            "tour": self.tour.status(),
            "overlays": [
                {"creator_id": str(creator_id), "name": self.views.name_of(creator_id), "url": url}
                for creator_id, url in self.overlays.items()
            ],
        }

    def _commands_for(self, viewer: Member) -> list[JSON]:
        """The commands the viewer's Discord client would list: not those whose default member permissions
        they lack ("0": administrators only)."""
        shown = []
        for command in self.fake.registered_commands().values():
            required = command.get("default_member_permissions")
            needed = int(required) if required is not None else None
            if (
                needed is None
                or viewer.permissions & ADMINISTRATOR
                or (needed and viewer.permissions & needed == needed)
            ):
                shown.append(command)
        return shown

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        message = self.fake.messages.get(int(request.match_info["message_id"]))
        viewer = self.fake.users.get(int(request.query.get("as", "0")))
        index = int(request.match_info["index"])
        if message is None or viewer is None or not self.views.visible_to(message, viewer.user_id):
            raise web.HTTPNotFound()
        if not 0 <= index < len(message.attachments):
            raise web.HTTPNotFound()
        attachment = message.attachments[index]
        if attachment.filename.lower().endswith(".png"):
            return web.Response(body=attachment.data, content_type="image/png")
        return web.Response(
            body=attachment.data,
            content_type="application/octet-stream",
            headers={"Content-Disposition": "attachment"},
        )

    # ------------------------------------------------------------------ acting

    def _options(self, driver: Driver, path: str, raw: JSON, focused: str | None = None) -> JSON:
        """The page's form values, typed as the registered schema says (a Member for a user option)."""
        if not isinstance(raw, dict):
            raise RequestError("The options are a JSON object.")
        _names, leaf = driver.schema(path)
        types = {o["name"]: o["type"] for o in leaf.get("options", [])}
        options: JSON = {}
        for name, value in raw.items():
            if value is None or value == "":
                continue
            if name not in types:
                raise RequestError(f"/{path} has no option {name!r}.")
            options[name] = value if name == focused else self._typed(types[name], value)
        return options

    def _typed(self, option_type: int, value: Any) -> Any:
        if option_type == USER or (option_type == MENTIONABLE and int(value) in self.fake.users):
            return self._person(value)
        if option_type in (INTEGER, CHANNEL, ROLE, MENTIONABLE):
            return int(value)
        if option_type == NUMBER:
            return float(value)
        if option_type == BOOLEAN:
            return value in (True, "true", "True")
        return str(value)

    async def _answered(self, driver: Driver, log: InteractionLog) -> JSON:
        await self.fake.send_interaction(log)
        try:
            await driver.answered(log, ANSWER_WITHIN_S)
        except AssertionError:
            raise RequestError("The bot did not answer in time.") from None
        return {"interaction_id": str(log.id)}

    async def _command(self, body: JSON) -> JSON:
        driver = self._driver(body)
        user = self._person(body["as"])
        path = str(body["path"])
        log = driver.slash_log(path, user, **self._options(driver, path, body.get("options") or {}))
        return await self._answered(driver, log)

    async def _autocomplete(self, body: JSON) -> JSON:
        driver = self._driver(body)
        user = self._person(body["as"])
        path, focused = str(body["path"]), str(body["focused"])
        options = self._options(driver, path, body.get("options") or {}, focused)
        options.setdefault(focused, "")
        choices = await driver.autocomplete(path, user, focused, **options)
        return {"choices": choices}

    async def _press(self, body: JSON) -> JSON:
        user = self._person(body["as"])
        message = self.fake.messages.get(int(body["message_id"]))
        if message is None or not self.views.visible_to(message, user.user_id):
            raise RequestError("That message is not there any more.")
        custom_id = str(body["custom_id"])
        if not any(b.get("custom_id") == custom_id for b in message.buttons()):
            raise RequestError("That message has no such button.")
        driver = Driver(self.fake, message.channel_id)
        return await self._answered(driver, driver.press_log(message, custom_id, user))

    async def _add_person(self, body: JSON) -> JSON:
        name = _name(body["name"])
        user = self.fake.add_user(next(_new_user_ids), name, MEMBER_PERMISSIONS)
        if body.get("moderator"):
            user.permissions |= MANAGE_GUILD
        return {"id": str(user.user_id)}

    async def _add_role(self, body: JSON) -> JSON:
        role = self.fake.add_role(snowflake(), _name(body["name"]))
        await self.fake.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.fake.guild_id), "role": role})
        return {"id": role["id"]}

    async def _grant_role(self, body: JSON) -> JSON:
        user = self._person(body["user_id"])
        role_id = int(body["role_id"])
        if role_id not in self.fake.roles or role_id == self.fake.guild_id:
            raise RequestError("There is no such role.")
        if role_id not in user.roles:
            user.roles.append(role_id)
        return {"roles": [str(r) for r in user.roles]}

    async def _start_tour(self, _body: JSON) -> JSON:
        self.tour.start()
        return self.tour.status()


def _name(raw: object) -> str:
    name = " ".join(str(raw).split())
    if not 1 <= len(name) <= NAME_MAX:
        raise RequestError(f"A name has 1 to {NAME_MAX} characters.")
    return name


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"Missing {error.args[0]!r}."
    if isinstance(error, ValueError | TypeError):
        return "A value is not of the expected kind (a number where a number is asked for)."
    return str(error)


async def wait_until_online(fake: FakeDiscord, bot_task: asyncio.Task[int]) -> None:
    """Until the bot has identified on the gateway and registered its commands; raises what stopped it."""
    while not (fake.identified.is_set() and fake.registered_commands()):
        if bot_task.done():
            bot_task.result()
            raise RuntimeError("the bot stopped before it came online")
        await asyncio.sleep(0.05)
