"""The public simulator: ``network_from_spins``, ``tocsy_fid``, noise and the States
spectrum. Shifts in ppm, J in Hz, times in s, sweep widths in Hz.
"""

from __future__ import annotations

import math

import numpy as np

from nmrlib.tocsy.spin.algebra import DEFAULT_LAMP_HZ, DEFAULT_SELECTION, MAX_PROTONS
from nmrlib.tocsy.spin.checks import _as_float_array, _check_couplings, _check_snr, check_selection
from nmrlib.tocsy.spin.network import SpinNetwork


def _groups(groups, n: int) -> list[list[int]]:
    """Validated equivalence groups: disjoint lists of spin indices in range."""
    out, seen = [], set()
    for g in groups or []:
        members = np.asarray(g)
        if members.ndim != 1 or members.size == 0 or not np.issubdtype(members.dtype, np.number) \
                or np.any(members != np.round(members)):
            raise ValueError(f"each group must be a non-empty list of spin indices, got {g!r}")
        members = [int(i) for i in members]
        for i in members:
            if not 0 <= i < n:
                raise ValueError(f"group {members}: spin index {i} out of range for {n} spins")
            if i in seen:
                raise ValueError(f"groups overlap: spin {i} is in more than one group")
            seen.add(i)
        out.append(members)
    return out


def network_from_spins(shifts_ppm, couplings_hz, groups=None):
    """Collapse explicit protons into sites (equivalent groups -> one site).

    Returns ``(network, site_shifts, site_of_spin)``. Each group must be magnetically
    equivalent: identical shifts and identical couplings to every proton outside it.
    """
    shifts = _as_float_array(shifts_ppm, "shifts_ppm")
    n = shifts.size
    if shifts.ndim != 1 or n == 0:
        raise ValueError(f"shifts_ppm must be a non-empty 1D array, got shape {shifts.shape}")
    if n > MAX_PROTONS:
        raise ValueError(f"{n} protons: at most {MAX_PROTONS} per spin system")
    j = _as_float_array(couplings_hz, "couplings_hz")
    if j.shape != (n, n):
        raise ValueError(f"couplings_hz has shape {j.shape}, expected ({n}, {n})")
    _check_couplings(j, "couplings_hz")
    groups = _groups(groups, n)
    flat = {i for g in groups for i in g}
    members = groups + [[i] for i in range(n) if i not in flat]
    members.sort(key=lambda g: g[0])
    for g in members:
        if len(g) < 2:
            continue
        outside = [i for i in range(n) if i not in g]
        if not np.allclose(shifts[g], shifts[g[0]], atol=1e-12) or not np.allclose(
                j[np.ix_(g, outside)], j[g[0], outside][None, :], atol=1e-12):
            raise ValueError(f"group {g} is not magnetically equivalent (shifts and couplings "
                             "to every other proton must be identical)")
    site_j = np.array([[j[a[0], b[0]] if a is not b else 0.0 for b in members] for a in members])
    site_of = np.empty(n, dtype=int)
    for s, g in enumerate(members):
        site_of[g] = s
    net = SpinNetwork([len(g) for g in members], site_j)
    return net, np.array([shifts[g[0]] for g in members]), site_of


def tocsy_fid(shifts_ppm, couplings_hz, *, field_mhz: float, carrier_ppm: float, sw_hz: float,
              n1: int, n2: int, tau_mix: float, t2: float, groups=None, rng=None,
              snr: float | None = None, amp_tol: float = 1e-7,
              selection: str = DEFAULT_SELECTION, lamp_hz: float = DEFAULT_LAMP_HZ,
              precision: str = "double") -> np.ndarray:
    """States TOCSY time-domain data, complex (2, n1, n2).

    ``shifts_ppm`` (N,) per proton, ``couplings_hz`` (N, N) symmetric, ``groups`` lists of
    indices of magnetically equivalent protons (CH3), ``tau_mix`` and ``t2`` in s. Channel 0
    is the cos (x-lock) and channel 1 the sin (y-lock) channel; ``selection`` picks the
    mixing model ("lock", "in-phase", "spinach"; module docstring), ``precision`` "single"
    the float32 "lock" path. With ``snr``, complex white noise is added, drawn from ``rng``
    (a numpy Generator, required then).
    """
    check_selection(selection, lamp_hz, precision)
    if snr is not None:
        _check_snr(snr, rng)
    net, site_shifts, _ = network_from_spins(shifts_ppm, couplings_hz, groups)
    data = net.fid(site_shifts[None], field_mhz=field_mhz, carrier_ppm=carrier_ppm, sw_hz=sw_hz,
                   n1=n1, n2=n2, tau_mix=tau_mix, t2=t2, amp_tol=amp_tol, selection=selection,
                   lamp_hz=lamp_hz, precision=precision)
    data = data[0].numpy()
    if snr is not None:
        data = add_noise(data, snr, rng)
    return data


def add_noise(data: np.ndarray, snr: float, rng: np.random.Generator | None) -> np.ndarray:
    """Add complex white Gaussian noise, rms ``max|data| / snr`` (E|n|^2 = sigma^2)."""
    _check_snr(snr, rng)
    sigma = float(np.max(np.abs(data))) / snr
    noise = rng.standard_normal((2, *data.shape)) * (sigma / math.sqrt(2.0))
    return data + (noise[0] + 1j * noise[1]).astype(data.dtype)


def states_spectrum(data, *, window: bool = True) -> np.ndarray:
    """Phase-sensitive 2D spectrum (n1, n2) of States data (..., 2, n1, n2), real.

    Pure absorption for amplitude-modulated data ("in-phase"); the zero-quantum terms kept
    by "lock" add their (physical) dispersive antiphase components.

    Hypercomplex processing: optional cos^2 bell in both dimensions, first points halved,
    FT along t2, keep the real (absorption) part of both channels, combine them as
    ``cos + i sin`` and FT along t1; real part. Both axes are ``fftshift``-ed, frequency
    increasing with index (``nmrlib.core.plotting.ppm_axis`` gives their ppm).
    """
    data = np.array(data, dtype=complex)
    if data.ndim < 3 or data.shape[-3] != 2:
        raise ValueError(f"expected States data (..., 2, n1, n2), got shape {data.shape}")
    n1, n2 = data.shape[-2:]
    if window:
        data *= np.multiply.outer(np.cos(np.linspace(0, np.pi / 2, n1)) ** 2,
                                  np.cos(np.linspace(0, np.pi / 2, n2)) ** 2)
    data[..., 0, :] *= 0.5
    data[..., :, 0] *= 0.5
    f2 = np.fft.fft(data, axis=-1).real
    mixed = f2[..., 0, :, :] + 1j * f2[..., 1, :, :]
    return np.fft.fftshift(np.fft.fft(mixed, axis=-2), axes=(-2, -1)).real
