"""The HTTP side of the link, for networks where MQTT is blocked.

    POST /api/v1/link         body: one envelope; answer: {"messages": [envelope, ...]}
    POST /api/v1/link (poll)  a signed "poll" envelope {"after": n, "wait": s}: answered with
                              the downlinks numbered above n, waiting up to s seconds for one

Same envelope, same checks, same processor as MQTT; no login, because every message is
signed with the device's own secret. The status code says how it went (200, or the error's
status); the body always has the same "messages" (an error envelope the device can show
when refused), plus the API's "code" and "message" on a refusal.
"""

import asyncio
import logging
import time

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from server.domain.errors import Unavailable
from server.link.device_secrets import DeviceSecrets
from server.link.envelope import MAX_BYTES, Envelope
from server.link.errors import TEXTS
from server.link.outbox import unsigned_error
from server.link.processor import Handled, LinkProcessor
from server.storage.repositories.device_link import DeviceLinkRepository
from server.storage.unit_of_work import UnitOfWork

router = APIRouter(tags=["device link"])
log = logging.getLogger("gridvend.link.http")

POLL_STEP_S = 0.25  # how often a waiting poll looks for new downlinks
POLL_BATCH = 20  # downlinks per poll answer at most
STATUS = {
    "malformed": 400,
    "bad_body": 400,
    "unknown_type": 400,
    "too_large": 413,
    "unknown_device": 401,
    "no_secret": 401,
    "bad_mac": 401,
    "device_disabled": 403,
    "wrong_topic": 403,
    "replayed": 409,
    "server_busy": 503,
}


def processor_of(request: Request) -> LinkProcessor:
    """The app's link processor, made on first use with the master key the app's service
    context was opened with (a server without one refuses every message: server_busy)."""
    state = request.app.state
    found = getattr(state, "link_processor", None)
    if found is None:
        found = LinkProcessor(state.ctx, DeviceSecrets.from_context(state.ctx))
        state.link_processor = found
    return found


@router.post(
    "/link",
    summary="A handheld's signed message (the device link's HTTP transport)",
    response_description='{"messages": [envelope, ...]}: the answers, signed for the device',
)
async def uplink(request: Request) -> Response:
    """Act on one envelope and return the downlinks it caused; a "poll" envelope waits for
    downlinks instead. See docs/link-protocol.md."""
    try:
        processor = processor_of(request)
    except Unavailable:
        log.error("a device message arrived, but this server has no master key")
        wire = Envelope("?", 0, 0, "error", {"code": "server_busy", "text": "server busy: later",
                                              "re": 0}).to_wire()  # fmt: skip
        return _answer(Handled(None, [wire], error="server_busy"))
    data = await _body(request)
    if data is None:
        wire = unsigned_error(processor.ctx, "?", "too_large", 0)
        return _answer(Handled(None, [wire], error="too_large"))
    handled = await run_in_threadpool(processor.handle, data)
    if handled.poll is not None and handled.device_id is not None:
        after, wait = handled.poll
        handled.wires = await _wait_for_downlinks(
            processor, handled.device_id, handled.generation, after, wait
        )
    return _answer(handled)


async def _body(request: Request) -> bytes | None:
    """The request body, or None as soon as it is larger than an envelope may be."""
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _wait_for_downlinks(
    processor: LinkProcessor, device_id: int, generation: int, after: int, wait_s: int
) -> list[bytes]:
    deadline = time.monotonic() + wait_s
    while True:
        found = await run_in_threadpool(_downlinks_after, processor, device_id, generation, after)
        if found or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(POLL_STEP_S)


def _downlinks_after(
    processor: LinkProcessor, device_id: int, generation: int, after: int
) -> list[bytes]:
    def work(uow: UnitOfWork) -> list[bytes]:
        links = DeviceLinkRepository(uow.session)
        rows = links.outbound_after(device_id, after, POLL_BATCH, generation)
        return [payload.encode() for _, payload in rows]

    return processor.ctx.transaction(work, read_only=True)


def _answer(handled: Handled) -> Response:
    # The envelopes exactly as signed, side by side in one JSON array; a refusal also has
    # the API's usual "code" and "message" (server/api/errors.py) for anyone else reading.
    head = b'{"messages":['
    if handled.error:
        head = b'{"code":"%s","message":"%s","messages":[' % (
            handled.error.encode(),
            TEXTS[handled.error].encode(),
        )
    body = head + b",".join(handled.wires) + b"]}"
    status = STATUS.get(handled.error or "", 200)
    return Response(body, status_code=status, media_type="application/json")
