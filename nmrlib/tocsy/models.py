"""The eq. (2) classifiers: encoder -> embedding model -> shared Linear, summed over channels.

Yip et al. (arXiv 2208.00935, section II) treat each amino acid as a "speaker" and each
TOCSY experiment as an utterance. A sample is the 4 real channels
``[cos.real, cos.imag, sin.real, sin.imag]``, each stacked into one sequence
(:func:`nmrlib.tocsy.audio.stack_transients`) and read as 8 kHz audio. Every channel passes
through the SAME encoder and embedding model; a shared ``Linear`` maps each embedding to
20 logits; the logits are summed over the 4 channels and a softmax (inside the
cross-entropy loss) gives the class probabilities::

    p(y | x) = softmax( sum_c W . emb(enc(x_c)) + b )          (eq. 2)

Encoders (input (N, L) samples -> features (N, T, F), the speechbrain layout)
* ``fbank``: speechbrain ``Fbank`` with 80 Mel filters, 25 ms windows, 10 ms hop at
  8 kHz (200 / 80 samples, n_fft 512, centred frames: T = 1 + L // 80), log-Mel, then
  speechbrain's sentence mean normalisation (``InputNormalization(norm_type="sentence",
  std_norm=False)``, as in the VoxCeleb ECAPA recipe). Not trainable; runs in float32.
* ``conv1d``: a trainable ``Conv1d(1, 80, kernel_size=256, stride=80, padding=128)``
  followed by ReLU. Our choices (the paper gives only the kernel): width 80 = the Mel
  count, so either encoder feeds the same embedding model (and the pretrained ECAPA,
  whose input size is 80); stride 80 = the Fbank hop (10 ms), so both encoders give the
  same frame count T = 1 + L // 80 and differ only in what a frame contains; ReLU as a
  learned half-wave-rectifying filter bank.

Embedding models (features (N, T, F) -> (N, 1, E))
* ``xvector``: speechbrain ``Xvector`` unmodified (defaults; E = 512).
* ``ecapa_s`` / ``ecapa_l``: speechbrain ``ECAPA_TDNN`` unmodified with channels
  (512, 512, 512, 512, 1536) / (1024, 1024, 1024, 1024, 3072); other arguments at their
  speechbrain defaults (E = 192).
* ``deep_picker``: DEEP Picker (Li et al., Nat. Commun. 2021) rewritten in PyTorch:
  7 ``Conv1d`` layers, kernels (11, 1, 11, 1, 1, 11, 1), filters (40, 20, 10, 20, 10,
  30, 18), "same" padding, ReLU after each of the first six (the seventh is linear, like
  DEEP Picker's output layer), applied along time with the F features as input
  channels. Pooling to 20-way (our documented choice): statistics pooling, i.e. the mean
  and the standard deviation over time of the 18 output channels (E = 36), then the
  shared eq. (2) ``Linear`` (36 -> 20) — the same pooling + linear head the speaker
  models use, so DEEP Picker differs from them only in its convolutional trunk.
"""

from __future__ import annotations

import torch
from torch import nn

ENCODERS = ("fbank", "conv1d")
EMBEDDINGS = ("xvector", "ecapa_s", "ecapa_l", "deep_picker")
N_CLASSES = 20
N_CHANNELS = 4
SAMPLE_RATE_HZ = 8000
N_MELS = 80
CONV_KERNEL = 256
CONV_STRIDE = 80
ECAPA_CHANNELS = {
    "ecapa_s": [512, 512, 512, 512, 1536],
    "ecapa_l": [1024, 1024, 1024, 1024, 3072],
}
DEEP_PICKER_KERNELS = (11, 1, 11, 1, 1, 11, 1)
DEEP_PICKER_FILTERS = (40, 20, 10, 20, 10, 30, 18)
PAPER_NAMES = {
    "fbank": "Fbank", "conv1d": "Conv1d", "xvector": "x-vector", "ecapa_s": "ECAPA-S",
    "ecapa_l": "ECAPA-L", "deep_picker": "DEEP Picker",
}


class FbankEncoder(nn.Module):
    """speechbrain ``Fbank`` (log-Mel) + sentence mean normalisation: (N, L) -> (N, T, n_mels)."""

    def __init__(self, n_mels: int = N_MELS, sample_rate: int = SAMPLE_RATE_HZ,
                 win_length_ms: float = 25.0, hop_length_ms: float = 10.0, n_fft: int = 512):
        super().__init__()
        from speechbrain.processing.features import InputNormalization

        from nmrlib.tocsy.audio import make_fbank

        self.n_features = n_mels
        self.fbank = make_fbank(sample_rate, n_mels, win_length_ms, hop_length_ms, n_fft)
        self.norm = InputNormalization(norm_type="sentence", std_norm=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=x.device.type, enabled=False):
            feats = self.fbank(x.float())
            return self.norm(feats, torch.ones(feats.shape[0], device=feats.device))


class Conv1dEncoder(nn.Module):
    """Trainable filter bank: Conv1d(1, width, kernel, stride, padding=kernel//2) + ReLU.

    (N, L) -> (N, T, width) with T = 1 + L // stride (for even kernels), the Fbank frame count.
    """

    def __init__(self, width: int = N_MELS, kernel_size: int = CONV_KERNEL,
                 stride: int = CONV_STRIDE):
        super().__init__()
        self.n_features = width
        self.conv = nn.Conv1d(1, width, kernel_size, stride=stride, padding=kernel_size // 2)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x.unsqueeze(1))).transpose(1, 2)


class DeepPicker(nn.Module):
    """DEEP Picker's 7-layer Conv1d trunk + statistics pooling: (N, T, F) -> (N, 1, 36)."""

    def __init__(self, input_size: int, kernels=DEEP_PICKER_KERNELS,
                 filters=DEEP_PICKER_FILTERS):
        super().__init__()
        if len(kernels) != len(filters):
            raise ValueError("DEEP Picker needs one kernel size per layer")
        layers: list[nn.Module] = []
        channels = input_size
        for index, (kernel, width) in enumerate(zip(kernels, filters, strict=True)):
            layers.append(nn.Conv1d(channels, width, kernel, padding="same"))
            if index < len(kernels) - 1:
                layers.append(nn.ReLU())
            channels = width
        self.trunk = nn.Sequential(*layers)
        self.embedding_size = 2 * channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.trunk(x.transpose(1, 2)).float()
        mean = h.mean(dim=2)
        std = torch.sqrt(h.var(dim=2, unbiased=False).clamp_min(1e-5))
        return torch.cat([mean, std], dim=1).unsqueeze(1)


def make_encoder(name: str, width: int = N_MELS) -> nn.Module:
    """The encoder ``name`` in ``ENCODERS`` with ``width`` output features."""
    if name == "fbank":
        return FbankEncoder(n_mels=width)
    if name == "conv1d":
        return Conv1dEncoder(width=width)
    raise ValueError(f"unknown encoder {name!r}; choose one of {ENCODERS}")


def make_embedding(name: str, input_size: int = N_MELS) -> tuple[nn.Module, int]:
    """The embedding model ``name`` in ``EMBEDDINGS`` and its embedding size E."""
    if name == "xvector":
        from speechbrain.lobes.models.Xvector import Xvector

        return Xvector(in_channels=input_size), 512
    if name in ECAPA_CHANNELS:
        from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN

        return ECAPA_TDNN(input_size, channels=list(ECAPA_CHANNELS[name])), 192
    if name == "deep_picker":
        model = DeepPicker(input_size)
        return model, model.embedding_size
    raise ValueError(f"unknown embedding model {name!r}; choose one of {EMBEDDINGS}")


class ChannelSumClassifier(nn.Module):
    """The paper's eq. (2): shared encoder + embedding + Linear per channel, logits summed.

    Input (B, C, L) stacked channels (C = 4); output (B, n_classes) logits (softmax is
    applied by the loss / at prediction time).
    """

    def __init__(self, encoder: nn.Module, embedding: nn.Module, embedding_size: int,
                 n_classes: int = N_CLASSES, frozen_embedding: bool = False):
        super().__init__()
        self.encoder = encoder
        self.embedding = embedding
        self.head = nn.Linear(embedding_size, n_classes)
        self.frozen_embedding = frozen_embedding
        if frozen_embedding:
            self.embedding.requires_grad_(False)
            self.embedding.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen_embedding:  # a frozen model keeps its batch-norm statistics
            self.embedding.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3:
            raise ValueError(f"expected (batch, channels, samples), got {tuple(x.shape)}")
        batch, channels, length = x.shape
        feats = self.encoder(x.reshape(batch * channels, length))
        emb = self.embedding(feats).reshape(batch * channels, -1)
        return self.head(emb.float()).reshape(batch, channels, -1).sum(dim=1)


def build_classifier(encoder: str, embedding: str, *, n_classes: int = N_CLASSES,
                     pretrained=None, freeze: bool = False) -> ChannelSumClassifier:
    """The eq. (2) classifier for an encoder / embedding pair.

    ``pretrained`` (a :class:`nmrlib.tocsy.pretrained.PretrainedECAPA`) replaces the ECAPA-L
    embedding by the VoxCeleb weights and, in the Fbank branch, the encoder by the
    pretrained model's own Fbank and input normalisation; ``freeze`` then keeps the
    embedding model's weights fixed (only the encoder, if trainable, and the head learn).
    """
    if encoder not in ENCODERS:
        raise ValueError(f"unknown encoder {encoder!r}; choose one of {ENCODERS}")
    if pretrained is None:
        if freeze:
            raise ValueError("freeze=True needs pretrained weights")
        enc = make_encoder(encoder)
        emb, size = make_embedding(embedding, enc.n_features)
        return ChannelSumClassifier(enc, emb, size, n_classes)
    if embedding != "ecapa_l":
        raise ValueError("pretrained weights exist only for ecapa_l")
    import copy

    enc = pretrained.encoder() if encoder == "fbank" else Conv1dEncoder(pretrained.input_size)
    emb = copy.deepcopy(pretrained.embedding_model)  # every run starts from the loaded weights
    emb.requires_grad_(True)  # speechbrain hands its modules over frozen
    return ChannelSumClassifier(copy.deepcopy(enc), emb, pretrained.embedding_size, n_classes,
                                frozen_embedding=freeze)


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (all, or only those with requires_grad)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def parameter_counts(model: ChannelSumClassifier) -> dict[str, int]:
    """Parameters of the encoder, embedding model, head, total and trainable."""
    return {
        "encoder_params": count_parameters(model.encoder),
        "embedding_params": count_parameters(model.embedding),
        "head_params": count_parameters(model.head),
        "total": count_parameters(model),
        "trainable": count_parameters(model, trainable_only=True),
    }


def parameter_table(encoders=ENCODERS, embeddings=EMBEDDINGS) -> list[dict]:
    """One row per (encoder, embedding) from-scratch configuration with its parameter counts."""
    rows = []
    for enc in encoders:
        for emb in embeddings:
            model = build_classifier(enc, emb)
            rows.append({"encoder": enc, "embedding": emb, **parameter_counts(model)})
            del model
    return rows
