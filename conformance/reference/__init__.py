"""The embedded reference server: a correct OneRoster 1.2 Gradebook (TimeBack dialect) + PowerPath
external-test server with tool doubles and fault switches, or, in the 1edtech profile, a correct
server of the official 1EdTech Gradebook binding. See README.md in this folder."""

from conformance.reference.app import create_app
from conformance.reference.embedded import RunningServer, ServerStartError, start

__all__ = ["RunningServer", "ServerStartError", "create_app", "start"]
