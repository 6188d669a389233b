"""The reader's exceptions.

Every error the reader means to report derives from RgcError; the command
line prints its message as one line ("rgc: ...") and exits 1.
"""


class RgcError(Exception):
    """An error to report to the user as one line."""

    def __str__(self):
        # One line, whatever the message was built from.
        return " ".join(super().__str__().split())


class TargetError(RgcError):
    """Memory of the target that cannot be read.

    address is the first address that could not be read (or the start of
    the request when that is not known).
    """

    def __init__(self, message, address=None):
        super().__init__(message)
        self.address = address


class ElfError(RgcError):
    """A file that is not the ELF this reader understands."""


class TableError(RgcError):
    """A debug table that was found but cannot be used."""


class NoTableError(RgcError):
    """No debug table anywhere the reader looked."""
