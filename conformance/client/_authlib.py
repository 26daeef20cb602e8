"""authlib's httpx OAuth2 client, imported without its fallback warning.

authlib prefers the httpx2 fork when it is installed and warns when it falls back to httpx — which
is the client this project is built on, so the fallback is the intended path. authlib.deprecate
installs an "always" filter when imported: import it first, then put ours in front of it.
"""

import warnings

import authlib.deprecate  # noqa: F401  (installs authlib's filter, which ours must follow)

warnings.filterwarnings("ignore", message="The httpx module is deprecated")

from authlib.integrations.httpx_client import OAuth2Client, OAuthError  # noqa: E402

__all__ = ["OAuth2Client", "OAuthError"]
