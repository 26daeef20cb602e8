"""What every handler of one server shares: its store, faults, credentials, clock, renderers and dialect."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.reference.auth import Auth
from conformance.reference.faults import Faults
from conformance.reference.records import Allocator, Clock
from conformance.reference.render import Renderer
from conformance.reference.server_dialects import Dialect
from conformance.reference.store import Store


@dataclass(slots=True)
class ServerContext:
    store: Store
    faults: Faults
    auth: Auth
    render: Renderer  # API responses: faults apply
    plain: Renderer = field(default_factory=Renderer)  # discovery and tool control: test infrastructure, never faulted
    dialect: Dialect = field(default_factory=Dialect)  # the profile's answer shapes (server_dialects.py)
    clock: Clock = field(init=False)
    allocator: Allocator = field(init=False)

    def __post_init__(self) -> None:
        self.clock = Clock(self.faults)
        self.allocator = Allocator(self.faults)
