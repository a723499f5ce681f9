"""What every ``python -m nmrlib`` command shares: one-line errors.

Bad input ends with exactly one ``error: ...`` line on stderr and exit status 2, whether
argparse or the command itself finds it; a traceback is kept for real bugs only.
"""

from __future__ import annotations

import argparse


class CliParser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: <message> (see <prog> -h)``, exit 2."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} -h)\n")


def error_line(err: BaseException) -> str:
    """An exception as one line: OSErrors as 'reason: file', others as their message.

    >>> error_line(ValueError("bad\\n  value"))
    'bad value'
    >>> error_line(FileNotFoundError(2, "No such file or directory", "x.fid"))
    'No such file or directory: x.fid'
    """
    if isinstance(err, OSError) and err.strerror and err.filename:
        return f"{err.strerror}: {err.filename}"
    return " ".join(str(err).split()) or type(err).__name__
