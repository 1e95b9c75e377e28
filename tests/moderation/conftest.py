"""The moderation tests reuse the security suite's fake remote servers (distinct loopback
addresses, so domain policies see distinct hosts) and its key pool."""

from tests.security.conftest import remote, remote2, reuse_actor_keys  # noqa: F401
