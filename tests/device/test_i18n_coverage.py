"""No text the vendor or customer sees lives outside the language tables.

Reads the flow and slip modules' source (CPython only: it needs ast) and checks every
string literal is an i18n key, a name used in code, or holds no words at all.
"""

import ast
import re
from pathlib import Path

import i18n

DEVICE = Path(__file__).resolve().parents[2] / "device"
SOURCES = [
    "vend/flow.py",
    "vend/__init__.py",
    "receipts/slip.py",
    "receipts/__init__.py",
    "main.py",
]

# Literals that are code, not text: dict keys of sales, answers and config, printer
# results, and the energy unit (the same symbol in every language).
CODE_WORDS = {
    "printer_codepage",
    "language",
    "en",
    "w",
    "__main__",
    "amount",
    "answer",
    "closed",
    "count",
    "currency",
    "customer",
    "debt",
    "device",
    "digits",
    "fixed",
    "kWh",
    "%d.%d kWh",
    "key_change",
    "kwh_tenths",
    "localtime",
    "meter",
    "minor_digits",
    "name",
    "no_printer",
    "ok",
    "open",
    "opened",
    "paper",
    "paper_",
    "paper_out",
    "pending_slip",
    "receipt",
    "refunded",
    "refunds",
    "refused",
    "sale_id",
    "shift",
    "signal",
    "battery",
    "state",
    "tax",
    "time",
    "tokens",
    "utility",
    "vendor",
    "vendor_name",
    "vendors",
    "device_id",
    "amount_min",
    "amount_max",
    "answer_timeout_s",
    "pin_lock_s",
    "idle_logout_s",
    "seq_floor",
    "firmware",
    "lang_",
    "micropython",
    "lookup",  # link attributes the flow asks for with getattr: not every link has them
    "problem",
}


KEYS = list("0123456789*#ABCD")  # keypad key names
FORMAT_SPEC = re.compile(r"%[-+ #0-9.*]*[sdixX]")  # "%d %s" holds no words


def _docstrings(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                yield id(body[0].value)


def _format_specs(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            for part in ast.walk(node.format_spec):
                yield id(part)


def test_every_string_literal_is_a_key_code_or_punctuation():
    wordy = []
    for name in SOURCES:
        tree = ast.parse((DEVICE / name).read_text())
        skip = set(_docstrings(tree)) | set(_format_specs(tree))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            text = node.value
            if (
                id(node) in skip
                or i18n.lookup(i18n.EN, text) is not None
                or text in CODE_WORDS
                or text in KEYS
                or text.startswith("/")  # a file path
            ):
                continue
            if any(ch.isalpha() for ch in FORMAT_SPEC.sub("", text)):
                wordy.append(f"{name}:{node.lineno}: {text!r}")
    assert wordy == [], "user-visible text outside i18n tables:\n" + "\n".join(wordy)
