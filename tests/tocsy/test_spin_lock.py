"""The three TOCSY mixing models against an independent brute-force density-matrix propagation.

The reference below works in the full 2^N Hilbert space of the explicit protons with
scipy's ``expm``, and implements each selection straight from its definition (module
docstring of ``nmrlib.tocsy.spin``): the lock filter as the projection onto the commutant of the
lock-axis total spin (its spectral projectors), "in-phase" as the projection onto the site
operators, "spinach" as mixing under ``H + 2 pi lamp Fa``. Nothing is shared with the
simulator's algorithms (coupled basis, Wigner rotation, transfer matrix, CH3 manifolds).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import eigh, expm

from nmrlib.core.repro import torch_threads
from nmrlib.tocsy import corpus as ds
from nmrlib.tocsy import spin
from nmrlib.tocsy.residues import RESIDUES, spin_system
from nmrlib.tocsy.spin import network as spin_network
from nmrlib.tocsy.spin import network_from_spins, tocsy_fid

ACQ = dict(field_mhz=600.0, carrier_ppm=4.7, sw_hz=7200.0, n1=6, n2=7, tau_mix=0.045)
PAULI = {"x": np.array([[0, 0.5], [0.5, 0]]), "y": np.array([[0, -0.5j], [0.5j, 0]]),
         "z": np.diag([0.5, -0.5])}


def _couplings(n, pairs):
    j = np.zeros((n, n))
    for a, b, value in pairs:
        j[a, b] = j[b, a] = value
    return j


# (shifts, couplings, equivalence groups): strong coupling everywhere, a CH3, odd and even N
SYSTEMS = {
    "abx": ([3.90, 3.95, 2.00], _couplings(3, [(0, 1, -12.0), (0, 2, 6.0), (1, 2, 3.0)]), None),
    "chain4": ([4.30, 1.85, 1.80, 1.10],
               _couplings(4, [(0, 1, 6.0), (0, 2, 8.0), (1, 2, -14.0), (1, 3, 7.5),
                              (2, 3, 6.5)]), None),
    "ch2_ch_nh_5": ([2.05, 2.00, 4.40, 8.20, 1.30],
                    _couplings(5, [(0, 1, -14.0), (0, 2, 6.0), (1, 2, 9.0), (2, 3, 7.0),
                                   (0, 4, 7.2), (1, 4, 0.5)]), None),
    "ch2_ch_ch3": ([2.05, 2.00, 2.30, 1.10, 1.10, 1.10],
                   _couplings(6, [(0, 1, -14.0), (0, 2, 6.0), (1, 2, 9.0)]
                              + [(2, k, 7.1) for k in (3, 4, 5)]
                              + [(1, k, 0.5) for k in (3, 4, 5)]), [[3, 4, 5]]),
}


def _ops(n):
    def op(axis, k):
        out = np.eye(1)
        for i in range(n):
            out = np.kron(out, PAULI[axis] if i == k else np.eye(2))
        return out

    return {a: [op(a, k) for k in range(n)] for a in "xyz"}


def _commutant_projector(f):
    """X -> sum_m P_m X P_m, P_m the spectral projectors of the Hermitian ``f``."""
    w, v = eigh(f)
    levels = np.round(2 * w) / 2
    projs = [v[:, levels == m] @ v[:, levels == m].conj().T for m in np.unique(levels)]
    return lambda x: sum(p @ x @ p for p in projs)


def _site_transfer(o, src, dst):
    """X -> sum_k I_dst,k Tr(I_src,k X) / Tr(I_src,k^2): site magnetisation src -> dst."""
    norm = np.trace(o[src][0] @ o[src][0]).real
    return lambda x: sum(od * (np.trace(os_ @ x).real / norm)
                         for od, os_ in zip(o[dst], o[src], strict=True)).astype(complex)


def brute_force(shifts, j, *, field_mhz, carrier_ppm, sw_hz, n1, n2, tau_mix, t2, selection,
                lamp_hz=None):
    n = len(shifts)
    o = _ops(n)
    w = 2 * np.pi * (np.asarray(shifts) - carrier_ppm) * field_mhz
    hj = np.zeros((2**n, 2**n)) + sum(2 * np.pi * j[a, b] * sum(o[c][a] @ o[c][b] for c in "xyz")
                                      for a in range(n) for b in range(a + 1, n))
    h = hj + sum(w[k] * o["z"][k] for k in range(n))
    f = {a: sum(o[a]) for a in "xyz"}
    u_j = expm(-1j * hj * tau_mix)
    rz = expm(1j * np.pi / 2 * f["z"])          # -90 degrees about z: y -> x
    stages = {}
    for a in "xy":
        back = (lambda x: x) if a == "x" else (lambda x: rz @ x @ rz.conj().T)
        if selection == "lock":       # commutant of Fa, isotropic mixing, commutant, along x
            p = _commutant_projector(f[a])
            stages[a] = (lambda x, p=p, back=back: back(p(u_j @ p(x) @ u_j.conj().T)))
        elif selection == "in-phase":  # site magnetisation along a, stored along z, mixed,
            to_z, to_x = _site_transfer(o, a, "z"), _site_transfer(o, "z", "x")  # then x
            stages[a] = (lambda x, to_z=to_z, to_x=to_x: to_x(u_j @ to_z(x) @ u_j.conj().T))
        else:                          # mixing under H + 2 pi lamp Fa, no filter
            u = expm(-1j * (h + 2 * np.pi * lamp_hz * f[a]) * tau_mix)
            stages[a] = (lambda x, u=u, back=back: back(u @ x @ u.conj().T))
    fplus = f["x"] + 1j * f["y"]
    u_dt = expm(-1j * h / sw_hz)
    out = np.zeros((2, n1, n2), dtype=complex)
    rho = f["x"].astype(complex)
    for k1 in range(n1):
        for ch, a in enumerate("xy"):
            s = stages[a](rho)
            for k2 in range(n2):
                out[ch, k1, k2] = np.trace(fplus @ s) * 4 / 2**n
                s = u_dt @ s @ u_dt.conj().T
        rho = u_dt @ rho @ u_dt.conj().T
    damp = np.exp(-np.arange(max(n1, n2)) / sw_hz / t2)
    return out * np.outer(damp[:n1], damp[:n2])


@pytest.mark.parametrize("t2", [0.05, np.inf], ids=["damped", "undamped"])
@pytest.mark.parametrize("selection", ["lock", "in-phase"])
@pytest.mark.parametrize("name", list(SYSTEMS))
def test_exact_against_brute_force(name, selection, t2):
    shifts, j, groups = SYSTEMS[name]
    acq = dict(ACQ, t2=t2)
    ref = brute_force(shifts, j, **acq, selection=selection)
    for grouping in ([None, groups] if groups else [None]):
        got = tocsy_fid(shifts, j, groups=grouping, **acq, selection=selection, amp_tol=0.0)
        dev = np.abs(got - ref).max()
        print(f"{name} {selection} t2={t2} groups={grouping}: max deviation {dev:.2e}")
        assert dev <= 1e-9
    assert ref[0, 0, 0].real == pytest.approx(len(shifts))   # S_cos(0, 0) counts protons


@pytest.mark.parametrize("name", list(SYSTEMS))
def test_lock_single_precision_against_brute_force(name):
    """precision="single" (float32 propagation): within 1e-6 of the maximum of the exact data."""
    shifts, j, groups = SYSTEMS[name]
    acq = dict(ACQ, n1=24, n2=24, t2=0.05)
    ref = brute_force(shifts, j, **acq, selection="lock")
    got = tocsy_fid(shifts, j, groups=groups, **acq, selection="lock", precision="single")
    dev = np.abs(got - ref).max() / np.abs(ref).max()
    print(f"{name} single: max deviation / max {dev:.2e}")
    assert dev <= 1e-6


def test_precision_is_checked():
    with pytest.raises(ValueError, match="unknown precision"):
        spin.check_selection("lock", precision="half")
    for selection in ("in-phase", "spinach"):
        with pytest.raises(ValueError, match="precision='single' exists for selection='lock'"):
            tocsy_fid(*SYSTEMS["abx"][:2], **ACQ, t2=0.05, selection=selection,
                      precision="single")


@pytest.mark.parametrize("name", ["abx", "chain4", "ch2_ch_ch3"])
def test_spinach_exact_against_brute_force(name):
    shifts, j, groups = SYSTEMS[name]
    acq = dict(ACQ, t2=0.05)
    ref = brute_force(shifts, j, **acq, selection="spinach", lamp_hz=8000.0)
    for grouping in ([None, groups] if groups else [None]):
        got = tocsy_fid(shifts, j, groups=grouping, **acq, selection="spinach", lamp_hz=8000.0)
        assert np.abs(got - ref).max() <= 1e-9


def test_spinach_tends_to_lock_as_the_lock_power_grows():
    """Averaged over a spread of lock powers (rf inhomogeneity: 8 powers over 1/tau_mix) the
    components not locked along the axis dephase; the rest tends to the ideal lock with the
    offset terms, as ~(offset / lamp)^2. A single power keeps the unlocked components."""
    shifts, j, _ = SYSTEMS["abx"]
    acq = dict(field_mhz=600.0, carrier_ppm=3.5, sw_hz=4000.0, n1=12, n2=12, tau_mix=0.06,
               t2=0.05)
    lock = tocsy_fid(shifts, j, **acq, selection="lock")
    scale = np.abs(lock).max()
    devs = []
    for lamp in (1e5, 1e6, 1e7):
        spread = [lamp + k / (8 * acq["tau_mix"]) for k in range(8)]
        avg = np.mean([tocsy_fid(shifts, j, **acq, selection="spinach", lamp_hz=p)
                       for p in spread], axis=0)
        devs.append(np.abs(avg - lock).max() / scale)
    one = tocsy_fid(shifts, j, **acq, selection="spinach", lamp_hz=1e7)
    print("spinach (8 lock powers) vs lock, max deviation / max:", devs)
    assert devs[0] > 30 * devs[1] > 900 * devs[2] and devs[2] < 1e-4, devs
    assert np.abs(one - lock).max() / scale > 0.1     # no dephasing, no convergence


def test_lock_keeps_zero_quantum_terms_that_in_phase_drops():
    shifts, j, _ = SYSTEMS["abx"]
    acq = dict(ACQ, n1=32, n2=32, t2=0.05)
    lock = tocsy_fid(shifts, j, **acq, selection="lock")
    inph = tocsy_fid(shifts, j, **acq, selection="in-phase")
    assert np.abs(lock - inph).max() > 0.01 * np.abs(lock).max()
    # uncoupled spins: nothing but in-phase magnetisation exists, the models agree
    j0 = np.zeros((3, 3))
    np.testing.assert_allclose(tocsy_fid(shifts, j0, **acq, selection="lock"),
                               tocsy_fid(shifts, j0, **acq, selection="in-phase"), atol=1e-12)


def test_lock_sizes_batches_and_sub_batches(monkeypatch):
    shifts, j, groups = SYSTEMS["ch2_ch_ch3"]
    net, site, _ = network_from_spins(shifts, j, groups)
    batch = np.stack([site, site + 0.05, site - 0.1])
    acq = dict(ACQ, n1=9, n2=5, t2=0.05)
    whole = net.fid(batch, **acq, selection="lock")
    monkeypatch.setattr(spin_network, "_LOCK_WORKSPACE", 1)   # one sample per sub-batch
    for b in range(3):
        single = net.fid(batch[b:b + 1], **acq, selection="lock")[0]
        np.testing.assert_allclose(whole[b].numpy(), single.numpy(), rtol=0, atol=1e-12)
    ref = brute_force(list(batch[1][[0, 1, 2, 3, 3, 3]]), j, **acq, selection="lock")
    np.testing.assert_allclose(whole[1].numpy(), ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("code", ["VAL", "LYS"])
def test_lock_residue_first_point_and_sin_channel(code):
    system = spin_system(code)
    data = system.network().fid(system.mean[None], **dict(ds.ACQUISITION, n1=4, n2=4),
                                selection="lock")[0].numpy()
    assert data[0, 0, 0].real == pytest.approx(system.n_protons, abs=1e-9)
    np.testing.assert_allclose(data[1, 0], 0, atol=1e-9)   # y lock of Fx is empty


def test_dataset_selection_parameter():
    assert ds.params_for("smoke")["selection"] == spin.DEFAULT_SELECTION == "lock"
    assert ds.params_for("smoke", selection="in-phase")["selection"] == "in-phase"
    for bad in ("spinach", "z-filter"):
        with pytest.raises(ValueError, match="selection"):
            ds.params_for("smoke", selection=bad)
    assert ds.params_for("smoke")["precision"] == "single"
    assert ds.params_for("smoke", precision="double")["precision"] == "double"
    assert ds.params_for("smoke", selection="in-phase")["precision"] == "double"
    with pytest.raises(ValueError, match="precision"):
        ds.params_for("smoke", selection="in-phase", precision="single")
    c = RESIDUES.index("THR")
    system = spin_system("THR")
    for selection, precision in (("lock", "single"), ("lock", "double"), ("in-phase", None)):
        params = ds.params_for("smoke", selection=selection, precision=precision)
        shifts, data = ds.simulate_chunk(params, c, 0)
        acq = {k: params[k] for k in ds.ACQUISITION}
        with torch_threads(1):  # as simulate_chunk computes (float32 bits depend on it)
            ref = system.network().fid(shifts, **acq, selection=selection,
                                       precision=params["precision"]).numpy()
        np.testing.assert_array_equal(data, ref.astype(np.complex64))
    old = {k: v for k, v in ds.params_for("smoke").items()
           if k not in ("selection", "precision")}
    np.testing.assert_array_equal(ds.simulate_chunk(old, c, 0)[1],
                                  ds.simulate_chunk(dict(old, selection="in-phase"), c, 0)[1])
