"""Heddle Host Python SDK.

`heddle.core` holds what plugin code touches (tables, configs, contexts,
errors, logging); `heddle.sdk` registers components and serves them over the
plugin protocol; `heddle.plugin.v1` is code generated from proto/ (never edit).
"""

__version__ = "0.1.0"
"""The SDK version reported in the Handshake response (`sdk_version`)."""
