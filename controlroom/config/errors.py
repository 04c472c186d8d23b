"""The one error type of configuration loading: it says which file, line and column is wrong."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """A configuration file is missing or wrong; the message names the place to fix.

    ``str(e)`` reads like ``agenda.csv, line 7, column 'Thời gian': '8h70' is not a time``.
    ``column`` is a CSV column header as written in the file, or a dotted TOML key (then
    ``label`` is ``"key"``).
    """

    def __init__(
        self,
        file: str | Path,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
        label: str = "column",
    ) -> None:
        self.path = Path(file)
        self.file = self.path.name or str(file)
        self.line = line
        self.column = column
        self.label = label
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"{self.label} {self.column!r}")
        return ", ".join(parts) + f": {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (str(self.path), self.message, self.line, self.column, self.label))


def _rebuild(
    file: str, message: str, line: int | None, column: str | None, label: str
) -> ConfigError:
    return ConfigError(file, message, line=line, column=column, label=label)
