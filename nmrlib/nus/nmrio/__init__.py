"""Real 2D NMR data in and out (via nmrglue): one representation for NUS work.

Representation (:class:`Dataset2D`)
-----------------------------------
* ``traces`` complex (n_direct, n_indirect): for each point of the *processed* direct
  (F2) spectrum, the indirect (F1) time-domain interferogram as complex points. The F2
  dimension is apodised, zero-filled, Fourier transformed, phased, the imaginary part is
  discarded and a ppm region extracted -- NMRPipe's ``.ft1`` intermediate, the input of
  nusExpand/istHMS/SMILE/FID-Net.
* The quadrature pair of the indirect dimension (rows ``A, B`` of each increment) is turned
  into one complex point ``Re S_A' + i Re S_B'`` after F2 processing, where ``(S_A', S_B')``
  is a linear combination of the phased complex F2 spectra given by the 2x4 coefficients
  ``(c1..c8)`` of VnmrJ's ``f1coef``: ``real = c1 Re A + c2 Im A + c3 Re B + c4 Im B``,
  ``imag = c5 Re A + c6 Im A + c7 Re B + c8 Im B``. States is ``1 0 0 0 0 0 1 0``;
  States-TPPI is States with the sign of every other increment flipped; echo-antiecho
  (rows E, AE) is ``1 0 1 0 0 -1 0 1`` (cos = Re(E + AE), sin = Im(AE - E)).
* ``dic`` is an NMRPipe header describing exactly that layout (F2 frequency domain real,
  F1 time domain complex, rows interleaved Re/Im), so :func:`write_pipe` writes a valid
  NMRPipe file and the ppm axes come from nmrglue's unit conversion of this header.

Conventions: NMRPipe's FT (``nmrglue.process.pipe_proc.ft``: ``fftshift(ifft(x)) * N``)
so spectra run from high to low frequency with index; phases in degrees,
``S * exp(i (p0 + p1 k / N))``; apodisation parameters as NMRPipe's SP/GM/GMB/EM.

Layout, one module per format as in nmrglue: :mod:`.base` (:class:`Dataset2D`),
:mod:`.pipe`, :mod:`.varian`, :mod:`.bruker`, :mod:`.read` (any of them to a
:class:`Dataset2D`) and :mod:`.processing` (the indirect dimension).
"""

from nmrlib.nus.nmrio.base import QUAD_COEFFS, Dataset2D
from nmrlib.nus.nmrio.pipe import read_pipe_ft1, read_pipe_ft2, write_pipe
from nmrlib.nus.nmrio.processing import (
    indirect_ppm,
    process_indirect,
    spectrum_2d,
    zero_fill_size,
)
from nmrlib.nus.nmrio.read import read_2d, read_known

__all__ = [
    "QUAD_COEFFS", "Dataset2D", "read_2d", "read_pipe_ft1", "read_pipe_ft2",
    "write_pipe", "process_indirect", "read_known", "indirect_ppm", "spectrum_2d",
    "zero_fill_size",
]
