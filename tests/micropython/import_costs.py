# What importing each device module costs the heap, under MicroPython.
#
# The caller sets IMPORT_ORDER (module names, each after the modules it imports, so every
# figure is that module's own) and then calls import_step() until it returns False, each
# call a separate top-level run (run.mjs --loop "more = import_step()"): this port's
# gc.collect() only frees garbage made in earlier runs, and a run's garbage can outlive
# the run after it (stale pointers), so every run starts with gc.collect() and each
# module takes four runs: measure, import, nothing, measure. Around each import it prints
#   QSTR before|after       followed by micropython.qstr_info()'s "qstr pool:" line
#   IMPORT <name> <gc.mem_alloc() before> <after>
import gc

import micropython

_at = [0, 0]  # [index into IMPORT_ORDER, phase 0-3]
_before = [0]


def import_step():
    """Do the next phase of the next import; False when every module is imported."""
    i, phase = _at
    name = IMPORT_ORDER[i]  # noqa: F821 - set by the caller
    gc.collect()
    if phase == 0:
        _before[0] = gc.mem_alloc()
        print("QSTR before")
        micropython.qstr_info()
    elif phase == 1:
        __import__(name)
    elif phase == 3:
        after = gc.mem_alloc()
        print("QSTR after")
        micropython.qstr_info()
        print("IMPORT", name, _before[0], after)
    if phase < 3:
        _at[1] = phase + 1
        return True
    _at[0] = i + 1
    _at[1] = 0
    return i + 1 < len(IMPORT_ORDER)  # noqa: F821
