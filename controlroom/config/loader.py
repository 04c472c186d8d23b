"""``load_conference``: one conference directory → a checked :class:`ConferenceConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from controlroom.domain.model import AgendaItem, ConferenceInfo, Settings, SiteInfo

from .agenda import load_agenda
from .conference import BridgeSettings, DocumentSettings, load_conference_file
from .errors import ConfigError
from .sites import load_sites
from .text import table_file

CONFERENCE_FILE = "conference.toml"
#: The sites and the run-script: ``sites.csv`` or ``sites.xlsx``, ``agenda.csv`` or ``.xlsx``.
SITES_STEM = "sites"
AGENDA_STEM = "agenda"
ACCOUNTS_FILE = "accounts.toml"


@dataclass(frozen=True)
class ConferenceConfig:
    """Everything a conference directory configures, checked and converted."""

    directory: Path
    conference: ConferenceInfo
    settings: Settings
    sites: tuple[SiteInfo, ...]
    agenda: tuple[AgendaItem, ...]
    allowed_origins: tuple[str, ...]
    accounts_path: Path
    #: ``[bridge]`` of conference.toml: the bridge whose participants the hub reads.
    bridge: BridgeSettings | None = None
    #: ``[report]`` of conference.toml: the summary document's header, signer, recipients.
    document: DocumentSettings = DocumentSettings()
    #: ``retention_days`` of conference.toml: when ``controlroom purge`` may remove the log.
    retention_days: int | None = None

    def site(self, code: str) -> SiteInfo | None:
        """The site with ``code``, or None."""
        return next((site for site in self.sites if site.code == code), None)

    @property
    def central(self) -> SiteInfo:
        """The central bridge site (exactly one is guaranteed by the loader)."""
        return next(site for site in self.sites if site.kind == "central")


def load_conference(directory: str | Path) -> ConferenceConfig:
    """Load ``conference.toml``, ``sites.csv`` and ``agenda.csv`` (or ``.xlsx``) from ``directory``.

    Raises ConfigError for a missing directory or file, bad TOML, or any wrong row.
    ``accounts.toml`` is not read here (see :class:`controlroom.auth.accounts.AccountStore`).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(directory, "conference directory not found")
    info = load_conference_file(directory / CONFERENCE_FILE)
    sites = load_sites(table_file(directory, SITES_STEM))
    agenda = load_agenda(table_file(directory, AGENDA_STEM), day=info.day, tz=info.tz, sites=sites)
    return ConferenceConfig(
        directory=directory,
        conference=info.conference,
        settings=info.settings,
        sites=sites,
        agenda=agenda,
        allowed_origins=info.allowed_origins,
        accounts_path=directory / ACCOUNTS_FILE,
        bridge=info.bridge,
        document=info.document,
        retention_days=info.retention_days,
    )
