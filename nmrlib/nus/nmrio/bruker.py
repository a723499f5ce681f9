"""Bruker TopSpin ``ser`` + ``acqus`` directories (2D), checked before nmrglue reads them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from nmrlib.nus.nmrio.base import _check_file


def _bruker_int(dic: dict, name: str, key: str, path: Path) -> int:
    try:
        value = float(dic[name][key])
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path}: {name} lacks a numeric {key}") from err
    if value != int(value) or value < 0:
        raise ValueError(f"{path}: {name} {key} = {value:g} is not a count")
    return int(value)


def _check_bruker_ser(dic: dict, path: Path) -> None:
    """``ser`` must hold TD(acqu2s) FIDs of TD(acqus) points, each padded to 1024 bytes."""
    td2, td1 = _bruker_int(dic, "acqus", "TD", path), _bruker_int(dic, "acqu2s", "TD", path)
    dtypa = _bruker_int(dic, "acqus", "DTYPA", path) if "DTYPA" in dic["acqus"] else 0
    if dtypa not in (0, 2):
        raise ValueError(f"{path}: acqus DTYPA = {dtypa}, expected 0 (int32) or 2 (float64)")
    if td2 < 2 or td1 < 2:
        raise ValueError(f"{path}: expected 2D data, TD = {td2} (acqus), {td1} (acqu2s)")
    point = 8 if dtypa == 2 else 4
    per_fid = -(-td2 * point // 1024) * 1024
    size = (path / "ser").stat().st_size
    if size < td1 * per_fid:
        raise ValueError(f"{path}: ser truncated ({size} bytes, TD says {td1} FIDs of "
                         f"{per_fid} bytes = {td1 * per_fid})")


def _read_bruker(path: Path):
    import nmrglue as ng

    _check_file(path / "acqus", min_bytes=16)
    _check_file(path / "ser", min_bytes=1024)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # nmrglue raises assorted errors on damaged files
            params = {name: ng.bruker.read_jcamp(str(path / name)) if (path / name).is_file()
                      else {} for name in ("acqus", "acqu2s")}
        except Exception as err:
            raise ValueError(f"{path}: cannot read Bruker parameters: {err}") from err
        _check_bruker_ser(params, path)
        try:
            dic, data = ng.bruker.read(str(path))
            data = ng.bruker.remove_digital_filter(dic, data)
            udic = ng.bruker.guess_udic(dic, data)
            conv = ng.convert.converter()
            conv.from_bruker(dic, data, udic)
            pdic, pdata = conv.to_pipe()
            fnmode = int(float(dic.get("acqu2s", {}).get("FnMODE", 0)))
        except Exception as err:
            raise ValueError(f"{path}: cannot read Bruker data: {err}") from err
    if pdata.ndim != 2 or not np.all(np.isfinite(pdata)):
        raise ValueError(f"{path}: expected finite 2D Bruker data, got shape {pdata.shape}")
    quad = {4: "states", 5: "states-tppi", 6: "echo-antiecho"}.get(fnmode)
    return pdic, np.asarray(pdata, dtype=np.complex64), {"format": "bruker", "quad": quad}
