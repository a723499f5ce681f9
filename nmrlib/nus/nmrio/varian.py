"""Varian/Agilent VnmrJ ``fid`` + ``procpar`` directories (2D, States / States-TPPI /
echo-antiecho by ``f1coef``), checked before nmrglue reads them.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np

from nmrlib.nus.nmrio.base import _check_file

VARIAN_FILE_HEADER = struct.Struct(">6i2hi")  # nblocks ntraces np ebytes tbytes bbytes ...


VARIAN_BLOCK_HEADER = 28


def _check_varian_fid(path: Path) -> int:
    """Check a Varian ``fid`` file's header against its size; return the number of FIDs."""
    with open(path, "rb") as handle:
        head = handle.read(VARIAN_FILE_HEADER.size)
    nblocks, ntraces, npts, ebytes, tbytes, bbytes, _, _, nbheaders = \
        VARIAN_FILE_HEADER.unpack(head)
    if (ebytes not in (2, 4) or npts < 2 or tbytes != npts * ebytes or nblocks < 1
            or ntraces < 1 or nbheaders < 0
            or bbytes != ntraces * tbytes + nbheaders * VARIAN_BLOCK_HEADER):
        raise ValueError(f"{path}: corrupt Varian file header (nblocks {nblocks}, ntraces "
                         f"{ntraces}, np {npts}, ebytes {ebytes}, tbytes {tbytes}, "
                         f"bbytes {bbytes}, nbheaders {nbheaders})")
    expected = VARIAN_FILE_HEADER.size + nblocks * bbytes
    size = path.stat().st_size
    if size != expected:
        what = "truncated" if size < expected else "longer than its header says"
        raise ValueError(f"{path}: {what} ({size} bytes, header says {expected})")
    return nblocks * ntraces


def _par(par: dict, key: str, path: Path, default: str | None = None) -> float:
    """A numeric procpar value (first element)."""
    try:
        return float(par[key][0] if key in par or default is None else default)
    except (KeyError, IndexError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: procpar lacks a numeric {key!r}") from err


def _read_varian(path: Path):
    import nmrglue as ng

    _check_file(path / "fid", min_bytes=VARIAN_FILE_HEADER.size)
    _check_file(path / "procpar", min_bytes=16)
    n_fids = _check_varian_fid(path / "fid")
    try:
        procpar = ng.varian.read_procpar(str(path / "procpar"))
    except Exception as err:
        raise ValueError(f"{path}: cannot read Varian procpar: {err}") from err
    par = {k: v.get("values", []) for k, v in procpar.items() if isinstance(v, dict)}
    ni_value = _par(par, "ni", path)
    ni = int(ni_value) if np.isfinite(ni_value) else 0
    if ni != ni_value or ni < 1:
        raise ValueError(f"{path}: procpar ni = {ni_value:g} is not a positive integer")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dic, data = ng.varian.read(str(path))
    except Exception as err:
        raise ValueError(f"{path}: cannot read Varian/Agilent data: {err}") from err
    if data.ndim != 2 or data.shape[0] < 2 * ni or n_fids < 2 * ni:
        raise ValueError(f"{path}: expected 2*ni = {2 * ni} FIDs, found shape {data.shape} "
                         "(truncated fid file?)")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{path}: data contain NaN or infinite values (corrupt file?)")
    data = data[: 2 * ni]
    sw2, sw1 = _par(par, "sw", path), _par(par, "sw1", path)
    obs2, obs1 = _par(par, "sfrq", path), _par(par, "dfrq", path)
    for key, value in {"sw": sw2, "sw1": sw1, "sfrq": obs2, "dfrq": obs1}.items():
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{path}: procpar {key} = {value:g} must be positive")
    rfl2, rfp2 = _par(par, "rfl", path, "0"), _par(par, "rfp", path, "0")
    rfl1, rfp1 = _par(par, "rfl1", path, "0"), _par(par, "rfp1", path, "0")
    udic = ng.varian.guess_udic(dic, data)
    # centre of the spectrum in Hz on the referenced scale: rfp + (sw/2 - rfl)
    udic[1].update(sw=sw2, obs=obs2, car=rfp2 + sw2 / 2 - rfl2,
                   label=str((par.get("tn") or ["1H"])[0]))
    udic[0].update(sw=sw1, obs=obs1, car=rfp1 + sw1 / 2 - rfl1,
                   label=str((par.get("dn") or ["13C"])[0]))
    conv = ng.convert.converter()
    conv.from_varian(dic, data, udic)
    pdic, pdata = conv.to_pipe()
    coef = str((par.get("f1coef") or [""])[0]).split()
    try:
        f1coef = tuple(float(c) for c in coef) if len(coef) == 8 else None
    except ValueError as err:
        raise ValueError(f"{path}: procpar f1coef {' '.join(coef)!r} is not 8 numbers") from err
    meta = {"format": "varian", "f1coef": f1coef,
            "rp": _par(par, "rp", path, "0"), "lp": _par(par, "lp", path, "0")}
    return pdic, np.asarray(pdata, dtype=np.complex64), meta
