"""R² studies over NUS schedules (:mod:`nmrlib.nus.studies`)."""

from __future__ import annotations

import json

from test_reconstruct import _truth

from nmrlib.nus import nmrio
from nmrlib.nus.studies import retrospective_r2, with_f1_phase


def test_with_f1_phase_gives_p0_to_the_virtual_echo_only():
    methods = {"lr": ("lr", {"virtual_echo": True}), "ist": ("ist", {"iterations": 5})}
    out = with_f1_phase(methods, 12.5)
    assert out["lr"] == ("lr", {"virtual_echo": True, "p0": 12.5})
    assert out["ist"] == ("ist", {"iterations": 5})
    assert "p0" not in methods["lr"][1]          # the input is not changed


def test_r2_study_resumes_only_from_a_matching_checkpoint(tmp_path):
    """A checkpoint written with other processing is ignored, not silently reused."""
    traces = _truth(batch=4)
    checkpoint = tmp_path / "study.partial.json"
    kwargs = dict(densities=(0.25,), n_schedules=1, methods={}, threshold_sigma=5.0,
                  checkpoint=str(checkpoint), progress=False)
    process = {"apod": {"off": 0.5, "end": 1.0, "pow": 1.0}}
    first = retrospective_r2(traces, nmrio.process_indirect(traces, **process),
                             process=process, **kwargs)
    stored = json.loads(checkpoint.read_text())
    stored["results"]["zero-filled"]["0.25"] = [-1.0]
    checkpoint.write_text(json.dumps(stored))
    resumed = retrospective_r2(traces, nmrio.process_indirect(traces, **process),
                               process=process, **kwargs)
    assert resumed["results"]["zero-filled"]["0.25"] == [-1.0]  # same inputs: resumed

    other = {"apod": {"off": 0.35, "end": 0.98, "pow": 2.0}}
    fresh = retrospective_r2(traces, nmrio.process_indirect(traces, **other),
                             process=other, **kwargs)
    assert fresh["results"]["zero-filled"]["0.25"] != [-1.0]  # other processing: recomputed
    assert first["results"]["zero-filled"]["0.25"][0] > 0


def test_a_study_written_by_other_code_is_not_resumed(tmp_path, monkeypatch):
    """The checkpoint's fingerprint covers the reconstruction code, so a study resumed after
    an upgrade recomputes instead of silently reusing the old code's numbers."""
    from nmrlib.nus import studies

    traces = _truth(batch=4)
    process = {"apod": {"off": 0.5, "end": 1.0, "pow": 1.0}}
    checkpoint = tmp_path / "study.partial.json"
    kwargs = dict(process=process, densities=(0.25,), n_schedules=1, methods={},
                  threshold_sigma=5.0, checkpoint=str(checkpoint), progress=False)
    reference = nmrio.process_indirect(traces, **process)
    retrospective_r2(traces, reference, **kwargs)
    stored = json.loads(checkpoint.read_text())
    stored["results"]["zero-filled"]["0.25"] = [-1.0]
    checkpoint.write_text(json.dumps(stored))
    monkeypatch.setattr(studies, "STUDY_CODE", ("nus/studies.py",))   # "other code"
    again = retrospective_r2(traces, reference, **kwargs)
    assert again["results"]["zero-filled"]["0.25"] != [-1.0]
