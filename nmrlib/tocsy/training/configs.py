"""The twelve configurations of Tables I-II (encoder x embedding x pretrained mode) and the
checks of a run's settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nmrlib.core.repro import require_int

TABLE_I_ENCODERS = ("fbank", "conv1d")


LR_SCHEDULES = ("constant", "onecycle")


TABLE_I_EMBEDDINGS = ("xvector", "ecapa_s", "ecapa_l", "deep_picker")


PRETRAINED_MODES = ("none", "frozen", "trainable")


@dataclass(frozen=True)
class Configuration:
    """One classifier configuration of Table I or II."""

    encoder: str
    embedding: str
    pretrained: str = "none"

    @property
    def name(self) -> str:
        base = f"{self.encoder}-{self.embedding}"
        return base if self.pretrained == "none" else f"{base}-pretrained_{self.pretrained}"

    @property
    def table(self) -> str:
        return "I" if self.pretrained == "none" else "II"


CONFIGURATIONS: tuple[Configuration, ...] = (
    *(Configuration(enc, emb) for enc in TABLE_I_ENCODERS for emb in TABLE_I_EMBEDDINGS),
    *(Configuration(enc, "ecapa_l", mode) for enc in TABLE_I_ENCODERS
      for mode in ("frozen", "trainable")),
)


def configuration(name_or_encoder: str, embedding: str | None = None,
                  pretrained: str = "none") -> Configuration:
    """A configuration by name (``"conv1d-ecapa_l"``) or by its three fields (validated)."""
    if embedding is None:
        for config in CONFIGURATIONS:
            if config.name == name_or_encoder:
                return config
        raise ValueError(f"unknown configuration {name_or_encoder!r}; "
                         f"choose one of {[c.name for c in CONFIGURATIONS]}")
    config = Configuration(name_or_encoder, embedding, pretrained)
    from nmrlib.tocsy.models import EMBEDDINGS, ENCODERS

    if config.encoder not in ENCODERS:
        raise ValueError(f"unknown encoder {config.encoder!r}; choose one of {ENCODERS}")
    if config.embedding not in EMBEDDINGS:
        raise ValueError(f"unknown embedding {config.embedding!r}; choose one of {EMBEDDINGS}")
    if pretrained not in PRETRAINED_MODES:
        raise ValueError(f"unknown pretrained mode {pretrained!r}; choose {PRETRAINED_MODES}")
    if pretrained != "none" and embedding != "ecapa_l":
        raise ValueError("pretrained weights exist only for ecapa_l")
    return config


def _check_lr_schedule(schedule: str) -> None:
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"unknown lr_schedule {schedule!r}; choose one of {LR_SCHEDULES}")


def _positive_int(name: str, value, *, minimum: int = 1) -> None:
    require_int(name, value, minimum, types=(int, np.integer))


def check_run_settings(*, seeds, epochs, batch_size, lr, max_per_class=None,
                       max_val_per_class=None, workers=None) -> None:
    """Refuse settings under which no honest training run exists (one-line ValueError).

    At least one epoch and one sample per batch, a finite positive learning rate, one or
    more non-negative integer seeds, and positive caps: ``epochs=0`` would "test" an
    untrained model and call it a result.
    """
    _positive_int("epochs", epochs)
    _positive_int("batch_size", batch_size)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < float("inf"):
        raise ValueError(f"the learning rate must be a finite number > 0, got {lr!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("give at least one seed")
    for seed in seeds:
        _positive_int("a seed", seed, minimum=0)
    for name, cap in (("max_per_class", max_per_class), ("max_val_per_class", max_val_per_class)):
        if cap is not None:
            _positive_int(name, cap)
    if workers is not None:
        _positive_int("workers", workers, minimum=0)
