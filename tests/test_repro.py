"""Thread settings of nmrlib.repro."""

import os

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
