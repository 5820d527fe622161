"""The overlay web server over real HTTP: secrets, rotation, resuming with Last-Event-ID, no duplicates,
the bounded backlog, keep-alives, widgets, headers."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.overlay import OverlayServer, OverlayServerError
from bot.overlay.service import MERGE_ABOVE
from storage import overlay as overlay_rows
from tests.support.factories import GUILD, fund, send_gift
from tests.support.overlay import open_stream, overlay_server

CLEO = 201
ANA = 101
BEN = 102


@pytest.fixture
async def creator(services):
    await services.creators.register(GUILD, CLEO)
    await fund(services, ANA, 100_000)
    await fund(services, BEN, 100_000)
    return CLEO


@pytest.fixture
async def server(services, creator):
    async with overlay_server(services) as running:
        yield running


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def urls(services) -> tuple[str, str]:
    secret = await services.overlay.secret(GUILD, CLEO)
    page = services.overlay.url_of(secret)
    return page, page + "/events"


async def test_a_fresh_page_gets_new_gifts_once_each_with_growing_ids(services, server, http):
    _, events = await urls(services)
    async with open_stream(http, events) as stream:
        settings = await stream.next()
        hello = await stream.next()
        assert settings.event == "settings" and settings.data["duration_ms"] == 5000
        assert hello.event == "hello"
        await send_gift(services, ANA, CLEO, "Rose", 3, message="<b>hi</b>")
        await send_gift(services, BEN, CLEO, "Galaxy")
        first = await stream.until("alert")
        second = await stream.until("alert")

    assert (first.data["gift"], first.data["count"], first.data["coins"]) == ("Rose", 3, 3)
    assert first.data["message"] == "<b>hi</b>"  # data: the page sets it as text, never as HTML
    assert first.data["emoji"] == "🌹" and first.data["test"] is False
    assert (second.data["gift"], second.data["coins"]) == ("Galaxy", 1000)
    assert second.data["duration_ms"] > first.data["duration_ms"]  # bigger gifts stay longer
    assert hello.id < first.id < second.id


async def test_a_reconnecting_page_gets_only_what_it_missed(services, server, http):
    _, events = await urls(services)
    async with open_stream(http, events) as stream:
        await stream.until("hello")
        await send_gift(services, ANA, CLEO, "Rose")
        seen = await stream.until("alert")
    await send_gift(services, BEN, CLEO, "Perfume")  # while the page is away

    async with open_stream(http, events, last_event_id=seen.id) as stream:
        await stream.until("settings")
        missed = await stream.next()
        await send_gift(services, ANA, CLEO, "Doughnut")
        live = await stream.until("alert")

    assert missed.event == "backlog"
    assert [(a["gift"], a["count"]) for a in missed.data] == [("Perfume", 1)]
    assert live.data["gift"] == "Doughnut" and live.id > missed.id


async def test_resuming_from_the_last_id_repeats_nothing(services, server, http):
    _, events = await urls(services)
    for _ in range(3):
        await send_gift(services, ANA, CLEO, "Rose")
    last = await services.overlay.last_id((GUILD, CLEO))
    async with open_stream(http, events, last_event_id=last) as stream:
        await stream.until("settings")
        resumed = await stream.next()
    assert resumed.event == "hello" and resumed.id == last


async def test_many_missed_alerts_are_merged_per_sender_and_gift(services, server, http):
    _, events = await urls(services)
    start = await services.overlay.last_id((GUILD, CLEO))
    for _ in range(MERGE_ABOVE + 2):
        await send_gift(services, ANA, CLEO, "Rose")
    await send_gift(services, BEN, CLEO, "Rose", 2)
    await send_gift(services, ANA, CLEO, "Galaxy")

    async with open_stream(http, events, last_event_id=start) as stream:
        backlog = await stream.until("backlog")

    merged = [(a["gift"], a["count"], a["coins"]) for a in backlog.data]
    assert merged == [("Rose", MERGE_ABOVE + 2, MERGE_ABOVE + 2), ("Rose", 2, 2), ("Galaxy", 1, 1000)]
    assert backlog.id == await services.overlay.last_id((GUILD, CLEO))


async def test_the_backlog_reaches_back_ten_minutes_only(services, server, http, clock):
    _, events = await urls(services)
    start = await services.overlay.last_id((GUILD, CLEO))
    await send_gift(services, ANA, CLEO, "Perfume")
    clock.advance(minutes=11)
    await send_gift(services, ANA, CLEO, "Doughnut")

    async with open_stream(http, events, last_event_id=start) as stream:
        backlog = await stream.until("backlog")
    assert [a["gift"] for a in backlog.data] == ["Doughnut"]


async def test_without_a_valid_secret_everything_is_a_bare_404(services, server, http):
    page, events = await urls(services)
    base = services.overlay.base_url
    wrong = page.replace(page.split("/")[-2], "A" * 32)
    for url in (
        wrong,
        wrong + "/events",
        base + "/o//alerts",
        base + "/o/x/alerts",
        base + "/",
        page + "/../x",
        page.rsplit("/", 1)[0] + "/nonsense",
        base + "/assets/../service.py",
    ):
        async with http.get(url) as response:
            assert response.status == 404, url
            assert await response.text() == "Not found"
            assert "Content-Security-Policy" in response.headers


async def test_pages_forbid_inline_script_and_load_nothing_from_elsewhere(services, server, http):
    page, _ = await urls(services)
    for widget in ("alerts", "goal", "top"):
        async with http.get(page.rsplit("/", 1)[0] + "/" + widget) as response:
            assert response.status == 200
            html = await response.text()
            policy = response.headers["Content-Security-Policy"]
            assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert "http" not in html.lower().replace("http-equiv", "")  # no external resource
        assert "<script>" not in html  # scripts come from files only
    async with http.get(services.overlay.base_url + "/assets/alerts.js") as response:
        script = await response.text()
    assert "innerHTML" not in script and "textContent" in script


async def test_rotating_the_secret_stops_the_old_url_and_its_open_streams(services, server, http):
    old_page, old_events = await urls(services)
    async with open_stream(http, old_events) as stream:
        await stream.until("hello")
        new_secret = await services.overlay.rotate(GUILD, CLEO)
        assert await stream.ended()
    async with http.get(old_page) as response:
        assert response.status == 404
    async with http.get(services.overlay.url_of(new_secret)) as response:
        assert response.status == 200


async def test_quiet_streams_get_keep_alive_comments_and_status_knows_who_is_connected(
    services, creator, http
):
    async with overlay_server(services, keepalive_s=0.05) as _server:
        _, events = await urls(services)
        async with open_stream(http, events) as stream:
            await stream.until("hello")
            await asyncio.sleep(0.3)
            await send_gift(services, ANA, CLEO, "Rose")
            await stream.until("alert")
            status = await services.overlay.status(GUILD, CLEO)
            assert stream.comments >= 2
        assert [c.widget for c in status.connections] == ["alerts"]
        assert "alerts" in status.last_seen


async def test_the_goal_and_top_widgets_follow_the_current_live(services, server, http):
    page, _ = await urls(services)
    root = page.rsplit("/", 1)[0]
    await services.live.start(GUILD, CLEO, "Evening")
    await services.overlay.set_goal(GUILD, CLEO, 2000, "New mic")
    services.overlay.names = lambda guild, user: {ANA: "Ana", BEN: "Ben"}.get(user)
    async with (
        open_stream(http, root + "/goal/events") as goal,
        open_stream(http, root + "/top/events") as top,
    ):
        assert (await goal.until("state")).data == {
            "live": True,
            "coins": 0,
            "goal": 2000,
            "title": "New mic",
        }
        assert (await top.until("state")).data == {"live": True, "top": []}
        await send_gift(services, ANA, CLEO, "Galaxy")
        await send_gift(services, BEN, CLEO, "Rose", 5)
        states = [(await goal.until("state")).data["coins"]]
        while states[-1] != 1005:
            states.append((await goal.until("state")).data["coins"])
        ranked = (await top.until("state")).data["top"]
        while len(ranked) < 2:
            ranked = (await top.until("state")).data["top"]
    assert ranked == [{"name": "Ana", "coins": 1000}, {"name": "Ben", "coins": 5}]


async def test_a_test_alert_is_marked_and_moves_no_money(services, server, http):
    _, events = await urls(services)
    before = await services.wallets.balance(GUILD, CLEO)
    async with open_stream(http, events) as stream:
        await stream.until("hello")
        await services.overlay.send_test(GUILD, CLEO)
        alert = await stream.until("alert")
    assert alert.data["test"] is True
    assert await services.wallets.balance(GUILD, CLEO) == before


async def test_gifts_below_the_minimum_are_not_shown(services, server, http):
    _, events = await urls(services)
    await services.overlay.update_settings(GUILD, CLEO, min_coins=10)
    async with open_stream(http, events) as stream:
        await stream.until("hello")
        await send_gift(services, ANA, CLEO, "Rose")
        await send_gift(services, ANA, CLEO, "Perfume")
        alert = await stream.until("alert")
    assert alert.data["gift"] == "Perfume"


async def test_a_refused_gift_leaves_nothing_in_the_alert_log(services, creator):
    before = await services.overlay.last_id((GUILD, CLEO))
    with pytest.raises(Exception):  # noqa: B017 - any refusal
        await send_gift(services, 555, CLEO, "Lion")  # no coins
    assert await services.overlay.last_id((GUILD, CLEO)) == before
    assert (
        await services.db.read(lambda conn: overlay_rows.alerts_after(conn, GUILD, CLEO, before, 0, 10)) == []
    )


async def test_a_port_in_use_fails_naming_the_setting(services, server):
    taken = OverlayServer(services.overlay, "127.0.0.1", server.port)
    with pytest.raises(OverlayServerError, match="OVERLAY_PORT"):
        await taken.start()


async def test_alerts_older_than_a_day_are_pruned_and_recent_ones_kept(services, creator, clock):
    await send_gift(services, ANA, CLEO, "Rose")
    clock.advance(hours=25)
    await send_gift(services, ANA, CLEO, "Perfume")

    assert await services.overlay.prune() == 1
    rows = await services.db.read(lambda conn: overlay_rows.alerts_after(conn, GUILD, CLEO, 0, 0, 10))
    assert [row["gift_name"] for row in rows] == ["Perfume"]


def test_the_bot_refuses_to_start_when_the_overlay_port_is_taken(tmp_path, monkeypatch, capsys):
    import socket

    from bot.app import EXIT_USAGE, main

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        monkeypatch.chdir(tmp_path)  # no .env from the working tree
        monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
        monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.db"))
        monkeypatch.setenv("OVERLAY_PORT", str(taken.getsockname()[1]))
        assert main([]) == EXIT_USAGE
    finally:
        taken.close()
    error = capsys.readouterr().err
    assert "OVERLAY_PORT" in error and "already in use" in error and "Traceback" not in error


async def test_a_page_opened_during_the_delay_still_gets_the_held_alert(services, server, http, clock):
    _, events = await urls(services)
    await services.overlay.update_settings(GUILD, CLEO, delay_s=20)
    await send_gift(services, ANA, CLEO, "Perfume")  # held back for 20 s
    async with open_stream(http, events) as stream:
        await stream.until("hello")
        clock.advance(seconds=21)
        services.overlay.gift_committed(GUILD, CLEO)  # what the stream's own timer does after 20 s
        alert = await stream.until("alert")
    assert alert.data["gift"] == "Perfume"


async def test_an_id_from_elsewhere_starts_the_page_afresh_instead_of_waiting_forever(services, server, http):
    _, events = await urls(services)
    async with open_stream(http, events, last_event_id=10**12) as stream:
        hello = await stream.until("hello")
        await send_gift(services, ANA, CLEO, "Rose")
        alert = await stream.until("alert")
    assert hello.id < alert.id < 10**12


def test_overlay_settings_are_checked_at_start_and_name_the_setting():
    from bot.settings import SettingsError, load_settings

    for bad in ({"overlay_public_url": "overlay.example.org"}, {"overlay_port": 70_000}):
        with pytest.raises(SettingsError, match=next(iter(bad)).upper()):
            load_settings(_env_file=None, **bad)
    settings = load_settings(_env_file=None, overlay_public_url=" https://overlay.example.org/ ")
    assert settings.overlay_public_url == "https://overlay.example.org"


async def test_a_public_url_is_what_creators_are_given(services, creator):
    services.overlay.public_url = "https://overlay.example.org"
    secret = await services.overlay.secret(GUILD, CLEO)
    assert services.overlay.url_of(secret, "goal") == f"https://overlay.example.org/o/{secret}/goal"
