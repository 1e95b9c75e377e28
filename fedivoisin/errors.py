"""One error hierarchy, mapped to application/problem+json in exactly one place (web/problems.py).

Why: clients and peers must always get a clear, safe message; logs get the internal detail.

    FedivoisinError
    ├── ProblemError(status, title, detail)         -> HTTP problem response
    │   ├── InvalidInput            400  (bad field: names it)
    │   │   └── InvalidActivity     400
    │   ├── SignatureRejected       401
    │   ├── Unauthorized            401  (bearer token missing or wrong)
    │   ├── Forbidden               403
    │   ├── NotFound                404
    │   ├── Conflict                409
    │   ├── Gone                    410
    │   ├── Unprocessable           422  (well-formed but invalid: names the field)
    │   ├── TooLarge                413
    │   └── UnsupportedMediaType    415
    ├── ConfigError                 bad settings (CLI prints one line)
    └── RemoteError                 a remote server misbehaved or is unreachable
        ├── RemoteGone              410
        ├── RemoteNotFound          404
        ├── RemoteRefused           the address or URL is not allowed (SSRF, blocked domain)
        └── RemoteUnavailable       timeouts, 5xx, network errors
"""

from __future__ import annotations


class FedivoisinError(Exception):
    """Root of every error the project raises on purpose."""


class ProblemError(FedivoisinError):
    status = 500
    title = "Internal error"

    def __init__(self, detail: str = "", *, internal: str | None = None, field: str | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.internal = internal or self.detail
        self.field = field


class InvalidInput(ProblemError):
    status = 400
    title = "Invalid input"


class InvalidActivity(InvalidInput):
    title = "Invalid activity"


class SignatureRejected(ProblemError):
    status = 401
    title = "Signature rejected"


class Unauthorized(ProblemError):
    status = 401
    title = "Unauthorized"


class Forbidden(ProblemError):
    status = 403
    title = "Forbidden"


class NotFound(ProblemError):
    status = 404
    title = "Not found"


class Conflict(ProblemError):
    status = 409
    title = "Conflict"


class Gone(ProblemError):
    status = 410
    title = "Gone"


class Unprocessable(ProblemError):
    """422, what the Mastodon client API answers for a valid request with invalid values."""

    status = 422
    title = "Unprocessable entity"


class TooLarge(ProblemError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(ProblemError):
    status = 415
    title = "Unsupported media type"


class ConfigError(FedivoisinError):
    """A setting is invalid; the message names it."""


class RemoteError(FedivoisinError):
    """A remote server could not give us what we asked for."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class RemoteGone(RemoteError):
    pass


class RemoteNotFound(RemoteError):
    pass


class RemoteRefused(RemoteError):
    """We refused to contact it: private address, blocked domain, bad scheme, too large."""


class RemoteUnavailable(RemoteError):
    pass
