"""The link to the server (docs/link-protocol.md).

interface.py     what the sale service needs from a link, and the answer format
manager.py       the link manager: owns reconnecting, batching, acknowledgements
bearer.py        the network under it: Wi-Fi, PPP over the GPRS modem, or the host's
mqtt_session.py  one MQTT session over micropython-lib's umqtt.simple
http_session.py  the HTTP transport (POST an envelope, long-poll)
envelope.py      seal an uplink, open and check a downlink
canonical.py     the canonical JSON both ends sign; hmac_sha256.py: RFC 2104 HMAC
state.py         uplink numbering and the offline snapshot, on flash
allowance.py     may this sale be taken offline?
settings.py      config.json's server and link.json; build.py: the link built at boot
standin.py       a local stand-in server for the simulator and demos (fake tokens)
"""
