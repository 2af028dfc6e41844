"""Domain errors: raised by services with a message a person understands."""


class DomainError(Exception):
    """A request that the programme's rules do not allow. The message is shown to the user."""

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class NotAllowed(DomainError):
    """The user may not do this (role, ownership, or access state)."""

    def __init__(self, message: str, *, code: str = "not_allowed", field: str | None = None):
        super().__init__(message, code=code, field=field)
