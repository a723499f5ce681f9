"""Stacking, Mel features, the rows-2D-FT view and the speech clip set-up (offline paths)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from nmrlib.tocsy import audio


def test_stacking_order_t2_fastest():
    x = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    s = audio.stack_transients(x)
    assert s.shape == (2, 12)
    assert s[1, 1 * 4 + 2] == x[1, 1, 2]
    assert audio.stack_transients(torch.zeros(4, 256, 256)).shape == (4, 65536)
    with pytest.raises(ValueError, match="n1, n2"):
        audio.stack_transients(np.zeros(5))


def test_log_mel_frames_and_tone_position():
    t = np.arange(8000) / audio.SAMPLE_RATE_HZ
    low, high = (audio.log_mel(np.sin(2 * np.pi * f * t)) for f in (300.0, 3000.0))
    assert low.shape == (1 + 8000 // 80, 80)
    assert low.mean(0).argmax() < high.mean(0).argmax()


def test_rows_ft_and_noise():
    x = np.cos(2 * np.pi * 0.25 * np.arange(256 * 8))
    ft = audio.rows_ft(x)
    assert ft.shape == (8, 256)
    assert np.unravel_index(ft.argmax(), ft.shape)[0] == 4  # constant down the rows
    assert np.array_equal(audio.noise(100, seed=3), audio.noise(100, seed=3))
    assert not np.array_equal(audio.noise(100, seed=3), audio.noise(100, seed=4))
    with pytest.raises(ValueError, match="rows"):
        audio.rows_ft(np.zeros(300))


def test_resample_keeps_a_tone():
    t = np.arange(16000) / 16000
    y = audio.resample(np.sin(2 * np.pi * 440 * t), 16000)
    assert y.size == 8000
    assert abs(np.fft.rfft(y).__abs__().argmax() - 440) <= 1


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_offline_speech_fallback(tmp_path):
    wav = audio.fetch_speech(tmp_path, offline=True)
    x, rate = audio.read_wav(wav)
    assert rate == 8000 and x.size > 8000
    info = json.loads((tmp_path / "SOURCE.txt").read_text())
    assert info["source"].startswith("espeak-ng")
    assert (tmp_path / "COPYING").exists()
    assert "espeak-ng" in audio.speech_source(wav)


def test_no_speech_source_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="no speech clip"):
        audio.fetch_speech(tmp_path, offline=True)
