"""MQTT topic names: one pair per device, and the server's shared subscription.

A device publishes on gridvend/<id>/up and subscribes to gridvend/<id>/down; the broker's
ACL lets it use no other topic. Server processes subscribe to
$share/gridvend/gridvend/+/up, so the broker hands each uplink to exactly one of them.
"""

PREFIX = "gridvend"  # as host/provisioning writes into config.json (server.topic_prefix)
SHARE_GROUP = "gridvend"


def up(device: str) -> str:
    """Where a device publishes."""
    return f"{PREFIX}/{device}/up"


def down(device: str) -> str:
    """Where a device listens."""
    return f"{PREFIX}/{device}/down"


def server_subscription(group: str = SHARE_GROUP) -> str:
    """The shared subscription every server process makes."""
    return f"$share/{group}/{PREFIX}/+/up"


def device_of(topic: str) -> str | None:
    """The device id in an uplink topic, or None if the topic is not one."""
    parts = topic.split("/")
    if len(parts) == 3 and parts[0] == PREFIX and parts[2] == "up" and parts[1]:
        return parts[1]
    return None
