"""Input checks of the simulator: one ``ValueError`` naming the bad argument.
"""

from __future__ import annotations

import math

import numpy as np

from nmrlib.tocsy.spin.algebra import (
    DEFAULT_LAMP_HZ,
    MAX_GRID_POINTS,
    PRECISIONS,
    SELECTIONS,
    SHIFT_LIMIT_PPM,
)


def _as_float_array(values, name: str) -> np.ndarray:
    """``values`` as a float64 array; ValueError naming ``name`` for non-numbers, NaN or inf."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numbers, got {values!r}") from err
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} must be finite: {name}[{', '.join(map(str, bad))}] = "
                         f"{arr[tuple(bad)]}")
    return arr


def _check_couplings(j: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(j)):
        a, b = np.argwhere(~np.isfinite(j))[0]
        raise ValueError(f"{name} must be finite: J[{a}, {b}] = {j[a, b]}")
    asym = np.abs(j - j.T)
    if asym.max(initial=0.0) > 1e-9:
        a, b = np.unravel_index(np.argmax(asym), asym.shape)
        raise ValueError(f"{name} must be symmetric (J_ij == J_ji): J[{a}, {b}] = {j[a, b]} Hz "
                         f"but J[{b}, {a}] = {j[b, a]} Hz")


def _number(value, name: str) -> float:
    if isinstance(value, (bool, str, bytes)) or np.ndim(value) != 0:
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a number, got {value!r}") from err


def check_selection(selection, lamp_hz=DEFAULT_LAMP_HZ, precision: str = "double") -> None:
    """Raise ValueError for an unknown mixing model or precision, or a bad spin-lock power."""
    if selection not in SELECTIONS:
        raise ValueError(f"unknown selection {selection!r}: expected one of {SELECTIONS}")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}: expected one of {PRECISIONS}")
    if precision == "single" and selection != "lock":
        raise ValueError(f"precision='single' exists for selection='lock' only (the "
                         f"{selection!r} model always computes in double precision)")
    if selection == "spinach":
        lamp = _number(lamp_hz, "lamp_hz")
        if not (lamp > 0 and math.isfinite(lamp)):
            raise ValueError(f"lamp_hz (spin-lock power, Hz) must be positive and finite, got "
                             f"{lamp_hz}")


def check_acquisition(shifts_ppm, *, field_mhz, carrier_ppm, sw_hz, n1, n2, tau_mix, t2):
    """Raise ValueError for unphysical acquisition parameters or a shift that would fold.

    Checks: positive finite field and sweep; finite carrier; t2 > 0 (``inf``: no damping);
    finite ``tau_mix >= 0``; integer ``n1, n2 >= 2`` with ``n1 * n2 <= MAX_GRID_POINTS``;
    finite shifts within +/- ``SHIFT_LIMIT_PPM`` and inside the sweep (negative shifts are
    legal when the sweep holds them).
    """
    for name, value in (("field_mhz", field_mhz), ("sw_hz", sw_hz)):
        v = _number(value, name)
        if not (v > 0 and math.isfinite(v)):
            raise ValueError(f"{name} must be positive and finite, got {value}")
    if not math.isfinite(_number(carrier_ppm, "carrier_ppm")):
        raise ValueError(f"carrier_ppm must be finite, got {carrier_ppm}")
    if not _number(t2, "t2") > 0:
        raise ValueError(f"t2 (transverse relaxation time, s) must be positive, got {t2}")
    tau = _number(tau_mix, "tau_mix")
    if not (tau >= 0 and math.isfinite(tau)):
        raise ValueError(f"tau_mix (mixing time, s) must be finite and >= 0, got {tau_mix}")
    for name, value in (("n1", n1), ("n2", n2)):
        v = _number(value, name)
        if not (math.isfinite(v) and v == int(v) and v >= 2):
            raise ValueError(f"{name} must be an integer >= 2, got {value}")
    if int(n1) * int(n2) > MAX_GRID_POINTS:
        raise ValueError(f"grid n1 x n2 = {int(n1)} x {int(n2)} = {int(n1) * int(n2)} points: at "
                         f"most {MAX_GRID_POINTS} ({math.isqrt(MAX_GRID_POINTS)}^2)")
    shifts = _as_float_array(shifts_ppm, "shifts")
    if np.any(np.abs(shifts) > SHIFT_LIMIT_PPM):
        bad = shifts[np.abs(shifts) > SHIFT_LIMIT_PPM]
        raise ValueError(f"shift(s) {bad.tolist()} ppm are not 1H shifts (|delta| <= "
                         f"{SHIFT_LIMIT_PPM} ppm)")
    offs = (shifts - carrier_ppm) * field_mhz
    if np.any(np.abs(offs) >= sw_hz / 2):
        bad = shifts[np.abs(offs) >= sw_hz / 2]
        raise ValueError(f"shift(s) {np.round(bad, 3).tolist()} ppm outside the sweep "
                         f"{carrier_ppm} +/- {sw_hz / 2 / field_mhz:.3f} ppm (would fold)")


def _check_snr(snr, rng) -> None:
    if rng is None:
        raise ValueError("snr given but no rng: pass a numpy Generator (nmrlib.core.repro.rng)")
    if not _number(snr, "snr") > 0:
        raise ValueError(f"snr must be positive, got {snr}")
