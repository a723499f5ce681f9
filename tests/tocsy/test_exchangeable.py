"""The ``protein-h2o`` context: which exchangeable side-chain protons a TOCSY in H2O sees,
their couplings, and that the ``protein`` and ``free`` contexts are unchanged."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from nmrlib.core.repro import rng
from nmrlib.tocsy import corpus as ds
from nmrlib.tocsy import exchangeable as ex
from nmrlib.tocsy import residues as aa

H2O = ex.CONTEXT
# what a spectroscopist sees besides the protein context's protons (the literature's slow
# exchangers: Wuthrich 1986; Liepinsh & Otting 1996), in the order they are appended
EXTRA = {"ARG": ("HE",), "ASN": ("HD21", "HD22"), "GLN": ("HE21", "HE22"), "TRP": ("HE1",)}


def test_protons_per_residue():
    assert H2O in aa.CONTEXTS
    for code in aa.RESIDUES:
        base, h2o = aa.spin_system(code, "protein"), aa.spin_system(code, H2O)
        assert h2o.names == base.names + EXTRA.get(code, ()), code
        assert h2o.context == H2O and h2o.label == base.label
        n = len(base.names)
        for key in ("counts", "mean", "sd", "low", "high", "draw"):
            assert np.array_equal(getattr(h2o, key)[:n], getattr(base, key)[:n]), (code, key)
        assert np.array_equal(h2o.j_hz[:n, :n], base.j_hz)


def test_the_rule_selects_the_slow_exchangers_with_a_gap():
    fractions = {(code, p["name"]): ex.assigned_fraction(code, p["name"])
                 for code, entry in ex.table()["residues"].items() for p in entry["protons"]}
    kept = {key for key, f in fractions.items() if f >= ex.OBSERVED_FRACTION}
    assert kept == {(code, name) for code, names in EXTRA.items() for name in names}
    assert min(fractions[k] for k in kept) > 0.25
    assert max(f for k, f in fractions.items() if k not in kept) < 0.05
    with pytest.raises(ValueError, match="no exchangeable side-chain proton"):
        ex.assigned_fraction("ALA", "HB")


def test_table_matches_reference_and_every_value_has_a_source(shared_dir):
    ref = json.loads((shared_dir / "reference/aminoacid_spin_systems.json").read_text())
    sources = ex.table()["_meta"]["sources"]
    for code, entry in ref["amino_acids"].items():
        wanted = [p for p in entry["protons"]
                  if p["exchangeable"] and p["kind"] != "backbone amide"]
        ours = ex.table()["residues"].get(code, {"protons": []})["protons"]
        assert [p["name"] for p in ours] == [p["name"] for p in wanted], code
        for mine, theirs in zip(ours, wanted, strict=True):
            b = theirs["bmrb_filtered_2022"]
            assert mine["bmrb"] == [b["mean"], b["sd"], b["min"], b["max"], b["n"]]
            assert mine["count"] == theirs["count"] and mine["reason"]
            assert all(key in sources for key in _citations(mine["reason"]))
        for *_, source in ex.couplings(code):
            assert source in sources and sources[source].startswith("ASSUMPTION")


def _citations(reason: str) -> list[str]:
    """The source keys a reason cites in brackets: '[a, b]' -> ['a', 'b']."""
    if "[" not in reason:
        return []
    return [key.strip() for key in reason.split("[", 1)[1].split("]", 1)[0].split(",")]


def test_couplings_and_tocsy_blocks():
    asn = aa.spin_system("ASN", H2O)
    i, k = asn.names.index("HD21"), asn.names.index("HD22")
    assert asn.j_hz[i, k] == asn.j_hz[k, i] == 2.5
    assert ["HD21", "HD22"] in asn.components()       # 4J to HB across the C=O ~ 0
    assert ["HE21", "HE22"] in aa.spin_system("GLN", H2O).components()
    assert ["HD1", "HE1"] in aa.spin_system("TRP", H2O).components()
    arg = aa.spin_system("ARG", H2O)
    assert len(arg.components()) == 1 and "HE" in arg.components()[0]
    assert arg.j_hz[arg.names.index("HE"), arg.names.index("HD2")] == 4.9
    # at the data set's 60 ms mixing the 2.5 Hz NH2 pair exchanges sin^2(pi J tau) of
    # its magnetisation in the strong-lock limit (0.206), and nothing reaches HA/HB
    t = asn.network().transfer(aa.ACQUISITION["tau_mix"])
    assert t[i, k] == pytest.approx(np.sin(np.pi * 2.5 * aa.ACQUISITION["tau_mix"]) ** 2)
    assert np.all(t[:i, i:] == 0)


def test_trp_indole_nh_is_truncated_inside_the_window():
    trp = aa.spin_system("TRP", H2O)
    s = trp.names.index("HE1")
    low, high = ex.sweep_limits(aa.ACQUISITION)
    assert trp.high[s] == pytest.approx(high) and high < 10.7 and trp.mean[s] == 10.082
    draws = aa.sample_shifts("TRP", rng(0, 3), n=300, context=H2O)[:, s]
    assert draws.max() <= high and draws.mean() < trp.mean[s]


def test_protein_and_free_contexts_unchanged_bit_for_bit():
    # digests of every table array and 50 draws per residue, computed with the code before
    # protein-h2o existed (commit 01f8f0f) and again now
    expected = {"protein": "e38cfcb7397f3ed7", "free": "01c96b2b5d97343e"}
    for context, digest in expected.items():
        h = hashlib.sha256()
        for code in aa.RESIDUES:
            s = aa.spin_system(code, context)
            h.update(repr(s.names).encode())
            for a in (s.counts, s.j_hz, s.mean, s.sd, s.low, s.high, s.draw,
                      aa.sample_shifts(code, rng(0, 7), n=50, context=context)):
                h.update(np.ascontiguousarray(a).tobytes())
        assert h.hexdigest()[:16] == digest, context


def test_h2o_chunk_and_manifest_record_the_context(tmp_path):
    params = ds.params_for("smoke", context=H2O, n_per_class=10)
    c = aa.RESIDUES.index("ASN")
    shifts, data = ds.simulate_chunk(params, c, 0)
    _, base = ds.simulate_chunk(dict(params, context="protein"), c, 0)
    assert shifts.shape == (5, 6) and data.shape == base.shape == (5, 2, 32, 32)
    assert np.allclose(data[:, 0, 0, 0].real, 6.0) and np.allclose(base[:, 0, 0, 0].real, 4.0)
    manifest = ds._manifest(params, "cpu", complete=False)
    assert manifest["params"]["context"] == H2O


def test_simulate_cli_rejects_an_unknown_context(capsys):
    with pytest.raises(SystemExit) as err:
        ds.main(["simulate", "--context", "vacuum"])
    assert err.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_default_context_is_the_one_the_paper_supports():
    """protein-h2o (see nmrlib.tocsy.residues): the data set, the sampler and the table agree."""
    assert aa.DEFAULT_CONTEXT == "protein-h2o" == ds.DEFAULTS["context"]
    assert aa.spin_system("ASN").names[-2:] == ("HD21", "HD22")
