"""Fixtures of the security tests: the agent API client from the sync tests."""

from tests.sync.conftest import agent_client  # noqa: F401
