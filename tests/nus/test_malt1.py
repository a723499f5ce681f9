"""The MALT1 HSQC (a processed NMRPipe .ft2 spectrum): F1 back to the time domain and back."""

from pathlib import Path

import numpy as np
import pytest

from nmrlib.core.realdata import REGISTRY
from nmrlib.nus import nmrio

KEY = "mrai_malt1_hsqc"

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def malt1(realdata) -> Path:
    """The MALT1 spectrum, fetched through the registry (checked by sha256)."""
    return realdata / KEY / REGISTRY[KEY]["file"]


def test_reprocessing_the_recovered_time_data_gives_the_file_spectrum(malt1):
    import nmrglue as ng

    dic, data = ng.pipe.read(str(malt1))
    ds = nmrio.read_pipe_ft2(malt1)
    process = ds.meta["indirect"]
    assert ds.traces.shape == (data.shape[1], 128) and ds.traces.dtype == np.complex64
    assert process == {"apod": {"off": pytest.approx(0.48), "end": pytest.approx(0.95),
                                "pow": 2.0}, "c": 0.5, "p0": 25.0, "p1": 0.0, "size": 256}
    spec = nmrio.spectrum_2d(ds, **process)
    assert spec.shape == data.shape
    assert np.abs(spec - data).max() < 1e-5 * np.abs(data).max()
    f1 = nmrio.indirect_ppm(ds, process["size"])
    assert np.allclose(f1, ng.pipe.make_uc(dic, data, dim=0).ppm_scale(), atol=1e-4)
    assert np.allclose(ds.direct_ppm, ng.pipe.make_uc(dic, data, dim=1).ppm_scale())


def test_read_known_keeps_the_amide_region_with_the_file_settings(malt1):
    ds, process = nmrio.read_known(malt1)
    full = nmrio.read_pipe_ft2(malt1)
    hi, lo = REGISTRY[KEY]["direct"]["region_ppm"]
    assert ds.direct_ppm[0] <= hi + 0.01 and ds.direct_ppm[-1] >= lo - 0.01
    assert process == full.meta["indirect"]
    start = int(np.argmin(np.abs(full.direct_ppm - ds.direct_ppm[0])))
    assert np.array_equal(ds.traces, full.traces[start:start + ds.traces.shape[0]])
    with pytest.raises(ValueError, match="only region_ppm"):
        nmrio.read_2d(malt1, direct={"p0": 10.0})


def test_time_domain_files_are_refused(realdata):
    with pytest.raises(ValueError, match="both dimensions transformed"):
        nmrio.read_pipe_ft2(realdata / "nmrglue_2d_time_complex" / "time_complex.fid")
