"""Reading generated rows the way a person reads Master.csv: what kind of call, what shape of row.

Nothing here asks the generator: kinds and shapes are worked out from the rows and the directory
alone, so the tests compare the generator against Asterisk's recordings and its own promises.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from recordings import STORIES

from calldata.attribution.channels import base_name
from calldata.attribution.directory import Directory, load_directory, park_spaces
from calldata.cdr import Cdr
from calldata.demo.demo import EXAMPLE_DIRECTORY

REPO = Path(__file__).resolve().parents[2]
# The generator is tested on the example PBX it ships with: the recorded first run's directory
# (IAX2 phones; the tests' world directory adds the PJSIP endpoints of a later run).
DIRECTORY_YAML = EXAMPLE_DIRECTORY
STORY_LAYOUT = "cdr_csv+loguniqueid+loguserfield+newcdrcolumns"


def world() -> Directory:
    return load_directory(DIRECTORY_YAML)


class Names:
    """What the directory calls each channel, context and number."""

    def __init__(self, directory: Directory) -> None:
        self.devices = {d for c in directory.companies.values() for e in c.extensions.values() for d in e.devices}
        self.trunks = {ch for t in directory.trunks.values() for ch in t.channels}
        self.context_company = {ctx: cid for cid, c in directory.companies.items() for ctx in c.contexts}
        self.companies = set(directory.companies)
        self.auth_codes = set(directory.auth_codes)
        self.directory = directory

    def channel(self, name: str) -> str:
        if not name:
            return "none"
        base = base_name(name)
        if base in self.devices:
            return "device"
        if base in self.trunks:
            return "trunk"
        return "unknown"

    def extension_type(self, context: str, dst: str) -> str:
        """The type of extension `dst` is in the company of `context` (or a park space, a pickup)."""
        cid = self.context_company.get(context)
        if cid is None:
            return "number" if dst.isdigit() and len(dst) >= 7 else "other"
        company = self.directory.companies[cid]
        if dst in company.extensions:
            return company.extensions[dst].type
        for ext in company.extensions.values():
            if ext.type == "park" and ext.spaces and dst.isdigit() and int(dst) in park_spaces(ext.spaces):
                return "space"
        for code, ext in company.extensions.items():
            if ext.type == "pickup" and ext.prefix and dst.startswith(code) and dst[len(code):] in company.extensions:
                return "directed-pickup"
        return "number" if dst.isdigit() and len(dst) >= 7 else "other"

    def account(self, value: str) -> str:
        if not value:
            return ""
        if value in self.auth_codes:
            return "auth-code"
        return "company" if value in self.companies else "unknown"

    def row_shape(self, r: Cdr) -> tuple[object, ...]:
        """Everything about a row but names, numbers and times."""
        if r.answer is None:
            answered = "never"
        elif r.answer == r.start:
            answered = "at start"
        else:
            answered = "later"
        return (
            r.lastapp,
            self.channel(r.channel),
            self.channel(r.dstchannel),
            "company context" if r.dcontext in self.context_company else r.dcontext,
            self.extension_type(r.dcontext, r.dst),
            r.disposition,
            answered,
            r.billsec == 0,
            self.account(r.accountcode),
            self.account(r.peeraccount),
            r.userfield.split("=", 1)[0],
        )

    def call_shape(self, rows: Iterable[Cdr]) -> tuple[tuple[object, ...], ...]:
        return tuple(sorted((self.row_shape(r) for r in rows), key=repr))


def by_linkedid(rows: Iterable[Cdr]) -> dict[str, list[Cdr]]:
    groups: dict[str, list[Cdr]] = defaultdict(list)
    for r in rows:
        groups[r.linkedid].append(r)
    return groups


_FAILED = {"ANSWERED": "", "NOANSWER": "_noanswer", "BUSY": "_busy", "FAILED": "_failed", "CONGESTION": "_congestion"}


def classify(rows: Sequence[Cdr], names: Names) -> str:
    """The kind of call (a key of the generator's KIND_WEIGHTS) its rows show."""
    if len({r.linkedid for r in rows}) == 2:
        return "company_to_company"
    apps = [r.lastapp for r in rows]
    first = min(rows, key=lambda r: (r.start, r.sequence))
    if "Park" in apps:
        return "park_timeout" if any(r.dcontext == "park-dial" for r in rows) else "park"
    for r in rows:
        kind = names.extension_type(r.dcontext, r.dst)
        if r.dstchannel == "" and kind == "directed-pickup":
            return "pickup_directed"
        if r.dstchannel == "" and kind == "pickup":
            return "pickup_group"
    if names.account(first.accountcode) == "auth-code":
        return "disa"
    if "VoiceMailMain" in apps:
        return "voicemail"
    if "WaitExten" in apps:
        return "ivr_hangup"
    if "Queue" in apps:
        return "queue" if first.dstchannel else "queue_abandon"
    a, b = names.channel(first.channel), names.channel(first.dstchannel)
    dst_type = names.extension_type(first.dcontext, first.dst)
    dials = [r for r in rows if r.lastapp == "Dial"]
    if len(dials) == 2 and dials[0].uniqueid == dials[1].uniqueid and dials[1].start == dials[0].end \
            and dials[1].answer == dials[1].start and dst_type != "huntgroup":
        return "transfer_external" if names.channel(dials[1].dstchannel) == "trunk" else "transfer"
    if dst_type == "huntgroup":
        return "huntgroup" if any(r.disposition == "ANSWERED" for r in rows) else "huntgroup_noanswer"
    if b == "trunk" and dst_type == "user":
        return "forward"
    if a == "trunk" and b == "device":
        if first.answer is not None and first.answer == first.start:
            return "ivr_extension"
        return "inbound" + _FAILED[first.disposition]
    if a == "device" and b == "device":
        return "internal" + _FAILED[first.disposition]
    if a == "device" and b == "trunk":
        return "outbound" + _FAILED[first.disposition]
    return "unknown"
