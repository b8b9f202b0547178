"""Each rule on hand-written rows, for what the recordings do not show: other channel
technologies, Local-channel queues, ForkCDR, Asterisk 11 rows without linkedid, park comebacks,
attended transfers, group pickup, dedicated trunks, dialplan clues in userfield."""

from __future__ import annotations

import pytest

from calldata.attribution.directory import parse_directory
from calldata.attribution.lookup import Lookup
from legs import leg, properties

# Another PBX's directory: PJSIP phones, an old chan_sip phone, a Local-channel queue.
PJSIP_DIRECTORY = """
system: {country_code: "33", national_prefix: "0", international_prefix: "00", timezone: Europe/Paris}
trunks:
  ovh: {channels: ["PJSIP/ovh"]}
companies:
  initech:
    name: Initech
    contexts: [initech, initech-agents, initech-ivr]
    outside_prefix: "0"
    extensions:
      "101": {name: Peter, type: user, devices: ["PJSIP/initech-101"]}
      "102": {name: Milton, type: user, devices: ["SIP/102"]}
      "500": {name: Helpdesk, type: queue}
      "600": {name: Menu, type: ivr}
      "800": {name: Park, type: park, spaces: "801-805"}
      "*8": {name: Pickup, type: pickup}
    ddis:
      "33140000001": "500"
"""


@pytest.fixture(scope="module")
def pbx() -> Lookup:
    return Lookup.build(parse_directory(PJSIP_DIRECTORY), version=7)


def test_pjsip_outbound_with_outside_prefix_and_number_sent_as_user_at_trunk(pbx: Lookup) -> None:
    [p] = properties([leg(0, 30, 5, channel="PJSIP/initech-101-0000001a", dstchannel="PJSIP/ovh-0000001b",
                          dst="00145678901", dcontext="initech", src="101", linkedid="1.1",
                          lastapp="Dial", lastdata="PJSIP/0145678901@ovh,60")], pbx)
    assert (p["company"], p["target"], p["src_ext"], p["trunk"], p["bill_to"]) == ("initech", "", "101", "ovh", "initech")
    assert (p["dial_short"], p["dial_full"]) == ("00145678901", "33145678901")


def test_chan_sip_device_name(pbx: Lookup) -> None:
    [p] = properties([leg(0, 10, 2, channel="SIP/102-0a1b2c3d", dstchannel="PJSIP/initech-101-00000002",
                          dst="101", dcontext="initech", linkedid="2.1", lastapp="Dial")], pbx)
    assert (p["company"], p["target"], p["src_ext"], p["dial_full"], p["trunk"], p["bill_to"]) == (
        "initech", "initech", "102", "101", "", "")


def test_local_channel_queue(pbx: Lookup) -> None:
    caller = leg(0, 40, 0, channel="PJSIP/ovh-00000010", dstchannel="Local/101@initech-agents-00000003;1",
                 src="0612345678", dst="500", dcontext="initech", lastapp="Queue", lastdata="500", linkedid="3.1")
    agent = leg(1, 40, 6, channel="Local/101@initech-agents-00000003;2", dstchannel="PJSIP/initech-101-00000011",
                src="0612345678", dst="101", dcontext="initech-agents", lastapp="Dial", linkedid="3.1")
    q, a = properties([caller, agent], pbx)
    assert (q["company"], q["target"], q["trunk"], q["dial_short"], q["bill_to"]) == ("", "initech", "ovh", "500", "")
    assert (a["company"], a["target"], a["src_ext"], a["trunk"], a["dial_short"]) == ("initech", "initech", "", "", "101")


def test_inbound_ddi_as_delivered_in_national_form(pbx: Lookup) -> None:
    [p] = properties([leg(0, 20, 0, channel="PJSIP/ovh-00000020", dst="0140000001", dcontext="from-ovh",
                          lastapp="Queue", src="0612345678", linkedid="4.1")], pbx)
    assert (p["company"], p["target"], p["dial_full"], p["trunk"]) == ("", "initech", "33140000001", "ovh")


def test_forkcdr_rows_share_the_call_and_companies(pbx: Lookup) -> None:
    busy = leg(0, 1, None, channel="Local/1@initech-00000001;2", dstchannel="PJSIP/initech-101-00000001",
               dst="1", dcontext="initech", lastapp="Dial", lastdata="PJSIP/initech-101", disposition="BUSY",
               uniqueid="5.2", linkedid="5.1")
    answered = leg(1, 20, 3, channel="Local/1@initech-00000001;2", dstchannel="SIP/102-00000002",
                   dst="1", dcontext="initech", lastapp="Dial", lastdata="SIP/102", uniqueid="5.2", linkedid="5.1")
    forked = leg(10, 20, 10, channel="Local/1@initech-00000001;2", dstchannel="SIP/102-00000002",
                 dst="1", dcontext="initech", lastapp="Dial", lastdata="SIP/102", uniqueid="5.2", linkedid="5.1")
    rows = properties([busy, answered, forked], pbx)
    assert [(r["company"], r["target"], r["xfer"]) for r in rows] == [("initech", "initech", "")] * 3


def test_asterisk_11_rows_without_linkedid_group_by_uniqueid(world: Lookup) -> None:
    from calldata.attribution.properties import decide
    first = leg(0, 10, 2, channel="SIP/acme-201-00000001", dstchannel="IAX2/acme-202-1", dst="202",
                dcontext="acme", uniqueid="1300000000.1")
    other = leg(100, 110, 102, channel="IAX2/acme-203-7", dstchannel="IAX2/acme-201-9", dst="201",
                dcontext="acme", uniqueid="1300000100.5")
    calls, props = decide([first, other], world)
    assert calls == ["1300000000.1", "1300000100.5"]
    assert props[1][:3] == ["acme", "acme", "203"]


def test_reused_channel_name_hours_apart_is_another_call(world: Lookup) -> None:
    from calldata.attribution.properties import decide
    morning = leg(0, 10, 2, channel="IAX2/acme-201-57", dstchannel="IAX2/acme-202-9", dst="202", dcontext="acme", linkedid="10.1")
    evening = leg(36000, 36010, 36002, channel="IAX2/acme-201-57", dstchannel="IAX2/acme-203-4", dst="203",
                  dcontext="acme", linkedid="46.1")
    calls, props = decide([morning, evening], world)
    assert calls == ["10.1", "46.1"]
    assert props[1][7] == ""  # no transfer across calls


def test_attended_transfer_merges_consultation_and_sets_xfer(world: Lookup) -> None:
    # Asterisk 12+: the transferrer's channel (Party B of the first leg) dials the consultation.
    talk = leg(0, 20, 3, channel="IAX2/acme-201-1", dstchannel="IAX2/acme-202-2", dst="202", dcontext="acme", linkedid="20.1")
    consult = leg(10, 20, 12, channel="IAX2/acme-202-2", dstchannel="IAX2/acme-203-4", dst="203",
                  dcontext="acme", src="202", linkedid="30.1")
    after = leg(20, 40, 20, channel="IAX2/acme-201-1", dstchannel="IAX2/acme-203-4", dst="202", dcontext="acme", linkedid="20.1")
    from calldata.attribution.properties import decide
    calls, _ = decide([talk, consult, after], world)
    assert set(calls) == {"20.1"}
    rows = properties([talk, consult, after], world)
    assert [r["xfer"] for r in rows] == ["", "", "202"]
    assert [r["dial_short"] for r in rows] == ["202", "203", "203"]  # what the transferrer dialled
    assert [r["src_ext"] for r in rows] == ["201", "202", "201"]
    assert rows[2]["is_bounce"] is False


def test_park_timeout_comes_back_to_the_parker(world: Lookup) -> None:
    talk = leg(0, 10, 2, channel="IAX2/acme-201-1", dstchannel="IAX2/acme-202-2", dst="202", dcontext="acme", linkedid="40.1")
    park = leg(10, 55, 10, channel="IAX2/acme-201-1", dst="202", dcontext="acme", lastapp="Park",
               lastdata="acme:705", linkedid="40.1")
    back = leg(55, 70, 58, channel="IAX2/acme-201-1", dstchannel="IAX2/acme-202-9", dst="IAX2_acme-202",
               dcontext="park-dial", lastapp="Dial", linkedid="40.1")
    rows = properties([talk, park, back], world)
    assert (rows[1]["is_park"], rows[1]["dial_short"], rows[1]["xfer"], rows[1]["target"]) == (True, "705", "202", "acme")
    assert (rows[2]["is_bounce"], rows[2]["dial_short"], rows[2]["target"], rows[2]["is_park"]) == (True, "202", "acme", False)
    assert rows[0]["is_bounce"] is False


def test_comeback_without_party_b_uses_the_flattened_channel_in_dst(world: Lookup) -> None:
    [p] = properties([leg(0, 20, None, channel="IAX2/acme-201-1", dst="IAX2_acme-203", dcontext="park-dial",
                          lastapp="Hangup", linkedid="41.1")], world)
    assert (p["is_bounce"], p["dial_short"], p["target"], p["company"]) == (True, "203", "acme", "acme")


def test_attended_transfer_through_a_local_channel_sets_xfer_on_the_transferee(world: Lookup) -> None:
    # Asterisk 12+ atxfer dials the target through a Local channel; the transferee ends up
    # bridged to its `;1` half while the `;2` half talks to the new party.
    talk = leg(0, 20, 2, channel="IAX2/acme-201-1", dstchannel="IAX2/acme-202-2", dst="202", dcontext="acme", linkedid="21.1")
    consult = leg(8, 20, 8, channel="IAX2/acme-202-2", dstchannel="Local/203@acme-0000000a;1", dst="202",
                  dcontext="acme", linkedid="21.1")
    local = leg(8, 40, 11, channel="Local/203@acme-0000000a;2", dstchannel="IAX2/acme-203-3", dst="203",
                dcontext="acme", linkedid="21.1")
    after = leg(20, 40, 20, channel="IAX2/acme-201-1", dstchannel="Local/203@acme-0000000a;1", dst="202",
                dcontext="acme", linkedid="21.1")
    rows = properties([talk, consult, local, after], world)
    # the `;2` leg is the consultation's own dial, placed before anything was transferred (as
    # recorded: asterisk-real-2 story 32); only the transferee's leg carries the transfer
    assert [r["xfer"] for r in rows] == ["", "", "", "202"]
    assert [r["dial_short"] for r in rows] == ["202", "202", "203", "203"]
    assert [r["target"] for r in rows] == ["acme"] * 4


def test_group_pickup_is_a_pickup_not_a_transfer(world: Lookup) -> None:
    ring = leg(0, 6, 6, channel="IAX2/acme-201-1", dstchannel="IAX2/acme-202-2", dst="202", dcontext="acme", linkedid="50.1")
    pick = leg(0, 6, None, channel="IAX2/acme-202-2", dst="*8", dcontext="acme", lastapp="Pickup", linkedid="50.1")
    talk = leg(6, 20, 6, channel="IAX2/acme-201-1", dstchannel="IAX2/acme-203-3", dst="202", dcontext="acme", linkedid="50.1")
    rows = properties([ring, pick, talk], world)
    assert [r["is_pick"] for r in rows] == [False, True, True]
    assert [r["xfer"] for r in rows] == ["", "", ""]
    assert rows[1]["target"] == "acme"


def test_dedicated_trunk_inbound_belongs_to_its_company(world: Lookup) -> None:
    [p] = properties([leg(0, 10, 2, channel="IAX2/globexgw-77", dstchannel="IAX2/globex-202-1", dst="202",
                          dcontext="globex", src="01632960123", linkedid="60.1")], world)
    assert (p["company"], p["target"], p["trunk"], p["bill_to"]) == ("globex", "globex", "globexgw", "")


def test_caller_number_that_is_a_hosted_ddi_gives_its_company(world: Lookup) -> None:
    [p] = properties([leg(0, 10, 2, channel="IAX2/carrier1-5", dstchannel="IAX2/globex-201-1", dst="201",
                          dcontext="globex", src="01908276651", linkedid="61.1")], world)
    assert (p["company"], p["target"]) == ("acme", "globex")


def test_call_to_a_hosted_ddi_through_the_carrier_targets_its_company(world: Lookup) -> None:
    [p] = properties([leg(0, 10, 2, channel="IAX2/globex-201-1", dstchannel="IAX2/globexgw-3", dst="901908276651",
                          dcontext="globex", lastapp="Dial", lastdata="IAX2/globexgw/01908276651,60",
                          linkedid="62.1")], world)
    assert (p["company"], p["target"], p["dial_full"], p["bill_to"]) == ("globex", "acme", "441908276651", "globex")


def test_userfield_entries_named_after_properties_are_taken_as_given(world: Lookup) -> None:
    [p] = properties([leg(0, 10, 2, channel="IAX2/acme-201-1", dstchannel="IAX2/acme-202-2", dst="202",
                          dcontext="acme", linkedid="70.1", userfield="xfer=203;call_rec=r.wav;is_ivr=1")], world)
    assert (p["xfer"], p["call_rec"], p["is_ivr"]) == ("203", "r.wav", True)


def test_unknown_channel_is_left_undecided_unless_its_accountcode_names_a_company(world: Lookup) -> None:
    unknown = leg(0, 10, 2, channel="PJSIP/mystery-00000001", dstchannel="IAX2/acme-202-2", dst="202",
                  dcontext="acme", linkedid="80.1")
    tagged = leg(0, 10, 2, channel="PJSIP/mystery-00000003", dstchannel="IAX2/acme-203-2", dst="203",
                 dcontext="acme", linkedid="81.1", accountcode="globex")
    u, t = properties([unknown, tagged], world)
    assert (u["company"], u["src_ext"], u["target"]) == (None, "", "acme")
    assert t["company"] == "globex"


def test_transfer_recall_is_a_bounce(world: Lookup) -> None:
    first = leg(0, 10, 2, channel="IAX2/carrier1-1", dstchannel="IAX2/acme-201-2", dst="201", dcontext="acme", linkedid="90.1")
    recall = leg(10, 30, 14, channel="IAX2/carrier1-1", dstchannel="IAX2/acme-201-8", dst="201", dcontext="acme", linkedid="90.1")
    rows = properties([first, recall], world)
    assert (rows[1]["xfer"], rows[1]["is_bounce"]) == ("201", True)


def test_special_extensions_belong_to_their_context(world: Lookup) -> None:
    [invalid] = properties([leg(0, 8, 0, channel="IAX2/carrier1-3", dst="i", dcontext="acme-ivr",
                                lastapp="Playback", linkedid="95.1")], world)
    assert (invalid["target"], invalid["company"], invalid["is_ivr"]) == ("acme", "", True)


def test_an_outside_party_transferred_by_the_extension_that_called_it(world: Lookup) -> None:
    # Alice calls out, then blind-transfers the outside party to Bob: the carrier channel,
    # Party B of her leg, becomes Party A of the next one.
    out = leg(0, 30, 4, channel="IAX2/acme-201-1", dstchannel="IAX2/carrier1-2", dst="01632960123",
              dcontext="acme", lastapp="Dial", lastdata="IAX2/carrier1/01632960123,60", linkedid="96.1")
    moved = leg(30, 50, 33, channel="IAX2/carrier1-2", dstchannel="IAX2/acme-202-3", dst="202",
                dcontext="acme", lastapp="Dial", linkedid="96.1")
    rows = properties([out, moved], world)
    assert (rows[0]["xfer"], rows[0]["bill_to"]) == ("", "acme")
    assert (rows[1]["xfer"], rows[1]["company"], rows[1]["target"], rows[1]["trunk"]) == ("201", "", "acme", "carrier1")
