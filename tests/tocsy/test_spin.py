"""Exactness checks of the TOCSY simulator against closed forms and nmrsim.

Mode-independent checks run in every mixing model; those of the in-phase transfer matrix
pass ``selection="in-phase"``. Brute-force checks of all models: ``test_spin_lock.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nmrlib.tocsy.spin import SELECTIONS, network_from_spins, tocsy_fid

ACQ = dict(field_mhz=600.0, carrier_ppm=4.7, sw_hz=7200.0, n1=32, n2=32, tau_mix=0.06, t2=0.05)


def _methyl_system(intra_j: float):
    """CH3 (0-2) - CH (3) - NH (4): the explicit protons and their couplings."""
    shifts = [1.2, 1.2, 1.2, 4.1, 8.3]
    j = np.zeros((5, 5))
    j[:3, 3] = j[3, :3] = 7.1
    j[3, 4] = j[4, 3] = 7.0
    for a in range(3):
        for b in range(3):
            if a != b:
                j[a, b] = intra_j
    return shifts, j


@pytest.mark.parametrize("selection", ["lock", "in-phase"])  # "spinach": offsets in the lock
@pytest.mark.parametrize("shift", [5.3, 2.0])
def test_one_spin_exact_formulas(shift, selection):
    sw, n, t2 = 6000.0, 64, 0.05
    data = tocsy_fid([shift], [[0.0]], field_mhz=600.0, carrier_ppm=4.7, sw_hz=sw, n1=n, n2=n,
                     tau_mix=0.06, t2=t2, selection=selection)
    w = 2 * np.pi * (shift - 4.7) * 600.0
    t = np.arange(n) / sw
    damp = np.exp(-t / t2)
    assert data.shape == (2, n, n)
    np.testing.assert_allclose(data[0], np.outer(np.cos(w * t) * damp, np.exp(1j * w * t) * damp),
                               rtol=0, atol=1e-10)
    np.testing.assert_allclose(data[1], np.outer(np.sin(w * t) * damp, np.exp(1j * w * t) * damp),
                               rtol=0, atol=1e-10)


@pytest.mark.parametrize("tau", [0.0, 0.01, 0.03, 0.05, 1 / 14, 0.1])
def test_two_weak_spins_isotropic_transfer(tau):
    j = 7.0
    net, _, _ = network_from_spins([2.0, 6.0], [[0, j], [j, 0]])
    c = np.cos(2 * np.pi * j * tau)
    np.testing.assert_allclose(net.transfer(tau), [[(1 + c) / 2, (1 - c) / 2],
                                                   [(1 - c) / 2, (1 + c) / 2]], atol=1e-12)


@pytest.mark.parametrize("selection", ["lock", "in-phase"])
def test_first_point_counts_protons_and_mixing_conserves_magnetisation(selection):
    j = 7.0
    data = tocsy_fid([2.0, 6.0], [[0, j], [j, 0]], **dict(ACQ, n1=2, n2=2), selection=selection)
    assert data[0, 0, 0].real == pytest.approx(2.0, abs=1e-9)
    net, _, _ = network_from_spins([2.0, 6.0], [[0, j], [j, 0]])
    np.testing.assert_allclose(net.transfer(0.037).sum(axis=1), 1.0, atol=1e-12)


def _nmrsim_fid(shifts, j, field, carrier, sw, n, t2):
    from nmrsim.qm import qm_spinsystem

    lines = np.array(qm_spinsystem(list((np.asarray(shifts) - carrier) * field), j, cutoff=1e-12,
                                   sparse=False, cache=False, normalize=True))
    t = np.arange(n) / sw
    return (lines[:, 1] * np.exp(2j * np.pi * np.outer(t, lines[:, 0]))).sum(1) * np.exp(-t / t2)


@pytest.mark.parametrize("selection", ["lock", "in-phase"])
@pytest.mark.parametrize("system", ["abx", "four"])
def test_t2_trace_matches_nmrsim(system, selection):
    if system == "abx":  # strongly coupled AB (geminal) + X
        shifts = [3.90, 3.95, 2.00]
        j = np.array([[0, -12.0, 6.0], [-12.0, 0, 3.0], [6.0, 3.0, 0]])
    else:  # a 4-spin chain with two strongly coupled pairs
        shifts = [4.30, 1.85, 1.80, 1.10]
        j = np.array([[0, 6.0, 8.0, 0.0], [6.0, 0, -14.0, 7.5], [8.0, -14.0, 0, 6.5],
                      [0.0, 7.5, 6.5, 0]])
    field, carrier, sw, n, t2 = 400.0, 0.0, 4000.0, 4096, 2.0  # carrier below: nmrsim needs v>0
    data = tocsy_fid(shifts, j, field_mhz=field, carrier_ppm=carrier, sw_hz=sw, n1=2, n2=n,
                     tau_mix=0.05, t2=t2, amp_tol=0.0, selection=selection)
    ref = _nmrsim_fid(shifts, j, field, carrier, sw, n, t2)
    np.testing.assert_allclose(data[0, 0], ref, rtol=0, atol=1e-8)  # positions and intensities
    np.testing.assert_allclose(data[1, 0], 0, atol=1e-12)  # sin channel vanishes at t1 = 0


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("intra_j", [0.0, -12.4])
def test_methyl_symmetry_equals_explicit_three_spins(intra_j, selection):
    shifts, j = _methyl_system(intra_j)
    explicit = tocsy_fid(shifts, j, **ACQ, amp_tol=0.0, selection=selection)
    grouped = tocsy_fid(shifts, j, groups=[[0, 1, 2]], **ACQ, amp_tol=0.0, selection=selection)
    if selection != "spinach":  # the lock with offsets does not conserve Fx
        assert explicit[0, 0, 0].real == pytest.approx(5.0, abs=1e-12)
    np.testing.assert_allclose(grouped, explicit, rtol=0, atol=1e-11)


@pytest.mark.parametrize("selection", ["lock", "in-phase"])
def test_pair_group_and_isolated_methyl_equal_explicit(selection):
    shifts = [2.1, 2.1, 2.1, 3.0, 3.0, 4.4]  # isolated CH3; an equivalent pair coupled to HA
    j = np.zeros((6, 6))
    j[3:5, 5] = j[5, 3:5] = 6.0
    j[3, 4] = j[4, 3] = -14.0
    explicit = tocsy_fid(shifts, j, **ACQ, amp_tol=0.0, selection=selection)
    grouped = tocsy_fid(shifts, j, groups=[[0, 1, 2], [3, 4]], **ACQ, amp_tol=0.0,
                        selection=selection)
    np.testing.assert_allclose(grouped, explicit, rtol=0, atol=1e-11)


@pytest.mark.parametrize("selection", SELECTIONS)
def test_disconnected_networks_factorise(selection):
    j = np.zeros((4, 4))
    j[0, 1] = j[1, 0] = 7.0
    j[2, 3] = j[3, 2] = 8.0
    shifts = [8.2, 4.3, 7.3, 7.0]
    acq = dict(ACQ, selection=selection)
    whole = tocsy_fid(shifts, j, **acq)
    parts = (tocsy_fid(shifts[:2], j[:2, :2], **acq) + tocsy_fid(shifts[2:], j[2:, 2:], **acq))
    np.testing.assert_allclose(whole, parts, rtol=0, atol=1e-10)
    net, _, _ = network_from_spins(shifts, j)
    assert len(net.components) == 2


@pytest.mark.parametrize("selection", SELECTIONS)
def test_batched_torch_path_equals_single_calls(selection):
    shifts, j = _methyl_system(0.0)
    net, site_shifts, _ = network_from_spins(shifts, j, [[0, 1, 2]])
    batch = np.stack([site_shifts, site_shifts + [0.1, -0.2, 0.3], site_shifts - 0.05])
    acq = dict(ACQ, selection=selection)
    data = net.fid(batch, **acq)
    assert data.shape == (3, 2, 32, 32) and data.dtype == torch.complex128
    for b in range(3):
        single = net.fid(batch[b:b + 1], **acq)[0]
        np.testing.assert_allclose(data[b].numpy(), single.numpy(), rtol=0, atol=1e-10)


def test_pruning_error_bound():
    shifts, j = _methyl_system(0.0)
    exact = tocsy_fid(shifts, j, groups=[[0, 1, 2]], **ACQ, amp_tol=0.0, selection="in-phase")
    pruned = tocsy_fid(shifts, j, groups=[[0, 1, 2]], **ACQ, amp_tol=1e-4, selection="in-phase")
    assert np.abs(pruned - exact).max() <= 5 * 1e-4 * 5  # |T| <= 1, g/n_s within tol


def test_noise_is_reproducible_and_scaled():
    a = tocsy_fid([5.0], [[0.0]], **ACQ, snr=10.0, rng=np.random.default_rng(1))
    b = tocsy_fid([5.0], [[0.0]], **ACQ, snr=10.0, rng=np.random.default_rng(1))
    clean = tocsy_fid([5.0], [[0.0]], **ACQ)
    assert np.array_equal(a, b)
    rms = np.sqrt(np.mean(np.abs(a - clean) ** 2))
    assert rms == pytest.approx(np.abs(clean).max() / 10.0, rel=0.1)


@pytest.mark.parametrize("change, message", [
    (dict(couplings_hz=[[0, 7.0], [6.0, 0]]), "symmetric"),
    (dict(t2=-0.1), "t2"),
    (dict(n1=1), "n1"),
    (dict(shifts_ppm=[12.0, 4.0]), "sweep"),
    (dict(groups=[[0, 1]]), "magnetically equivalent"),
    (dict(couplings_hz=[[0, 7.0, 1.0], [7.0, 0, 1.0]]), "shape"),
    (dict(snr=10.0), "rng"),
])
def test_bad_input_raises(change, message):
    kw = dict(ACQ, shifts_ppm=[8.2, 4.3], couplings_hz=[[0, 7.0], [7.0, 0]])
    kw.update(change)
    with pytest.raises(ValueError, match=message):
        tocsy_fid(kw.pop("shifts_ppm"), kw.pop("couplings_hz"), **kw)


def test_states_spectrum_one_spin_is_a_positive_peak_at_its_shift():
    from nmrlib.core.plotting import ppm_axis
    from nmrlib.tocsy.spin import states_spectrum

    acq = dict(ACQ, n1=64, n2=64)
    data = tocsy_fid([6.5], [[0.0]], **acq)
    spec = states_spectrum(data)
    ppm = ppm_axis(64, acq["sw_hz"], acq["field_mhz"], acq["carrier_ppm"])
    i1, i2 = np.unravel_index(np.argmax(np.abs(spec)), spec.shape)
    assert spec[i1, i2] > 0
    assert abs(ppm[i1] - 6.5) < 0.1 and abs(ppm[i2] - 6.5) < 0.1
    assert spec.min() > -0.05 * spec.max()  # absorption, no phase twist


def _brute_force_tocsy(shifts, j, *, field_mhz, carrier_ppm, sw_hz, n1, n2, tau_mix, t2):
    """Density-matrix propagation in the full 2^N space, straight from the module docstring."""
    from scipy.linalg import expm

    n = len(shifts)
    pauli = {"x": np.array([[0, 0.5], [0.5, 0]]), "y": np.array([[0, -0.5j], [0.5j, 0]]),
             "z": np.diag([0.5, -0.5])}

    def op(axis, k):
        out = np.eye(1)
        for i in range(n):
            out = np.kron(out, pauli[axis] if i == k else np.eye(2))
        return out

    ops = {a: [op(a, k) for k in range(n)] for a in "xyz"}
    w = 2 * np.pi * (np.asarray(shifts) - carrier_ppm) * field_mhz
    hj = sum(2 * np.pi * j[a, b] * sum(ops[c][a] @ ops[c][b] for c in "xyz")
             for a in range(n) for b in range(a + 1, n))
    h = hj + sum(w[k] * ops["z"][k] for k in range(n))
    dim = 2 ** n
    fx = sum(ops["x"])
    fplus = fx + 1j * sum(ops["y"])
    u_dt, u_mix = expm(-1j * h / sw_hz), expm(-1j * hj * tau_mix)
    norm = dim / 4  # Tr(I_a,k^2)
    out = np.zeros((2, n1, n2), dtype=complex)
    rho = fx.astype(complex)
    for k1 in range(n1):
        for ch, axis in enumerate("xy"):
            lock = [np.trace(ops[axis][k] @ rho).real / norm for k in range(n)]
            mixed = u_mix @ sum(c * ops["z"][k] for k, c in enumerate(lock)) @ u_mix.conj().T
            stored = [np.trace(ops["z"][k] @ mixed).real / norm for k in range(n)]
            det = sum(c * ops["x"][k] for k, c in enumerate(stored)).astype(complex)
            for k2 in range(n2):
                out[ch, k1, k2] = np.trace(fplus @ det) / norm
                det = u_dt @ det @ u_dt.conj().T
        rho = u_dt @ rho @ u_dt.conj().T
    t = np.exp(-np.arange(max(n1, n2)) / sw_hz / t2)
    return out * np.outer(t[:n1], t[:n2])


def test_full_2d_data_equal_brute_force_density_matrix():
    """In-phase, strongly coupled CH2 + CH + NH + CH3 (7 protons): every point of both
    channels."""
    shifts = [2.05, 2.00, 4.4, 8.2, 1.1, 1.1, 1.1][:7]
    j = np.zeros((7, 7))
    for a, b, value in [(0, 1, -14.0), (0, 2, 6.0), (1, 2, 9.0), (2, 3, 7.0), (0, 4, 7.2),
                        (0, 5, 7.2), (0, 6, 7.2), (1, 4, 0.5), (1, 5, 0.5), (1, 6, 0.5)]:
        j[a, b] = j[b, a] = value
    acq = dict(field_mhz=600.0, carrier_ppm=4.7, sw_hz=7200.0, n1=6, n2=7, tau_mix=0.045,
               t2=0.05)
    ref = _brute_force_tocsy(shifts, j, **acq)
    acq["selection"] = "in-phase"
    np.testing.assert_allclose(tocsy_fid(shifts, j, **acq, amp_tol=0.0), ref, rtol=0, atol=1e-10)
    grouped = tocsy_fid(shifts, j, groups=[[4, 5, 6]], **acq, amp_tol=0.0)
    np.testing.assert_allclose(grouped, ref, rtol=0, atol=1e-10)
