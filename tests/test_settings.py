"""Settings read from the environment: the Discord API base URL."""

from __future__ import annotations

import pytest

from bot.settings import DISCORD_API_BASE_URL, SettingsError, load_settings


def test_the_bot_talks_to_discord_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("DISCORD_API_BASE_URL", raising=False)
    assert (
        load_settings(_env_file=None).discord_api_base_url
        == DISCORD_API_BASE_URL
        == ("https://discord.com/api/v10")
    )


def test_an_api_base_url_from_the_environment_loses_its_trailing_slash(monkeypatch):
    monkeypatch.setenv("DISCORD_API_BASE_URL", "http://127.0.0.1:8765/api/v10/")
    assert load_settings(_env_file=None).discord_api_base_url == "http://127.0.0.1:8765/api/v10"


def test_an_api_base_url_that_is_not_http_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("DISCORD_API_BASE_URL", "discord.com/api")
    with pytest.raises(SettingsError, match="DISCORD_API_BASE_URL"):
        load_settings(_env_file=None)
