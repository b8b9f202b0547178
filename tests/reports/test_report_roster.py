"""The roster's remembered channel lookups answer what the channel's base name says, in any order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from calldata.attribution.channels import base_name, local_parts
from calldata.attribution.directory import load_directory
from calldata.reports.roster import Roster
from recordings import DIRECTORY_YAML

DIRECTORY = load_directory(DIRECTORY_YAML)
NAMES = ["PJSIP/acme-201", "IAX2/acme-202", "pjsip/ACME-203", "IAX2/carrier1", "Local/201@acme", "SIP/201",
         "Parked/PJSIP/acme-201", "AsyncGoto/IAX2/globex-201", "DAHDI/1", "Local/x;1", "PJSIP/acme-201-"]
SUFFIXES = ["-3265", "-0000001a", "-0000001a;2", "-zz", "", ";1", "<ZOMBIE>", "-", "-1-2"]
channels = st.lists(st.builds(str.__add__, st.sampled_from(NAMES), st.sampled_from(SUFFIXES)), max_size=30)


@given(channels)
def test_party_is_the_base_names_device_and_ownership(asked: list[str]) -> None:
    roster = Roster(DIRECTORY)  # a fresh memory each example: the order of the questions varies
    for channel in asked:
        base = base_name(channel)
        device = roster.devices.get(base.lower())
        assert roster.party(channel) == (device, device is not None or local_parts(base) is not None), channel
    assert roster.party("") == (None, False)
