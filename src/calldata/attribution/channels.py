"""Channel names -> who is behind them: a company's device, a trunk, a Local channel, or unknown.

Asterisk names a channel `TECH/resource-UNIQUE` (`IAX2/acme-201-3265`, `PJSIP/acme-201-0000001a`,
`SIP/201-0a1b2c3d`, `DAHDI/1-1`) and a Local channel `Local/EXTEN@CONTEXT-UNIQUE;HALF`.
"""

from __future__ import annotations

from calldata.attribution.lookup import Lookup

NONE, DEVICE, TRUNK, LOCAL, UNKNOWN = 0, 1, 2, 3, 4

# (kind, company, extension, trunk name); company/extension "" when not known.
Party = tuple[int, str, str, str]
NO_PARTY: Party = (NONE, "", "", "")

_HEX = frozenset("0123456789abcdefABCDEF")
_WRAPPERS = ("AsyncGoto/", "Parked/", "Bridge/")
_CACHE_LIMIT = 200_000


def base_name(channel: str) -> str:
    """`IAX2/acme-201-3265` -> `IAX2/acme-201`; `Local/201@acme-0000001a;2` -> `Local/201@acme`."""
    name = channel
    if name[-1] == ">":  # <ZOMBIE>, <MASQ>
        cut = name.rfind("<")
        if cut > 0:
            name = name[:cut]
    if name.startswith(_WRAPPERS):
        name = name[name.find("/") + 1:]
    semi = name.find(";")
    if semi >= 0:
        name = name[:semi]
    dash = name.rfind("-")
    if dash > 0 and _HEX.issuperset(name[dash + 1:]) and dash + 1 < len(name) and 0 <= name.find("/") < dash:
        name = name[:dash]
    return name


def local_parts(base: str) -> tuple[str, str] | None:
    """`Local/201@acme` -> ("201", "acme"); None for a channel that is not a Local channel."""
    if not base[:6].lower() == "local/":
        return None
    exten, _, context = base[6:].partition("@")
    return exten, context


def resolve(lookup: Lookup, channel: str) -> Party:
    """Who a channel is; cached per directory version by the channel's base name."""
    if not channel:
        return NO_PARTY
    parties = lookup.parties
    # Fast path for the usual `TECH/name-HEX` (or `...-HEX;N`): the base is what precedes the dash.
    dash = channel.rfind("-")
    if dash > 0:
        tail = channel[dash + 1:]
        if tail[-2:-1] == ";":
            tail = tail[:-2]
        if tail and _HEX.issuperset(tail) and 0 <= channel.find("/") < dash:
            party = parties.get(channel[:dash])
            if party is not None:
                return party
    return resolve_base(lookup, base_name(channel))


def resolve_base(lookup: Lookup, base: str) -> Party:
    """Who every channel of base name `base` is (`resolve` of each of them), cached per version."""
    parties = lookup.parties
    party = parties.get(base)
    if party is None:
        party = _resolve_base(lookup, base)
        if len(parties) >= _CACHE_LIMIT:
            parties.clear()
        parties[base] = party
    return party


def _resolve_base(lookup: Lookup, base: str) -> Party:
    key = base.lower()
    device = lookup.devices.get(key)
    if device is not None:
        return (DEVICE, device[0], device[1], "")
    local = local_parts(base)
    if local is not None:
        exten, context = local
        company = lookup.contexts.get(context, "")
        return (LOCAL, company, exten, "")
    for prefix, name, owner in lookup.trunks:
        if key.startswith(prefix):
            return (TRUNK, owner, "", name)
    return (UNKNOWN, "", "", "")

