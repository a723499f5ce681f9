"""Bad inputs to the TOCSY simulator: each one a clear ValueError that names the problem.

Every case is rejected before anything large is allocated (an oversized spin system, a
1e9-point grid or a lock problem beyond the memory limit raise at once).
"""

from __future__ import annotations

import numpy as np
import pytest

from nmrlib.tocsy import spin
from nmrlib.tocsy.residues import ACQUISITION, spin_system
from nmrlib.tocsy.spin import SpinNetwork, tocsy_fid

ACQ = dict(field_mhz=600.0, carrier_ppm=4.7, sw_hz=7200.0, n1=16, n2=16, tau_mix=0.06, t2=0.05)
BASE = dict(shifts_ppm=[8.2, 4.3], couplings_hz=[[0, 7.0], [7.0, 0]])


def _chain(n, j=7.0):
    """n coupled protons with distinct shifts inside the sweep."""
    c = np.zeros((n, n))
    for a in range(n - 1):
        c[a, a + 1] = c[a + 1, a] = j
    return list(np.linspace(1.0, 8.0, n)), c


def _three(**change):
    kw = dict(shifts_ppm=[1.2, 1.2, 4.1], couplings_hz=[[0, 0, 7.0], [0, 0, 7.0], [7.0, 7.0, 0]])
    return {**kw, **change}


CASES = {
    # shifts
    "shift-nan": (dict(shifts_ppm=[np.nan, 4.3]), r"shifts_ppm must be finite.*nan"),
    "shift-inf": (dict(shifts_ppm=[8.2, np.inf]), r"shifts_ppm must be finite.*inf"),
    "shift-minus-inf": (dict(shifts_ppm=[-np.inf, 4.3]), "must be finite"),
    "shift-negative-outside-sweep": (dict(shifts_ppm=[-5.0, 4.3]),
                                     r"\[-5.0\] ppm outside the sweep"),
    "shift-absurd": (dict(shifts_ppm=[8.2, 1e6]), "not 1H shifts"),
    "shift-absurd-in-huge-sweep": (dict(shifts_ppm=[8.2, 500.0], sw_hz=1e7), "not 1H shifts"),
    "shift-not-a-number": (dict(shifts_ppm=["x", 4.3]), "shifts_ppm must be numbers"),
    "shift-2d": (dict(shifts_ppm=[[8.2, 4.3]], couplings_hz=[[0.0]]), "1D"),
    "shift-empty": (dict(shifts_ppm=[], couplings_hz=np.zeros((0, 0))), "non-empty"),
    # couplings
    "j-asymmetric": (dict(couplings_hz=[[0, 7.0], [6.0, 0]]),
                     r"symmetric.*J\[0, 1\] = 7.0 Hz but J\[1, 0\] = 6.0 Hz"),
    "j-nan": (dict(couplings_hz=[[0, np.nan], [np.nan, 0]]), r"couplings_hz must be finite"),
    "j-inf": (dict(couplings_hz=[[0, np.inf], [np.inf, 0]]), "must be finite"),
    "j-shape": (dict(couplings_hz=[[0, 7.0, 1.0], [7.0, 0, 1.0]]), r"shape \(2, 3\)"),
    # spin-system size
    "too-many-protons": (dict(shifts_ppm=[4.0] * 33, couplings_hz=np.zeros((33, 33))),
                         "33 protons: at most 32"),
    "network-11-coupled": (dict(zip(("shifts_ppm", "couplings_hz"), _chain(11), strict=True)),
                           "2048 states.*at most 1024"),
    "network-13-coupled": (dict(zip(("shifts_ppm", "couplings_hz"), _chain(13), strict=True)),
                           "8192 states"),
    # grid
    "n1-zero": (dict(n1=0), "n1 must be an integer >= 2"),
    "n2-one": (dict(n2=1), "n2 must be an integer >= 2"),
    "n1-fraction": (dict(n1=2.5), "n1 must be an integer"),
    "n1-nan": (dict(n1=np.nan), "n1 must be an integer"),
    "n1-string": (dict(n1="64"), "n1 must be a number"),
    "grid-1e9-points": (dict(n1=31623, n2=31623), "grid n1 x n2 = 31623 x 31623"),
    "grid-long-thin": (dict(n1=10**9, n2=2), "grid"),
    # timing and spectrometer
    "tau-negative": (dict(tau_mix=-0.01), "tau_mix .* must be finite and >= 0"),
    "tau-nan": (dict(tau_mix=np.nan), "tau_mix"),
    "tau-inf": (dict(tau_mix=np.inf), "tau_mix .*inf"),
    "tau-string": (dict(tau_mix="60 ms"), "tau_mix must be a number"),
    "t2-zero": (dict(t2=0.0), "t2 .* must be positive"),
    "t2-nan": (dict(t2=np.nan), "t2"),
    "field-zero": (dict(field_mhz=0.0), "field_mhz must be positive"),
    "field-inf": (dict(field_mhz=np.inf), "field_mhz must be positive and finite"),
    "sweep-negative": (dict(sw_hz=-7200.0), "sw_hz must be positive"),
    "carrier-nan": (dict(carrier_ppm=np.nan), "carrier_ppm must be finite"),
    # mixing model
    "selection-unknown": (dict(selection="z-filter"), "unknown selection 'z-filter'"),
    "selection-none": (dict(selection=None), "unknown selection None"),
    "lamp-negative": (dict(selection="spinach", lamp_hz=-1.0), "lamp_hz .* must be positive"),
    "lamp-nan": (dict(selection="spinach", lamp_hz=np.nan), "lamp_hz"),
    "spinach-too-large": (dict(zip(("shifts_ppm", "couplings_hz"), _chain(9), strict=True),
                               selection="spinach"), "small networks .* 512"),
    "amp-tol-negative": (dict(amp_tol=-1e-7), "amp_tol"),
    # equivalence groups
    "groups-overlap": (_three(groups=[[0, 1], [1, 2]]), "groups overlap: spin 1"),
    "groups-out-of-range": (_three(groups=[[0, 5]]), "spin index 5 out of range for 3"),
    "groups-negative-index": (_three(groups=[[-1, 0]]), "spin index -1 out of range"),
    "groups-fractional-index": (_three(groups=[[0.5, 1]]), "spin indices"),
    "groups-empty": (_three(groups=[[]]), "non-empty list of spin indices"),
    "groups-different-shifts": (_three(shifts_ppm=[1.2, 1.3, 4.1], groups=[[0, 1]]),
                                "not magnetically equivalent"),
    "groups-different-couplings": (
        _three(couplings_hz=[[0, 0, 7.0], [0, 0, 6.0], [7.0, 6.0, 0]], groups=[[0, 1]]),
        "not magnetically equivalent"),
    # noise
    "snr-without-rng": (dict(snr=10.0), "no rng"),
    "snr-negative": (dict(snr=-1.0, rng=np.random.default_rng(0)), "snr must be positive"),
    "snr-nan": (dict(snr=np.nan, rng=np.random.default_rng(0)), "snr must be positive"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_tocsy_fid_rejects(case):
    change, message = CASES[case]
    kw = dict(ACQ, **BASE)
    kw.update(change)
    with pytest.raises(ValueError, match=message):
        tocsy_fid(kw.pop("shifts_ppm"), kw.pop("couplings_hz"), **kw)


NETWORK_CASES = {
    "counts-zero": (dict(counts=[0], j_hz=[[0.0]]), "positive proton counts"),
    "counts-fraction": (dict(counts=[1.5, 1], j_hz=np.zeros((2, 2))), "positive proton counts"),
    "counts-empty": (dict(counts=[], j_hz=np.zeros((0, 0))), "non-empty"),
    "j-not-square": (dict(counts=[1, 1], j_hz=np.zeros((2, 3))), "shape"),
    "methyls-too-large": (dict(counts=[3] * 6, j_hz=np.ones((6, 6)) - np.eye(6)), "4096 states"),
}


@pytest.mark.parametrize("case", list(NETWORK_CASES))
def test_spin_network_rejects(case):
    kw, message = NETWORK_CASES[case]
    with pytest.raises(ValueError, match=message):
        SpinNetwork(**kw)


def test_network_fid_rejects_bad_batches_and_memory():
    net = SpinNetwork([1, 1], [[0, 7.0], [7.0, 0]])
    with pytest.raises(ValueError, match=r"shape \(B >= 1, 2\)"):
        net.fid(np.zeros((3, 3)) + 4.0, **ACQ)
    with pytest.raises(ValueError, match=r"shape \(B >= 1, 2\)"):
        net.fid(np.zeros((0, 2)), **ACQ)
    with pytest.raises(ValueError, match="GiB; at most 4 GiB per call"):
        net.fid(np.full((300, 2), 4.0), **dict(ACQ, n1=1024, n2=1024))
    lys = spin_system("LYS")   # the lock of 10 coupled protons at 2048 x 2048: ~5.6 GiB
    with pytest.raises(ValueError, match="lock simulation .* GiB per spectrum"):
        lys.network().fid(lys.mean[None], **dict(ACQUISITION, n1=2048, n2=2048))


def test_legal_edge_inputs_are_accepted():
    """Not errors: a negative shift inside the sweep, no damping, zero mixing, one spin."""
    data = tocsy_fid([-0.5, 4.3], BASE["couplings_hz"], **dict(ACQ, t2=np.inf, tau_mix=0.0))
    assert np.all(np.isfinite(data)) and data[0, 0, 0].real == pytest.approx(2.0)
    assert spin.check_selection("spinach", 2e4) is None
    assert tocsy_fid([4.7], [[0.0]], **ACQ, selection="spinach").shape == (2, 16, 16)
