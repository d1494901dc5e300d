"""Operators log in here for a bearer token."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from server.api.dependencies import Ctx
from server.api.schemas.auth import LoginOut
from server.services import operators

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=LoginOut)
def log_in(ctx: Ctx, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> LoginOut:
    """Exchange username and password (form fields) for a bearer token."""
    token, expires, actor = operators.log_in(ctx, form.username, form.password)
    return LoginOut(access_token=token, expires_at=expires, role=actor.role.value)
