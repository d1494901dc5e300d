"""The server half of the end-to-end tests: a database with a small world and registered
handhelds, a Mosquitto of the test's own, and server processes (the MQTT bridge, and the
HTTP API under uvicorn) that a test can start, kill and restart."""

import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from server.bootstrap import open_context
from server.link.device_secrets import DeviceSecrets, broker_password
from server.services import agents, devices, ledger_check, offline
from server.services.context import Actor, ServiceContext
from server.storage.schema import Device, Sale
from tests.link.mosquitto import Mosquitto
from tests.server import world
from tests.server.served import api_processes

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Registered:
    name: str
    secret: bytes


@dataclass
class LinkWorld:
    """Database, broker and server processes for one end-to-end test."""

    db_url: str
    master_key: bytes
    admin: Actor
    ctx: ServiceContext
    meters: list[str]
    handhelds: dict[str, Registered] = field(default_factory=dict)
    broker: Mosquitto | None = None
    servers: list[subprocess.Popen] = field(default_factory=list)
    initial_float: int = 0

    @classmethod
    def build(
        cls,
        db_url: str,
        master_key: bytes,
        admin: Actor,
        names: list[str],
        *,
        allowance: int = 0,
        float_minor: int = 10_000_000,
        credit_limit: int = 0,
        tls_dir: Path | None = None,
    ) -> "LinkWorld":
        """With `tls_dir` (`gridvend broker certs`' files) the handhelds' listener is TLS;
        the server processes' stays plain on the loopback."""
        ctx = open_context(db_url, master_key=master_key)
        built = world.build(ctx, admin, float_minor=float_minor, credit_limit=credit_limit)
        secrets = DeviceSecrets(master_key)
        made = cls(db_url, master_key, admin, ctx, [built.meter, built.meter_b])
        for name in names:
            issued = devices.register_device(ctx, admin, "AG1", name, secrets)
            if allowance:
                offline.set_allowance(ctx, admin, name, allowance)
            made.handhelds[name] = Registered(name, bytes.fromhex(issued.secret_hex))
        made.initial_float = float_minor
        made.broker = Mosquitto(
            {h.name: broker_password(h.secret) for h in made.handhelds.values()},
            tls_dir=tls_dir,
        )
        made.broker.start()
        return made

    # ---- settings a handheld needs ----

    def mqtt_settings(self, name: str) -> dict:
        assert self.broker is not None
        return {
            "host": "127.0.0.1",
            "port": self.broker.device_port,
            "user": name,
            "password": broker_password(self.handhelds[name].secret),
            "prefix": "gridvend",
        }

    # ---- server processes ----

    def start_server(self, client_id: str = "server-1", *faults: str) -> subprocess.Popen:
        """A `tests.link.link_server` process (the real bridge), once it is subscribed."""
        assert self.broker is not None
        env = {**os.environ, "GRIDVEND_MASTER_KEY": self.master_key.hex()}
        env.pop("GRIDVEND_MASTER_KEY_FILE", None)
        log = tempfile.TemporaryFile()  # noqa: SIM115 - the server writes to it while it runs
        process = subprocess.Popen(
            [
                sys.executable, "-m", "tests.link.link_server", "--db", self.db_url,
                "--port", str(self.broker.server_port), "--client-id", client_id, *faults,
            ],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log,
        )  # fmt: skip
        line = process.stdout.readline().decode().strip() if process.stdout else ""
        if line != "READY":
            log.seek(0)
            raise RuntimeError(f"link server did not start ({line}): {log.read()[-3000:]!r}")
        self.servers.append(process)
        return process

    def stop_server(self, process: subprocess.Popen, *, kill: bool = False) -> None:
        if process.poll() is None:
            (process.kill if kill else process.terminate)()
        process.wait(timeout=20)

    @contextmanager
    def http_server(self):
        """The HTTP API (uvicorn, app_from_environment) in its own process: its base URL."""
        with api_processes(self.db_url, self.master_key, count=1) as urls:
            yield urls[0]

    def close(self) -> None:
        for process in self.servers:
            if process.poll() is None:
                process.kill()
                process.wait()
        if self.broker is not None:
            self.broker.close()
        self.ctx.dispose()

    # ---- what the server holds ----

    def server_tokens(self, name: str) -> dict[str, list[str]]:
        """{sale id: token digits, in entry order} of every sale of the device, on the server."""

        def work(uow):
            device = uow.session.query(Device).filter_by(name=name).one()
            sales = uow.session.query(Sale).filter_by(device_id=device.id).all()
            out = {}
            for sale in sales:
                tokens = sorted(uow.tokens.of_sale(sale.id), key=lambda t: t.position)
                out[sale.request_id] = [t.digits for t in tokens]
            return out

        return self.ctx.transaction(work, read_only=True)

    def float_now(self) -> int:
        view = agents.get_agent(self.ctx, self.admin, "AG1")
        return int(view.balance * 100)

    def books_problems(self) -> list[str]:
        report = ledger_check.check(self.ctx, self.admin)
        return [*report.problems, *offline.check(self.ctx, self.admin)]
