"""Dialled numbers: their full international form, and the number a Dial() sent to a trunk."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # lookup.py uses this module
    from calldata.attribution.lookup import CompanyNumbers, Lookup


def international(lookup: Lookup, number: str, outside_prefix: str = "") -> str:
    """An external number as international digits without `+`.

    `901908276650` (outside prefix 9) -> `441908276650`; `0033144556677` -> `33144556677`;
    `+441908276650` -> `441908276650`. A number in none of these forms is returned as given.
    """
    if number.startswith("+"):
        return number[1:]
    if outside_prefix and number.startswith(outside_prefix) and len(number) > len(outside_prefix):
        number = number[len(outside_prefix):]
    intl = lookup.international_prefix
    if intl and number.startswith(intl):
        return number[len(intl):]
    national = lookup.national_prefix
    if national and number.startswith(national) and len(number) > len(national):
        return lookup.country_code + number[len(national):]
    return number


def full_form(lookup: Lookup, number: str, company: CompanyNumbers | None) -> str:
    """`dial_full` of a dialled number: internal codes unchanged, external numbers international."""
    if not number or not (number.isdigit() or (number[0] == "+" and number[1:].isdigit())):
        return number  # *97, **202, s, SIP_alice: not a telephone number
    if company is None:
        return international(lookup, number)
    if company.owns(number):
        return number
    return international(lookup, number, company.outside_prefix)


def dialled_number(lastdata: str, trunk_prefixes: list[tuple[str, str, str]]) -> tuple[str, str] | None:
    """From Dial()'s data, (trunk name, number sent) for the first target that is a trunk.

    Understands `IAX2/carrier1/0163...`, `SIP/carrier1/0163...`, `PJSIP/0163...@carrier1`,
    `PJSIP/carrier1/sip:0163...@host`, `DAHDI/g0/0163...`; Asterisk 1.4's `|` separator too.
    """
    if "/" not in lastdata:
        return None
    first = lastdata.split(",", 1)[0].split("|", 1)[0]
    for target in first.split("&"):
        key = target.lower()
        tech, _, resource = target.partition("/")
        for prefix, name, _owner in trunk_prefixes:
            tech_p, _, peer = prefix.partition("/")
            if tech.lower() != tech_p:
                continue
            if key.startswith(prefix):
                rest = resource[len(peer):].lstrip("/")
            elif "@" in resource and resource.lower().split("@", 1)[1].startswith(peer):
                rest = resource.split("@", 1)[0]
            else:
                continue
            rest = rest.rsplit("/", 1)[-1]
            for scheme in ("sip:", "sips:", "tel:"):
                if rest.startswith(scheme):
                    rest = rest[len(scheme):]
            rest = rest.split("@", 1)[0]
            if rest and (rest.isdigit() or (rest[0] == "+" and rest[1:].isdigit())):
                return name, rest
            return name, ""
    return None
