"""System checks of the accounts app (run by ``manage.py check``; the deploy ones by ``check --deploy``)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, Tags.caches, deploy=True)
def shared_cache_in_production(app_configs, **kwargs):
    """Login and sign-up limits live in the cache: per-process memory would give each worker its own count."""
    if settings.PRODUCTION and not settings.CACHE_URL.startswith(("redis://", "rediss://")):
        return [Error(
            "CACHE_URL must point at a shared cache (redis://…) in production: rate limits kept in each "
            "process's memory multiply the allowed login attempts by the number of processes.",
            hint="Set CACHE_URL=redis://host:6379/1 (see README, Configuration).", id="biurko.E001",
        )]
    return []
