"""The keypad: matrix scan with debounce and long press (scan.py), numeric entry (entry.py)."""
