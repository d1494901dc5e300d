"""Slip layout: pure functions from a sale (or shift totals) to slip lines.

A slip is a list of (style, text) tuples, 32 characters a line at most (16 in double
width), or (style, label, value) for a label and a value on one line; styles.py has
the style bits. The printer layer (drivers/escpos.py) turns a
slip into ESC/POS bytes; nothing here knows about bytes or printers.
"""
