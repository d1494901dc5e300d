"""The MQTT side of the server: paho-mqtt on a shared subscription.

Every server process runs one bridge with its own client id, subscribed to
$share/gridvend/gridvend/+/up at QoS 1: the broker hands each uplink to one of them, so
several processes split the devices' traffic. An uplink is acknowledged to the broker
(PUBACK) only after it was acted on and its answers were handed to the client library.

The server's session is a clean one, on purpose: Mosquitto keeps handing a share of a
shared subscription's messages to a member whose persistent session is offline, so a
server process that died would hoard part of the traffic until it came back. With a
clean session its unacknowledged uplinks die with it, and the handheld, having heard
nothing, sends those sales again to the processes still alive (the server answers a sale
id it knows with the same answer). Answers go to gridvend/<id>/down at QoS 1, and the
handheld's persistent session keeps them at the broker while it is away.
The processor never raises for what a device sent, so a poisoned message cannot loop.
"""

import contextlib
import logging
import socket
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import paho.mqtt.client as mqtt

from server.link import topics
from server.link.processor import Handled, LinkProcessor

log = logging.getLogger("gridvend.link.mqtt")


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker is and how the server logs in."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    keepalive_s: int = 30
    ca_file: str | None = None  # TLS, checking the broker's certificate against this CA


class MqttBridge:
    """Connects a LinkProcessor to the broker; start() returns at once, stop() drains."""

    def __init__(
        self,
        processor: LinkProcessor,
        broker: BrokerAddress,
        *,
        client_id: str,
        group: str = topics.SHARE_GROUP,
        workers: int = 4,
        on_handled: Callable[[Handled], None] | None = None,
    ) -> None:
        self.processor = processor
        self.broker = broker
        self.group = group
        self.on_handled = on_handled
        self.handled = 0
        self.connected = threading.Event()
        # One single-thread lane per worker, a device always on the same lane: a device's
        # uplinks are acted on in the order they arrived (its batches, in order), while
        # different devices are served side by side.
        self._lanes = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"gv-link-{i}")
            for i in range(workers)
        ]
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=True,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if broker.username is not None:
            self._client.username_pw_set(broker.username, broker.password)
        if broker.ca_file is not None:
            # TLS with the installation's CA; the broker's name must be in its certificate.
            self._client.tls_set(ca_certs=broker.ca_file)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.max_queued_messages_set(0)  # answers wait in memory while reconnecting
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    def start(self) -> None:
        """Connect (retrying in the background if the broker is away) and start serving."""
        self._client.connect_async(self.broker.host, self.broker.port, self.broker.keepalive_s)
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        """Block until subscribed to the broker (tests, startup checks)."""
        return self.connected.wait(timeout)

    def stop(self) -> None:
        """Finish the uplinks being handled, then disconnect."""
        for lane in self._lanes:
            lane.shutdown(wait=True)
        self._client.disconnect()
        self._client.loop_stop()

    # ---- paho callbacks (its network thread) ----

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        sock = client.socket()
        if sock is not None:  # answers and acknowledgements go out at once, not after Nagle
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.subscribe(topics.server_subscription(self.group), qos=1)
        self.connected.set()
        log.info("connected to %s:%d", self.broker.host, self.broker.port)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        self.connected.clear()
        log.warning("broker connection lost (%s); reconnecting", reason_code)

    def _on_message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        # Out of the network thread at once: a vend takes milliseconds, keepalives must not wait.
        lane = self._lanes[zlib.crc32(message.topic.encode()) % len(self._lanes)]
        with contextlib.suppress(RuntimeError):  # shutting down: unacked, so it comes again
            lane.submit(self._handle, message)

    # ---- workers ----

    def deliver(self, device: str, wire: bytes) -> None:
        """Publish one downlink to the device's topic (QoS 1: the broker keeps it for a
        device that is away, in its persistent session)."""
        self._client.publish(topics.down(device), wire, qos=1)

    def _handle(self, message: mqtt.MQTTMessage) -> None:
        device = topics.device_of(message.topic)
        try:
            if device is None:
                log.warning("uplink on unexpected topic %r dropped", message.topic)
                return
            handled = self.processor.handle(message.payload, topic_device=device)
            # Counted before the answer goes out, so whoever has seen the answer sees the count.
            self.handled += 1
            for wire in handled.wires:
                self.deliver(handled.device or device, wire)
            if self.on_handled is not None:
                self.on_handled(handled)
        except Exception as exc:  # never lose the worker; the handheld sends its sales again
            log.error("uplink from %s failed: %s", device, type(exc).__name__, exc_info=exc)
        finally:
            # Always acknowledged once handled, even when the answer was "server busy": an
            # unacknowledged message would hold one of the broker's in-flight slots for this
            # client until it reconnects. Only a process that dies first leaves it unacked.
            self._client.ack(message.mid, message.qos)
