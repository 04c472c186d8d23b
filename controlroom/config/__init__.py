"""Conference configuration: a directory of ``conference.toml``, ``sites.csv``, ``agenda.csv``.

``load_conference(directory)`` returns a :class:`ConferenceConfig` or raises
:class:`ConfigError` naming the file, line and column to fix.
"""

from .agenda import load_agenda, parse_time_range, split_presenter
from .conference import load_conference_file
from .errors import ConfigError
from .loader import ConferenceConfig, load_conference
from .sites import load_sites
from .text import fold

__all__ = [
    "ConfigError",
    "ConferenceConfig",
    "fold",
    "load_agenda",
    "load_conference",
    "load_conference_file",
    "load_sites",
    "parse_time_range",
    "split_presenter",
]
