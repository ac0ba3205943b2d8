import re
from pathlib import Path

import pytest

from tenantguard.devcluster import binaries
from tenantguard.devcluster.binaries import ALL_BINARIES, ENVTEST_BINARIES, BinariesError

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build-control-plane.sh"


def _populate(directory: Path, names: tuple[str, ...]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = directory / name
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    return directory


def test_complete_kubebuilder_assets_are_used(tmp_path: Path) -> None:
    assets = _populate(tmp_path / "assets", ALL_BINARIES)
    found = binaries.resolve(env={"KUBEBUILDER_ASSETS": str(assets), "HOME": str(tmp_path)})
    assert found.directory == assets
    assert found.source == "KUBEBUILDER_ASSETS"
    assert found.kubectl == assets / "kubectl"


def test_envtest_only_assets_name_what_is_missing(tmp_path: Path) -> None:
    assets = _populate(tmp_path / "assets", ENVTEST_BINARIES)
    with pytest.raises(BinariesError) as error:
        binaries.resolve(env={"KUBEBUILDER_ASSETS": str(assets), "HOME": str(tmp_path)})
    message = str(error.value)
    assert "lacks kube-controller-manager, kube-scheduler, kwok" in message
    assert "envtest ships only etcd, kube-apiserver and kubectl" in message


def test_non_executable_file_counts_as_missing(tmp_path: Path) -> None:
    assets = _populate(tmp_path / "assets", ALL_BINARIES)
    (assets / "etcd").chmod(0o644)
    assert binaries.missing_in(assets) == ["etcd"]


def test_bin_dir_wins_over_kubebuilder_assets(tmp_path: Path) -> None:
    mine = _populate(tmp_path / "mine", ALL_BINARIES)
    env = {"KUBEBUILDER_ASSETS": str(tmp_path / "absent"), "HOME": str(tmp_path)}
    assert binaries.resolve(bin_dir=mine, env=env).directory == mine
    env_dir = {**env, "TENANTGUARD_DEVCLUSTER_BIN_DIR": str(mine)}
    assert binaries.resolve(env=env_dir).source == "TENANTGUARD_DEVCLUSTER_BIN_DIR"


def test_cache_dir_mirrors_the_build_script(tmp_path: Path) -> None:
    expected = tmp_path / ".cache/tenantguard/k8s-v1.36.3_etcd-v3.6.16_kwok-v0.8.0/bin"
    assert binaries.cache_bin_dir({"HOME": str(tmp_path)}) == expected
    env = {"TENANTGUARD_CACHE": str(tmp_path / "c"), "TENANTGUARD_K8S_VERSION": "v1.2.3"}
    custom = binaries.cache_bin_dir(env)
    assert custom == tmp_path / "c/k8s-v1.2.3_etcd-v3.6.16_kwok-v0.8.0/bin"


def test_filled_cache_is_used_without_building(tmp_path: Path) -> None:
    cached = _populate(binaries.cache_bin_dir({"HOME": str(tmp_path)}), ALL_BINARIES)
    found = binaries.resolve(env={"HOME": str(tmp_path)}, allow_build=False)
    assert (found.directory, found.source) == (cached, "build cache")


def test_empty_cache_without_build_says_how_to_get_binaries(tmp_path: Path) -> None:
    with pytest.raises(BinariesError, match="set KUBEBUILDER_ASSETS or TENANTGUARD_DEVCLUSTER_BIN_DIR"):
        binaries.resolve(env={"HOME": str(tmp_path)}, allow_build=False)


@pytest.mark.parametrize(
    ("variable", "pinned"),
    [
        ("K8S_VERSION", binaries.K8S_VERSION),
        ("ETCD_VERSION", binaries.ETCD_VERSION),
        ("KWOK_VERSION", binaries.KWOK_VERSION),
    ],
)
def test_pinned_versions_match_the_build_script(variable: str, pinned: str) -> None:
    match = re.search(rf'^{variable}="\$\{{TENANTGUARD_{variable}:-([^}}]+)\}}"', SCRIPT.read_text(), re.M)
    assert match is not None
    assert match.group(1) == pinned


def test_build_script_is_found_from_the_checkout() -> None:
    assert binaries.build_script() == SCRIPT
