"""Style bits for slip lines: a slip is a list of (style, text) tuples.

A line may also be (style, label, value): the label on the left and the value flush
right on the same line, padded by the printer layer (layout.pair() makes these only
when both fit). The printer layer (device/drivers/escpos.py) turns lines into ESC/POS
bytes; the slip layout (device/receipts/slip.py) only ever produces these, so layout
stays pure.
"""

CENTER = 1
BOLD = 2
DOUBLE_HEIGHT = 4
DOUBLE_WIDTH = 8
RULE = 16  # text ignored: one full-width separator line
FEED = 32  # text ignored: feed a few blank lines
CUT = 64  # text ignored: cut the paper

# Characters per printed line at normal width on a 58 mm printer, and at double width.
LINE_WIDTH = 32
WIDE_LINE_WIDTH = 16
