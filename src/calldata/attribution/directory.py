"""The PBX directory (companies, extensions, DDIs, trunks, auth codes) as typed, validated data.

The YAML format is described in docs/directory.md; `../shared/world/directory.yaml` is the
reference example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import msgspec
import msgspec.yaml

ExtensionType = Literal[
    "user", "huntgroup", "queue", "ivr", "park", "pickup", "voicemail", "conference", "dialin"
]


class System(msgspec.Struct, forbid_unknown_fields=True):
    country_code: str = "44"
    national_prefix: str = "0"
    international_prefix: str = "00"
    timezone: str = "UTC"


class Trunk(msgspec.Struct, forbid_unknown_fields=True):
    channels: list[str]
    company: str | None = None


class Extension(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    type: ExtensionType
    devices: list[str] = []
    spaces: str | None = None  # park: "701-720"
    prefix: bool = False  # pickup: the code is followed by an extension (**202)


class Company(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    contexts: list[str] = []
    outside_prefix: str = ""
    extensions: dict[str, Extension] = {}
    ddis: dict[str, str] = {}


class AuthCode(msgspec.Struct, forbid_unknown_fields=True):
    company: str
    id: str


class Directory(msgspec.Struct, forbid_unknown_fields=True):
    system: System = msgspec.field(default_factory=System)
    trunks: dict[str, Trunk] = {}
    companies: dict[str, Company] = {}
    auth_codes: dict[str, AuthCode] = {}


def parse_directory(text: str | bytes) -> Directory:
    """Decode directory YAML; raises msgspec.ValidationError naming the path of a bad value."""
    return msgspec.yaml.decode(text, type=Directory)


def load_directory(path: Path) -> Directory:
    return parse_directory(path.read_bytes())
