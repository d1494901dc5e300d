"""The sale journal: every sale is written here before it is sent or printed.

Modules: frame (length + CRC framing), records (what each record means), ackfile (the
atomically replaced acknowledgement file), journal (the Journal class), fs_os (the
filesystem object on the device). The journal never calls os or open itself: it is
handed an fs object, so tests can run it on a littlefs image that loses power.
"""
