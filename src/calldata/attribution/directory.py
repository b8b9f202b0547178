"""The PBX directory (companies, extensions, DDIs, trunks, auth codes) as typed, validated data.

The YAML format is described in docs/directory.md; `calldata/demo/directory.yaml` is the
reference example. Every problem is reported with the file, the line and what is wrong, so an
operator can fix the file without guessing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import yaml

ExtensionType = Literal[
    "user", "huntgroup", "queue", "ivr", "park", "pickup", "voicemail", "conference", "dialin"
]
EXTENSION_TYPES: tuple[str, ...] = ExtensionType.__args__  # type: ignore[attr-defined]

COMPANY_ID = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_SPACES = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


class System(msgspec.Struct, forbid_unknown_fields=True):
    country_code: str = "44"
    national_prefix: str = "0"
    international_prefix: str = "00"
    timezone: str = "UTC"
    sell_deck: str | None = None  # the rate deck pricing every company's outside calls (calldata.rating)


class Trunk(msgspec.Struct, forbid_unknown_fields=True):
    channels: list[str]
    company: str | None = None
    buy_deck: str | None = None  # the carrier's rate deck: what calls through this trunk cost


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
    timezone: str | None = None  # the zone its reports' months and days are counted in
    sell_deck: str | None = None  # its own prices, instead of the system's sell_deck


class AuthCode(msgspec.Struct, forbid_unknown_fields=True):
    company: str
    id: str


class Directory(msgspec.Struct, forbid_unknown_fields=True):
    system: System = msgspec.field(default_factory=System)
    trunks: dict[str, Trunk] = {}
    companies: dict[str, Company] = {}
    auth_codes: dict[str, AuthCode] = {}


class DirectoryError(ValueError):
    """One or more problems in a directory file, each as `file:line: problem`."""

    def __init__(self, source: str, problems: list[tuple[int, str]]) -> None:
        self.source = source
        self.problems = sorted(problems)
        super().__init__("\n".join(f"{source}:{line}: {text}" for line, text in self.problems))


def park_spaces(spaces: str) -> range:
    """`"701-720"` -> range(701, 721); raises ValueError on anything else."""
    match = _SPACES.match(spaces)
    if not match or int(match[1]) > int(match[2]):
        raise ValueError(f"spaces: expected FIRST-LAST such as 701-720, got {spaces!r}")
    return range(int(match[1]), int(match[2]) + 1)


class _Lines:
    """Maps a path of keys in the YAML document to the line it was written on (1-based)."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def of(self, *path: str | int) -> int:
        node = self.root
        line = 1 if node is None else node.start_mark.line + 1
        for key in path:
            child = None
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if str(k.value) == str(key):
                        line, child = k.start_mark.line + 1, v
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                child = node.value[key]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line


def _keys_as_text(value: Any) -> Any:
    """YAML reads `201:` as an int; the directory's keys and scalars are text."""
    if isinstance(value, dict):
        return {("" if k is None else str(k)): _keys_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_keys_as_text(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _path_of(message: str) -> tuple[str, list[str | int]]:
    """msgspec's `... - at `$.system.timezone`` -> (text, path parts); `[...]` hides a key."""
    text, _, where = message.partition(" - at `")
    parts: list[str | int] = []
    for m in re.finditer(r"\.([^.\[`]+)|\[(\d+)\]", where.rstrip("`")):
        parts.append(m[1] if m[1] is not None else int(m[2]))
    return text, parts


def _first_error(data: dict[str, Any]) -> tuple[str, list[str | int]]:
    """Which entry of the document is wrong: msgspec does not name dictionary keys, so each
    keyed entry is converted on its own to find the first one that fails."""
    sections: dict[str, type] = {"trunks": Trunk, "companies": Company, "auth_codes": AuthCode}
    for section, kind in sections.items():
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        for key, value in entries.items():
            if kind is Company and isinstance(value, dict) and isinstance(value.get("extensions"), dict):
                for ext, extension in value["extensions"].items():
                    try:
                        msgspec.convert(extension, Extension)
                    except msgspec.ValidationError as exc:
                        text, rest = _path_of(str(exc))
                        return text, [section, key, "extensions", ext, *rest]
            try:
                msgspec.convert(value, kind)
            except msgspec.ValidationError as exc:
                text, rest = _path_of(str(exc))
                return text, [section, key, *rest]
    try:
        msgspec.convert(data, Directory)
    except msgspec.ValidationError as exc:
        return _path_of(str(exc))
    return "invalid", []


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check(directory: Directory, lines: _Lines) -> list[tuple[int, str]]:
    """The rules a well-typed directory can still break (ids, references, double claims)."""
    problems: list[tuple[int, str]] = []
    companies = directory.companies
    devices: dict[str, str] = {}
    contexts: dict[str, str] = {}
    ddis: dict[str, str] = {}
    for cid, company in companies.items():
        if not COMPANY_ID.match(cid):
            problems.append((lines.of("companies", cid), f"company id {cid!r}: must match ^[A-Za-z0-9_]{{1,32}}$"))
        for ctx in company.contexts:
            if ctx in contexts and contexts[ctx] != cid:
                problems.append((lines.of("companies", cid, "contexts"),
                                 f"context {ctx!r} is claimed by companies {contexts[ctx]!r} and {cid!r}"))
            contexts.setdefault(ctx, cid)
        if company.timezone is not None and not _is_zone(company.timezone):
            problems.append((lines.of("companies", cid, "timezone"),
                             f"company {cid!r}: unknown time zone {company.timezone!r} (an IANA name such as Europe/Berlin)"))
        if company.outside_prefix and not company.outside_prefix.isdigit():
            problems.append((lines.of("companies", cid, "outside_prefix"),
                             f"company {cid!r}: outside_prefix must be digits, got {company.outside_prefix!r}"))
        for ext, extension in company.extensions.items():
            where = lines.of("companies", cid, "extensions", ext)
            if not ext:
                problems.append((where, f"company {cid!r}: empty extension number"))
            for device in extension.devices:
                owner = devices.get(device)
                if owner is not None and owner != f"{cid}/{ext}":
                    problems.append((where, f"device {device!r} is claimed by {owner} and {cid}/{ext}"))
                devices.setdefault(device, f"{cid}/{ext}")
            if extension.type == "park":
                if extension.spaces is None:
                    problems.append((where, f"park extension {cid}/{ext}: missing spaces (e.g. 701-720)"))
                else:
                    try:
                        park_spaces(extension.spaces)
                    except ValueError as exc:
                        problems.append((where, f"park extension {cid}/{ext}: {exc}"))
            elif extension.spaces is not None:
                problems.append((where, f"extension {cid}/{ext}: spaces is only for type park"))
            if extension.prefix and extension.type != "pickup":
                problems.append((where, f"extension {cid}/{ext}: prefix is only for type pickup"))
        for number, ext in company.ddis.items():
            where = lines.of("companies", cid, "ddis", number)
            if not number.isdigit():
                problems.append((where, f"DDI {number!r}: must be the full number in digits (e.g. 441908276650)"))
            if ext not in company.extensions:
                problems.append((where, f"DDI {number} points at extension {ext!r}, which company {cid!r} does not have"))
            if number in ddis and ddis[number] != cid:
                problems.append((where, f"DDI {number} is claimed by companies {ddis[number]!r} and {cid!r}"))
            ddis.setdefault(number, cid)
    for name, trunk in directory.trunks.items():
        where = lines.of("trunks", name)
        if not trunk.channels:
            problems.append((where, f"trunk {name!r}: no channels"))
        if trunk.company is not None and trunk.company not in companies:
            problems.append((lines.of("trunks", name, "company"), f"trunk {name!r}: unknown company {trunk.company!r}"))
        for prefix in trunk.channels:
            if prefix in devices:
                problems.append((where, f"channel {prefix!r} is both trunk {name!r} and device {devices[prefix]}"))
    for code, auth in directory.auth_codes.items():
        if not code.strip():
            problems.append((lines.of("auth_codes", code), "auth code: must not be empty"))
        if auth.company not in companies:
            problems.append((lines.of("auth_codes", code, "company"), f"auth code {code!r}: unknown company {auth.company!r}"))
    return problems


def parse_directory(text: str | bytes, source: str = "<directory>") -> Directory:
    """Decode and validate directory YAML; raises DirectoryError listing every problem found."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a control character)
        line = text[:exc.position].count("\n" if isinstance(text, str) else b"\n") + 1
        raise DirectoryError(source, [(line, f"not a text file: character #x{exc.character:02x} "
                                             f"at offset {exc.position} ({exc.reason})")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise DirectoryError(source, [(line, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    lines = _Lines(root)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DirectoryError(source, [(1, "the directory must be a mapping with system, trunks, companies, auth_codes")])
    try:
        directory = msgspec.convert(_keys_as_text(data), type=Directory)
    except msgspec.ValidationError:
        problem, path = _first_error(_keys_as_text(data))
        where = ".".join(str(p) for p in path)
        if path and path[-1] == "type" and "enum" in problem:
            problem = f"unknown extension type ({problem}); expected one of {', '.join(EXTENSION_TYPES)}"
        raise DirectoryError(source, [(lines.of(*path), f"{where}: {problem}" if where else problem)]) from None
    problems = _check(directory, lines)
    if problems:
        raise DirectoryError(source, problems)
    return directory


def read_directory(path: Path) -> str:
    """The text of a directory file; one that cannot be read or is not UTF-8 (a binary given by
    mistake) raises DirectoryError naming the file, the line and the problem."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DirectoryError(str(path), [(1, f"cannot read: {exc.strerror}")]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DirectoryError(str(path), [(line, f"not a text file: byte 0x{data[exc.start]:02x} at offset "
                                                f"{exc.start} is not UTF-8")]) from None


def load_directory(path: Path) -> Directory:
    return parse_directory(read_directory(path), source=str(path))


def dump_directory(directory: Directory) -> str:
    """The directory as YAML (the form `calldata directory export` prints)."""
    return yaml.safe_dump(msgspec.to_builtins(directory), sort_keys=False, allow_unicode=True)
