"""The one representation of a 2D NUS data set (:class:`Dataset2D`) and the quadrature
coefficients of the indirect dimension (see :mod:`nmrlib.nus.nmrio`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QUAD_COEFFS: dict[str, tuple[float, ...]] = {
    "states": (1, 0, 0, 0, 0, 0, 1, 0),
    "states-tppi": (1, 0, 0, 0, 0, 0, 1, 0),
    "echo-antiecho": (1, 0, 1, 0, 0, -1, 0, 1),
}


@dataclass
class Dataset2D:
    """A 2D data set with F2 processed and F1 in the time domain (see the module docstring)."""

    traces: np.ndarray
    direct_ppm: np.ndarray
    dic: dict
    source: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def n_indirect(self) -> int:
        return self.traces.shape[1]

    def with_traces(self, traces: np.ndarray) -> Dataset2D:
        """A copy holding other indirect traces (e.g. reconstructed, or more increments)."""
        traces = np.asarray(traces)
        if traces.shape[0] != self.traces.shape[0]:
            raise ValueError(f"traces have {traces.shape[0]} direct points, "
                             f"expected {self.traces.shape[0]}")
        dic = copy.deepcopy(self.dic)
        n1 = traces.shape[1]
        dic["FDSPECNUM"] = float(n1)
        dic["FDF1TDSIZE"] = float(n1)
        dic["FDF1APOD"] = float(n1)
        dic["FDF1CENTER"] = float(n1 // 2 + 1)
        return Dataset2D(traces, self.direct_ppm, dic, self.source, dict(self.meta))


def _check_file(path: Path, min_bytes: int = 2048) -> None:
    if not path.exists():
        raise FileNotFoundError(f"{path} not found")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, expected a file")
    if not path.is_file():
        raise ValueError(f"{path} is not a regular file (FIFO, socket or device)")
    size = path.stat().st_size
    if size < min_bytes:
        raise ValueError(f"{path}: " + ("empty file" if size == 0 else
                                        f"only {size} bytes, too short for NMR data"))
