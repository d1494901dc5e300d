"""The vend flow's states by name, for tests: vend/flow.py numbers them with private consts.

MicroPython compiles a private const (`_MENU = const(2)`) into the code and keeps no name
for it, which saves heap on the handheld but leaves tests nothing to import. These are
the same numbers; test_flow_states.py checks them against device/vend/flow.py. Works
under CPython and MicroPython.
"""

STATES = (
    "LOGIN",
    "LOCKED",
    "MENU",
    "METER",
    "AMOUNT",
    "CONFIRM",
    "WAITING",
    "PRINTING",
    "DONE",
    "PAPER",
    "PENDING_LIST",
    "X_REPORT",
    "Z_CONFIRM",
    "STATUS",
    "LANGUAGE",
    "MESSAGE",
    "REFUSED",
    "TOKEN_READY",
)

LOGIN = 0
LOCKED = 1
MENU = 2
METER = 3
AMOUNT = 4
CONFIRM = 5
WAITING = 6
PRINTING = 7
DONE = 8
PAPER = 9
PENDING_LIST = 10
X_REPORT = 11
Z_CONFIRM = 12
STATUS = 13
LANGUAGE = 14
MESSAGE = 15
REFUSED = 16
TOKEN_READY = 17
