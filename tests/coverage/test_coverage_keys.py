"""Channels are kept by base name: whether the directory knows a channel is whether it knows its base."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from calldata.attribution.channels import UNKNOWN, base_name, resolve, resolve_base
from calldata.attribution.directory import load_directory
from calldata.attribution.lookup import Lookup
from recordings import DIRECTORY_YAML

DIRECTORY = load_directory(DIRECTORY_YAML)
_NAMES = sorted({*Lookup.build(DIRECTORY, version=1).devices, "PJSIP/stranger", "Local/201@acme", "PJSIP/bigco-2001"})
_PART = st.sampled_from(_NAMES) | st.text("abcPJSIP/-@;0123456789<>ZOMBIE", max_size=12)
CHANNELS = st.tuples(st.sampled_from(["", "Parked/", "Bridge/", "AsyncGoto/"]), _PART,
                     st.sampled_from(["", "-0000001a", "-1f;2", "-abc;12", "<ZOMBIE>", "-1"])).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(CHANNELS.filter(bool), min_size=1, max_size=8))
def test_a_channel_is_unknown_exactly_when_its_base_name_is(channels: list[str]) -> None:
    lookup = Lookup.build(DIRECTORY, version=1)  # its cache filled as the channels come
    for channel in channels:
        assert (resolve(lookup, channel)[0] == UNKNOWN) == (resolve_base(lookup, base_name(channel))[0] == UNKNOWN)
