"""The one error type services raise: a stable machine code, a human message, extra details."""

from __future__ import annotations


class ApplicationError(Exception):
    """A refusal the user can act on. `status` is the HTTP status the API answers with."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int = 400,
        fields: dict[str, list[str]] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.fields = fields or {}
        self.extra = extra or {}
