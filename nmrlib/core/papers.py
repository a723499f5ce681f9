"""Every number the two papers report, as the project's own cited table.

* **Yip et al.**, *Amino Acid Classification in 2D NMR Spectra via Acoustic Signal
  Embeddings*, arXiv 2208.00935: Tables I-III, the abstract's headline claims and the
  protocol (data-set size, split, training settings).
* **Qu et al.**, *Accelerated Nuclear Magnetic Resonance Spectroscopy with Deep Learning*,
  Angew. Chem. Int. Ed. 2020 (main text and Supporting Information): the DLNMR R² and
  timing claims and the training-data and schedule counts.

Each number is a :class:`PaperValue` with where the paper states it, how it is stated,
the rule that decides whether one of our numbers agrees with it and a tolerance with its
reason. Keys use the project's names (encoder ``fbank`` is the paper's "Mel", ``conv1d``
its "1D Conv"; embeddings ``xvector``, ``ecapa_s``, ``ecapa_l``, ``deep_picker``).

Tolerance rule (``rule`` and ``tolerance`` of every entry):

* ``near`` -- a proportion estimated on the paper's test set (accuracy, F1). The paper
  gives one run per cell and no spread, so the tolerance is 2 x the binomial standard
  error of its own estimate, ``2 sqrt(p (1 - p) / n)``, never below ``3 / n`` (the rule of
  three: 1.000 measured on n spectra is compatible with an error rate up to 3/n). n is the
  paper's test-set size: 2,000 spectra for Tables I-II (10 % of 20,000), 100 per class for
  Table III (an F1 score is treated as a proportion of its class's test spectra, an
  approximation). A derived ratio propagates those errors. :meth:`PaperValue.agrees` adds our
  own uncertainty (2 x SE of our estimate) in quadrature, since ours comes from its own
  test set; when our 2 x SE exceeds :data:`INCONCLUSIVE_ABOVE` (a quarter of the
  proportion scale: a handful of test spectra) the verdict is "inconclusive", never
  "within". Protocol numbers are ``near`` with tolerance 0: a reduced profile disagrees.
* ``at_least`` / ``at_most`` -- a bound ("R² > 0.98", "4-8 % of the LR time"): ours agrees
  on the paper's side of ``value -/+ tolerance``; the tolerance says how a loose wording
  ("approaching 0.99", "about 0.9999") is read.
* ``holds`` -- a qualitative statement ("DL higher than LR with a smaller spread"): ours
  agrees when the statement holds for our results; no value, no tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

YIP = "Yip et al. (arXiv 2208.00935)"
QU = "Qu et al. (Angew. Chem. 2020)"
RULES = ("near", "at_least", "at_most", "holds")
INCONCLUSIVE_ABOVE = 0.25  # our 2 x SE beyond which a proportion tells nothing (a 1/4 scale)
PROTOCOL_REASON = "a protocol setting: ours equals it, or the profile reduced it"

# ---- Yip et al. facts --------------------------------------------------------------------

YIP_TEST_SPECTRA = 2_000        # 10 % of 20,000 (1,000 per class, 70/20/10 % split)
YIP_TEST_PER_CLASS = 100

# Table I: test accuracy, models trained from scratch; (encoder, embedding) -> accuracy.
TABLE_I: dict[tuple[str, str], float] = {
    ("fbank", "xvector"): 0.828, ("conv1d", "xvector"): 0.948,
    ("fbank", "ecapa_s"): 0.933, ("conv1d", "ecapa_s"): 0.968,
    ("fbank", "ecapa_l"): 0.942, ("conv1d", "ecapa_l"): 0.977,
    ("fbank", "deep_picker"): 0.620, ("conv1d", "deep_picker"): 0.791,
}
# Table II: test accuracy of the VoxCeleb-pretrained ECAPA-TDNN-L; (encoder, mode) -> accuracy.
TABLE_II: dict[tuple[str, str], float] = {
    ("fbank", "frozen"): 0.416, ("fbank", "trainable"): 0.956,
    ("conv1d", "frozen"): 0.727, ("conv1d", "trainable"): 0.967,
}
# Table III: per-class test F1 with the 1D Conv encoder, columns TABLE_III_MODELS.
TABLE_III_MODELS = ("ecapa_l", "xvector", "deep_picker")
TABLE_III: dict[str, tuple[float, float, float]] = {
    "ALA": (0.990, 0.911, 0.763), "ARG": (0.990, 1.000, 0.952), "ASN": (0.990, 0.926, 0.900),
    "ASP": (1.000, 0.990, 0.885), "CYS": (0.970, 0.896, 0.587), "GLN": (0.990, 0.980, 0.918),
    "GLU": (0.990, 0.990, 0.781), "GLY": (0.970, 0.951, 0.895), "HIS": (0.980, 0.969, 0.942),
    "ILE": (0.920, 0.828, 0.854), "LEU": (0.909, 0.863, 0.651), "LYS": (1.000, 0.990, 0.821),
    "MET": (0.980, 0.990, 0.615), "PHE": (1.000, 0.990, 0.940), "PRO": (1.000, 0.980, 0.779),
    "SER": (0.949, 0.900, 0.516), "THR": (0.990, 0.915, 0.688), "TRP": (0.951, 0.931, 0.602),
    "TYR": (0.969, 0.959, 0.774), "VAL": (1.000, 1.000, 0.828),
}
HARDEST_CLASSES = ("ILE", "LEU")  # lowest Table III F1 of ECAPA-TDNN-L, named in the text

_PAPER_NAMES = {"fbank": "Mel", "conv1d": "1D Conv", "xvector": "X-Vector",
                "ecapa_s": "ECAPA-TDNN-S", "ecapa_l": "ECAPA-TDNN-L",
                "deep_picker": "DEEP Picker"}


@dataclass(frozen=True)
class PaperValue:
    """One number (or statement) of a paper and how ours is judged against it."""

    key: str          # unique id, e.g. "yip.table1.conv1d-ecapa_l"
    paper: str        # YIP or QU
    item: str         # "Table I", "Abstract", "R² claims", ...
    quantity: str     # what is measured, in words
    value: float | None
    stated: str       # as the paper states it
    rule: str         # one of RULES
    tolerance: float  # in the unit of value; see the module docstring
    reason: str       # why this tolerance
    cite: str         # table / figure / section of the paper
    fmt: str = "{:.3f}"  # how the value and ours are printed (the paper's precision)

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"{self.key}: unknown rule {self.rule!r}; choose one of {RULES}")
        if (self.value is None) != (self.rule == "holds"):
            raise ValueError(f"{self.key}: a value is needed exactly when the rule is not "
                             "'holds'")
        if not self.tolerance >= 0:
            raise ValueError(f"{self.key}: tolerance must be >= 0, got {self.tolerance}")

    def allowed(self, our_tolerance: float = 0.0) -> float:
        """The tolerance a comparison uses: the paper's and ours added in quadrature (near);
        the paper's alone for bounds."""
        if self.rule == "near":
            return math.hypot(self.tolerance, our_tolerance)
        return self.tolerance

    def agrees(self, ours: float | bool, our_tolerance: float = 0.0) -> bool:
        """Whether ``ours`` agrees with the paper under this entry's rule.

        ``our_tolerance`` (2 x SE of our estimate) widens a ``near`` comparison only.
        """
        if self.rule == "holds":
            if not isinstance(ours, bool):
                raise ValueError(f"{self.key}: a 'holds' entry needs True/False, got {ours!r}")
            return ours
        if isinstance(ours, bool) or not math.isfinite(float(ours)):
            raise ValueError(f"{self.key}: needs a finite number, got {ours!r}")
        slack = self.allowed(our_tolerance) + 1e-12
        if self.rule == "near":
            return abs(float(ours) - self.value) <= slack
        if self.rule == "at_least":
            return float(ours) >= self.value - slack
        return float(ours) <= self.value + slack

    def verdict(self, ours: float | bool, our_tolerance: float = 0.0) -> str:
        """``within``, ``outside``, or ``inconclusive`` when our own 2 x SE exceeds
        :data:`INCONCLUSIVE_ABOVE` (too few test spectra to tell)."""
        if self.rule == "near" and our_tolerance > INCONCLUSIVE_ABOVE:
            return "inconclusive"
        return "within" if self.agrees(ours, our_tolerance) else "outside"


def two_se(p: float, n: int) -> float:
    """2 x binomial SE of a proportion ``p`` measured on ``n`` items, at least 3/n."""
    if n <= 0 or not 0.0 <= p <= 1.0:
        raise ValueError(f"need 0 <= p <= 1 and n > 0, got p={p}, n={n}")
    return max(2.0 * math.sqrt(p * (1.0 - p) / n), 3.0 / n)


def _accuracy(key: str, item: str, quantity: str, value: float, cite: str) -> PaperValue:
    return PaperValue(
        key, YIP, item, quantity, value, f"{value:.3f}", "near",
        two_se(value, YIP_TEST_SPECTRA),
        f"2 x binomial SE on the paper's {YIP_TEST_SPECTRA:,} test spectra (one run, no sd)",
        cite)


def _yip_entries() -> list[PaperValue]:
    out = []
    for (enc, emb), acc in TABLE_I.items():
        out.append(_accuracy(f"yip.table1.{enc}-{emb}", "Table I",
                             f"{_PAPER_NAMES[emb]} + {_PAPER_NAMES[enc]}: test accuracy",
                             acc, "Table I"))
    for (enc, mode), acc in TABLE_II.items():
        out.append(_accuracy(f"yip.table2.{enc}-ecapa_l-pretrained_{mode}", "Table II",
                             f"pre-trained {_PAPER_NAMES['ecapa_l']} + {_PAPER_NAMES[enc]}, "
                             f"{mode}: test accuracy", acc, "Table II"))
    for residue, row in TABLE_III.items():
        for model, f1 in zip(TABLE_III_MODELS, row, strict=True):
            out.append(PaperValue(
                f"yip.table3.conv1d-{model}.{residue}", YIP, "Table III",
                f"{_PAPER_NAMES[model]} + 1D Conv: F1 of {residue}", f1, f"{f1:.3f}", "near",
                two_se(f1, YIP_TEST_PER_CLASS),
                f"2 x binomial SE on the paper's {YIP_TEST_PER_CLASS} test spectra per class, "
                f"at least 3/{YIP_TEST_PER_CLASS}", "Table III"))
    top, picker = TABLE_I[("conv1d", "ecapa_l")], TABLE_I[("conv1d", "deep_picker")]
    out.append(_accuracy("yip.abstract.accuracy", "Abstract",
                         "best test accuracy (ECAPA-TDNN-L + 1D Conv)", top,
                         "Abstract (97.7 %); Table I"))
    gain = top / picker - 1.0
    se = (top / picker) * math.hypot(two_se(top, YIP_TEST_SPECTRA) / top,
                                     two_se(picker, YIP_TEST_SPECTRA) / picker)
    out.append(PaperValue(
        "yip.abstract.relative_improvement", YIP, "Abstract",
        "relative improvement of ECAPA-TDNN-L over DEEP Picker (1D Conv): acc_L / acc_DP - 1",
        gain, "23 %", "near", se,
        "2 x SE of both Table I accuracies (2,000 test spectra) propagated through the ratio",
        "Abstract (23 %); Table I (0.977 / 0.791)", "{:.1%}"))
    out.append(PaperValue(
        "yip.text.hardest_classes", YIP, "Table III",
        "ILE and LEU have the lowest F1 of ECAPA-TDNN-L + 1D Conv", None,
        "ILE 0.920, LEU 0.909 (hardest classes)", "holds", 0.0,
        "a statement: holds when our two lowest-F1 classes are ILE and LEU",
        "Table III and its discussion"))
    protocol = (
        ("train_per_class", "training spectra per class", 700, "700 (70 % of 1,000)",
         "data set and split (Secs. III-IV): 1,000 per class, 70/20/10 %"),
        ("test_spectra", "test spectra", YIP_TEST_SPECTRA, "2,000 (10 % of 20,000)",
         "data set and split (Secs. III-IV): 20,000 spectra, 70/20/10 %"),
        ("samples_per_channel", "audio samples per channel (256 x 256)", 65_536,
         "2 x 256 x 256", "data set (Sec. III): 2 States channels, 256 x 256 points"),
        ("epochs", "training epochs", 10, "10", "Sec. IV: training"),
        ("batch_size", "batch size", 20, "20", "Sec. IV: training"),
        ("lr", "Adam learning rate", 0.001, "0.001", "Sec. IV: training"),
    )
    for name, quantity, value, stated, cite in protocol:
        out.append(PaperValue(f"yip.protocol.{name}", YIP, "Protocol", quantity, float(value),
                              stated, "near", 0.0, PROTOCOL_REASON, cite,
                              "{:g}" if name == "lr" else "{:,.0f}"))
    return out


def _qu_entries() -> list[PaperValue]:
    cd79b = "2D 1H-15N HSQC of the cytosolic domain of CD79b"
    r2, pct, count = "{:.4f}", "{:.1%}", "{:,.0f}"
    return [
        PaperValue("qu.r2.cd79b_dl_25", QU, "R² claims", f"{cd79b}, 25 % NUS: R² of DL",
                   0.9996, "0.9996", "at_least", 0.0006,
                   "stated to 4 decimals, no spread: agrees when R² >= 0.999",
                   "main text, CD79b HSQC at 25 % NUS", r2),
        PaperValue("qu.r2.cd79b_dl_lr_25", QU, "R² claims",
                   f"{cd79b}, 25 % NUS: R² of DL and of LR", 0.9999, "about 0.9999",
                   "at_least", 0.0009, "'about 0.9999' read as R² >= 0.999",
                   "Supporting Information, Fig. S2-1", r2),
        PaperValue("qu.r2.dl_vs_lr_10_15", QU, "R² claims",
                   "10 % and 15 % NUS: R² of DL higher than LR, with a smaller spread over "
                   "schedules (paper: CD79b HSQC, 100 schedules)", None,
                   "DL > LR, smaller sd", "holds", 0.0,
                   "a statement: holds when mean R² of DL >= LR and sd of DL <= LR",
                   "main text, Fig. 2d", r2),
        PaperValue("qu.r2.other_2d_25", QU, "R² claims",
                   "other 2D spectra (GB1 HSQC, 13C-15N, ...), 25 % NUS: R² of DL and LR",
                   0.98, "> 0.98", "at_least", 0.0, "a bound: agrees when R² >= 0.98",
                   "main text and Supporting Information, other 2D spectra", r2),
        PaperValue("qu.r2.3d", QU, "R² claims",
                   "3D HNCO / HNCA, 5 % and 10 % NUS: R² of DL and CS", 0.99,
                   "approaching 0.99", "at_least", 0.01,
                   "'approaching 0.99' read as R² >= 0.98", "main text, 3D spectra", r2),
        PaperValue("qu.time.2d", QU, "Timing claims",
                   "2D: DL reconstruction time as a fraction of LR", 0.08, "4-8 %", "at_most",
                   0.0, "a range of speed-ups: agrees when DL takes <= 8 % of the LR time",
                   "main text, Fig. 5; Supporting Information, Tables S3-1/S3-2", pct),
        PaperValue("qu.time.3d", QU, "Timing claims",
                   "3D: DL reconstruction time as a fraction of CS", 0.22, "12-22 %",
                   "at_most", 0.0,
                   "a range of speed-ups: agrees when DL takes <= 22 % of the CS time",
                   "main text, Fig. 5; Supporting Information, Tables S3-1/S3-2", pct),
        PaperValue("qu.protocol.training_fids", QU, "Protocol",
                   "synthetic training FIDs (no real spectra)", 40_000.0, "40,000", "near", 0.0,
                   PROTOCOL_REASON, "Supporting Information, Table S1-1", count),
        PaperValue("qu.protocol.schedules", QU, "Protocol",
                   "Poisson-gap schedules per NUS level for the R² statistics", 100.0, "100",
                   "near", 0.0, PROTOCOL_REASON, "main text, Fig. 2d", count),
    ]


ENTRIES: tuple[PaperValue, ...] = (*_yip_entries(), *_qu_entries())
_BY_KEY = {e.key: e for e in ENTRIES}


def entry(key: str) -> PaperValue:
    """The entry with ``key`` (ValueError naming the key when there is none)."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise ValueError(f"no paper value {key!r}") from None
