"""Channel names -> parties, and dialled numbers -> their full form."""

from __future__ import annotations

import pytest

from calldata.attribution.channels import DEVICE, LOCAL, NONE, TRUNK, UNKNOWN, base_name, resolve
from calldata.attribution.lookup import Lookup
from calldata.attribution.numbers import dialled_number, full_form, international


@pytest.mark.parametrize(("channel", "base"), [
    ("IAX2/acme-201-3265", "IAX2/acme-201"),
    ("PJSIP/acme-201-0000001a", "PJSIP/acme-201"),
    ("SIP/201-0a1b2c3d", "SIP/201"),
    ("DAHDI/1-1", "DAHDI/1"),
    ("Local/201@acme-ivr-00000012;2", "Local/201@acme-ivr"),
    ("IAX2/acme-201-3265<ZOMBIE>", "IAX2/acme-201"),
    ("AsyncGoto/SIP/acme-201-00000001", "SIP/acme-201"),
    ("Console/dsp", "Console/dsp"),
    ("IAX2/acme-ivr", "IAX2/acme-ivr"),
])
def test_base_name(channel: str, base: str) -> None:
    assert base_name(channel) == base


@pytest.mark.parametrize(("channel", "party"), [
    ("IAX2/acme-201-3265", (DEVICE, "acme", "201", "")),
    ("iax2/ACME-202-1", (DEVICE, "acme", "202", "")),
    ("IAX2/globex-201-9", (DEVICE, "globex", "201", "")),
    ("IAX2/carrier1-6752", (TRUNK, "", "", "carrier1")),
    ("IAX2/globexgw-1", (TRUNK, "globex", "", "globexgw")),
    ("Local/260@acme-ivr-0000000a;1", (LOCAL, "acme", "260", "")),
    ("Local/5@nowhere-0000000a;1", (LOCAL, "", "5", "")),
    ("PJSIP/stranger-00000001", (UNKNOWN, "", "", "")),
    ("", (NONE, "", "", "")),
])
def test_resolve(world: Lookup, channel: str, party: tuple) -> None:
    assert resolve(world, channel) == party
    assert resolve(world, channel) == party  # and again, from the cache


def test_a_zombie_is_resolved_like_its_channel(world: Lookup) -> None:
    resolve(world, "IAX2/acme-5")  # an unknown `IAX2/acme` in the cache must not capture the zombie
    assert resolve(world, "IAX2/acme-201-3265<ZOMBIE>") == (DEVICE, "acme", "201", "")


@pytest.mark.parametrize(("number", "prefix", "full"), [
    ("01632960123", "", "441632960123"),
    ("901632960123", "9", "441632960123"),
    ("90033144556677", "9", "33144556677"),
    ("0033144556677", "", "33144556677"),
    ("+441908276650", "", "441908276650"),
    ("441908276650", "", "441908276650"),
    ("999", "", "999"),
])
def test_international(world: Lookup, number: str, prefix: str, full: str) -> None:
    assert international(world, number, prefix) == full


def test_internal_codes_keep_their_form(world: Lookup) -> None:
    acme = world.companies["acme"]
    for number in ("202", "701", "*8", "**202", "*97", "s"):
        assert full_form(world, number, acme) == number
    assert full_form(world, "01908276651", acme) == "441908276651"


@pytest.mark.parametrize(("lastdata", "sent"), [
    ("IAX2/carrier1/01632960123,60,Tf(441908276650)", ("carrier1", "01632960123")),
    ("IAX2/acme-201&IAX2/carrier1/07700900456,60", ("carrier1", "07700900456")),
    ("IAX2/carrier1/01632960123|60", ("carrier1", "01632960123")),
    ("IAX2/acme-202,20", None),
    ("IAX2/globexgw/s,60", ("globexgw", "")),
    ("", None),
])
def test_number_sent_to_a_trunk(world: Lookup, lastdata: str, sent: tuple | None) -> None:
    assert dialled_number(lastdata, world.trunks) == sent


def test_number_sent_in_pjsip_forms() -> None:
    trunks = [("pjsip/ovh", "ovh", "")]
    assert dialled_number("PJSIP/0145678901@ovh,60", trunks) == ("ovh", "0145678901")
    assert dialled_number("PJSIP/ovh/sip:+33145678901@sbc.example", trunks) == ("ovh", "+33145678901")
