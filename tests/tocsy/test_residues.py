"""The residue table, the shift sampler and the TOCSY topology of the 20 residues."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nmrlib.core.repro import rng
from nmrlib.tocsy import residues as aa
from nmrlib.tocsy.spin import states_spectrum, tocsy_fid


def test_residue_codes_and_labels():
    assert aa.RESIDUES == tuple(sorted(aa.RESIDUES)) and len(aa.RESIDUES) == 20
    assert "".join(aa.ONE_LETTER[c] for c in aa.RESIDUES) == "ARNDCQEGHILKMFPSTWYV"
    assert aa.spin_system("K") is aa.spin_system("K")
    assert aa.spin_system("K").code == "LYS" and aa.spin_system("LYS").label == 11


def test_table_matches_reference_facts(shared_dir):
    ref = json.loads((shared_dir / "reference/aminoacid_spin_systems.json").read_text())
    for code in aa.RESIDUES:
        system = aa.spin_system(code, "protein")
        entry = ref["amino_acids"][code]
        protons = {p["name"]: p for p in entry["protons"]}
        kept = [n for n, p in protons.items()
                if not p["exchangeable"] or p["kind"] == "backbone amide"]
        assert list(system.names) == kept
        for s, name in enumerate(system.names):
            stats = protons[name]["bmrb_filtered_2022"]
            assert system.mean[s] == stats["mean"] and system.sd[s] == stats["sd"]
            assert system.counts[s] == protons[name]["count"]
        index = {n: i for i, n in enumerate(system.names)}
        for c in entry["couplings"]:
            assert system.j_hz[index[c["a"]], index[c["b"]]] == c["J_Hz"]
        assert np.count_nonzero(system.j_hz) == 2 * len(entry["couplings"])


@pytest.mark.parametrize("context", aa.CONTEXTS)
def test_sampler_is_reproducible_truncated_and_inside_the_sweep(context):
    acq = aa.ACQUISITION
    half = acq["sw_hz"] / 2 / acq["field_mhz"]
    low, high = aa.shift_range(context)
    assert acq["carrier_ppm"] - half < low and high < acq["carrier_ppm"] + half
    for code in aa.RESIDUES:
        system = aa.spin_system(code, context)
        draws = aa.sample_shifts(code, rng(0, 1), n=200, context=context)
        assert np.array_equal(draws, aa.sample_shifts(code, rng(0, 1), n=200, context=context))
        assert np.all(draws >= system.low) and np.all(draws <= system.high)
        assert np.all(system.low >= system.mean - 3 * system.sd - 1e-12)


def test_ring_flip_pairs_share_a_shift_and_free_context_has_no_amide():
    draws = aa.sample_shifts("PHE", rng(0, 2), n=5)
    names = aa.spin_system("PHE").names
    assert np.array_equal(draws[:, names.index("HD1")], draws[:, names.index("HD2")])
    assert "H" not in aa.spin_system("PHE", "free").names
    assert "H" in aa.spin_system("PHE").names and "H" not in aa.spin_system("PRO").names


def test_tocsy_topology():
    comps = {code: aa.spin_system(code, "protein").components() for code in aa.RESIDUES}
    assert ["HE"] in comps["MET"]
    assert sorted(map(len, comps["LYS"])) == [10]
    assert ["HD1", "HD2", "HE1", "HE2", "HZ"] in comps["PHE"]
    assert ["HD1"] in comps["TRP"] and ["HE3", "HZ3", "HH2", "HZ2"] in comps["TRP"]
    assert ["HD2"] in comps["HIS"] and ["HE1"] in comps["HIS"]
    for code in ("ALA", "ARG", "ILE", "LEU", "LYS", "PRO", "VAL", "THR"):
        assert len(comps[code]) == 1, code
    # after 60 ms of mixing every pair inside a network has exchanged magnetisation
    net = aa.spin_system("LYS").network()
    assert np.all(net.transfer(aa.ACQUISITION["tau_mix"]) > 1e-4)


def test_met_methyl_only_on_the_diagonal_of_the_spectrum():
    system = aa.spin_system("MET")
    shifts = system.mean.copy()
    shifts[system.names.index("HE")] = 1.0  # a legal draw, resolved from HB/HG (2.0-2.4 ppm)
    acq = dict(aa.ACQUISITION, n1=128, n2=128)
    spins = np.repeat(shifts, system.counts)
    site = np.repeat(np.arange(len(shifts)), system.counts)
    j = system.j_hz[np.ix_(site, site)]
    groups = [list(np.flatnonzero(site == s)) for s in range(len(shifts)) if system.counts[s] > 1]
    data = tocsy_fid(spins, j, groups=groups, **acq)
    spec = states_spectrum(data)
    hz = (np.arange(128) - 64) * acq["sw_hz"] / 128
    ppm = acq["carrier_ppm"] + hz / acq["field_mhz"]

    def at(f1, f2):
        return spec[np.argmin(abs(ppm - f1)), np.argmin(abs(ppm - f2))]

    he, ha, hb = (shifts[system.names.index(n)] for n in ("HE", "HA", "HB2"))
    assert at(he, he) > 100 * max(abs(at(he, ha)), abs(at(ha, he)))
    assert at(ha, hb) > 0.05 * at(ha, ha)  # the side chain does show cross peaks


def test_unknown_residue_and_context_raise():
    with pytest.raises(ValueError, match="unknown residue"):
        aa.spin_system("XYZ")
    with pytest.raises(ValueError, match="unknown context"):
        aa.spin_system("ALA", "dmso")
