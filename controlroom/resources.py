"""Where the consoles (``web/``) and the demo conference (``config/demo``) are found.

A wheel carries both as package data under ``controlroom/_assets/`` (copied there
by ``setup.py``'s build step), found through :mod:`importlib.resources`; a source
checkout (an editable install, the tests) uses the directories of the checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent
#: asset name -> its directory in a source checkout
SOURCE_DIRS = {"web": "web", "demo": "config/demo"}


class MissingAsset(LookupError):
    """The installation lacks a directory it should ship (a broken or partial install)."""


def asset_dir(name: str) -> Path:
    """The directory of asset ``name`` (``web`` or ``demo``), packaged or from the checkout."""
    packaged = files("controlroom").joinpath("_assets", name)
    if packaged.is_dir():
        return Path(str(packaged))
    source = _SOURCE_ROOT / SOURCE_DIRS[name]
    if source.is_dir():
        return source
    raise MissingAsset(f"this installation of controlroom lacks its {name!r} files")


def web_dir() -> Path:
    """The static consoles."""
    return asset_dir("web")


def demo_template() -> Path:
    """The demo conference as shipped (its dates are replaced when the demo first runs)."""
    return asset_dir("demo")


def source_checkout() -> Path | None:
    """The checkout this code runs from (with ``bench/``), or None when installed from a wheel."""
    return _SOURCE_ROOT if (_SOURCE_ROOT / "bench" / "__main__.py").is_file() else None
