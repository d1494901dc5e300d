"""MicroPython's `sys` for device modules: CPython's sys plus print_exception().

Every other attribute is CPython's own (sys.path, sys.modules, sys.implementation...).
"""

import sys as _sys
import traceback


def print_exception(exc: BaseException, file=None) -> None:
    """Print exc with its traceback, as MicroPython's sys.print_exception does."""
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=file or _sys.stdout)


def __getattr__(name: str):
    return getattr(_sys, name)
