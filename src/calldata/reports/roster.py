"""The directory as a report needs it: extension names, devices as the directory spells them, zones."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from calldata.attribution import versions
from calldata.attribution.channels import base_name, local_parts
from calldata.attribution.directory import Directory, parse_directory

# (company, extension, the device as the directory spells it)
Device = tuple[str, str, str]
_PARTIES_LIMIT = 100_000  # channel bases remembered per roster (a PBX has far fewer)
_HEX = frozenset("0123456789abcdefABCDEF")  # a channel's unique suffix (`-3265`, `-0000001a`)


@dataclass(slots=True)
class Roster:
    """Lookups over one directory version: who a channel is, and what a company calls things."""

    directory: Directory
    version: tuple[int, str] = (0, "")  # the stored version's (id, sha256) it was parsed from
    devices: dict[str, Device] = field(default_factory=dict)  # lower-cased device -> Device
    # (True, channel up to its `-HEX` suffix) or (False, base name) -> (its device, whether the
    # PBX's own); asked for every leg of a report, twice: a lookup costs less than a base name
    parties: dict[tuple[bool, str], tuple[Device | None, bool]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for cid, company in self.directory.companies.items():
            for ext, extension in company.extensions.items():
                for device in extension.devices:
                    self.devices[device.lower()] = (cid, ext, device)

    def party(self, channel: str) -> tuple[Device | None, bool]:
        """The directory's device behind a channel (`IAX2/acme-201-3265` -> acme 201) or None, and
        whether the channel is one of the PBX's own (a device of any company, or a Local channel)."""
        if not channel:
            return None, False
        # With a hex suffix the base name depends only on what precedes the suffix's dash.
        dash = channel.rfind("-")
        hex_suffix = dash > 0 and dash + 1 < len(channel) and _HEX.issuperset(channel[dash + 1:])
        base = None if hex_suffix else base_name(channel)
        key = (True, channel[:dash]) if base is None else (False, base)
        found = self.parties.get(key)
        if found is None:
            if len(self.parties) >= _PARTIES_LIMIT:
                self.parties.clear()
            base = base or base_name(channel)
            device = self.devices.get(base.lower())
            found = self.parties[key] = (device, device is not None or local_parts(base) is not None)
        return found

    def device(self, channel: str) -> Device | None:
        """The directory's device behind a channel, or None."""
        return self.party(channel)[0]

    def internal(self, channel: str) -> bool:
        """The channel is one of the PBX's own."""
        return self.party(channel)[1]

    def zone(self, company: str, fallback: str) -> ZoneInfo:
        """The company's own time zone, else the server's display zone."""
        return ZoneInfo(self.directory.companies[company].timezone or fallback)

    def name(self, company: str, extension: str) -> str:
        found = self.directory.companies[company].extensions.get(extension)
        return found.name if found is not None else ""

    def is_user(self, company: str, extension: str) -> bool:
        """A person's extension (not a hunt group, queue, IVR or feature code)."""
        found = self.directory.companies[company].extensions.get(extension)
        return found is not None and found.type == "user"


# Rosters by (version id, sha256): a version's text never changes, so neither does its roster.
_ROSTERS: dict[tuple[int, str], Roster] = {}


def current_roster(conn: Connection) -> Roster | None:
    """The roster of the current directory (parsed once per version), or None without one."""
    key = versions.head(conn)
    if key is None:
        return None
    roster = _ROSTERS.get(key)
    if roster is None:
        roster = Roster(parse_directory(versions.text_of(conn, key[0]), f"directory version {key[0]}"), key)
        _ROSTERS.clear()
        _ROSTERS[key] = roster
    return roster
