"""Routes of the operator pages: failures become pages, never JSON or tracebacks.

Each page router uses `PageRoute`, which turns what a handler raises into what a browser
should see: a redirect to the login (or its second step), or an error page with the
service's message and the matching status (403 for a role or CSRF refusal, 404, 409, 422).
The API's JSON error handlers stay as they are for /api.
"""

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from server.web.auth.sessions import (
    FULL,
    MUST_ENROL,
    LoginRequired,
    SecondFactorDue,
    clear_cookie,
)
from server.web.rendering import render, secure

log = logging.getLogger("gridvend.web")

STATUS = {
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Unauthenticated: 401,
    Unavailable: 503,
}
TITLES = {
    400: "Check what was sent",
    403: "Not allowed",
    404: "Not found",
    409: "Refused",
    422: "Check what was entered",
    503: "Not available",
}


def status_for(exc: DomainError) -> int:
    """The HTTP status a page answers with for a service's refusal."""
    return next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)


def error_page(request: Request, status: int, message: str) -> Response:
    """A page saying what went wrong and what to do."""
    title = TITLES.get(status, "Something went wrong")
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def _login_redirect(request: Request) -> Response:
    target = request.url.path
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    response = RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    clear_cookie(response)
    return response


class PageRoute(APIRoute):
    """An APIRoute whose failures are rendered for people (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                response = _login_redirect(request)
            except SecondFactorDue as due:
                target = {FULL: "/", MUST_ENROL: "/login/enrol"}.get(due.stage, "/login/code")
                response = RedirectResponse(target, status_code=303)
            except Unauthenticated:
                response = _login_redirect(request)
            except DomainError as exc:
                response = error_page(request, status_for(exc), exc.message)
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}"
                    for e in exc.errors()
                )
                response = error_page(request, 422, problems or "the request was malformed")
            except StarletteHTTPException as exc:  # the framework's own refusals (bad body ...)
                response = error_page(request, exc.status_code, str(exc.detail))
            except Exception as exc:
                # Logged by type and place only, like the API: the text could quote input.
                log.error(
                    "page failed on %s %s: %s",
                    request.method,
                    request.url.path,
                    type(exc).__name__,
                    exc_info=exc,
                )
                response = error_page(request, 500, "the server failed; the failure was logged")
            return secure(response)

        return page_handler


def page_router() -> APIRouter:
    """A router for pages: PageRoute handling, and kept out of the API's OpenAPI schema."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)
