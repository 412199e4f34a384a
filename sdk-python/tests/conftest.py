"""Shared fixtures: real plugin processes, started once per test module where that is safe."""

import pytest

from harness import CONFORMANCE_PLUGIN, SECURITY_EXAMPLE, start_plugin


@pytest.fixture(scope="module")
def conformance():
    """The conformance plugin, running (shared by a module's tests; they must not stop it)."""
    plugin = start_plugin(CONFORMANCE_PLUGIN)
    yield plugin
    plugin.close()


@pytest.fixture(scope="module")
def security():
    """The seed example (examples/python/security), running."""
    plugin = start_plugin(SECURITY_EXAMPLE)
    yield plugin
    plugin.close()


@pytest.fixture
def launch():
    """Starts plugins for one test and always cleans them up: launch(folder, connect=..., **env)."""
    started = []

    def _launch(folder, **options):
        plugin = start_plugin(folder, **options)
        started.append(plugin)
        return plugin

    yield _launch
    for plugin in started:
        plugin.close()
