"""Build step: ship the consoles (web/) and the demo conference (config/demo) in the wheel.

They live at the top of the source tree (DESIGN.md's layout) and are copied into
``controlroom/_assets/`` of the built package, where ``controlroom.resources``
finds them through importlib.resources. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ASSETS = {"web": "web", "demo": "config/demo"}


class BuildWithAssets(build_py):
    """build_py, plus the asset directories under controlroom/_assets/."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        root = Path(__file__).resolve().parent
        for name, source in ASSETS.items():
            target = Path(self.build_lib) / "controlroom" / "_assets" / name
            for path in sorted((root / source).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    destination = target / path.relative_to(root / source)
                    self.mkpath(str(destination.parent))
                    self.copy_file(str(path), str(destination))


setup(cmdclass={"build_py": BuildWithAssets})
