"""`POST /rest/call/list` (type recording) and `/rest/call/download/recording` (docs/recordings.md).

A recording is listed and played to whoever may read its leg; another company's file answers
404, exactly as a file that does not exist, so names cannot be probed. A name that tries to leave
the recordings directory answers 400, is logged and goes to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from calldata.api.audio import Audio
from calldata.api.call_read import Endpoint, request_body, visible_companies
from calldata.api.errors import ApiError, bad_request
from calldata.api.scope import _show, checked_scope, one_company, read_query
from calldata.auth import audit
from calldata.recordings.paths import UnsafePath, checked_name, resolved
from calldata.recordings.query import Listed, RecordingQuery, find, page

logger = logging.getLogger("calldata.api")

LIST_KEYS = ("type", "company", "minID", "maxRows", "minDate", "maxDate")
LIST_TYPES = ("recording",)
DOWNLOAD_KEYS = ("file",)


def list_query(body: dict[str, Any], allowed: Collection[str] | None, max_rows_cap: int) -> RecordingQuery:
    """Check the list's scope (its `type` first); the window and paging are /rest/call/read's keys."""
    scope = checked_scope(body, None, LIST_KEYS)
    kind = scope.get("type")
    if kind not in LIST_TYPES:
        given = "required" if kind is None else f"unsupported type {_show(kind)}"
        raise bad_request(f"scope.type: {given} (supported: {', '.join(LIST_TYPES)})")
    window = read_query({"scope": {k: v for k, v in scope.items() if k not in ("type", "company")}}, None,
                        max_rows_cap)
    return RecordingQuery(window.min_id or 0, window.max_rows, window.min_date, window.max_date,
                          one_company(scope, allowed))


def value(listed: Listed) -> dict[str, Any]:
    """One recording as the list answers it (the original's members first)."""
    duration = listed.billsec if listed.duration_ms is None else round(listed.duration_ms / 1000)
    return {"caller": listed.src, "callee": listed.dst, "duration": duration,
            "start": int(listed.calldate.timestamp()), "file": listed.path, "size": listed.size,
            "id": listed.id, "acctid": listed.acctid, "uniqueid": listed.uniqueid,
            "content_type": listed.content_type}


def list_endpoint(engine: AsyncEngine, max_rows_cap: int) -> Endpoint:
    async def call_list(request: Request) -> Response:
        """The recordings of the caller's companies, in id order, a page at a time."""
        query = list_query(await request_body(request), visible_companies(request), max_rows_cap)
        async with engine.connect() as conn:
            listed = await conn.run_sync(page, query)
        answer = {"result": "success", "minID": query.min_id, "maxRows": query.max_rows, "numRows": len(listed),
                  "nextID": listed[-1].id + 1 if listed else None, "values": [value(item) for item in listed]}
        return Response(msgspec.json.encode(answer), media_type="application/json")

    return call_list


async def _file_asked(request: Request) -> tuple[str, str]:
    """The name asked for and the field that gave it: `scope.file` of a POST body, `file` of a GET's query."""
    if request.method == "POST":
        where, name = "scope.file", checked_scope(await request_body(request), None, DOWNLOAD_KEYS).get("file")
    else:
        where, name = "file", request.query_params.get("file")
    if not isinstance(name, str):
        raise bad_request(f"{where}: required, a recording's file as the list gives it (or its call_rec),"
                          f" not {_show(name)}")
    return where, name


def _who(request: Request) -> tuple[str, str]:
    """The caller's login and address, for the log and the audit log."""
    identity = getattr(request.state, "identity", None)
    return (identity.login if identity is not None else ""), (request.client.host if request.client else "")


def download_endpoint(engine: AsyncEngine, root: Path | None) -> Endpoint:
    async def note(request: Request, event: str, detail: str) -> None:
        """An audit log entry of this request's caller."""
        login, address = _who(request)
        async with engine.begin() as conn:
            await conn.run_sync(audit.record, event, login, actor=login, address=address, detail=detail)

    async def refuse(request: Request, where: str, name: str, problem: UnsafePath) -> ApiError:
        """Log and audit a name that tried to leave the directory; the 400 to raise."""
        logger.warning("recording refused: %r asked by %r from %s: %s", name[:200], *_who(request), problem)
        await note(request, audit.RECORDING_REFUSED, f"{name[:200]!r}: {problem}")
        return bad_request(f"{where}: refused, the name {problem}")

    async def download(request: Request) -> Response:
        """The audio of a recording the caller may hear, with HTTP Range (api.audio)."""
        where, name = await _file_asked(request)
        try:
            checked_name(name)
            if root is not None:  # a link that leads outside is refused even when nobody stored it
                await run_in_threadpool(resolved, root, name)  # the disk may be slow (NFS): not on the loop
        except UnsafePath as problem:
            raise await refuse(request, where, name, problem) from None
        if root is None:
            raise ApiError(404, f"{where}: no recordings on this server (CALLDATA_RECORDINGS_DIR is not set)")
        async with engine.connect() as conn:
            found = await conn.run_sync(find, name, visible_companies(request))
        try:
            real = None if found is None else await run_in_threadpool(resolved, root, found[0])
        except UnsafePath as problem:  # replaced by a link after the scan
            raise await refuse(request, where, found[0], problem) from None
        if found is None or real is None:
            raise ApiError(404, f"{where}: no recording {_show(name)} that this identity may hear")
        await note(request, audit.RECORDING_PLAYED, found[0])
        return Audio(real, media_type=found[1], filename=PurePosixPath(found[0]).name,
                     content_disposition_type="inline")

    return download
