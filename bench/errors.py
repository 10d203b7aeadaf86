"""Errors the CLI turns into a one-line message instead of a traceback."""


class ConfigError(ValueError):
    """A suite or option is wrong; the message names the file and field."""


class DataError(ConfigError):
    """An input file (results, a stored baseline) is damaged or not what it claims to be; the
    message names the file (and line)."""
