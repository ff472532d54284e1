"""Domain errors raised by services and turned into messages by views."""


class DomainError(Exception):
    """A rule refused the request. `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    pass


class LoginThrottled(DomainError):
    def __init__(self, minutes: int):
        super().__init__(
            f"Too many failed sign-ins. Please wait {minutes} minutes and try again."
        )
        self.minutes = minutes
