"""Exercise credentials for the demo's platforms: made up per run, held in memory, accepted only by the replay server.

The monitors read their secrets from the environment only (MEDIEBILD_X_BEARER_TOKEN,
MEDIEBILD_BLUESKY_HANDLE and _APP_PASSWORD, MEDIEBILD_REDDIT_CLIENT_ID and _CLIENT_SECRET). The demo makes
a fresh set for each run (`DemoCredentials.generate()`), gives it to the replay server, which accepts
nothing else, and puts it into its own process's environment for the length of the run only
(`exercise_environment`), which also hides whatever real credentials the user has set (and Mastodon's
token, which the demo does not need) and points MEDIEBILD_STATE_DIR (where the Bluesky session is kept)
at a temporary folder that is removed afterwards. Nothing here is written to a file or the database.

Imports: the standard library only.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

X_TOKEN_ENV = "MEDIEBILD_X_BEARER_TOKEN"
BLUESKY_HANDLE_ENV, BLUESKY_PASSWORD_ENV = "MEDIEBILD_BLUESKY_HANDLE", "MEDIEBILD_BLUESKY_APP_PASSWORD"
REDDIT_ID_ENV, REDDIT_SECRET_ENV = "MEDIEBILD_REDDIT_CLIENT_ID", "MEDIEBILD_REDDIT_CLIENT_SECRET"
STATE_DIR_ENV = "MEDIEBILD_STATE_DIR"
HIDDEN_ENV = ("MEDIEBILD_MASTODON_TOKEN",)  # not used by the demo: never sent to the replay server


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    """One run's exercise credentials (random, so no value outlives the run)."""

    x_bearer_token: str
    bluesky_handle: str
    bluesky_app_password: str
    reddit_client_id: str
    reddit_client_secret: str

    @classmethod
    def generate(cls) -> DemoCredentials:
        return cls(
            x_bearer_token="ovning-x-" + secrets.token_urlsafe(24),
            bluesky_handle=f"ovning-{secrets.token_hex(4)}.bsky.social",
            bluesky_app_password="-".join(secrets.token_hex(2) for _ in range(4)),  # xxxx-xxxx-xxxx-xxxx
            reddit_client_id="ovning" + secrets.token_urlsafe(12),
            reddit_client_secret="ovning-" + secrets.token_urlsafe(20),
        )

    def environment(self) -> dict[str, str]:
        return {
            X_TOKEN_ENV: self.x_bearer_token,
            BLUESKY_HANDLE_ENV: self.bluesky_handle,
            BLUESKY_PASSWORD_ENV: self.bluesky_app_password,
            REDDIT_ID_ENV: self.reddit_client_id,
            REDDIT_SECRET_ENV: self.reddit_client_secret,
        }

    def values(self) -> list[str]:
        """Every value, for tests that look for them where they must not be."""
        return list(self.environment().values())

    def __repr__(self) -> str:  # never print the values
        return "DemoCredentials(<exercise values hidden>)"


@contextmanager
def exercise_environment(credentials: DemoCredentials) -> Iterator[str]:
    """This process's environment with the exercise credentials and a temporary state folder; restored after.

    Yields the state folder. Other threads of the process see the same environment while it lasts, which
    is the point: the ingest workers read their secrets from it.
    """
    wanted = {**credentials.environment()}
    with tempfile.TemporaryDirectory(prefix="mediebild-demo-state-") as state:
        wanted[STATE_DIR_ENV] = state
        saved = {name: os.environ.get(name) for name in [*wanted, *HIDDEN_ENV]}
        try:
            for name in HIDDEN_ENV:
                os.environ.pop(name, None)
            os.environ.update(wanted)
            yield state
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
