"""The exchangeable side-chain protons a TOCSY of a protein in H2O sees (context ``protein-h2o``).

The paper (Yip et al.) states no solvent, temperature or pH. The ``protein`` context keeps
the backbone HN (so it already assumes H2O) but drops every exchangeable side-chain proton.
``protein-h2o`` adds the ones a spectroscopist sees in a protein TOCSY in 90 % H2O near
pH 6-7 and 298 K (ASSUMED conditions: those of the BMRB depositions the shift statistics
come from):

* observed (slow exchange): ASN HD21/HD22 and GLN HE21/HE22 (carboxamide NH2), TRP HE1
  (indole NH), ARG HE (guanidino NepsilonH) -- Wuthrich 1986 ch. 2; Liepinsh & Otting 1996;
* not observed (fast exchange or no proton at neutral pH): LYS HZ (NH3+), SER HG, THR HG1,
  TYR HH (OH; Liepinsh, Otting & Wuthrich 1992), CYS HG (SH), HIS HD1/HE2 (ring NH), ARG
  HH11-HH22 (guanidino NH2, exchange plus hindered rotation; Henry & Sykes 1995), ASP HD2
  and GLU HE2 (carboxyl OH).

The decision is made from data, :data:`OBSERVED_FRACTION`: a proton is kept when BMRB
assigns it in at least 10 % of the residues that have HA assigned (the slow ones: 26-92 %,
the fast ones: <= 4.3 %). The reason, citation and BMRB count of every proton, and the
ASSUMED couplings with their sources (NH2 geminal 2J 2.5 Hz; ARG 3J(HE,HD) 4.9 Hz, the
rotation-averaged Karplus value; TRP 3J(HE1,HD1) 2.5 Hz), are in
``nmrlib/data/aminoacids_h2o.json``. Shifts are drawn like the ``protein`` context's (BMRB
filtered statistics, truncated at mean +/- 3 sd and the observed range) and additionally
truncated to the spectral window of :data:`nmrlib.tocsy.residues.ACQUISITION` less 0.1 ppm, so
nothing folds: only TRP HE1 (10.08 +/- 0.64 ppm) is affected, above 10.6 ppm (21 % of its
Gaussian). Exchange broadening is not modelled (the observed protons relax with the data
set's T2).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

CONTEXT = "protein-h2o"
OBSERVED_FRACTION = 0.1   # BMRB assignments of the proton / assignments of the residue's HA
SWEEP_MARGIN_PPM = 0.1    # truncation stays this far inside the spectral window (60 Hz at 600 MHz)


@cache
def table() -> dict:
    """The exchangeable-proton table (parsed JSON, ``nmrlib/data/aminoacids_h2o.json``)."""
    text = resources.files("nmrlib").joinpath("data/aminoacids_h2o.json").read_text()
    return json.loads(text)


def assigned_fraction(code: str, name: str) -> float:
    """BMRB assignments of exchangeable proton ``name`` of residue ``code`` per assignment of
    the residue's HA (dimensionless; both counts from the BMRB filtered statistics)."""
    from nmrlib.tocsy.residues import table as residue_table

    protons = {p["name"]: p for p in residue_table()["residues"][code]["protons"]}
    ha = protons["HA2" if code == "GLY" else "HA"]["bmrb"][4]
    extra = {p["name"]: p for p in table()["residues"].get(code, {}).get("protons", [])}
    if name not in extra:
        raise ValueError(f"{code} has no exchangeable side-chain proton {name!r}")
    return extra[name]["bmrb"][4] / ha


def observed_protons(code: str) -> list[dict]:
    """The exchangeable side-chain protons of ``code`` (three-letter, upper case) that a
    TOCSY in H2O sees, as residue-table entries (shifts in ppm)."""
    entry = table()["residues"].get(code, {"protons": []})
    return [p for p in entry["protons"]
            if assigned_fraction(code, p["name"]) >= OBSERVED_FRACTION]


def couplings(code: str) -> list[list]:
    """``[a, b, J_Hz, source]`` of the exchangeable protons of ``code`` (ASSUMED values)."""
    return table()["residues"].get(code, {"couplings": []})["couplings"]


def sweep_limits(acquisition: dict) -> tuple[float, float]:
    """Lowest and highest shift (ppm) a draw may take: the spectral window of
    ``acquisition`` (``carrier_ppm``, ``sw_hz``, ``field_mhz``) less :data:`SWEEP_MARGIN_PPM`
    on each side, so no peak folds."""
    half = acquisition["sw_hz"] / 2 / acquisition["field_mhz"] - SWEEP_MARGIN_PPM
    return acquisition["carrier_ppm"] - half, acquisition["carrier_ppm"] + half
