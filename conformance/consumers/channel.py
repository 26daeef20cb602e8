"""Where a consumer flow's requests go: the run's session (so that cleanup and reproductions know the
writes) or a bare client (``consumer-flow``), with the flow's own token when the target hands out tokens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from conformance.client import Exchange, client_credentials, token_answer
from conformance.target import Target

SCOPE_BASE = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
# The scopes the notebook asks for, in its order: a gradebook-only server does not serve the first.
SCOPES = tuple(
    SCOPE_BASE + name for name in ("roster.readonly", "gradebook.readonly", "gradebook.createput", "gradebook.delete")
)

# ``send(method, path, **keywords)``: SuiteSession.send, or a client's send (see ``Channel.over_client``).
Send = Callable[..., Exchange]


@dataclass
class Channel:
    """Where the flow's requests go, with the flow's own token when the target hands out tokens."""

    target: Target
    send_fn: Send
    token: Exchange | None = field(default=None, repr=False)

    @classmethod
    def over_client(cls, target: Target, client_send: Send) -> Channel:
        """A bare client's send, which takes none of the keywords a session keeps for replays."""

        def send(method: str, path: str, **kwargs: Any) -> Exchange:
            kwargs.pop("grant", None)
            kwargs.pop("token_of", None)
            return client_send(method, path, **kwargs)

        return cls(target, send)

    def ask_token(self) -> Exchange | None:
        """The notebook's token request; None when the target takes a static token instead."""
        if not self.target.token_url:
            return None
        content, headers = client_credentials(
            self.target, {"grant_type": "client_credentials", "scope": " ".join(SCOPES)}, basic=True
        )
        self.token = self.send_fn(
            "POST", self.target.token_url, auth="none", content=content, headers=headers, grant="basic"
        )
        return self.token

    def send(self, method: str, path: str, *, body: Any = None, form_body: bool = False, **kwargs: Any) -> Exchange:
        headers: dict[str, str] = {}
        if body is not None:
            kwargs["content"] = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form_body:  # the notebook's category GET carries its token form along
            kwargs["content"] = ("grant_type=client_credentials&scope=" + quote(" ".join(SCOPES))).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        granted = token_answer(self.token).token if self.token is not None else None
        if granted:
            headers["Authorization"] = f"Bearer {granted}"
            return self.send_fn(method, path, auth="none", headers=headers, token_of=self.token, **kwargs)
        return self.send_fn(method, path, headers=headers, **kwargs)
