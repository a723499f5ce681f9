"""The pretrained VoxCeleb speaker model ``speechbrain/spkrec-ecapa-voxceleb`` (Table II).

Loaded through speechbrain (``EncoderClassifier.from_hparams``) from

* a local folder holding the model card's files (``hyperparams.yaml``,
  ``embedding_model.ckpt``, ...), named by the ``source`` argument or the environment
  variable ``NMRLIB_ECAPA_SOURCE``: works offline; or
* the Hugging Face hub id ``speechbrain/spkrec-ecapa-voxceleb`` (needs network access;
  files are cached under ``savedir``).

What is used (nothing else is substituted): the ECAPA-TDNN "L" embedding model with
its VoxCeleb weights and, in the Mel branch, the model's OWN front end, its ``Fbank``
(80 Mel; its sample-rate setting, 16 kHz in the published file, is kept unmodified, so
our 8 kHz "audio" is read as the model was trained to read its input: the same
25 ms / 10 ms in samples of 400 / 160) followed by its own input normalisation
(sentence mean). When the weights cannot be obtained, :class:`PretrainedUnavailable`
is raised with the reason; callers record "not run: <reason>".
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

HUB_ID = "speechbrain/spkrec-ecapa-voxceleb"
ENV_VAR = "NMRLIB_ECAPA_SOURCE"
REQUIRED_FILES = ("hyperparams.yaml", "embedding_model.ckpt")


class PretrainedUnavailable(RuntimeError):
    """The pretrained weights could not be obtained (the message says why)."""


@dataclass
class PretrainedECAPA:
    """The pretrained model's parts used by :func:`nmrlib.models.build_classifier`."""

    source: str
    embedding_model: object
    compute_features: object
    mean_var_norm: object
    input_size: int
    embedding_size: int

    def encoder(self):
        """The model's own front end: (N, L) samples -> normalised log-Mel (N, T, input_size)."""
        return PretrainedFrontEnd(self.compute_features, self.mean_var_norm, self.input_size)


class PretrainedFrontEnd(nn.Module):
    """The pretrained model's Fbank then its input normalisation: (N, L) -> (N, T, n_features)."""

    def __init__(self, compute_features, mean_var_norm, n_features: int):
        super().__init__()
        self.compute_features = compute_features
        self.mean_var_norm = mean_var_norm
        self.n_features = n_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=x.device.type, enabled=False):
            feats = self.compute_features(x.float())
            lengths = torch.ones(feats.shape[0], device=feats.device)
            return self.mean_var_norm(feats, lengths)


def resolve_source(source: str | os.PathLike | None = None) -> str:
    """``source``, else ``$NMRLIB_ECAPA_SOURCE``, else the hub id."""
    if source:
        return str(source)
    return os.environ.get(ENV_VAR) or HUB_ID


def load_pretrained_ecapa(source: str | os.PathLike | None = None,
                          savedir: str | os.PathLike | None = None) -> PretrainedECAPA:
    """Load the pretrained ECAPA-TDNN from a local folder or the hub (see module docstring).

    Raises :class:`PretrainedUnavailable` (with the reason) when it cannot be had, e.g. a
    folder without ``hyperparams.yaml`` or no network access to the hub.
    """
    source = resolve_source(source)
    local = Path(source).expanduser()
    is_local = local.exists() or not re.fullmatch(r"[\w.-]+/[\w.-]+", source)
    try:
        from speechbrain.inference.classifiers import EncoderClassifier
        from speechbrain.utils.fetching import LocalStrategy
    except ImportError as err:  # pragma: no cover - speechbrain is a pinned dependency
        raise PretrainedUnavailable(f"speechbrain is not importable ({err})") from err
    if is_local:
        if not local.is_dir():
            raise PretrainedUnavailable(f"local pretrained folder {local} does not exist")
        missing = [name for name in REQUIRED_FILES if not (local / name).is_file()]
        if missing:
            raise PretrainedUnavailable(f"{local} lacks {', '.join(missing)}")
        kwargs = dict(source=str(local.resolve()), savedir=str(local.resolve()),
                      overrides={"pretrained_path": str(local.resolve())},
                      overrides_must_match=False, local_strategy=LocalStrategy.NO_LINK)
    else:
        cache = Path(savedir or Path("build") / "pretrained" / source.replace("/", "--"))
        kwargs = dict(source=source, savedir=str(cache))
    try:
        model = EncoderClassifier.from_hparams(**kwargs, run_opts={"device": "cpu"})
    except Exception as err:  # speechbrain/hub raise many types (network, HTTP, file)
        where = "local folder" if is_local else "hub"
        reason = f"{type(err).__name__}: {err}".splitlines()[0][:300]
        raise PretrainedUnavailable(f"cannot load {source} from the {where} ({reason})") from err
    try:   # the parts Table II uses; another architecture lacks them
        modules = model.mods
        embedding = modules["embedding_model"]
        return PretrainedECAPA(
            source=source, embedding_model=embedding,
            compute_features=modules["compute_features"],
            mean_var_norm=modules["mean_var_norm"],
            input_size=int(embedding.blocks[0].conv.conv.in_channels),
            embedding_size=int(embedding.fc.conv.out_channels),
        )
    except (AttributeError, KeyError, IndexError, TypeError) as err:
        raise PretrainedUnavailable(
            f"{source} does not hold the ECAPA-TDNN of {HUB_ID} ({type(err).__name__}: "
            f"{' '.join(str(err).split())[:120]})") from err
