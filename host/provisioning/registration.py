"""Register a handheld on the server: a device for a vendor, its secret, its broker login.

Two ways to reach the server, one result (a DeviceRecord):
- ApiRegistrar: POST /api/v1/devices on a running server, as an operator (bearer token
  from POST /api/v1/auth/token) whose role may manage vendors. The usual case: the
  server is elsewhere, the technician has a laptop.
- DatabaseRegistrar: the server's own services on its database, for a technician on the
  server machine (needs the master key, as the server does: GRIDVEND_MASTER_KEY_FILE).

Either way the server stores the secret sealed under its master key and returns it once.
Every failure is a ProvisioningError: server unreachable, unknown vendor, device already
registered, not allowed, no master key.
"""

import secrets
import ssl
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Protocol

import httpx

from host.provisioning.device_record import DeviceRecord, check_device_id
from host.provisioning.errors import ProvisioningError

TIMEOUT_S = 20.0


class Registrar(Protocol):
    """Something that can register devices."""

    def register(self, agent: str, name: str, offline_allowance: str = "0") -> DeviceRecord: ...


def new_device_name() -> str:
    """A fresh device id when the technician gives none: HH- and 8 random hex digits."""
    return "HH-" + secrets.token_hex(4).upper()


def _allowance(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise ProvisioningError(
            "bad_allowance", f"offline allowance {text!r}: an amount of 0 or more, like 500.00"
        )
    return value


def _already(name: str) -> ProvisioningError:
    return ProvisioningError(
        "already_registered",
        f"device {name} is already registered on the server: give a new --name, or to "
        "re-flash it keep its old image (re-issuing its secret is `gridvend link secret`)",
    )


class ApiRegistrar:
    """Registration through the server's HTTP API."""

    def __init__(
        self,
        server_url: str,
        token: str,
        broker_url: str = "",
        client: httpx.Client | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.token = token
        self.broker_url = broker_url
        self._client = client

    @classmethod
    def log_in(
        cls,
        server_url: str,
        user: str,
        password: str,
        broker_url: str = "",
        client: httpx.Client | None = None,
    ) -> "ApiRegistrar":
        """Exchange an operator's username and password for a token."""
        registrar = cls(server_url, "", broker_url, client)
        response = registrar._request(
            "POST", "/api/v1/auth/token", data={"username": user, "password": password}
        )
        if response.status_code == 401:
            raise ProvisioningError(
                "not_allowed", f"the server at {server_url} refused user {user}'s password"
            )
        registrar.token = registrar._json(response)["access_token"]
        return registrar

    def register(self, agent: str, name: str, offline_allowance: str = "0") -> DeviceRecord:
        check_device_id(name)
        allowance = str(_allowance(offline_allowance))
        body = {"agent": agent, "name": name, "offline_allowance": allowance}
        response = self._request(
            "POST",
            "/api/v1/devices",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        data = self._json(response, name=name, agent=agent)
        return DeviceRecord(
            device_id=data["device"],
            agent_code=data["agent"],
            agent_name=data["agent_name"],
            secret_hex=data["secret"],
            broker_user=data["broker_user"],
            broker_password=data["broker_password"],
            currency=data["currency"],
            minor_digits=data["minor_digits"],
            server_url=self.server_url,
            broker_url=self.broker_url,
        )

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        url = self.server_url + path
        try:
            if self._client is not None:
                return self._client.request(method, url, **kwargs)
            with httpx.Client(timeout=TIMEOUT_S, verify=ssl.create_default_context()) as client:
                return client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ProvisioningError(
                "server_unreachable",
                f"cannot reach the server at {self.server_url} ({reason}): is it running, "
                "is the URL right, is this laptop online?",
            ) from None

    def _json(self, response: httpx.Response, name: str = "", agent: str = "") -> dict:
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code < 300 and isinstance(data, dict) and data:
            return data
        code = data.get("code", "") if isinstance(data, dict) else ""
        message = data.get("message", "") if isinstance(data, dict) else ""
        if code == "duplicate_device":
            raise _already(name)
        if code == "agent_not_found":
            raise ProvisioningError(
                "agent_not_found",
                f"vendor {agent} does not exist on the server: check the code "
                "(`gridvend agent list` on the server)",
            )
        if response.status_code in (401, 403):
            raise ProvisioningError(
                "not_allowed",
                f"the server refused: {message or response.reason_phrase} (log in as an "
                "operator who may manage vendors: admin or supervisor)",
            )
        if response.status_code == 404 and not code:
            raise ProvisioningError(
                "server_unreachable",
                f"{self.server_url} answered, but has no gridvend API here: check the URL",
            )
        raise ProvisioningError(
            "server_refused",
            f"the server refused: {message or f'HTTP {response.status_code}'}"
            + (f" [{code}]" if code else ""),
        )


class DatabaseRegistrar:
    """Registration with the server's own services, on its database."""

    def __init__(self, db_url: str, server_url: str = "", broker_url: str = "") -> None:
        self.db_url = db_url
        self.server_url = server_url
        self.broker_url = broker_url

    def register(self, agent: str, name: str, offline_allowance: str = "0") -> DeviceRecord:
        from sqlalchemy.exc import OperationalError

        from server.bootstrap import open_context
        from server.cli.common import cli_actor
        from server.domain.errors import DomainError
        from server.link.device_secrets import DeviceSecrets
        from server.security.master_key import MasterKeyError
        from server.services import agents, devices

        check_device_id(name)
        allowance = _allowance(offline_allowance)
        try:
            device_secrets = DeviceSecrets.from_environment()
            ctx = open_context(self.db_url, need_keys=True)
        except MasterKeyError as exc:
            raise ProvisioningError("no_master_key", str(exc)) from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"
            raise ProvisioningError(
                "server_unreachable", f"cannot use the server's database: {reason}"
            ) from None
        except DomainError as exc:
            raise ProvisioningError("server_refused", exc.message) from None
        actor = cli_actor()
        try:
            view = agents.get_agent(ctx, actor, agent)
            minor = ctx.currency.to_minor(allowance, what="offline allowance")
            device = agents.add_device(ctx, actor, agent, name, offline_allowance=minor)
            issued = devices.issue_secret(ctx, actor, device.name, device_secrets)
            return DeviceRecord(
                device_id=issued.device,
                agent_code=view.code,
                agent_name=view.name,
                secret_hex=issued.secret_hex,
                broker_user=issued.broker_user,
                broker_password=issued.broker_password,
                currency=ctx.currency.code,
                minor_digits=ctx.currency.minor_unit,
                server_url=self.server_url,
                broker_url=self.broker_url,
            )
        except DomainError as exc:
            if exc.code == "duplicate_device":
                raise _already(name) from None
            if exc.code == "agent_not_found":
                raise ProvisioningError(
                    "agent_not_found", f"vendor {agent} does not exist on the server"
                ) from None
            raise ProvisioningError("server_refused", f"{exc.message} [{exc.code}]") from None
        finally:
            ctx.dispose()


def open_registrar(
    server_url: str | None,
    db_url: str | None,
    user: str | None = None,
    password: str | None = None,
    token: str | None = None,
    broker_url: str | None = None,
    ask_password: Callable[[str], str] | None = None,
) -> Registrar:
    """The registrar the command line asks for: --db (this machine) or --server (its API)."""
    if db_url:
        return DatabaseRegistrar(db_url, server_url or "", broker_url or "")
    if not server_url:
        raise ProvisioningError(
            "no_server",
            "say where to register: --server URL (with --user or --token) for a server "
            "elsewhere, or --db URL on the server machine",
        )
    if token:
        return ApiRegistrar(server_url, token, broker_url or "")
    if not user:
        raise ProvisioningError(
            "not_allowed",
            "registering needs an operator login: --user NAME (the password is asked) or "
            "--token TOKEN (or $GRIDVEND_TOKEN)",
        )
    if password is None:
        if ask_password is None:
            raise ProvisioningError("not_allowed", f"no password for user {user}")
        password = ask_password(user)
    return ApiRegistrar.log_in(server_url, user, password, broker_url or "")
