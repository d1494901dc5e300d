# Runs test modules under MicroPython: every function named test_* in each module listed
# in CASES (set by the caller before this file runs). Prints one line per test:
#   PASS module.name   or   FAIL module.name: <exception>
# then "SUMMARY <passed> <failed>". Runs inside MicroPython, so no pytest here.
import sys

passed = 0
failed = 0
for module_name in CASES:  # noqa: F821 - defined by the caller
    module = __import__(module_name)
    for name in sorted(dir(module)):
        if not name.startswith("test_"):
            continue
        fn = getattr(module, name)
        try:
            fn()
        except Exception as exc:
            failed += 1
            print(f"FAIL {module_name}.{name}: {type(exc).__name__}: {exc}")
            sys.print_exception(exc)
        else:
            passed += 1
            print(f"PASS {module_name}.{name}")
print(f"SUMMARY {passed} {failed}")
