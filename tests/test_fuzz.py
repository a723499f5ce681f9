"""Fuzz suite (issue 13): every malformed input is a clear one-line error, and nothing is lost.

The cases live in ``tests/fuzz_cases.py`` (which also counts outcomes for another copy of
nmrlib: ``PYTHONPATH=<copy> python tests/fuzz_cases.py``). Here: every case must be a
clear error; interrupted and failed writes leave the old file (or none) and no temporary
file; the overwrite flags work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fuzz_cases import CASES, ROOT, SAMPLED, Env, build_base, run_case, skip_reason
from fuzz_jobs import MARKER

from nmrlib.nus import nmrio, read_nuslist, write_nuslist
from nmrlib.nus.__main__ import main as nus_cli
from nmrlib.nus.schedules import main as schedule_cli

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return build_base(tmp_path_factory.mktemp("fuzz-base"))


def test_the_fuzz_set_holds_at_least_300_distinct_cases_across_the_surfaces():
    assert len(CASES) >= 300
    assert len({case.id for case in CASES}) == len(CASES)
    surfaces = {case.id.split("-")[0] for case in CASES}
    assert {"nb", "train", "dlnmr", "simulate", "weights", "pretrained"} <= surfaces


def test_no_crafted_pickle_ever_runs_code(base, tmp_path):
    """Issue 20 #2: checkpoints and weight files that would call a function are refused
    (a clear error) and the function never runs (its marker file is never written)."""
    crafted = [case for case in CASES if case.id.endswith("-crafted")]
    assert {c.id for c in crafted} >= {"train-checkpoint-crafted", "dlnmr-checkpoint-crafted",
                                         "weights-crafted"}
    for i, case in enumerate(crafted):
        folder = tmp_path / f"case{i}"
        folder.mkdir()
        result = run_case(case, Env(base, folder))
        assert result.outcome == "clear error", f"{case.id}: {result.detail}"
        assert not (folder / MARKER).exists(), f"{case.id} ran code from the pickle"


def test_the_unmutated_fixtures_read(base, tmp_path):
    """The cases damage valid files: undamaged, each reads (so the damage is what fails)."""
    assert nmrio.read_2d(base / "syn.fid").traces.shape[1] == 16
    assert nmrio.read_pipe_ft1(base / "syn.ft1").n_indirect == 16
    assert nmrio.read_2d(base / "syn_var.fid").meta["format"] == "varian"
    assert nmrio.read_2d(base / "syn_bru").meta["format"] == "bruker"
    assert read_nuslist(base / "nuslist", 24).tolist() == SAMPLED
    swapped = tmp_path / "big_endian.ft1"  # a whole file in the other byte order is valid
    raw = (base / "syn.ft1").read_bytes()
    swapped.write_bytes(np.frombuffer(raw, "<u4").byteswap().tobytes())
    assert np.array_equal(nmrio.read_pipe_ft1(swapped).traces,
                          nmrio.read_pipe_ft1(base / "syn.ft1").traces)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_input_gives_a_clear_error(case, base, tmp_path):
    reason = skip_reason(case)
    if reason:
        pytest.skip(reason)
    result = run_case(case, Env(base, tmp_path))
    assert result.outcome == "clear error", f"{result.outcome}: {result.detail}"


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.part"))


def _argv(base: Path, tmp: Path, out: Path, *extra: str) -> list[str]:
    return ["reconstruct", "-in", str(base / "syn.ft1"), "-sample", str(base / "nuslist"),
            "-out", str(out), "-xN", "24", *extra]


def test_overwrite_needs_the_flag_and_then_replaces_atomically(base, tmp_path, capsys):
    out = tmp_path / "rec.ft1"
    assert nus_cli(_argv(base, tmp_path, out, "-method", "ist", "-iter", "5")) == 0
    first = out.read_bytes()
    assert nus_cli(_argv(base, tmp_path, out, "-method", "ist", "-iter", "5")) == 2
    assert "exists; pass overwrite" in capsys.readouterr().err
    assert out.read_bytes() == first
    assert nus_cli(_argv(base, tmp_path, out, "-method", "ist", "-iter", "50", "-ov")) == 0
    assert out.read_bytes() != first and nmrio.read_pipe_ft1(out).traces.shape[1] == 24
    assert not _parts(tmp_path)

    nuslist = tmp_path / "nuslist"
    argv = ["schedule", "--n", "64", "--density", "0.25", "--out", str(nuslist)]
    assert schedule_cli(argv) == 0 and schedule_cli(argv) == 2
    assert schedule_cli([*argv, "--seed", "3", "--overwrite"]) == 0
    assert schedule_cli([*argv, "--seed", "4", "-ov"]) == 0
    assert len(read_nuslist(nuslist)) == 16 and not _parts(tmp_path)


def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(base, tmp_path):
    target = tmp_path / "target.ft1"
    target.write_text("old")
    link = tmp_path / "link.ft1"
    link.symlink_to(target)
    assert nus_cli(_argv(base, tmp_path, link, "-method", "ist", "-iter", "5", "-ov")) == 0
    assert link.is_symlink() and nmrio.read_pipe_ft1(target).traces.shape[1] == 24


def test_new_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_nuslist(tmp_path / "nuslist", [0, 1, 3])
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_failed_nuslist_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = write_nuslist(tmp_path / "nuslist", [0, 2, 5, 9])

    def disk_full(self, text, *args, **kwargs):
        with open(self, "w") as handle:
            handle.write(text[: len(text) // 2])
        raise OSError(28, "No space left on device", str(self))
    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_nuslist(path, np.arange(0, 400, 3), overwrite=True)
    monkeypatch.undo()
    assert read_nuslist(path).tolist() == [0, 2, 5, 9]
    assert not _parts(tmp_path)


def test_ctrl_c_while_writing_leaves_no_partial_output(base, tmp_path, monkeypatch, capsys):
    import nmrglue as ng

    def interrupted(filename, dic, data, overwrite=False):
        Path(filename).write_bytes(b"\0" * 4096)  # half written, looks like a header
        raise KeyboardInterrupt
    monkeypatch.setattr(ng.pipe, "write", interrupted)
    out = tmp_path / "rec.ft1"
    assert nus_cli(_argv(base, tmp_path, out, "-method", "ist", "-iter", "5")) == 130
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: interrupted") and "\n" not in err
    assert not out.exists() and not _parts(tmp_path)


def _slow_lr_input(folder: Path, columns: int = 32, grid: int = 192) -> tuple[Path, Path]:
    """A NUS .ft1 file whose LR reconstruction runs for minutes with a large -iter."""
    gen = np.random.default_rng(3)
    t = np.arange(grid)
    full = np.zeros((columns, grid), complex)
    for _ in range(4):
        rate = gen.uniform(0.5, 4.0, (columns, 1)) / grid
        full += np.exp((2j * np.pi * gen.uniform(-0.5, 0.5, (columns, 1)) - rate) * t)
    sampled = np.sort(np.r_[0, gen.choice(np.arange(1, grid), grid // 6 - 1, replace=False)])
    template = nmrio.read_pipe_ft1(folder / "base" / "syn.ft1")
    ds = nmrio.Dataset2D((100 * full[:, sampled]).astype(np.complex64),
                         np.linspace(8, 2, columns), dict(template.dic, FDSIZE=float(columns)))
    inp, nuslist = folder / "slow.ft1", folder / "slow.nus"
    nmrio.write_pipe(inp, ds)
    write_nuslist(nuslist, sampled)
    return inp, nuslist


def _interrupt(argv: list[str], cwd: Path, after: float) -> subprocess.CompletedProcess:
    """Run ``python -m nmrlib.nus argv``, send SIGINT after ``after`` seconds, wait for it."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", NMRLIB_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen([sys.executable, "-m", "nmrlib.nus", *argv], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    still_running = proc.poll() is None
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"no exit within 60 s of SIGINT; stderr: {err}")
    assert still_running, f"the job ended before SIGINT: {err}"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("existing", [False, True], ids=["new-output", "existing-output-ov"])
def test_sigint_during_lr_leaves_no_partial_file(base, tmp_path, existing):
    (tmp_path / "base").symlink_to(base)
    inp, nuslist = _slow_lr_input(tmp_path)
    out = tmp_path / "rec.ft1"
    if existing:
        out.write_bytes(b"previous result")
    argv = ["reconstruct", "-in", str(inp), "-sample", str(nuslist), "-out", str(out),
            "-method", "lr", "-iter", "100000", "-xN", "192", *(["-ov"] if existing else [])]
    done = _interrupt(argv, tmp_path, after=4.0)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 130, done.stderr
    assert len(lines) == 1 and lines[0].startswith("error: interrupted"), done.stderr
    assert "Traceback" not in done.stderr
    if existing:
        assert out.read_bytes() == b"previous result"
    else:
        assert not out.exists()
    assert not _parts(tmp_path)
