"""The real-data registry (``nmrlib.core.realdata``): checksums, mirror, cache, offline
errors, CLI."""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

import pytest

from nmrlib.__main__ import main as cli
from nmrlib.core import realdata

COMMIT_URL = re.compile(r"^https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/\S+$")


@pytest.fixture
def mirror(shared_dir: Path) -> Path:
    return shared_dir / "realdata"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache of this test's own (NMRLIB_DATA_DIR)."""
    monkeypatch.setenv("NMRLIB_DATA_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network: every host name fails to resolve (as on a machine without a route)."""
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)


def test_every_mirror_folder_is_a_registry_set_and_back(mirror):
    assert sorted(p.name for p in mirror.iterdir() if p.is_dir()) == sorted(realdata.REGISTRY)


@pytest.mark.parametrize("name", list(realdata.REGISTRY))
def test_every_registry_file_matches_its_mirror_copy(mirror, name):
    for f in realdata.files(name):
        copy = mirror / name / f["local"]
        assert copy.stat().st_size == f["size"], f["local"]
        assert realdata.sha256(copy) == f["sha256"], f["local"]


@pytest.mark.parametrize("name", list(realdata.REGISTRY))
def test_every_url_is_a_raw_file_at_a_pinned_commit(name):
    e = realdata.REGISTRY[name]
    assert re.fullmatch(r"[0-9a-f]{40}", e["commit"])
    for f in realdata.files(name):
        assert COMMIT_URL.match(f["url"]), f["url"]
        assert f"/{e['commit']}/" in f["url"]
        assert re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) and f["size"] > 0
    assert e["licence"] and e["citation"] and e["kind"] and e["label"]
    assert e["use"] in {"nus-r2", "nus-demo", "tocsy"}


def test_the_malt1_file_is_renamed_from_its_source_name():
    (f,) = realdata.files("mrai_malt1_hsqc")
    assert f["local"] == "malt1_hsqc.ft2" and f["url"].endswith("/Spectra/Malt.ft2")


def test_fetch_copies_from_the_mirror_into_the_cache_once(cache, offline):
    folder = realdata.fetch("fidnet_hdac_nus")
    assert folder == cache / "fidnet_hdac_nus"
    assert sorted(p.name for p in folder.iterdir()) == ["hdac_ex.ft1", "ss_hdac.out"]
    assert realdata.status("fidnet_hdac_nus") == "yes"
    assert realdata.status("fidnet_methyl_hmqc") == "no"
    path = realdata.path("openvnmrj_azithromycin_ghsqcad")
    assert path == cache / "openvnmrj_azithromycin_ghsqcad" / "Azithromycin_gHSQCAD_01.fid"
    assert sorted(p.name for p in path.iterdir()) == ["fid", "log", "procpar", "text"]


def test_a_corrupted_mirror_copy_is_refused(cache, mirror, tmp_path, monkeypatch, offline):
    bad = tmp_path / "mirror"
    shutil.copytree(mirror / "fidnet_hdac_nus", bad / "fidnet_hdac_nus")
    target = bad / "fidnet_hdac_nus" / "ss_hdac.out"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes().replace(b"1", b"2", 1))
    monkeypatch.setenv("NMRLIB_DATA_MIRROR", str(bad))
    with pytest.raises(ValueError, match=r"data set fidnet_hdac_nus: .*ss_hdac.out has sha256 "
                       r".*not used; replace it with https://.*or unset NMRLIB_DATA_MIRROR"):
        realdata.fetch("fidnet_hdac_nus")
    assert not (cache / "fidnet_hdac_nus" / "ss_hdac.out").exists()


def test_a_corrupted_cache_copy_is_refused_and_force_fetches_it_again(cache, offline):
    from nmrlib.nus import nmrio

    name = "mrai_malt1_hsqc"
    realdata.fetch(name)
    target = cache / name / "malt1_hsqc.ft2"
    target.chmod(0o644)
    with open(target, "r+b") as handle:   # four bytes of the data, the header intact
        handle.seek(40_000)
        handle.write(b"\x01\x02\x03\x04")
    assert realdata.status(name) == "CORRUPT"
    refused = (rf"data set {name}: .*malt1_hsqc.ft2 has sha256 .*not used; delete it or run "
               rf"`python -m nmrlib data fetch {name} --force`")
    with pytest.raises(ValueError, match=refused):
        realdata.path(name)
    with pytest.raises(ValueError, match=refused):   # readers go through the registry too
        nmrio.read_known(name)
    realdata.fetch(name, force=True)
    assert realdata.status(name) == "yes"
    assert nmrio.read_known(name)[0].n_indirect == 128


def test_offline_without_a_mirror_names_the_url_and_both_variables(cache, monkeypatch, offline):
    monkeypatch.delenv("NMRLIB_DATA_MIRROR", raising=False)
    with pytest.raises(OSError) as err:
        realdata.fetch("mrai_malt1_hsqc")
    message = str(err.value)
    assert "\n" not in message
    assert realdata.files("mrai_malt1_hsqc")[0]["url"] in message
    assert "NMRLIB_DATA_MIRROR" in message and "NMRLIB_DATA_DIR" in message
    assert not list(cache.rglob("*.ft2"))


def test_a_download_that_does_not_match_its_sha256_is_not_kept(cache, monkeypatch):
    """pooch downloads to a temporary file and keeps it only when the sha256 matches."""
    import pooch

    monkeypatch.delenv("NMRLIB_DATA_MIRROR", raising=False)

    def fake_download(self, url, output_file, pooch_obj, check_only=False):
        Path(output_file).write_bytes(b"not the data set")

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", fake_download)
    with pytest.raises(ValueError, match=r"data set fidnet_hdac_nus: https://\S+hdac_ex.ft1 does "
                       r"not match the registry's sha256, not used"):
        realdata.fetch("fidnet_hdac_nus")
    assert not list(cache.rglob("hdac_ex.ft1"))


def test_a_missing_source_file_names_the_http_status(cache, monkeypatch):
    import pooch
    import requests

    monkeypatch.delenv("NMRLIB_DATA_MIRROR", raising=False)

    def not_found(self, url, output_file, pooch_obj, check_only=False):
        response = requests.Response()
        response.status_code = 404
        raise requests.exceptions.HTTPError("404 Client Error", response=response)

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", not_found)
    with pytest.raises(OSError, match=r"cannot download https://\S+ss_hdac.out \(HTTP 404\)|"
                       r"cannot download https://\S+hdac_ex.ft1 \(HTTP 404\)"):
        realdata.fetch("fidnet_hdac_nus")


def test_cli_list_fetch_path(cache, capsys, offline):
    assert cli(["data", "fetch", "fidnet_hdac_nus", "mrai_malt1_hsqc"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{n}: {cache / n}" for n in ("fidnet_hdac_nus", "mrai_malt1_hsqc")]
    assert cli(["data", "list"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[2:]}
    assert set(rows) == set(realdata.REGISTRY)
    assert " yes " in rows["fidnet_hdac_nus"] and " no " in rows["fidnet_methyl_hmqc"]
    assert "MIT" in rows["mrai_malt1_hsqc"] and "2.10" in rows["mrai_malt1_hsqc"]
    assert cli(["data", "path", "mrai_malt1_hsqc"]) == 0
    assert capsys.readouterr().out.strip() == str(cache / "mrai_malt1_hsqc" / "malt1_hsqc.ft2")


@pytest.mark.parametrize("argv, match", [
    (["data", "path", "no_such_set"], "unknown data set 'no_such_set'; known: "),
    (["data", "fetch"], "give set names or --all"),
    (["data", "fetch", "--all", "mrai_malt1_hsqc"], "give set names or --all"),
    (["data", "fetch", "mrai_malt1_hsqc", "nope"], "unknown data set 'nope'"),
    (["data", "frobnicate"], "invalid choice"),
])
def test_cli_bad_input_is_one_error_line_and_exit_2(cache, capsys, argv, match):
    assert cli(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and match in err
    assert not (cache / "mrai_malt1_hsqc").exists()
