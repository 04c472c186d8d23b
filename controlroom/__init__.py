"""controlroom: the live control room for online conferences (see README.md)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """The installed version of controlroom ("unknown" when run from an uninstalled tree)."""
    try:
        return version("controlroom")
    except PackageNotFoundError:
        return "unknown"
