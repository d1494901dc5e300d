"""Register a handheld on the server: a device for a vendor, its secret, its broker login.

Two ways to reach the server, one result (a DeviceRecord):
- ApiRegistrar: POST /api/v1/devices on a running server, as an operator (bearer token
  from POST /api/v1/auth/token) whose role may manage vendors. The usual case: the
  server is elsewhere, the technician has a laptop.
- DatabaseRegistrar: the server's own services on its database, for a technician on the
  server machine (needs the master key, as the server does: GRIDVEND_MASTER_KEY_FILE).

Either way the server stores the secret sealed under its master key and returns it once,
with the device's secret generation, its `seq_floor` (the highest sale number the server
has from it) and the server's TLS CA when it has one. `reissue` gives an already
registered device a new secret the same way (re-provisioning a handheld: its new image
numbers its sales above seq_floor, and a sale id answered under the old secret is never
answered again). Every failure is a ProvisioningError: server unreachable, unknown vendor,
device already registered or not registered, not allowed, no master key.
"""

import base64
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

    def reissue(self, name: str) -> DeviceRecord: ...


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
        f"device {name} is already registered on the server: give a new --name, or "
        f"re-provision it with --device {name} (it gets a new secret)",
    )


def _not_registered(name: str) -> ProvisioningError:
    return ProvisioningError(
        "not_registered", f"device {name} is not registered on the server: register it first"
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
        *,
        totp: str | None = None,
        ask_totp: Callable[[str], str] | None = None,
    ) -> "ApiRegistrar":
        """Exchange an operator's username and password (and TOTP code, when the operator
        has a second factor: given, or asked for when the server says it is needed) for a
        token."""
        registrar = cls(server_url, "", broker_url, client)
        form = {"username": user, "password": password}
        if totp:
            form["totp"] = totp
        response = registrar._request("POST", "/api/v1/auth/token", data=form)
        if response.status_code == 401 and _error_code(response) == "totp_required":
            if totp or ask_totp is None:
                raise ProvisioningError(
                    "not_allowed",
                    f"user {user} has a second factor: give its code with --totp CODE "
                    "(or $GRIDVEND_TOTP)",
                )
            form["totp"] = ask_totp(user)
            response = registrar._request("POST", "/api/v1/auth/token", data=form)
        if response.status_code in (401, 429):
            code = _error_code(response)
            refused = {
                "totp_required": f"user {user} needs a TOTP code (--totp CODE)",
                "wrong_totp_code": f"the TOTP code for user {user} is wrong or too old",
                "totp_enrolment_required": (
                    f"user {user} must set up a second factor on the operator pages first"
                ),
            }.get(code or "", f"the server at {server_url} refused user {user}'s password")
            if response.status_code == 429:
                refused = f"too many failed logins for user {user}: wait and try again"
            raise ProvisioningError("not_allowed", refused)
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
        return self._record(self._json(response, name=name, agent=agent))

    def reissue(self, name: str) -> DeviceRecord:
        check_device_id(name)
        response = self._request(
            "POST",
            f"/api/v1/devices/{name}/secret",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        return self._record(self._json(response, name=name))

    def _record(self, data: dict) -> DeviceRecord:
        if "seq_floor" not in data:
            raise ProvisioningError(
                "server_refused",
                f"the server at {self.server_url} does not say where the device's sale numbers "
                "start (seq_floor): update the server before provisioning",
            )
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
            generation=int(data.get("generation", 0)),
            seq_floor=int(data["seq_floor"]),
            ca_der_b64=data.get("ca") or "",
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
        if code == "device_not_found":
            raise _not_registered(name)
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
        from server.services import devices

        check_device_id(name)
        allowance = _allowance(offline_allowance)

        def issue(ctx, actor, device_secrets):
            minor = ctx.currency.to_minor(allowance, what="offline allowance")
            return devices.register_device(
                ctx, actor, agent, name, device_secrets, offline_allowance=minor
            )

        return self._issue(issue, name, agent)

    def reissue(self, name: str) -> DeviceRecord:
        from server.services import devices

        check_device_id(name)
        return self._issue(
            lambda ctx, actor, device_secrets: devices.issue_secret(
                ctx, actor, name, device_secrets
            ),
            name,
        )

    def _issue(self, issue: Callable, name: str, agent: str = "") -> DeviceRecord:
        from sqlalchemy.exc import OperationalError

        from server.bootstrap import open_context
        from server.cli.common import cli_actor
        from server.domain.errors import DomainError
        from server.link.device_secrets import DeviceSecrets
        from server.link.tls import TlsError, ca_from_environment
        from server.security.master_key import MasterKeyError

        try:
            ca = ca_from_environment()
        except TlsError as exc:
            raise ProvisioningError("bad_ca", f"$GRIDVEND_TLS_CA_FILE: {exc}") from None
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
        try:
            issued = issue(ctx, cli_actor(), device_secrets)
            return DeviceRecord(
                device_id=issued.device,
                agent_code=issued.agent_code,
                agent_name=issued.agent_name,
                secret_hex=issued.secret_hex,
                broker_user=issued.broker_user,
                broker_password=issued.broker_password,
                currency=ctx.currency.code,
                minor_digits=ctx.currency.minor_unit,
                server_url=self.server_url,
                broker_url=self.broker_url,
                generation=issued.generation,
                seq_floor=issued.seq_floor,
                ca_der_b64=base64.b64encode(ca).decode() if ca else "",
            )
        except DomainError as exc:
            if exc.code == "duplicate_device":
                raise _already(name) from None
            if exc.code == "device_not_found":
                raise _not_registered(name) from None
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
    *,
    totp: str | None = None,
    ask_totp: Callable[[str], str] | None = None,
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
    return ApiRegistrar.log_in(
        server_url, user, password, broker_url or "", totp=totp, ask_totp=ask_totp
    )


def _error_code(response: httpx.Response) -> str | None:
    """The `code` of a JSON error answer, if it is one."""
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None
