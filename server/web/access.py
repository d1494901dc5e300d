"""Dependencies every page uses: who is looking (session), and, for forms, the CSRF check."""

from typing import Annotated

from fastapi import Depends, Form, Request

from server.services.context import ServiceContext
from server.web.auth import csrf
from server.web.auth.sessions import Viewer, context_of, session_viewer
from server.web.settings import WebSettings


def current_viewer(request: Request) -> Viewer:
    """The logged-in operator (redirects to the login page when there is none)."""
    return session_viewer(request)


def form_sender(
    request: Request,
    viewer: Annotated[Viewer, Depends(current_viewer)],
    csrf_token: Annotated[str, Form()] = "",
) -> Viewer:
    """The logged-in operator who sent a form carrying the right CSRF token, from this site."""
    csrf.check_origin(request)
    csrf.check(viewer.csrf, csrf_token)
    return viewer


def service_context(request: Request) -> ServiceContext:
    return context_of(request)


def web_settings(request: Request) -> WebSettings:
    return request.app.state.web_settings


Looker = Annotated[Viewer, Depends(current_viewer)]
Sender = Annotated[Viewer, Depends(form_sender)]
Ctx = Annotated[ServiceContext, Depends(service_context)]
Settings = Annotated[WebSettings, Depends(web_settings)]
