"""Thread settings of nmrlib.core.repro."""

import os

import pytest
import torch

from nmrlib.core.repro import set_threads


def test_set_threads_takes_nmrlib_threads_from_the_environment(monkeypatch):
    before = torch.get_num_threads()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "2"))  # restored after the test
    try:
        monkeypatch.setenv("NMRLIB_THREADS", "1")
        assert set_threads() == 1 and torch.get_num_threads() == 1
        assert os.environ["OMP_NUM_THREADS"] == "1"
        assert set_threads(2) == 2
    finally:
        torch.set_num_threads(before)


def test_torch_threads_restores_the_count_even_on_error():
    from nmrlib.core.repro import torch_threads

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_load_torch_never_runs_code_from_a_crafted_file(tmp_path):
    """Issue 20 #2: a pickle that would call a function is refused, and nothing runs."""
    import torch

    from nmrlib.core.repro import load_torch

    marker = tmp_path / "ran.txt"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"model": Evil()}, tmp_path / "checkpoint.pt")
    with pytest.raises(ValueError, match="checkpoint .* holds objects other than tensors"):
        load_torch(tmp_path / "checkpoint.pt", "checkpoint")
    assert not marker.exists()


@pytest.mark.parametrize("damage, match", [
    (lambda raw: b"", "is damaged or not a torch file"),
    (lambda raw: raw[: len(raw) // 2], "is damaged or not a torch file"),
    (lambda raw: b"\0" * len(raw), "is damaged or not a torch file"),
])
def test_load_torch_names_a_damaged_file(tmp_path, damage, match):
    import torch

    from nmrlib.core.repro import load_torch, save_torch

    path = save_torch({"step": 3, "weights": torch.ones(64)}, tmp_path / "c.pt")
    assert load_torch(path, "checkpoint", ("step",))["step"] == 3
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=f"checkpoint {path} {match}"):
        load_torch(path, "checkpoint")
