"""A classifier trained on free-context simulations, applied to the two real BMRB TOCSY sets.

Two real spectra are an anecdote, not a statistic: the probabilities this writes say how
one network, trained on simulations, reads two measured spectra, nothing about accuracy.

Training data (:func:`build_dataset`): :func:`nmrlib.tocsy.corpus.simulate_dataset` with the
``"free"`` context (GISSMO shifts, sd 0.01 ppm, D2O, no HN) at the real acquisition of
:func:`nmrlib.tocsy.real.acquisition` (499.84 MHz, 6493.5 Hz both dimensions, carrier
4.834 ppm on the DSS scale, 60 ms mixing, T2 :data:`nmrlib.tocsy.real.T2_S`), but only the
first ``n1 x n2`` complex points: the same sweep at lower resolution. Complex white noise
at a peak time-domain SNR ``snr`` (from the data set's seeded keys).

Normalisation (:func:`normalise`), identical for simulated and real data: each sample's
States data (2, n1, n2) divided by its largest modulus, so the network sees no absolute
scale (the simulator's is the proton count, a real spectrum's the receiver gain).

Real input (:func:`real_input`): :func:`nmrlib.tocsy.real.read_states` (digital filter
removed, States-TPPI decoded, registry phases applied in the time domain, first point at
t = 0), truncated to the first ``n1 x n2`` complex points, normalised, stacked into the 4
channels of :class:`nmrlib.tocsy.corpus.TocsyDataset`. The real sets carry DSS, HDO and 13C
satellites, which no training sample has.

Model: eq. (2) with the Conv1d encoder and the x-vector embedding
(:func:`nmrlib.tocsy.models.build_classifier`), trained by
:func:`nmrlib.tocsy.training.train_one_seed` (Adam, one-cycle schedule, best validation
epoch kept, checkpointed and resumable).

Command: ``python -m nmrlib tocsy-real classify [--results-dir DIR] [--data-dir DIR]
[--n1 16 --n2 128 --n-per-class 100 --epochs 8 --snr 100 --seed 0]`` writes
``DIR/tocsy_real_classifier.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from nmrlib.tocsy.corpus import TocsyDataset

DEFAULTS = dict(n1=16, n2=128, n_per_class=100, epochs=8, batch_size=20, lr=1e-3, snr=100.0,
                seed=0)
"""Settings of the reported run (n1 x n2 = 2048 samples per channel: 26 Conv1d frames, above
the x-vector's 15-frame context)."""
CONFIG = ("conv1d", "xvector")
RESULT_FILE = "tocsy_real_classifier.json"


def normalise(data: np.ndarray) -> np.ndarray:
    """States data (..., 2, n1, n2) divided by its largest modulus per sample (complex)."""
    data = np.asarray(data)
    if data.ndim < 3 or data.shape[-3] != 2:
        raise ValueError(f"expected States data (..., 2, n1, n2), got shape {data.shape}")
    peak = np.abs(data).max(axis=(-3, -2, -1), keepdims=True)
    if not np.all(np.isfinite(peak)) or np.any(peak == 0):
        raise ValueError("cannot normalise all-zero or non-finite States data")
    return data / peak


class NormalisedTocsy(TocsyDataset):
    """:class:`TocsyDataset` whose items are :func:`normalise`-d (complex64)."""

    def raw(self, index: int) -> np.ndarray:
        return normalise(super().raw(index)).astype(np.complex64)


def dataset_params(n1: int, n2: int, n_per_class: int, snr: float, seed: int) -> dict:
    """:func:`nmrlib.tocsy.corpus.simulate_dataset` overrides of the training set."""
    from nmrlib.tocsy.real import acquisition
    from nmrlib.tocsy.residues import ACQUISITION

    acq = acquisition("THR")
    if acquisition("VAL") != acq:
        raise ValueError("the two real sets differ in acquisition; one training set cannot fit")
    return dict({k: acq[k] for k in ACQUISITION}, context="free", n1=int(n1), n2=int(n2),
                n_per_class=int(n_per_class), chunk_size=min(int(n_per_class), 30), batch=10,
                snr=float(snr), seed=int(seed))


def build_dataset(root, workers: int = 1, **settings) -> Path:
    """Simulate (or reuse) the training set at ``root`` (:func:`dataset_params` keys)."""
    from nmrlib.tocsy.corpus import simulate_dataset

    return simulate_dataset(root, profile="quick", workers=workers, progress=False,
                            **dataset_params(**settings))


def real_input(code: str, n1: int, n2: int):
    """The real set of ``code`` as one classifier input, float32 tensor (4, n1 * n2)."""
    import torch

    from nmrlib.tocsy.real import read_states

    data = read_states(code)
    if n1 > data.shape[1] or n2 > data.shape[2]:
        raise ValueError(f"the real data hold {data.shape[1:]} complex points, not {n1} x {n2}")
    z = normalise(data[:, :n1, :n2])
    x = np.stack([z[0].real, z[0].imag, z[1].real, z[1].imag]).reshape(4, -1)
    return torch.from_numpy(x.astype(np.float32))


def probabilities(model, x) -> np.ndarray:
    """Softmax class probabilities (batch, 20) of inputs ``x`` (batch, 4, L), eval mode."""
    import torch

    model.eval()
    with torch.no_grad():
        return torch.softmax(model(x).double(), dim=1).numpy()


def report(probs: np.ndarray, code: str) -> dict:
    """JSON-ready record of one real spectrum: probability per class, top 3, true rank."""
    from nmrlib.tocsy.residues import RESIDUES

    order = np.argsort(-probs, kind="stable")
    return {"true": code, "probabilities": {c: float(p) for c, p in zip(RESIDUES, probs,
                                                                        strict=True)},
            "top3": [[RESIDUES[i], float(probs[i])] for i in order[:3]],
            "rank_of_true": int(np.nonzero(order == RESIDUES.index(code))[0][0]) + 1}


def train(root: Path, checkpoint: Path, *, epochs: int, batch_size: int, lr: float, seed: int):
    """Train Conv1d + x-vector on the set at ``root``; (model with the best weights, run)."""
    from nmrlib.core.checkpoints import CHECKPOINT_KEYS
    from nmrlib.core.repro import load_torch, torch_threads
    from nmrlib.tocsy.models import build_classifier
    from nmrlib.tocsy.training import (
        PreparedSplit,
        code_version,
        configuration,
        train_one_seed,
    )

    config = configuration(*CONFIG)
    splits = {s: PreparedSplit(NormalisedTocsy(root, s)) for s in ("train", "val", "test")}
    params = splits["train"].dataset.params
    fingerprint = {"config": config.name, "data": params, "epochs": epochs, "lr": lr,
                   "batch_size": batch_size, "code": code_version(), "normalise": "max|z|",
                   "lr_schedule": "onecycle"}
    with torch_threads(1):
        run = train_one_seed(config, splits, seed=seed, epochs=epochs, batch_size=batch_size,
                             lr=lr, device="cpu", amp=False, checkpoint=checkpoint,
                             fingerprint=fingerprint, progress=False, lr_schedule="onecycle")
    model = build_classifier(*CONFIG)
    model.load_state_dict(load_torch(checkpoint, "checkpoint", CHECKPOINT_KEYS)["model"])
    return model, run


def describe(results_dir) -> str:
    """The classifier's result for the two real sets as text (all 20 probabilities to 3
    significant digits, highest first, top 3 marked ``*``), or ``"not run: <reason>"`` when
    its JSON is absent."""
    import json

    path = Path(results_dir) / RESULT_FILE
    if not path.is_file():
        return (f"not run: no {path} (train and classify with `python -m nmrlib tocsy-real "
                f"classify --results-dir {results_dir}`, about 10 min on one core)")
    out = json.loads(path.read_text())
    lines = [f"command: {out['command']}",
             f"simulated test accuracy {out['sim_test_accuracy']:.3f} (best epoch "
             f"{out['best_epoch']}); two real spectra: an anecdote, not a statistic"]
    for code, rec in out["real"].items():
        top = {c for c, _ in rec["top3"]}
        ranked = sorted(rec["probabilities"].items(), key=lambda kv: -kv[1])
        lines.append(f"real {code} (true class rank {rec['rank_of_true']}): " + ", ".join(
            f"{'*' if c in top else ''}{c} {p:.3g}" for c, p in ranked))
    return "\n".join(lines)


def add_arguments(parser) -> None:
    """The ``tocsy-real classify`` options."""
    parser.add_argument("--results-dir", default="results/quick")
    parser.add_argument("--data-dir", default="data/tocsy_real",
                        help="training set and checkpoint folder")
    parser.add_argument("--workers", type=int, default=1, help="simulation processes")
    for key, value in DEFAULTS.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)


XVECTOR_FRAMES = 15
"""The x-vector's TDNN context in frames (kernels 5, 3, 3 with dilations 1, 2, 3): the
Conv1d encoder gives 1 + n1 n2 // 80 frames, which must reach it."""


def check_settings(settings: dict, real_shape: tuple[int, int]) -> None:
    """One-line ValueError for settings without an honest run: the training checks of
    :func:`nmrlib.tocsy.training.check_run_settings`, n1 x n2 within the real data ``real_shape``
    and long enough for the x-vector, >= 10 samples per class, a positive finite SNR."""
    from nmrlib.tocsy.training import check_run_settings

    check_run_settings(seeds=[settings["seed"]], epochs=settings["epochs"],
                       batch_size=settings["batch_size"], lr=settings["lr"])
    n1, n2 = settings["n1"], settings["n2"]
    if not (2 <= n1 <= real_shape[0] and 2 <= n2 <= real_shape[1]):
        raise ValueError(f"n1 x n2 = {n1} x {n2} must lie within the real data's "
                         f"{real_shape[0]} x {real_shape[1]} complex points (and >= 2)")
    if 1 + n1 * n2 // 80 < XVECTOR_FRAMES:
        raise ValueError(f"n1 x n2 = {n1 * n2} samples give {1 + n1 * n2 // 80} Conv1d frames, "
                         f"fewer than the x-vector's context of {XVECTOR_FRAMES}")
    if settings["n_per_class"] < 10:
        raise ValueError(f"n_per_class must be >= 10 (every split non-empty), got "
                         f"{settings['n_per_class']}")
    if not 0 < settings["snr"] < float("inf"):
        raise ValueError(f"snr must be positive and finite, got {settings['snr']}")


def run(args) -> int:
    """Build the training set, train, classify both real sets, write the JSON."""
    from nmrlib.core.repro import environment_report, write_json
    from nmrlib.tocsy.real import SETS, acquisition

    settings = {k: getattr(args, k) for k in DEFAULTS}
    acq = acquisition("THR")
    check_settings(settings, (acq["n1"], acq["n2"]))
    start = time.perf_counter()
    root = build_dataset(Path(args.data_dir) / "tocsy", workers=args.workers,
                         **{k: settings[k] for k in ("n1", "n2", "n_per_class", "snr", "seed")})
    simulate_s = time.perf_counter() - start
    start = time.perf_counter()
    model, run_record = train(root, Path(args.data_dir) / "checkpoint.pt",
                              **{k: settings[k] for k in ("epochs", "batch_size", "lr", "seed")})
    train_s = time.perf_counter() - start
    import torch

    x = torch.stack([real_input(code, settings["n1"], settings["n2"]) for code in SETS])
    probs = probabilities(model, x)
    payload = {
        "what": "Conv1d + x-vector trained on free-context simulations at the real acquisition "
                "(first n1 x n2 points), applied to the two real BMRB TOCSY sets. Two spectra "
                "are an anecdote, not a statistic.",
        "command": "python -m nmrlib tocsy-real classify " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in settings.items()),
        "settings": settings, "dataset": str(root), "simulate_s": simulate_s,
        "train_s": train_s, "best_epoch": run_record["best_epoch"],
        "val_accuracy": run_record["val_accuracy"],
        "sim_test_accuracy": run_record["test"]["accuracy"],
        "real": {code: report(p, code) for code, p in zip(SETS, probs, strict=True)},
        "environment": environment_report(),
    }
    path = write_json(Path(args.results_dir) / RESULT_FILE, payload)
    print(f"written {path}")
    for code, rec in payload["real"].items():
        print(code, "top 3:", ", ".join(f"{c} {p:.3f}" for c, p in rec["top3"]))
    return 0
