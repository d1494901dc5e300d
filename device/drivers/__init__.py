"""One module per chip: display (SSD1306), printer (ESC/POS UART), modem, battery, buzzer.

Drivers are handed their bus or pin objects and never construct them; escpos and charmap
are the printer's pure byte-building half.
"""
