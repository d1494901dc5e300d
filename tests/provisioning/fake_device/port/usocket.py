# The fake handheld has no network: sockets exist (so umqtt imports, as on the ESP32)
# but every connection fails the way an ESP32 without a link does.
import errno

AF_INET = 2
SOCK_STREAM = 1


def getaddrinfo(host, port, af=0, socktype=0, proto=0, flags=0):
    raise OSError(-202)  # the ESP32's lwIP "host not found" when offline


class socket:
    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0):
        pass

    def connect(self, address):
        raise OSError(errno.EHOSTUNREACH)

    def close(self):
        pass
