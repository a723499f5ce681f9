"""Command-line entry point: ``python -m nmrlib <command> [options]``.

Each command lives in the module that implements it and exposes ``main(argv)``;
modules are imported only when their command runs, so ``--help`` is instant. Bad input
(``ValueError``, ``OSError``) ends with one ``error: ...`` line and exit status 2, Ctrl-C with
exit status 130, never with a traceback.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "env": ("nmrlib.core.repro", "print the environment report (versions, device) as JSON"),
    "profile": ("nmrlib.core.repro", "print the default profile for this machine and why"),
    "gpus": ("nmrlib.core.gpus", "print how many GPUs a run may use (--list: their ids)"),
    "schedule": ("nmrlib.nus.schedules", "write a Poisson-gap / random NUS schedule (nuslist)"),
    "nus": ("nmrlib.nus.__main__", "NUS reconstruction of NMRPipe data (nus reconstruct -h)"),
    "notebook": ("nmrlib.core.notebooks", "execute notebooks with papermill under a profile"),
    "golden": ("nmrlib.core.notebooks", "refresh the nbval golden notebooks (smoke profile)"),
    "report": ("nmrlib.core.report", "build the HTML report from executed notebooks"),
    "simulate": ("nmrlib.tocsy.corpus", "simulate the TOCSY data set for a profile"),
    "train-dlnmr": ("nmrlib.nus.train_dl", "train the DLNMR network on synthetic FIDs"),
    "train-unrolled": ("nmrlib.nus.train_unrolled", "train the unrolled IST on synthetic patches"),
    "train": ("nmrlib.tocsy.training", "train one classifier configuration"),
    "contexts": ("nmrlib.tocsy.contexts", "compare one classifier over residue contexts"),
    "data": ("nmrlib.core.realdata", "list, fetch (sha256-checked) and locate the real data sets"),
    "tocsy-real": ("nmrlib.tocsy.real", "real vs simulated Thr/Val TOCSY: compare, classify"),
    "speech": ("nmrlib.tocsy.audio", "fetch the Fig. 1 speech clip (CMU ARCTIC, else espeak-ng)"),
    "pretrained": ("nmrlib.tocsy.pretrained",
                   "fetch the verified VoxCeleb ECAPA weights (Table II)"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and argv[0] not in {"-h", "--help"}:
        print(f"error: unknown command {argv[0]!r}; choose one of {', '.join(COMMANDS)} "
              "(see python -m nmrlib -h)", file=sys.stderr)
        return 2
    if not argv or argv[0] in {"-h", "--help"}:
        print("usage: python -m nmrlib <command> [options]\n\ncommands:")
        for name, (_, help_text) in COMMANDS.items():
            print(f"  {name:<10} {help_text}")
        return 0
    module = importlib.import_module(COMMANDS[argv[0]][0])
    try:
        return int(module.main(argv) or 0)
    except KeyboardInterrupt:
        print(f"{argv[0]}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as err:     # bad input: one line naming it, no traceback
        from nmrlib.core.cli import error_line

        print(f"error: {error_line(err)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
