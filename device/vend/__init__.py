"""The vend flow and its rules: meter numbers, amounts, PINs, the sale service.

Pure logic: nothing here imports a driver. The flow draws through a screen object,
prints through a printer object and learns the time from a clock object, all handed in.
"""
