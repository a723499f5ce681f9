"""Thread settings of nmrlib.repro."""

import os

import pytest
import torch

from nmrlib.repro import set_threads


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
    from nmrlib.repro import torch_threads

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before
