"""Malformed inputs for nmrlib's NUS, file-I/O and command-line code (issue 13), and a harness.

One list, :data:`CASES`, drives both ``tests/test_fuzz.py`` (every case must end in a
clear error) and a before/after count of outcomes::

    .venv/bin/python tests/fuzz_cases.py                           # this checkout
    PYTHONPATH=/tmp/before .venv/bin/python tests/fuzz_cases.py    # another copy of nmrlib

A case builds its input in a fresh folder -- from small nmrglue-written NMRPipe, Varian
and Bruker data (:func:`build_base`), or from the real sets in ``../shared/realdata`` when
they are present -- and then either

* calls the API, which must raise one of the expected exception types with a one-line
  message matching ``match``; or
* runs a command line in-process (``nmrlib.__main__.main(argv)``) or, for a few cases, as
  a real subprocess: the exit status must be non-zero and stderr one line that starts
  with ``error:``, matches ``match`` and holds no traceback.

Files listed in a case's ``guard`` (its inputs, an existing output, a FIFO, a device node)
must be unchanged afterwards. Outcomes, the first that applies:

* ``data destroyed`` -- a guarded file changed, vanished or was replaced by another kind;
* ``hang`` -- no answer within :data:`HANG_SECONDS`;
* ``traceback`` -- an exception that is neither the expected type nor a ValueError or
  OSError (for the CLI: an uncaught exception, or "Traceback" on stderr);
* ``silent`` -- no error at all (exit 0): bad input passed as good;
* ``unclear error`` -- an error without a traceback, but not the expected type, or a
  message that does not name the problem (no match), or several lines (argparse's usage
  line + error), or a temporary file left behind;
* ``clear error`` -- as required.

The cases of the long-job surfaces (notebook runner, training, simulation, checkpoints,
manifests, weight files, pretrained folders) live in ``tests/fuzz_jobs.py`` and are added
to the same list. The counts are also given per surface (the case id's first word).

A copy of nmrlib without the overwrite flags (``-ov``, ``--overwrite``,
``write_nuslist(overwrite=)``) always overwrote: for it the same cases run without them.

Unwritable outputs: the tests run as root, who may write into a read-only folder, so an
unwritable output is a path below a regular file, a missing folder, or ``/proc`` (the
kernel creates no files there).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import fuzz_jobs
import numpy as np

HANG_SECONDS = 30
ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"
OUTCOMES = ("clear error", "unclear error", "traceback", "silent", "hang", "data destroyed")

# the synthetic NUS file: 16 measured increments of a 24-point grid
SAMPLED = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 18, 20, 23]
GRID = 24


# --------------------------------------------------------------------------- fixtures


def build_base(folder: Path) -> Path:
    """Write the small valid inputs every case starts from into ``folder``; returns it.

    ``syn.fid`` (NMRPipe time domain, 32 x 128 complex), ``syn.ft1`` (its F2-processed
    form cut to the 16 measured increments, the CLI's input), ``nuslist``, ``syn_var.fid``
    (Varian directory), ``syn_bru`` (Bruker directory).
    """
    import nmrglue as ng

    from nmrlib.nus import nmrio

    folder.mkdir(parents=True, exist_ok=True)
    gen = np.random.default_rng(13)
    data = (gen.standard_normal((32, 128)) + 1j * gen.standard_normal((32, 128)))
    data = (100 * data).astype(np.complex64)
    udic = ng.fileio.fileiobase.create_blank_udic(2)
    udic[1].update(size=128, complex=True, sw=5000.0, obs=600.0, car=4.7 * 600, label="1H",
                   time=True, freq=False)
    udic[0].update(size=32, complex=True, sw=2000.0, obs=150.0, car=50.0 * 150, label="13C",
                   time=True, freq=False)
    conv = ng.convert.converter()
    conv.from_universal(udic, data)
    dic, pdata = conv.to_pipe()
    ng.pipe.write(str(folder / "syn.fid"), dic, pdata, overwrite=True)

    ds = nmrio.read_2d(folder / "syn.fid", direct={"region_ppm": (8.0, 2.0)})
    ds = ds.with_traces(ds.traces[:, : len(SAMPLED)])
    nmrio.write_pipe(folder / "syn.ft1", ds)
    (folder / "nuslist").write_text("".join(f"{i}\n" for i in SAMPLED))

    vdic, vdata = conv.to_varian()
    par = vdic["procpar"]
    for key, value in {"sw": "5000", "sw1": "2000", "sfrq": "600", "dfrq": "150",
                       "ni": "16", "tn": "H1", "dn": "C13", "f1coef": "1 0 0 0 0 0 1 0"}.items():
        par[key] = ng.varian.create_pdic_param(key, [value])
        if key in ("tn", "dn", "f1coef"):  # string parameters, as VnmrJ writes them
            par[key].update(basictype="2", subtype="2")
    ng.varian.write(str(folder / "syn_var.fid"), vdic, vdata, overwrite=True)

    bdic, bdata = conv.to_bruker()
    bdic["acqus"].update(TD=256, DECIM=1, DSPFVS=20, GRPDLY=0, DTYPA=0, BYTORDA=0,
                         SW_h=5000.0, SFO1=600.0, O1=2820.0)
    bdic["acqu2s"].update(FnMODE=4, SW_h=2000.0, SFO1=150.0, O1=7500.0)
    ng.bruker.write(str(folder / "syn_bru"), bdic, bdata, overwrite=True)
    return folder


@dataclass
class Env:
    """Where a case runs: the shared fixtures (``base``, read only) and a fresh ``tmp``."""

    base: Path
    tmp: Path

    def copy(self, name: str, as_name: str | None = None) -> Path:
        """A private copy of fixture ``name`` (file or folder) in ``tmp``."""
        src, dst = self.base / name, self.tmp / (as_name or name)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)
        return dst

    def real(self, rel: str) -> Path:
        return REALDATA / rel

    def text(self, name: str, content: str | bytes) -> Path:
        path = self.tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    def fifo(self, name: str) -> Path:
        path = self.tmp / name
        os.mkfifo(path)
        return path


# --------------------------------------------------------------------------- actions


@dataclass
class Api:
    """Call ``func()``; it must raise one of ``errors``."""

    func: Callable[[], object]
    errors: tuple[type[BaseException], ...] = (ValueError,)
    guard: list[Path] = field(default_factory=list)
    absent: list[Path] = field(default_factory=list)


@dataclass
class Cli:
    """``nmrlib.__main__.main(argv)`` in-process (or ``python -m nmrlib argv`` with ``proc``)."""

    argv: list[str]
    guard: list[Path] = field(default_factory=list)
    proc: bool = False
    absent: list[Path] = field(default_factory=list)


@dataclass
class Case:
    id: str
    build: Callable[[Env], Api | Cli]
    match: str
    needs: str = ""  # "realdata" | "mknod": skipped when unavailable


@dataclass
class Result:
    outcome: str
    detail: str


CASES: list[Case] = []


def add(id: str, match: str, build: Callable[[Env], Api | Cli], needs: str = "") -> None:
    if any(c.id == id for c in CASES):
        raise ValueError(f"duplicate case id {id}")
    CASES.append(Case(id, build, match, needs))


# --------------------------------------------------------------------------- mutations


def _fdata(key: str) -> int:
    from nmrglue.fileio.pipe import fdata_nums

    return int(fdata_nums[key])


def _order(raw: bytes) -> str:
    return "<" if abs(np.frombuffer(raw[8:12], "<f4")[0] - 2.345) < 1e-3 else ">"


def set_header(key: str, value: float) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        out = bytearray(raw)
        out[4 * _fdata(key): 4 * _fdata(key) + 4] = np.array(value, _order(raw) + "f4").tobytes()
        return bytes(out)
    return mutate


def set_data(value: float, index: int = 5) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        out = bytearray(raw)
        pos = 2048 + 4 * index
        out[pos:pos + 4] = np.array(value, _order(raw) + "f4").tobytes()
        return bytes(out)
    return mutate


def swap(start: int, stop: int | None) -> Callable[[bytes], bytes]:
    """Byte-swap the 4-byte words of ``raw[start:stop]`` (a wrong endianness)."""
    def mutate(raw: bytes) -> bytes:
        end = len(raw) if stop is None else stop
        part = np.frombuffer(raw[start:end], "<u4").byteswap().tobytes()
        return raw[:start] + part + raw[end:]
    return mutate


def cut(n: int) -> Callable[[bytes], bytes]:
    return lambda raw: raw[:n]


def cut_fraction(f: float) -> Callable[[bytes], bytes]:
    return lambda raw: raw[: int(len(raw) * f)]


def append(extra: bytes) -> Callable[[bytes], bytes]:
    return lambda raw: raw + extra


def random_bytes(n: int) -> Callable[[bytes], bytes]:
    return lambda raw: np.random.default_rng(5).integers(0, 256, n, np.uint8).tobytes()


def mutated(env: Env, name: str, mutate: Callable[[bytes], bytes], inner: str = "") -> Path:
    """A copy of fixture ``name`` with ``mutate`` applied to it (or to its file ``inner``)."""
    path = env.copy(name)
    target = path / inner if inner else path
    target.write_bytes(mutate(target.read_bytes()))
    return path


# --------------------------------------------------------------------------- NMRPipe files

PIPE_MUTATIONS: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("empty", cut(0), "empty file"),
    ("cut-in-header-100", cut(100), "truncated NMRPipe header"),
    ("cut-in-header-2047", cut(2047), "truncated NMRPipe header"),
    ("header-only", cut(2048), "does not match the header"),
    ("cut-half", cut_fraction(0.5), "does not match the header"),
    ("cut-one-float", lambda raw: raw[:-4], "does not match the header"),
    ("extra-bytes", append(b"\0" * 4), "does not match the header"),
    ("magic-zero", set_header("FDFLTORDER", 0.0), "not an NMRPipe file"),
    ("magic-wrong", set_header("FDFLTORDER", 3.5), "not an NMRPipe file"),
    ("header-byteswapped", swap(0, 2048), "NaN or infinite|positive|does not match"),
    ("data-byteswapped", swap(2048, None), "NaN or infinite"),
    ("random-bytes", random_bytes(4096), "not an NMRPipe file"),
    ("dimcount-3", set_header("FDDIMCOUNT", 3.0), "expected 2D NMRPipe data, header says 3D"),
    ("dimcount-nan", set_header("FDDIMCOUNT", float("nan")), "expected 2D NMRPipe data"),
    ("size-zero", set_header("FDSIZE", 0.0), "FDSIZE 0, .* must be positive integers"),
    ("size-huge", set_header("FDSIZE", 1e9), "does not match the header"),
    ("size-negative", set_header("FDSIZE", -64.0), "FDSIZE -64, .* must be positive"),
    ("size-fraction", set_header("FDSIZE", 63.5), "FDSIZE 63.5, .* must be positive"),
    ("specnum-huge", set_header("FDSPECNUM", 1e9), "does not match the header"),
    ("sw-zero", set_header("FDF2SW", 0.0), "FDF2SW = 0 must be positive"),
    ("obs-nan", set_header("FDF1OBS", float("nan")), "FDF1OBS = nan must be positive"),
    ("data-nan", set_data(float("nan")), "NaN or infinite"),
    ("data-inf", set_data(float("inf")), "NaN or infinite"),
]


def _pipe_cases() -> None:
    from_fixture = {"ft1": ("syn.ft1", "read_pipe_ft1"), "fid": ("syn.fid", "read_2d")}
    for kind, (name, reader) in from_fixture.items():
        for label, mutate, match in PIPE_MUTATIONS:
            def build(env, name=name, reader=reader, mutate=mutate):
                from nmrlib.nus import nmrio

                path = mutated(env, name, mutate)
                return Api(lambda: getattr(nmrio, reader)(path), guard=[path])
            add(f"pipe-{kind}-{label}", match, build)
    add("pipe-missing", "not found", lambda env: Api(
        lambda: _nmrio().read_2d(env.tmp / "missing.fid"), (FileNotFoundError,)))
    add("pipe-ft1-missing", "not found", lambda env: Api(
        lambda: _nmrio().read_pipe_ft1(env.tmp / "missing.ft1"), (FileNotFoundError,)))
    add("pipe-ft1-is-folder", "is a folder", lambda env: Api(
        lambda: _nmrio().read_pipe_ft1(env.tmp), (IsADirectoryError,)))
    add("pipe-empty-folder", "neither Varian", lambda env: Api(
        lambda: _nmrio().read_2d(env.tmp)))
    add("pipe-fifo", "not a regular file", lambda env: Api(
        lambda: _nmrio().read_2d(env.fifo("data.fid"))))
    add("pipe-ft1-fifo", "not a regular file", lambda env: Api(
        lambda: _nmrio().read_pipe_ft1(env.fifo("data.ft1"))))
    add("pipe-text-file", "not an NMRPipe file|too short", lambda env: Api(
        lambda: _nmrio().read_2d(env.text("list.fid", "0\n1\n2\n" * 1000))))
    add("pipe-ft1-given-time-domain", "F2 in the frequency domain", lambda env: Api(
        lambda: _nmrio().read_pipe_ft1(env.copy("syn.fid"))))
    add("pipe-ft1-transposed", "F2 in the frequency domain|not transposed", lambda env: Api(
        lambda: _nmrio().read_pipe_ft1(mutated(env, "syn.ft1",
                                               set_header("FDTRANSPOSED", 1.0)))))
    add("pipe-real-ft2-as-ft1", "F2 in the frequency domain", lambda env: Api(
        lambda: _nmrio().read_pipe_ft1(env.real("mrai_malt1_hsqc/malt1_hsqc.ft2"))),
        needs="realdata")
    for label, mutate, match in [("cut-header", cut(1000), "truncated NMRPipe header"),
                                 ("cut-data", cut(500_000), "does not match|truncated"),
                                 ("data-byteswapped", swap(2048, None), "NaN or infinite")]:
        def build(env, mutate=mutate):
            path = env.tmp / "time_complex.fid"
            path.write_bytes(mutate(env.real("nmrglue_2d_time_complex/time_complex.fid")
                                    .read_bytes()))
            return Api(lambda: _nmrio().read_2d(path))
        add(f"pipe-real-{label}", match, build, needs="realdata")


def _nmrio():
    from nmrlib.nus import nmrio

    return nmrio


# --------------------------------------------------------------------------- Varian / Bruker


def _varian_header(**fields: int) -> Callable[[bytes], bytes]:
    """Overwrite fields of the 32-byte big-endian Varian file header."""
    names = ["nblocks", "ntraces", "np", "ebytes", "tbytes", "bbytes"]

    def mutate(raw: bytes) -> bytes:
        head = np.frombuffer(raw[:24], ">i4").copy()
        for key, value in fields.items():
            head[names.index(key)] = value
        return head.tobytes() + raw[24:]
    return mutate


def _procpar(edit: Callable[[str], str]) -> Callable[[bytes], bytes]:
    return lambda raw: edit(raw.decode()).encode()


def _set_par(name: str, value: str) -> Callable[[str], str]:
    """Replace the value line of procpar parameter ``name`` (``1 <value>``)."""
    def edit(text: str) -> str:
        pattern = re.compile(rf"^({name} \d.*\n)1 .*$", re.MULTILINE)
        if not pattern.search(text):
            raise KeyError(name)
        return pattern.sub(lambda m: m.group(1) + f"1 {value}", text, count=1)
    return edit


def _drop_par(name: str) -> Callable[[str], str]:
    return lambda text: re.sub(rf"^{name} \d.*\n.*\n.*\n", "", text, count=1, flags=re.M)


VARIAN_MUTATIONS: list[tuple[str, str, Callable[[bytes], bytes], str]] = [
    ("fid-empty", "fid", cut(0), "empty file"),
    ("fid-cut-in-header", "fid", cut(16), "too short"),
    ("fid-header-only", "fid", cut(32), "truncated"),
    ("fid-cut-half", "fid", cut_fraction(0.5), "truncated"),
    ("fid-cut-4-bytes", "fid", lambda raw: raw[:-4], "truncated"),
    ("fid-extra-bytes", "fid", append(b"\0" * 64), "longer than its header says"),
    ("fid-nblocks-huge", "fid", _varian_header(nblocks=10**6), "truncated"),
    ("fid-np-zero", "fid", _varian_header(np=0), "corrupt Varian file header"),
    ("fid-ebytes-3", "fid", _varian_header(ebytes=3), "corrupt Varian file header"),
    ("fid-bbytes-wrong", "fid", _varian_header(bbytes=7), "corrupt Varian file header"),
    ("fid-random", "fid", lambda raw: random_bytes(len(raw))(raw),
     "corrupt Varian file header|truncated|longer"),
    ("procpar-empty", "procpar", cut(0), "empty file"),
    ("procpar-garbage", "procpar", random_bytes(400), "cannot read Varian|lacks"),
    ("procpar-no-ni", "procpar", _procpar(_drop_par("ni")), "lacks a numeric 'ni'"),
    ("procpar-ni-zero", "procpar", _procpar(_set_par("ni", "0")), "not a positive integer"),
    ("procpar-ni-too-big", "procpar", _procpar(_set_par("ni", "100")), "2\\*ni = 200 FIDs"),
    ("procpar-ni-text", "procpar", _procpar(_set_par("ni", '"abc"')), "lacks a numeric 'ni'"),
    ("procpar-ni-fraction", "procpar", _procpar(_set_par("ni", "7.5")), "not a positive"),
    ("procpar-no-sw", "procpar", _procpar(_drop_par("sw")), "lacks a numeric 'sw'"),
    ("procpar-sw-zero", "procpar", _procpar(_set_par("sw", "0")), "sw = 0 must be positive"),
    ("procpar-f1coef-text", "procpar", _procpar(_set_par("f1coef", '"a b c d e f g h"')),
     "f1coef"),
]


def _varian_bruker_cases() -> None:
    for label, inner, mutate, match in VARIAN_MUTATIONS:
        def build(env, inner=inner, mutate=mutate):
            path = mutated(env, "syn_var.fid", mutate, inner)
            return Api(lambda: _nmrio().read_2d(path), guard=[path / "fid", path / "procpar"])
        add(f"varian-{label}", match, build)

    def replace(name: str, inner: str, by: str):
        def build(env):
            path = env.copy(name)
            (path / inner).unlink()
            if by == "folder":
                (path / inner).mkdir()
            return Api(lambda: _nmrio().read_2d(path), (FileNotFoundError, IsADirectoryError))
        return build
    add("varian-no-fid", "fid not found", replace("syn_var.fid", "fid", "nothing"))
    add("varian-fid-is-folder", "fid is a folder", replace("syn_var.fid", "fid", "folder"))
    add("varian-procpar-is-folder", "procpar is a folder",
        replace("syn_var.fid", "procpar", "folder"))

    def real_varian(mutate, inner):
        def build(env):
            path = env.tmp / "azi.fid"
            shutil.copytree(env.real("openvnmrj_azithromycin_ghsqcad/Azithromycin_gHSQCAD_01.fid"),
                            path)
            os.chmod(path, 0o755)
            (path / inner).chmod(0o644)
            (path / inner).write_bytes(mutate((path / inner).read_bytes()))
            return Api(lambda: _nmrio().read_2d(path))
        return build
    add("varian-real-fid-cut", "truncated", real_varian(cut(200_000), "fid"), needs="realdata")
    add("varian-real-no-ni", "lacks a numeric 'ni'",
        real_varian(_procpar(_drop_par("ni")), "procpar"), needs="realdata")

    def acqus(edit: Callable[[str], str]) -> Callable[[bytes], bytes]:
        return lambda raw: edit(raw.decode()).encode()

    def set_jcamp(key: str, value: str) -> Callable[[str], str]:
        return lambda text: re.sub(rf"^##\${key}= .*$", f"##${key}= {value}", text, flags=re.M)

    bruker: list[tuple[str, str, Callable[[bytes], bytes], str]] = [
        ("ser-empty", "ser", cut(0), "empty file"),
        ("ser-cut-half", "ser", cut_fraction(0.5), "ser truncated|cannot read"),
        ("ser-one-block-short", "ser", lambda raw: raw[:-1024], "ser truncated|cannot read"),
        ("ser-cut-odd", "ser", lambda raw: raw[:-3], "ser truncated|cannot read"),
        ("acqus-empty", "acqus", cut(0), "empty file"),
        ("acqus-garbage", "acqus", random_bytes(300), "cannot read Bruker|lacks"),
        ("acqus-td-zero", "acqus", acqus(set_jcamp("TD", "0")), "expected 2D|cannot read"),
        ("acqus-td-text", "acqus", acqus(set_jcamp("TD", "abc")), "lacks a numeric TD|cannot"),
        ("acqus-dtypa-7", "acqus", acqus(set_jcamp("DTYPA", "7")), "DTYPA"),
        ("acqu2s-td-huge", "acqu2s", acqus(set_jcamp("TD", "100000")),
         "ser truncated|cannot read"),
    ]
    for label, inner, mutate, match in bruker:
        def build(env, inner=inner, mutate=mutate):
            path = mutated(env, "syn_bru", mutate, inner)
            return Api(lambda: _nmrio().read_2d(path), guard=[path / "ser"])
        add(f"bruker-{label}", match, build)
    add("bruker-no-acqus", "acqus not found", replace("syn_bru", "acqus", "nothing"))
    add("bruker-no-ser", "ser not found", replace("syn_bru", "ser", "nothing"))
    add("bruker-ser-is-folder", "ser is a folder", replace("syn_bru", "ser", "folder"))

    def no_acqu2s(env):
        path = env.copy("syn_bru")
        (path / "acqu2s").unlink()
        (path / "acqu2").unlink()
        return Api(lambda: _nmrio().read_2d(path))
    add("bruker-no-acqu2s", "acqu2s lacks a numeric TD|expected 2D", no_acqu2s)


# --------------------------------------------------------------------------- nuslists


def _schedules():
    from nmrlib.nus import schedules

    return schedules


NUSLIST_TEXTS: list[tuple[str, str | bytes, str]] = [
    ("empty", "", "empty"),
    ("only-comments", "\n# nothing here\n\n", "empty"),
    ("fraction", "0\n1.5\n3\n", "line 2 is not a row of integers"),
    ("letters", "0\nabc\n3\n", "line 2 is not a row of integers"),
    ("exponent", "0\n1e3\n", "line 2 is not a row of integers"),
    ("negative", "0\n-3\n5\n", "line 2 holds a negative index"),
    ("duplicate", "0\n3\n5\n3\n", "line 4 is a duplicated index"),
    ("duplicate-2d", "0 0\n1 2\n1 2\n", "line 3 is a duplicated index"),
    ("ragged", "0 1\n3\n", "line 2 has 1 columns"),
    ("cut-mid-number", "0\n3\n5\n1", "no newline.*truncated"),
    ("binary", b"\x00\x01\xff\xfe" * 20, "not a text nuslist"),
    ("unicode-digit", "0\n\u0663\n", "not a text nuslist|not a row of integers"),
    ("nul-bytes", "0\n\x00\x00\n", "line 2 is not a row of integers"),
    ("index-beyond-int64", "0\n99999999999999999999\n", "line 2 holds an index above"),
]


def _nuslist_cases() -> None:
    for label, text, match in NUSLIST_TEXTS:
        def build(env, text=text):
            path = env.text("nuslist", text)
            return Api(lambda: _schedules().read_nuslist(path))
        add(f"nuslist-{label}", match, build)
    against_grid = [("out-of-range", "0\n3\n8\n", 8, "index 8 out of range \\[0, 8\\)"),
                    ("too-long", "".join(f"{i}\n" for i in range(9)), 8, "more than the grid"),
                    ("two-columns-1d-grid", "0 0\n1 1\n", 8, "2 column\\(s\\)")]
    for label, text, n, match in against_grid:
        def build(env, text=text, n=n):
            path = env.text("nuslist", text)
            return Api(lambda: _schedules().mask_from_schedule(
                _schedules().read_nuslist(path), n))
        add(f"nuslist-{label}", match, build)
    add("nuslist-missing", "not found", lambda env: Api(
        lambda: _schedules().read_nuslist(env.tmp / "nope"), (FileNotFoundError,)))
    add("nuslist-is-folder", "is a folder", lambda env: Api(
        lambda: _schedules().read_nuslist(env.tmp), (IsADirectoryError,)))
    add("nuslist-fifo", "not a regular file", lambda env: Api(
        lambda: _schedules().read_nuslist(env.fifo("nuslist"))))


# --------------------------------------------------------------------------- reconstruct()


def _traces(batch: int = 4, n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(1)
    t = np.arange(n)
    fid = sum(np.exp((2j * np.pi * f - 0.05) * t) for f in gen.uniform(-0.4, 0.4, 3))
    fid = np.tile(fid, (batch, 1)).astype(np.complex64)
    mask = np.zeros(n, bool)
    mask[SAMPLED[: n * 2 // 3]] = True
    return fid * mask, mask


def _reconstruct(fid, mask, method="ist", **options):
    def call():
        from nmrlib.nus.reconstruct import reconstruct

        return reconstruct(fid, mask, method, **options)
    return call


def _api_cases() -> None:
    fid, mask = _traces()
    nan_fid = fid.copy()
    nan_fid[1, 2] = np.nan
    inf_fid = fid.copy()
    inf_fid[0, 0] = np.inf
    per_trace = np.tile(mask, (4, 1))
    per_trace[2] = False
    calls: list[tuple[str, Callable[[], object], str]] = [
        ("mask-float-01", _reconstruct(fid, mask.astype(float)), "mask must be boolean"),
        ("mask-float-small", _reconstruct(fid, mask * 1e-3), "mask must be boolean"),
        ("mask-int-01", _reconstruct(fid, mask.astype(int)), "mask must be boolean"),
        ("mask-all-false-ist", _reconstruct(fid, np.zeros(24, bool)), "samples no points"),
        ("mask-all-false-lr", _reconstruct(fid, np.zeros(24, bool), "lr"),
         "samples no points"),
        ("mask-all-false-dl", _reconstruct(fid, np.zeros(24, bool), "dl"),
         "samples no points"),
        ("mask-one-trace-empty", _reconstruct(fid, per_trace, "lr"),
         "samples no points in trace 2"),
        ("mask-wrong-length", _reconstruct(fid, mask[:20]), "mask shape"),
        ("mask-3d", _reconstruct(fid, mask[None, None]), "mask shape"),
        ("mask-strings", _reconstruct(fid, np.array(["a"] * 24)), "mask must be numeric"),
        ("fid-real", _reconstruct(fid.real, mask), "must be complex"),
        ("fid-int", _reconstruct(np.ones((4, 24), int), mask), "must be complex"),
        ("fid-1d", _reconstruct(fid[0], mask), "shape \\(batch, n\\)"),
        ("fid-3d", _reconstruct(fid[None], mask), "shape \\(batch, n\\)"),
        ("fid-no-traces", _reconstruct(fid[:0], mask, "lr"), "at least one trace"),
        ("fid-one-point", _reconstruct(fid[:, :1], mask[:1]), "at least 2 points"),
        ("fid-objects", _reconstruct(np.array([[None] * 24] * 4), mask), "must be numeric"),
        ("method-unknown", _reconstruct(fid, mask, "cs"), "unknown NUS reconstruction method"),
        ("method-none", _reconstruct(fid, mask, None), "unknown NUS reconstruction method"),
        ("lr-max-iter-0", _reconstruct(fid, mask, "lr", max_iter=0),
         "max_iter must be a positive integer"),
        ("lr-max-iter-negative", _reconstruct(fid, mask, "lr", max_iter=-5),
         "max_iter must be a positive integer"),
        ("lr-max-iter-float", _reconstruct(fid, mask, "lr", max_iter=2.5),
         "max_iter must be a positive integer"),
        ("ist-iterations-0", _reconstruct(fid, mask, "ist", iterations=0),
         "iterations must be a positive integer"),
        ("ist-iterations-negative", _reconstruct(fid, mask, "ist", iterations=-1),
         "iterations must be a positive integer"),
        ("batch-size-0", _reconstruct(fid, mask, "lr", batch_size=0),
         "batch_size must be a positive integer"),
        ("batch-size-negative", _reconstruct(fid, mask, "ist", batch_size=-2),
         "batch_size must be a positive integer"),
        ("device-unknown", _reconstruct(fid, mask, "ist", device="warp9"),
         "device 'warp9' is not available"),
        ("lr-too-big-for-memory", _reconstruct(np.zeros((64, 16384), np.complex64),
                                               np.eye(1, 16384, dtype=bool)[0], "lr"),
         "needs about .* GiB"),
        ("ist-i-mult-nan", _reconstruct(fid, mask, "ist", i_mult=float("nan")), "i_mult"),
        ("ist-zf-0", _reconstruct(fid, mask, "ist", zf=0), "positive integer zf"),
        ("ist-zf-huge", _reconstruct(fid, mask, "ist", zf=10**9), "IST on .* needs about .* GiB"),
        ("ist-p0-nan", _reconstruct(fid, mask, "ist", virtual_echo=True, p0=float("nan")),
         "phases must be finite"),
        ("dl-chunk-0", _reconstruct(fid, mask, "dl", chunk=0), "chunk must be a positive"),
    ]
    for method in ("lr", "ist", "dl"):
        calls.append((f"fid-nan-{method}", _reconstruct(nan_fid, mask, method),
                      "1 NaN or infinite value"))
        calls.append((f"fid-inf-{method}", _reconstruct(inf_fid, mask, method),
                      "1 NaN or infinite value"))
    for label, call, match in calls:
        add(f"api-{label}", match, lambda env, call=call: Api(call))

    def corrupt_weights(env):
        path = env.text("weights.pt", b"not a torch file" * 10)
        return Api(_reconstruct(fid, mask, "dl", weights=path))
    add("api-dl-weights-corrupt", "DLNMR weight file .* is damaged or not a torch file",
        corrupt_weights)

    def schedule_call(func):
        def call():
            from nmrlib.nus.reconstruct import apply_schedule, expand_sampled

            return func(apply_schedule, expand_sampled)
        return call
    add("api-apply-schedule-fraction", "must be integers", lambda env: Api(
        schedule_call(lambda a, e: a(fid, np.array([0, 1.5])))))
    add("api-expand-grid-too-small", "more than the grid's 12", lambda env: Api(
        schedule_call(lambda a, e: e(fid[:, :16], SAMPLED, 12))))


# --------------------------------------------------------------------------- schedules API


def _schedule_api_cases() -> None:
    calls: list[tuple[str, Callable[[], object], str]] = [
        ("poisson-gap-n-0", lambda: _schedules().poisson_gap(0, 1, seed=0), "positive integer"),
        ("poisson-gap-m-gt-n", lambda: _schedules().poisson_gap(8, 9, seed=0), "m > n"),
        ("poisson-gap-n-huge", lambda: _schedules().poisson_gap(10**9, 10, seed=0),
         "larger than the supported"),
        ("poisson-gap-n-fraction", lambda: _schedules().poisson_gap(10.5, 3, seed=0),
         "positive integer"),
        ("random-m-negative", lambda: _schedules().random_schedule(16, -2, seed=0),
         "positive integer"),
        ("random-n-huge", lambda: _schedules().random_schedule(10**9, 10, seed=0),
         "larger than the supported"),
        ("density-nan", lambda: _schedules().points_for_density(64, float("nan")), "density"),
        ("density-inf", lambda: _schedules().points_for_density(64, float("inf")), "density"),
        ("density-zero", lambda: _schedules().points_for_density(64, 0.0), "density"),
        ("poisson-2d-negative", lambda: _schedules().poisson_gap_2d((-4, -4), 4, seed=0),
         "two positive grid sizes"),
    ]
    for label, call, match in calls:
        add(f"schedule-api-{label}", match, lambda env, call=call: Api(call))
    writes: list[tuple[str, object, str]] = [
        ("empty", np.array([], int), "schedule is empty"),
        ("negative", np.array([0, -1, 3]), "negative"),
        ("fraction", np.array([0.0, 1.5]), "must be integers"),
        ("nan", np.array([0.0, np.nan]), "must be integers"),
        ("3d", np.zeros((2, 2, 2), int), "shape \\(m,\\) or \\(m, d\\)"),
    ]
    for label, sched, match in writes:
        add(f"write-nuslist-{label}", match, lambda env, sched=sched: Api(
            lambda: _schedules().write_nuslist(env.tmp / "nuslist", sched)))

    def existing(env):
        path = env.text("nuslist", "0\n2\n")
        return Api(lambda: _schedules().write_nuslist(path, [0, 1, 5]), (FileExistsError,),
                   guard=[path])
    add("write-nuslist-existing", "exists; pass overwrite", existing)
    add("write-nuslist-missing-folder", "output folder .* does not exist", lambda env: Api(
        lambda: _schedules().write_nuslist(env.tmp / "no" / "nuslist", [0, 1]),
        (FileNotFoundError,)))
    add("write-nuslist-below-file", "is not a folder", lambda env: Api(
        lambda: _schedules().write_nuslist(env.text("f", "x") / "nuslist", [0, 1]),
        (NotADirectoryError,)))
    add("write-nuslist-proc", "cannot create a file in /proc", lambda env: Api(
        lambda: _schedules().write_nuslist("/proc/nmrlib-fuzz-nuslist", [0, 1]), (OSError,)))

    def fifo(env):
        path = env.fifo("nuslist")
        return Api(lambda: _write_nuslist(path, [0, 1], overwrite=True), guard=[path])
    add("write-nuslist-fifo", "not a regular file", fifo)
    add("write-pipe-nan", "NaN or infinite", lambda env: Api(lambda: _write_nan_pipe(env)))


def _write_nan_pipe(env: Env):
    from nmrlib.nus import nmrio

    ds = nmrio.read_pipe_ft1(env.base / "syn.ft1")
    ds.traces[0, 0] = np.nan
    return nmrio.write_pipe(env.tmp / "nan.ft1", ds)


# --------------------------------------------------------------------------- schedule CLI


def _schedule_cli_cases() -> None:
    def cli(*args: str, guard: Callable[[Env], list[Path]] | None = None, out: str = "nl"):
        def build(env):
            target = env.tmp / out
            argv = ["schedule", *[a.replace("{out}", str(target)) for a in args]]
            return Cli(argv, guard(env) if guard else [])
        return build
    base = ("--n", "64", "--density", "0.25", "--out", "{out}")
    cases = [
        ("n-text", ["--n", "abc", "--density", "0.25", "--out", "{out}"],
         "argument --n: invalid int value: 'abc'"),
        ("n-float", ["--n", "64.5", "--density", "0.25", "--out", "{out}"],
         "invalid int value"),
        ("density-text", ["--n", "64", "--density", "lots", "--out", "{out}"],
         "argument --density: invalid float value"),
        ("density-empty", ["--n", "64", "--density", "", "--out", "{out}"],
         "invalid float value"),
        ("density-zero", ["--n", "64", "--density", "0", "--out", "{out}"], "density"),
        ("density-above-1", ["--n", "64", "--density", "1.5", "--out", "{out}"], "density"),
        ("density-negative", ["--n", "64", "--density", "-0.1", "--out", "{out}"], "density"),
        ("density-nan", ["--n", "64", "--density", "nan", "--out", "{out}"], "density"),
        ("n-zero", ["--n", "0", "--density", "0.5", "--out", "{out}"], "--n must be positive"),
        ("n-negative", ["--n", "-5", "--density", "0.5", "--out", "{out}"],
         "--n must be positive"),
        ("n-huge", ["--n", "1000000000", "--density", "0.1", "--out", "{out}"],
         "larger than the supported"),
        ("n-2d-huge", ["--n", "100000", "100000", "--density", "0.1", "--out", "{out}"],
         "larger than the supported"),
        ("n-2d-overflow", ["--n", "10000000000", "10000000000", "--density", "0.1",
                           "--out", "{out}"], "larger than the supported"),
        ("n-three-dims", ["--n", "8", "8", "8", "--density", "0.5", "--out", "{out}"],
         "one or two grid sizes"),
        ("2d-random", ["--n", "8", "8", "--density", "0.5", "--kind", "random",
                       "--out", "{out}"], "Poisson-gap only"),
        ("kind-unknown", [*base, "--kind", "golden"], "argument --kind: invalid choice"),
        ("seed-negative", [*base, "--seed", "-1"], "--seed must be >= 0"),
        ("seed-text", [*base, "--seed", "x"], "argument --seed: invalid int value"),
        ("no-density", ["--n", "64", "--out", "{out}"], "required: --density"),
        ("unknown-option", [*base, "--colour", "red"], "unrecognized arguments"),
    ]
    for label, args, match in cases:
        add(f"schedule-cli-{label}", match, cli(*args))

    def with_out(make: Callable[[Env], Path], *extra: str):
        def build(env):
            target = make(env)
            return Cli(["schedule", "--n", "64", "--density", "0.25", "--out", str(target),
                        *extra], guard=[target])
        return build
    add("schedule-cli-out-exists", "exists; pass overwrite",
        with_out(lambda env: env.text("nuslist", "0\n1\n2\n")))
    add("schedule-cli-out-folder", "is a folder", with_out(lambda env: env.tmp))
    add("schedule-cli-out-fifo", "not a regular file",
        with_out(lambda env: env.fifo("nuslist"), "--overwrite"))
    add("schedule-cli-out-device", "not a regular file",
        with_out(lambda env: _device_node(env), "--overwrite"), needs="mknod")
    add("schedule-cli-out-missing-folder", "output folder .* does not exist",
        with_out(lambda env: env.tmp / "missing" / "nuslist"))
    add("schedule-cli-out-below-file", "is not a folder",
        with_out(lambda env: env.text("file", "x") / "nuslist"))
    add("schedule-cli-out-proc", "cannot create a file in /proc",
        with_out(lambda env: Path("/proc/nmrlib-fuzz-nuslist")))
    add("schedule-proc-n-text", "invalid int value", lambda env: Cli(
        ["schedule", "--n", "abc", "--density", "0.2", "--out", str(env.tmp / "x")],
        proc=True))
    add("schedule-proc-out-exists", "exists; pass overwrite",
        lambda env: Cli(["schedule", "--n", "64", "--density", "0.25", "--out",
                         str(env.text("nuslist", "0\n1\n"))], [env.tmp / "nuslist"],
                        proc=True))


def _device_node(env: Env) -> Path:
    """A character device like /dev/null, made in the case folder (root only)."""
    path = env.tmp / "null"
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return path


# --------------------------------------------------------------------------- reconstruct CLI


def _reconstruct_cli_cases() -> None:
    def rec(*extra: str, inp: Callable[[Env], Path] | None = None,
            sample: Callable[[Env], Path] | None = None,
            out: Callable[[Env], Path] | None = None, method: str = "lr",
            guard_out: bool = False, proc: bool = False):
        def build(env):
            i = inp(env) if inp else env.copy("syn.ft1")
            s = sample(env) if sample else env.copy("nuslist")
            o = out(env) if out else env.tmp / "rec.ft1"
            argv = ["nus", "reconstruct", "-in", str(i), "-sample", str(s), "-out", str(o),
                    "-method", method, *extra]
            guard = [p for p in (i, s) if p.exists() and p.is_file()]
            if guard_out:
                guard.append(o)
            return Cli(argv, guard, proc)
        return build

    add("rec-lr-iter-0", "-iter must be a positive", rec("-iter", "0"))
    add("rec-lr-iter-negative", "-iter must be a positive", rec("-iter", "-5"))
    add("rec-ist-iter-0", "-iter must be a positive", rec("-iter", "0", method="ist"))
    add("rec-dl-iter", "-iter applies to methods lr, ist and unrolled, not dl",
        rec("-iter", "5", method="dl"))
    add("rec-iter-text", "argument -iter: invalid int value", rec("-iter", "many"))
    add("rec-xn-text", "argument -xN: invalid int value", rec("-xN", "big"))
    add("rec-xn-zero", "-xN must lie in", rec("-xN", "0"))
    add("rec-xn-negative", "-xN must lie in", rec("-xN", "-3"))
    add("rec-xn-huge", "-xN must lie in", rec("-xN", "1000000000"))
    add("rec-xn-below-last-index", "out of range \\[0, 20\\)", rec("-xN", "20"))
    add("rec-batch-zero", "-batch must be a positive", rec("-batch", "0"))
    add("rec-batch-text", "argument -batch: invalid int value", rec("-batch", "x"))
    add("rec-method-unknown", "argument -method: invalid choice", rec(method="cs"))
    add("rec-device-unknown", "device 'warp9' is not available", rec("-device", "warp9"))
    add("rec-missing-out", "required: -out", lambda env: Cli(
        ["nus", "reconstruct", "-in", str(env.copy("syn.ft1")), "-sample",
         str(env.copy("nuslist"))]))
    add("rec-unknown-option", "unrecognized arguments", rec("-colour", "red"))
    add("rec-no-command", "required: command|invalid choice", lambda env: Cli(["nus"]))

    # outputs
    add("rec-out-is-in", "same file as -in",
        rec(out=lambda env: env.tmp / "syn.ft1"))
    add("rec-out-is-in-with-ov", "same file as -in",
        rec("-ov", out=lambda env: env.tmp / "syn.ft1"))

    def symlink_to_in(env):
        link = env.tmp / "link.ft1"
        link.symlink_to(env.tmp / "syn.ft1")
        return link
    add("rec-out-symlink-to-in", "same file as -in", rec("-ov", out=symlink_to_in))

    def hardlink_to_in(env):
        link = env.tmp / "hard.ft1"
        os.link(env.tmp / "syn.ft1", link)
        return link
    add("rec-out-hardlink-to-in", "same file as -in", rec("-ov", out=hardlink_to_in))
    add("rec-out-is-sample", "same file as -sample",
        rec("-ov", out=lambda env: env.tmp / "nuslist"))
    add("rec-out-exists", "exists; pass overwrite",
        rec(out=lambda env: env.text("old.ft1", "precious"), guard_out=True))
    add("rec-out-folder", "is a folder", rec("-ov", out=lambda env: env.tmp))
    add("rec-out-fifo", "not a regular file",
        rec("-ov", out=lambda env: env.fifo("out.ft1"), guard_out=True))
    add("rec-out-device", "not a regular file",
        rec("-ov", out=_device_node, guard_out=True), needs="mknod")
    add("rec-out-missing-folder", "output folder .* does not exist",
        rec(out=lambda env: env.tmp / "missing" / "rec.ft1"))
    add("rec-out-below-file", "is not a folder",
        rec(out=lambda env: env.text("file", "x") / "rec.ft1"))
    add("rec-out-proc", "cannot create a file in /proc",
        rec(out=lambda env: Path("/proc/nmrlib-fuzz.ft1")))

    # inputs
    add("rec-in-missing", "not found", rec(inp=lambda env: env.tmp / "missing.ft1"))
    add("rec-in-folder", "is a folder", rec(inp=lambda env: env.tmp))
    add("rec-in-empty", "empty file", rec(inp=lambda env: env.text("e.ft1", "")))
    add("rec-in-cut-header", "truncated NMRPipe header",
        rec(inp=lambda env: mutated(env, "syn.ft1", cut(1024))))
    add("rec-in-cut-data", "does not match the header",
        rec(inp=lambda env: mutated(env, "syn.ft1", cut_fraction(0.7))))
    add("rec-in-time-domain", "F2 in the frequency domain",
        rec(inp=lambda env: env.copy("syn.fid")))
    add("rec-in-fifo", "not a regular file", rec(inp=lambda env: env.fifo("in.ft1")))
    add("rec-in-nan", "NaN or infinite",
        rec(inp=lambda env: mutated(env, "syn.ft1", set_data(float("nan")))))
    add("rec-in-random", "not an NMRPipe file",
        rec(inp=lambda env: env.text("r.ft1", random_bytes(8192)(b""))))
    add("rec-in-varian-folder", "is a folder", rec(inp=lambda env: env.copy("syn_var.fid")))

    # nuslists
    nuslists = [
        ("out-of-range", SAMPLED[:-1] + [40], ["-xN", "24"], "index 40 out of range"),
        ("negative", [-1] + SAMPLED[1:], [], "negative index"),
        ("duplicate", SAMPLED[:-1] + [SAMPLED[-2]], [], "duplicated index"),
        ("short", SAMPLED[:-1], [], "pre-expanded"),
        ("long", SAMPLED + [30], [], "pre-expanded"),
        ("too-long-for-grid", SAMPLED, ["-xN", "12"], "out of range|more than the grid"),
        ("index-beyond-max-grid", SAMPLED[:-1] + [20000], [], "grid larger than the supported"),
    ]
    for label, values, extra, match in nuslists:
        def sample(env, values=values):
            return env.text("bad.nus", "".join(f"{v}\n" for v in values))
        add(f"rec-nuslist-{label}", match, rec(*extra, sample=sample))
    texts = [("fraction", "0\n1.5\n", "not a row of integers"),
             ("huge-index", "".join(f"{v}\n" for v in SAMPLED[:-1]) + "9" * 25 + "\n",
              "index above"),
             ("empty", "", "nuslist is empty"),
             ("two-columns", "".join(f"{v} 0\n" for v in SAMPLED), "one column"),
             ("cut-mid-number", "".join(f"{v}\n" for v in SAMPLED)[:-2], "no newline"),
             ("binary", b"\xff\xfe\x00" * 10, "not a text nuslist")]
    for label, text, match in texts:
        add(f"rec-nuslist-{label}", match,
            rec(sample=lambda env, text=text: env.text("bad.nus", text)))
    add("rec-nuslist-missing", "not found", rec(sample=lambda env: env.tmp / "none.nus"))
    add("rec-nuslist-folder", "is a folder", rec(sample=lambda env: env.tmp))
    add("rec-nuslist-real-cut", "no newline", rec(
        "-xN", "192", "-iter", "20", method="ist", inp=lambda env: _real_ft1(env),
        sample=lambda env: env.text("ss.out", env.real("fidnet_hdac_nus/ss_hdac.out")
                                    .read_bytes()[:-3])), needs="realdata")
    add("rec-proc-iter-0", "-iter must be a positive", rec("-iter", "0", proc=True))
    add("rec-proc-out-is-in", "same file as -in",
        rec("-ov", out=lambda env: env.tmp / "syn.ft1", proc=True))
    add("rec-proc-xn-text", "invalid int value", rec("-xN", "abc", proc=True))


def _real_ft1(env: Env) -> Path:
    path = env.tmp / "hdac_ex.ft1"
    shutil.copyfile(env.real("fidnet_hdac_nus/hdac_ex.ft1"), path)
    return path


_pipe_cases()
_varian_bruker_cases()
_nuslist_cases()
_api_cases()
_schedule_api_cases()
_schedule_cli_cases()
_reconstruct_cli_cases()
fuzz_jobs.register(add, Api, Cli)   # notebook, training, simulation, checkpoints (issue 20)


# --------------------------------------------------------------------------- running


class _Timeout(BaseException):
    """Raised by SIGALRM when a case takes longer than HANG_SECONDS."""


def _on_alarm(signum, frame):
    raise _Timeout


def skip_reason(case: Case) -> str:
    """Why ``case`` cannot run here ('' when it can)."""
    if case.needs == "realdata" and not (REALDATA / "fidnet_hdac_nus").is_dir():
        return f"real data not found at {REALDATA}"
    if case.needs == "mknod":
        probe = Path(tempfile.mkdtemp(prefix="nmrlib-mknod-"))
        try:
            os.mknod(probe / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except OSError as err:
            return f"cannot make a device node here ({err.strerror})"
        finally:
            shutil.rmtree(probe)
    return ""


def _snapshot(paths: list[Path]) -> dict:
    state = {}
    for path in paths:
        try:
            st = os.lstat(path)
        except OSError:  # missing, or below a regular file
            state[str(path)] = None
            continue
        kind = stat.S_IFMT(st.st_mode)
        content = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(kind) else ""
        if stat.S_ISLNK(kind):
            content = os.readlink(path)
        state[str(path)] = (kind, content)
    return state


def _stray_parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.part") if p.is_file())


def run_case(case: Case, env: Env) -> Result:
    """Run one case in ``env`` and classify its outcome (see the module docstring)."""
    action = case.build(env)
    before = _snapshot(action.guard)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(HANG_SECONDS)
    try:
        result = _run_api(action, case.match) if isinstance(action, Api) else \
            _run_cli(action, case.match)
    except _Timeout:
        result = Result("hang", f"no answer in {HANG_SECONDS} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    after = _snapshot(action.guard)
    changed = [path for path in before if before[path] is not None
               and before[path] != after[path]]
    if changed:
        return Result("data destroyed", f"changed: {', '.join(changed)}; {result.detail}")
    written = [str(path) for path in action.absent if path.exists()]
    if written:
        return Result("silent", f"wrote {', '.join(written)} for bad input; {result.detail}")
    stray = _stray_parts(env.tmp)
    if stray and result.outcome == "clear error":
        return Result("unclear error", f"left temporary files {stray}; {result.detail}")
    return result


def _run_api(action: Api, match: str) -> Result:
    try:
        action.func()
    except (_Timeout, KeyboardInterrupt):
        raise
    except (*action.errors, ValueError, OSError) as err:
        message = str(err)
        detail = f"{type(err).__name__}: {' '.join(message.split())[:300]}"
        if (not isinstance(err, action.errors) or "\n" in message.strip()
                or not re.search(match, message)):
            return Result("unclear error", detail)
        return Result("clear error", detail)
    except BaseException as err:  # noqa: BLE001 - every other exception is classified
        return Result("traceback", f"{type(err).__name__}: {' '.join(str(err).split())[:300]}")
    return Result("silent", "no exception")


def _run_cli(action: Cli, match: str) -> Result:
    action = Cli(_supported_argv(action.argv), action.guard, action.proc, action.absent)
    if action.proc:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(ROOT)) if p)
        try:
            done = subprocess.run([sys.executable, "-m", "nmrlib", *action.argv], env=env,
                                  capture_output=True, text=True, timeout=HANG_SECONDS)
        except subprocess.TimeoutExpired:
            return Result("hang", f"subprocess ran over {HANG_SECONDS} s")
        return _classify_cli(done.returncode, done.stderr, match)
    from nmrlib.__main__ import main

    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                code = main(list(action.argv))
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None
                                                                      else 1)
    except (_Timeout, KeyboardInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001 - an uncaught exception is a traceback
        return Result("traceback", f"uncaught {type(exc).__name__}: "
                                   f"{' '.join(str(exc).split())[:300]}")
    return _classify_cli(code, err.getvalue(), match)


def _supports_overwrite(command: str) -> bool:
    """Whether the nmrlib under test has the overwrite flag of ``command``."""
    import inspect

    if command == "nus":
        from nmrlib.nus import __main__ as module

        return '"-ov"' in inspect.getsource(module)
    from nmrlib.nus import schedules

    if command == "schedule":
        return "--overwrite" in inspect.getsource(schedules.main)
    return "overwrite" in inspect.signature(schedules.write_nuslist).parameters


def _supported_argv(argv: list[str]) -> list[str]:
    """``argv`` without overwrite flags the nmrlib under test does not know (it overwrote)."""
    if _supports_overwrite(argv[0]):
        return list(argv)
    return [a for a in argv if a not in ("-ov", "--overwrite")]


def _write_nuslist(path: Path, schedule, overwrite: bool) -> object:
    schedules = _schedules()
    if _supports_overwrite("write_nuslist"):
        return schedules.write_nuslist(path, schedule, overwrite=overwrite)
    return schedules.write_nuslist(path, schedule)


def _classify_cli(code: int, stderr: str, match: str) -> Result:
    lines = [line for line in stderr.splitlines() if line.strip()]
    detail = f"exit {code}: " + " | ".join(lines)[:400]
    if "Traceback" in stderr:
        return Result("traceback", detail)
    if code == 0:
        return Result("silent", detail)
    if len(lines) != 1 or not lines[0].startswith("error:") or not re.search(match, lines[0]):
        return Result("unclear error", detail)
    return Result("clear error", detail)


def run_all(cases: list[Case] | None = None, verbose: bool = False) -> dict:
    """Run every case in its own temporary folder; returns counts and per-case outcomes."""
    import nmrlib

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="nmrlib-fuzz-") as top:
        base = build_base(Path(top) / "base")
        for i, case in enumerate(cases or CASES):
            reason = skip_reason(case)
            if reason:
                results[case.id] = {"outcome": "skipped", "detail": reason}
                continue
            tmp = Path(top) / f"case{i}"
            tmp.mkdir()
            start = time.perf_counter()
            result = run_case(case, Env(base, tmp))
            results[case.id] = {"outcome": result.outcome, "detail": result.detail,
                                "seconds": round(time.perf_counter() - start, 3)}
            if verbose:
                print(f"{result.outcome:15s} {case.id:40s} {result.detail[:150]}", flush=True)
    counts = Counter(r["outcome"] for r in results.values())
    by_surface: dict[str, Counter] = {}
    for case_id, result in results.items():
        by_surface.setdefault(case_id.split("-")[0], Counter())[result["outcome"]] += 1
    return {"nmrlib": str(Path(nmrlib.__file__).parent), "cases": len(results),
            "counts": {o: counts.get(o, 0) for o in (*OUTCOMES, "skipped")},
            "by_surface": {name: dict(c) for name, c in sorted(by_surface.items())},
            "results": results}


def _limit_memory(gib: float) -> None:
    """Cap this process's heap so an unbounded allocation fails instead of the machine."""
    import resource

    limit = int(gib * 2**30)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Count fuzz-case outcomes for an nmrlib copy.")
    parser.add_argument("--json", help="write all outcomes to this file")
    parser.add_argument("--memory-gib", type=float, default=8.0, help="heap limit (GiB)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    _limit_memory(args.memory_gib)
    import torch

    torch.set_num_threads(1)
    report = run_all(verbose=args.verbose)
    print(json.dumps({k: report[k] for k in ("nmrlib", "cases", "counts", "by_surface")},
                     indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
