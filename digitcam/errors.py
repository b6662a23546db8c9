"""One exception type for every failure a user can fix: the CLI prints it as one line."""


class DigitcamError(Exception):
    """A problem with the user's input or environment, with a message that says what to do.

    ``exit_code`` follows the usual convention: 1 for a failed run, 2 for a usage error.
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
