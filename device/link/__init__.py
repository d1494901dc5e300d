"""The link to the server, as the sale service sees it.

interface.py states the contract (and the answer format); standin.py is a local
stand-in server for the simulator and tests until the real link lands.
"""
