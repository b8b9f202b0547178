"""The directory compiled into the dicts attribution consults per row, built once per version."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from calldata.attribution.directory import Directory, park_spaces
from calldata.attribution.numbers import dialled_number
from calldata.rating.rater import Plan


@dataclass(slots=True)
class CompanyNumbers:
    """What a company's users can dial internally, and how they reach the outside."""

    outside_prefix: str
    extensions: dict[str, str] = field(default_factory=dict)  # number -> type
    park: dict[str, str] = field(default_factory=dict)  # space or park extension -> park extension
    pickup_codes: set[str] = field(default_factory=set)  # exact codes (*8)
    pickup_prefixes: tuple[str, ...] = ()  # codes followed by an extension (**)

    def is_pickup(self, number: str) -> bool:
        if not number or number[0].isdigit():
            return number in self.pickup_codes  # feature codes start with * or #, almost always
        if number in self.pickup_codes:
            return True
        return any(number.startswith(p) and len(number) > len(p) for p in self.pickup_prefixes)

    def owns(self, number: str) -> bool:
        """The number is one of the company's internal codes (extension, park space, pickup)."""
        return number in self.extensions or number in self.park or self.is_pickup(number)


@dataclass(slots=True)
class Lookup:
    """Everything attribution needs from one directory version, as plain dict lookups."""

    version: int | None
    country_code: str
    national_prefix: str
    international_prefix: str
    devices: dict[str, tuple[str, str]]  # lower-cased device channel -> (company, extension)
    trunks: list[tuple[str, str, str]]  # (lower-cased channel prefix, trunk name, owner or "")
    contexts: dict[str, str]  # dialplan context -> company
    companies: dict[str, CompanyNumbers]
    ddis: dict[str, tuple[str, str]]  # full number -> (company, extension)
    auth_codes: dict[str, tuple[str, str]]  # code -> (company, auth id)
    park_space_owner: dict[str, str]  # park space -> company, when only one company has it
    plan: Plan  # which rate deck prices each company's calls and costs each trunk's
    parties: dict[str, tuple[int, str, str, str]] = field(default_factory=dict)  # channels.resolve cache
    context_kinds: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)  # see context_kind
    sent: dict[str, tuple[str, str] | None] = field(default_factory=dict)  # see sent_number

    def sent_number(self, lastdata: str) -> tuple[str, str] | None:
        """`numbers.dialled_number` for this directory's trunks, cached: Dial() data repeats."""
        try:
            return self.sent[lastdata]
        except KeyError:
            pass
        found = dialled_number(lastdata, self.trunks)
        if len(self.sent) >= 100_000:
            self.sent.clear()
        self.sent[lastdata] = found
        return found

    def context_kind(self, context: str) -> tuple[str, bool, bool]:
        """(owning company or "", is an IVR context, is a dial-in context) of a dialplan context.

        The directory gives contexts no type, so the name says it: a word `ivr` makes an IVR
        context (`acme-ivr`), a word `dialin` or `disa` a dial-in one.
        """
        kind = self.context_kinds.get(context)
        if kind is None:
            words = set(re.split(r"[^a-z0-9]+", context.lower()))
            kind = (self.contexts.get(context, ""), "ivr" in words, bool(words & {"dialin", "disa"}))
            if len(self.context_kinds) < 100_000:
                self.context_kinds[context] = kind
        return kind

    @classmethod
    def build(cls, directory: Directory, version: int | None = None) -> Lookup:
        devices: dict[str, tuple[str, str]] = {}
        contexts: dict[str, str] = {}
        companies: dict[str, CompanyNumbers] = {}
        ddis: dict[str, tuple[str, str]] = {}
        space_owners: dict[str, set[str]] = {}
        for cid, company in directory.companies.items():
            numbers = CompanyNumbers(outside_prefix=company.outside_prefix)
            prefixes = []
            for ext, extension in company.extensions.items():
                numbers.extensions[ext] = extension.type
                for device in extension.devices:
                    devices[device.lower()] = (cid, ext)
                if extension.type == "park":
                    numbers.park[ext] = ext
                    if extension.spaces:
                        for space in park_spaces(extension.spaces):
                            numbers.park[str(space)] = ext
                            space_owners.setdefault(str(space), set()).add(cid)
                elif extension.type == "pickup":
                    (prefixes.append(ext) if extension.prefix else numbers.pickup_codes.add(ext))
            numbers.pickup_prefixes = tuple(sorted(prefixes, key=len, reverse=True))
            companies[cid] = numbers
            for ctx in company.contexts:
                contexts[ctx] = cid
            for number, ext in company.ddis.items():
                ddis[number] = (cid, ext)
        trunks = sorted(
            ((prefix.lower(), name, trunk.company or "") for name, trunk in directory.trunks.items()
             for prefix in trunk.channels),
            key=lambda t: len(t[0]),
            reverse=True,
        )
        system = directory.system
        return cls(
            version=version,
            country_code=system.country_code,
            national_prefix=system.national_prefix,
            international_prefix=system.international_prefix,
            devices=devices,
            trunks=trunks,
            contexts=contexts,
            companies=companies,
            ddis=ddis,
            auth_codes={code: (a.company, a.id) for code, a in directory.auth_codes.items()},
            park_space_owner={s: next(iter(o)) for s, o in space_owners.items() if len(o) == 1},
            plan=Plan(
                zone=ZoneInfo(system.timezone),
                default_sell=system.sell_deck,
                sell={cid: c.sell_deck for cid, c in directory.companies.items() if c.sell_deck},
                buy={name: t.buy_deck for name, t in directory.trunks.items() if t.buy_deck},
            ),
        )
