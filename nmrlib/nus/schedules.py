"""Non-uniform sampling schedules: Poisson-gap, uniform random, and nuslist files.

Conventions
-----------
* A schedule lists the sampled **complex** points of the indirect dimension(s) as
  0-based integer indices, sorted and unique; in 1D it is an int array of shape (m,),
  over two indirect dimensions an int array of shape (m, 2).
* nuslist files (Bruker ``nuslist``, NMRPipe ``nusExpand``/``nuslist``) hold one row per
  sampled increment and one column per indirect dimension, the same 0-based indices.
* Densities are fractions of the grid in (0, 1]; ``m = round(density * n)``.

Poisson-gap sampling follows Hyberts, Takeuchi & Wagner, JACS 132, 2145 (2010): walking
along the grid, after each sampled point a gap is drawn from Poisson(λ) with
``λ = w * sin(π/2 * (i + 0.5) / (n + 1))`` (small gaps early, where the signal is
strong, larger ones late); the weight ``w`` starts at ``2 (n/m - 1)`` and is multiplied
or divided by 1.02 and the walk redrawn until exactly ``m`` points are chosen. The
first point (t = 0) is always sampled. All draws come from a seeded numpy Generator.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np

from nmrlib.core.cli import CliParser, error_line

MAX_ATTEMPTS = 100_000
# Largest grid (complex points over all indirect dimensions) a schedule may cover: far
# above real indirect grids (<= ~2048, or 128 x 128), and Poisson-gap draws at this size
# still take seconds, not minutes.
MAX_GRID_POINTS = 16_384


def _check_counts(n: int, m: int) -> None:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"grid size n must be a positive integer, got {n!r}")
    if n > MAX_GRID_POINTS:
        raise ValueError(f"grid size n={n} is larger than the supported {MAX_GRID_POINTS} points")
    if isinstance(m, bool) or int(m) != m or m < 1:
        raise ValueError(f"number of sampled points m must be a positive integer, got {m!r}")
    if m > n:
        raise ValueError(f"cannot sample m={m} points from a grid of n={n}: m > n")


def points_for_density(n: int, density: float) -> int:
    """Number of sampled points ``round(density * n)`` (at least 1) for a density in (0, 1]."""
    if not 0 < density <= 1:
        raise ValueError(f"NUS density must lie in (0, 1], got {density!r}")
    _check_counts(n, 1)
    return max(1, int(round(density * n)))


def poisson_gap(n: int, m: int, *, seed: int) -> np.ndarray:
    """Sine-weighted Poisson-gap schedule: ``m`` sorted unique indices in [0, n), with 0.

    Exactly Hyberts, Takeuchi & Wagner (2010); see the module docstring.
    """
    _check_counts(n, m)
    if m == n:
        return np.arange(n)
    generator = np.random.default_rng(seed)
    weight = 2.0 * (n / m - 1.0)
    for _ in range(MAX_ATTEMPTS):
        chosen = _poisson_walk(n, weight, generator)
        if len(chosen) == m:
            return np.asarray(chosen, dtype=np.int64)
        weight = weight * 1.02 if len(chosen) > m else weight / 1.02
    raise RuntimeError(f"Poisson-gap sampling did not converge for n={n}, m={m}")


def _poisson_walk(n: int, weight: float, generator: np.random.Generator) -> list[int]:
    chosen, i = [], 0
    while i < n:
        chosen.append(i)
        i += 1
        i += int(generator.poisson(weight * np.sin(np.pi / 2 * (i + 0.5) / (n + 1))))
    return chosen


def random_schedule(n: int, m: int, *, seed: int) -> np.ndarray:
    """Uniform-random schedule: 0 plus ``m - 1`` distinct indices drawn without replacement."""
    _check_counts(n, m)
    generator = np.random.default_rng(seed)
    rest = generator.choice(np.arange(1, n), size=m - 1, replace=False)
    return np.sort(np.concatenate([[0], rest])).astype(np.int64)


def poisson_gap_2d(shape: tuple[int, int], m: int, *, seed: int) -> np.ndarray:
    """Poisson-gap schedule over two indirect dimensions: (m, 2) indices, rows sorted.

    The grid points are walked in order of increasing normalised radius
    ``sqrt((i/n1)^2 + (j/n2)^2)`` (ties broken by angle), and the 1D sine-weighted
    Poisson-gap rule is applied along that walk, so sampling is densest near
    (t1, t2) = (0, 0) where the signal is strongest. (0, 0) is always sampled.
    """
    if len(shape) != 2 or min(shape) < 1 or any(int(s) != s for s in shape):
        raise ValueError(f"shape must be two positive grid sizes, got {shape!r}")
    n1, n2 = (int(s) for s in shape)
    _check_counts(n1 * n2, m)
    i, j = np.meshgrid(np.arange(n1), np.arange(n2), indexing="ij")
    radius = np.hypot(i / n1, j / n2).ravel()
    angle = np.arctan2(i / n1, j / n2).ravel()
    walk = np.lexsort((angle, radius))
    picked = walk[poisson_gap(n1 * n2, m, seed=seed)]
    points = np.stack(np.unravel_index(picked, (n1, n2)), axis=1)
    return points[np.lexsort((points[:, 1], points[:, 0]))].astype(np.int64)


def validate_schedule(schedule: np.ndarray, shape: int | tuple[int, ...]) -> np.ndarray:
    """Check a schedule against its grid; return it as a sorted int array.

    Raises ValueError for wrong dimensionality, out-of-range, duplicated indices, or more
    points than the grid has.
    """
    grid = (shape,) if np.isscalar(shape) else tuple(shape)
    sched = np.asarray(schedule)
    if sched.size == 0:
        raise ValueError("schedule is empty")
    if not np.issubdtype(sched.dtype, np.integer):
        if not np.all(np.mod(sched, 1) == 0):
            raise ValueError("schedule indices must be integers")
        sched = sched.astype(np.int64)
    if len(grid) == 1 and sched.ndim == 2 and sched.shape[1] == 1:
        sched = sched[:, 0]
    ndim = 1 if sched.ndim == 1 else sched.shape[1]
    if ndim != len(grid):
        raise ValueError(f"schedule has {ndim} column(s) but the grid has {len(grid)} dimension(s)")
    if len(sched) > int(np.prod(grid)):
        raise ValueError(f"schedule has {len(sched)} points, more than the grid's {np.prod(grid)}")
    cols = sched.reshape(len(sched), -1)
    for axis, size in enumerate(grid):
        bad = (cols[:, axis] < 0) | (cols[:, axis] >= size)
        if bad.any():
            raise ValueError(
                f"schedule index {cols[bad, axis][0]} out of range [0, {size}) in dimension {axis}"
            )
    flat = np.ravel_multi_index(cols.T, grid)
    if len(np.unique(flat)) != len(flat):
        raise ValueError("schedule contains duplicated indices")
    return sched[np.argsort(flat, kind="stable")]


def mask_from_schedule(schedule: np.ndarray, shape: int | tuple[int, ...]) -> np.ndarray:
    """Boolean sampling mask of the grid (True at sampled complex points)."""
    grid = (shape,) if np.isscalar(shape) else tuple(shape)
    sched = validate_schedule(schedule, grid)
    mask = np.zeros(grid, dtype=bool)
    mask[tuple(sched.reshape(len(sched), -1).T)] = True
    return mask


def point_spread_function(mask: np.ndarray) -> np.ndarray:
    """|FFT| of a 1D sampling mask normalised to its central peak, fftshifted (peak at n//2)."""
    psf = np.abs(np.fft.fftshift(np.fft.fft(np.asarray(mask, dtype=float))))
    return psf / psf.max()


def sidelobe_level(mask: np.ndarray) -> float:
    """Largest point-spread-function sidelobe relative to the central peak (0..1)."""
    psf = point_spread_function(mask)
    centre = len(psf) // 2
    return float(np.max(np.delete(psf, centre)))


def schedule_gaps(make, n: int, m: int, seeds) -> np.ndarray:
    """Gaps (unsampled increments between consecutive sampled ones) of the schedules
    ``make(n, m, seed=s)`` for every seed in ``seeds``, concatenated.

    >>> schedule_gaps(lambda n, m, seed: np.array([0, 1, 4, 9]), 10, 4, [0, 1]).tolist()
    [0, 2, 4, 0, 2, 4]
    """
    return np.concatenate([np.diff(make(n, m, seed=s)) - 1 for s in seeds])


def sidelobe_stats(make, n: int, m: int, seeds) -> tuple[float, float, float, float]:
    """Largest PSF sidelobe of the schedules ``make(n, m, seed=s)``, s in ``seeds``:
    (mean, sd) overall, then (mean, sd) far (more than n/8 points) from the peak; fractions
    of the central peak, sd with ddof 0."""
    peak, far = [], []
    offset = np.abs(np.arange(n) - n // 2)
    for s in seeds:
        psf = point_spread_function(mask_from_schedule(make(n, m, seed=s), n))
        peak.append(psf[offset > 0].max())
        far.append(psf[offset > n // 8].max())
    return (float(np.mean(peak)), float(np.std(peak)), float(np.mean(far)),
            float(np.std(far)))


_INTEGER = re.compile(r"[+-]?[0-9]+")
_MAX_INDEX = np.iinfo(np.int64).max


def read_nuslist(path: str | Path, shape: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Read a Bruker/NMRPipe nuslist: (m,) for one indirect dimension, else (m, d).

    Rows keep the file's order (the order of the measured increments). Blank lines and
    ``#`` comments are ignored. Raises ValueError naming the line for: a non-integer or
    negative entry, ragged rows, a duplicated row, an empty list, and a last line without
    its newline (a file cut short ends mid-line; nuslists end their last row with a
    newline). With ``shape`` (the grid) the rows are also checked by
    :func:`validate_schedule`.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"nuslist {path} not found")
    if path.is_dir():
        raise IsADirectoryError(f"nuslist {path} is a folder, expected a file")
    if not path.is_file():
        raise ValueError(f"nuslist {path} is not a regular file (FIFO, socket or device)")
    try:
        text = path.read_bytes().decode("ascii")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a text nuslist (byte {err.start} is not ASCII)") from err
    if text and not text.endswith("\n"):
        raise ValueError(f"{path}: the last line has no newline, so the file may be truncated "
                         "(end it with a newline if it is complete)")
    rows, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        if not all(_INTEGER.fullmatch(token) for token in tokens):
            raise ValueError(f"{path}: line {number} is not a row of integers: {line!r}")
        row = [int(token) for token in tokens]
        if min(row) < 0:
            raise ValueError(f"{path}: line {number} holds a negative index: {line!r}")
        if max(row) > _MAX_INDEX:
            raise ValueError(f"{path}: line {number} holds an index above {_MAX_INDEX}: {line!r}")
        if rows and len(row) != len(rows[0]):
            raise ValueError(f"{path}: line {number} has {len(row)} columns, line {lines[0]} "
                             f"has {len(rows[0])}: rows have different numbers of columns")
        rows.append(row)
        lines.append(number)
    if not rows:
        raise ValueError(f"{path}: nuslist is empty")
    seen: dict[tuple[int, ...], int] = {}
    for row, number in zip(rows, lines, strict=True):
        first = seen.setdefault(tuple(row), number)
        if first != number:
            raise ValueError(f"{path}: line {number} is a duplicated index (as line {first}): "
                             f"{' '.join(map(str, row))}")
    sched = np.asarray(rows, dtype=np.int64)
    sched = sched[:, 0] if sched.shape[1] == 1 else sched
    if shape is not None:
        try:
            validate_schedule(sched, shape)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from err
    return sched


def write_nuslist(path: str | Path, schedule: np.ndarray, *, overwrite: bool = False) -> Path:
    """Write a schedule as a nuslist (one row per increment, space-separated columns).

    The schedule must be non-empty, integer and non-negative (the other checks need the
    grid: see :func:`validate_schedule`; :func:`read_nuslist` rejects duplicates). Written
    atomically (temporary file, then rename): an interrupted write leaves no partial list.
    An existing file is replaced only with ``overwrite=True``; the folder must exist.
    """
    from nmrlib.core.repro import atomic_output

    sched = np.asarray(schedule)
    if sched.size == 0:
        raise ValueError("schedule is empty")
    if sched.ndim not in (1, 2):
        raise ValueError(f"schedule must have shape (m,) or (m, d), got {sched.shape}")
    if not np.issubdtype(sched.dtype, np.integer):
        if not (np.issubdtype(sched.dtype, np.number) and np.all(np.isfinite(sched))
                and np.all(np.mod(sched, 1) == 0)):
            raise ValueError("schedule indices must be integers")
    sched = sched.astype(np.int64).reshape(len(sched), -1)
    if sched.min() < 0:
        raise ValueError(f"schedule index {sched.min()} is negative")
    text = "".join(" ".join(str(v) for v in row) + "\n" for row in sched)
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_text(text)
    return Path(path)


def main(argv: list[str]) -> int:
    """``python -m nmrlib schedule``; exit 0, 2 with a one-line ``error:``, 130 on Ctrl-C."""
    parser = CliParser(
        prog="python -m nmrlib schedule", description="Write a NUS schedule as a nuslist."
    )
    parser.add_argument("--n", type=int, required=True, nargs="+",
                        help="grid size (complex points); two values for two indirect dimensions")
    parser.add_argument("--density", type=float, required=True, help="fraction in (0, 1]")
    parser.add_argument("--kind", choices=("poisson-gap", "random"), default="poisson-gap")
    parser.add_argument("--seed", type=int, default=0, help="random seed (>= 0)")
    parser.add_argument("--out", default="nuslist", help="output file (default: nuslist)")
    parser.add_argument("--overwrite", "-ov", action="store_true",
                        help="replace the output file if it exists")
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit as stop:  # -h, or a usage error already reported on one line
        return int(stop.code or 0)
    try:
        sched = _make(args)
        write_nuslist(args.out, sched, overwrite=args.overwrite)
    except KeyboardInterrupt:
        print("error: interrupted; no nuslist written", file=sys.stderr)
        return 130
    except (ValueError, OSError, RuntimeError) as err:
        print(f"error: {error_line(err)}", file=sys.stderr)
        return 2
    print(f"wrote {len(sched)} of {math.prod(args.n)} points to {args.out}")
    return 0


def _make(args: argparse.Namespace) -> np.ndarray:
    """The schedule the command-line arguments ask for (ValueError on bad values)."""
    if len(args.n) not in (1, 2):
        raise ValueError(f"--n takes one or two grid sizes, got {len(args.n)}")
    if min(args.n) < 1:
        raise ValueError(f"--n must be positive, got {' '.join(map(str, args.n))}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    n = math.prod(args.n)
    if n > MAX_GRID_POINTS:
        raise ValueError(f"grid of {n} points is larger than the supported {MAX_GRID_POINTS}")
    m = points_for_density(n, args.density)
    if len(args.n) == 2:
        if args.kind != "poisson-gap":
            raise ValueError("two-dimensional schedules are Poisson-gap only")
        return poisson_gap_2d(tuple(args.n), m, seed=args.seed)
    make = poisson_gap if args.kind == "poisson-gap" else random_schedule
    return make(args.n[0], m, seed=args.seed)

