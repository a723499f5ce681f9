"""Encoders, embedding models, DEEP Picker and the eq. (2) channel-sum classifier."""

from __future__ import annotations

import pytest
import torch

from nmrlib.tocsy.models import (
    DEEP_PICKER_FILTERS,
    DEEP_PICKER_KERNELS,
    EMBEDDINGS,
    ENCODERS,
    ChannelSumClassifier,
    Conv1dEncoder,
    DeepPicker,
    FbankEncoder,
    build_classifier,
    make_embedding,
    parameter_counts,
)

torch.set_num_threads(2)


@pytest.mark.parametrize("length", [1024, 4096, 65536])
def test_encoders_give_80_features_at_the_same_frame_rate(length):
    x = torch.randn(3, length)
    fbank, conv = FbankEncoder()(x), Conv1dEncoder()(x)
    assert fbank.shape == conv.shape == (3, 1 + length // 80, 80)
    # sentence mean normalisation of the log-Mel features
    assert torch.allclose(fbank.mean(dim=1), torch.zeros(3, 80), atol=1e-4)


def test_fbank_is_speechbrain_80_mel_25ms_10ms_at_8khz():
    enc = FbankEncoder()
    stft = enc.fbank.compute_STFT
    assert (stft.sample_rate, stft.win_length, stft.hop_length) == (8000, 200, 80)
    assert enc.fbank.compute_fbanks.n_mels == 80
    assert not any(p.requires_grad for p in enc.parameters())


def test_conv1d_encoder_shape_and_nonnegative():
    enc = Conv1dEncoder()
    assert enc.conv.kernel_size == (256,) and enc.conv.stride == (80,)
    assert enc.conv.out_channels == 80
    assert (enc(torch.randn(2, 2048)) >= 0).all()


def test_deep_picker_layers():
    model = DeepPicker(80)
    convs = [m for m in model.trunk if isinstance(m, torch.nn.Conv1d)]
    assert tuple(c.kernel_size[0] for c in convs) == DEEP_PICKER_KERNELS
    assert tuple(c.out_channels for c in convs) == DEEP_PICKER_FILTERS
    assert all(c.padding == "same" for c in convs)
    assert sum(isinstance(m, torch.nn.ReLU) for m in model.trunk) == 6
    out = model(torch.randn(5, 13, 80))
    assert out.shape == (5, 1, 36)


@pytest.mark.parametrize("name,size", [("xvector", 512), ("ecapa_s", 192), ("deep_picker", 36)])
def test_embedding_sizes(name, size):
    model, emb = make_embedding(name, 80)
    assert emb == size
    model.eval()
    assert model(torch.randn(2, 13, 80)).shape == (2, 1, size)


def test_ecapa_channels_are_the_paper_s_and_l():
    small, _ = make_embedding("ecapa_s")
    large, _ = make_embedding("ecapa_l")
    assert small.channels == [512, 512, 512, 512, 1536]
    assert large.channels == [1024, 1024, 1024, 1024, 3072]


def test_channel_sum_is_eq2():
    """Logits = sum over the 4 channels of head(embedding(encoder(channel)))."""
    torch.manual_seed(0)
    model = build_classifier("conv1d", "deep_picker").eval()
    x = torch.randn(3, 4, 1024)
    with torch.no_grad():
        logits = model(x)
        manual = sum(model.head(model.embedding(model.encoder(x[:, c])).squeeze(1))
                     for c in range(4))
    assert logits.shape == (3, 20)
    assert torch.allclose(logits, manual, atol=1e-5)


def test_classifier_can_fit_a_batch():
    torch.manual_seed(0)
    model = build_classifier("conv1d", "deep_picker")
    x, y = torch.randn(20, 4, 1024), torch.arange(20)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0]


def test_parameter_counts_add_up():
    model = build_classifier("conv1d", "xvector")
    counts = parameter_counts(model)
    assert counts["total"] == sum(counts[f"{k}_params"] for k in ("encoder", "embedding", "head"))
    assert counts["encoder_params"] == 80 * 256 + 80
    assert counts["head_params"] == 512 * 20 + 20
    assert counts["trainable"] == counts["total"]


def test_bad_names_and_shapes():
    with pytest.raises(ValueError, match="encoder"):
        build_classifier("mfcc", "xvector")
    with pytest.raises(ValueError, match="embedding"):
        build_classifier("fbank", "resnet")
    with pytest.raises(ValueError, match="pretrained"):
        build_classifier("fbank", "ecapa_l", freeze=True)
    model = build_classifier("conv1d", "deep_picker")
    with pytest.raises(ValueError, match="batch, channels, samples"):
        model(torch.randn(4, 1024))
    assert isinstance(model, ChannelSumClassifier)
    assert set(ENCODERS) == {"fbank", "conv1d"} and len(EMBEDDINGS) == 4
