"""The project's exceptions: one base class, one subclass per kind of user mistake.

The CLI turns any ``ScreenerError`` into one line on stderr and a non-zero exit
code; anything else is a bug and keeps its traceback.
"""


class ScreenerError(Exception):
    """Base class for errors the user can fix."""


class DataError(ScreenerError):
    """An input file or table cannot be used (missing columns, bad encoding, empty...)."""


class ConfigError(ScreenerError, ValueError):
    """A setting, parameter or configuration file is invalid."""


class ProjectError(ScreenerError):
    """A review project is missing, locked, broken or from an unknown version."""
