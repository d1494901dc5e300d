"""The link between the handhelds and the server: one signed envelope over MQTT or HTTP.

    canonical.py       the canonical JSON both ends sign (sorted keys, no spaces, ASCII)
    envelope.py        the envelope: fields, size limit, HMAC-SHA-256 with the device's secret
    errors.py          the error codes a device can show, with their short texts
    messages.py        the message types and the checks on each body
    device_secrets.py  device secrets sealed by the security module; broker passwords from them
    answers.py         a receipt or refusal as the handheld's answer dict
    processor.py       one uplink in, the downlinks it causes out (both transports call it)
    outbox.py          numbering, signing and logging every downlink
    topics.py          the MQTT topic names
    mqtt_bridge.py     paho-mqtt on shared subscriptions: several server processes split devices
    http_transport.py  POST an envelope; long-poll for downlinks (where MQTT is blocked)
    broker_files.py    the Mosquitto password file (PBKDF2-SHA512), the per-device ACL, the conf
    tls.py             the installation's CA and server certificate; the CA for the handhelds
    prune.py           pruning the message log of what no device needs any more

docs/link-protocol.md describes the protocol itself.
"""
