from __future__ import annotations

import pytest

from bot.client import EXTENSIONS, LiveGiftsBot
from bot.services import Services, build_services
from bot.settings import Settings
from storage import Database
from tests.support.clock import FakeClock
from tests.support.discord_fakes import Driver, OfflineMonetization, install_adapter
from tests.support.factories import cashout_settings, open_cashouts


def _cashouts(request: pytest.FixtureRequest) -> bool:
    """Tests marked `cashouts` run in a server without a coin shop that allows cash-outs at once."""
    return request.node.get_closest_marker("cashouts") is not None


@pytest.fixture
def settings(request, tmp_path) -> Settings:
    if _cashouts(request):
        return cashout_settings(tmp_path)
    return Settings(_env_file=None, database_path=tmp_path / "livegifts.db", discord_token=None)


@pytest.fixture
async def db(settings):
    database = await Database.open(settings.database_path)
    yield database
    await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def services(request, settings, db, clock) -> Services:
    built = await build_services(settings, db, clock)
    if _cashouts(request):
        await open_cashouts(built)
    return built


@pytest.fixture
def monetization(settings) -> OfflineMonetization:
    """The application's coin SKUs and the consume of entitlements (payment mode `discord`)."""
    return OfflineMonetization(settings.coin_skus)


@pytest.fixture
async def bot(settings, services, monetization):
    async with LiveGiftsBot(settings, services) as client:  # binds the client to this event loop
        monetization.install(client)  # before cogs.entitlements checks COIN_SKUS against the SKUs
        for extension in EXTENSIONS:
            await client.load_extension(extension)
        yield client


@pytest.fixture
def driver(bot) -> Driver:
    return Driver(bot, install_adapter())
