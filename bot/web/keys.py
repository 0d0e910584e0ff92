"""Typed keys of the aiohttp application."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.engine.deps import Deps
from bot.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
DEPS = web.AppKey("deps", Deps)
BOLT = web.AppKey("bolt", AsyncApp)
MIGRATE = web.AppKey("migrate", bool)  # False in a worker: its supervisor migrated
