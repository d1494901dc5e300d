"""Run esptool in a child process and report in lines the parent can read.

    python -m host.provisioning.esptool_runner <esptool arguments>

esptool exits the process on errors and prints progress for a terminal; flash.py needs
progress as numbers and errors as text. So esptool runs here, with (esptool 5 and
later) a logger that writes each event as one line on stdout:

    P <done> <total>      progress of the current write or read
    M <text>              a message esptool printed
    E <text>              the fatal error, last line before exit status 2

With an older esptool (no logger API) its own output is passed through as M lines.
"""

import sys

PROGRESS, MESSAGE, ERROR = "P", "M", "E"


def _emit(kind: str, text: str) -> None:
    for line in str(text).splitlines() or [""]:
        sys.stdout.write(f"{kind} {line}\n")
    sys.stdout.flush()


def _install_logger() -> None:
    try:
        from esptool.logger import TemplateLogger, log
    except ImportError:  # esptool 4: plain prints, passed through by the parent
        return

    class LineLogger(TemplateLogger):
        def print(self, *args, **kwargs):
            text = kwargs.get("sep", " ").join(str(a) for a in args)
            if text.strip(" ."):
                _emit(MESSAGE, text)

        def note(self, message):
            _emit(MESSAGE, "Note: " + message)

        def warning(self, message):
            _emit(MESSAGE, "Warning: " + message)

        def error(self, message):
            _emit(MESSAGE, "Error: " + message)

        def stage(self, finish=False):
            pass

        def progress_bar(self, cur_iter, total_iters, prefix="", suffix="", bar_length=30):
            _emit(PROGRESS, f"{cur_iter} {total_iters}")

        def set_verbosity(self, verbosity):
            pass

    log.set_logger(LineLogger())


def main(argv: list[str]) -> int:
    _install_logger()
    import esptool

    try:
        esptool.main(argv)
    except esptool.FatalError as exc:
        _emit(ERROR, str(exc))
        return 2
    except SystemExit as exc:  # argument errors: esptool's argparse exits
        return exc.code if isinstance(exc.code, int) else 2
    except (OSError, ImportError, ValueError) as exc:
        _emit(ERROR, f"{type(exc).__name__}: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
