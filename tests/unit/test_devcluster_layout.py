from pathlib import Path

from tenantguard.devcluster.layout import Layout, Ports, State, default_state_dir


def test_ports_are_distinct_and_pinnable() -> None:
    ports = Ports.allocate({"TENANTGUARD_DEVCLUSTER_PORT_APISERVER": "16443"})
    values = [getattr(ports, name) for name in Ports.__dataclass_fields__]
    assert ports.apiserver == 16443
    assert len(set(values)) == len(values)


def test_state_dir_default_and_override(tmp_path: Path) -> None:
    assert default_state_dir({"HOME": "/home/u"}) == Path("/home/u/.cache/tenantguard/dev-cluster")
    assert default_state_dir({"TENANTGUARD_DEVCLUSTER_DIR": str(tmp_path)}) == tmp_path


def test_state_round_trips(tmp_path: Path) -> None:
    state = State(provider="kwok", server="https://127.0.0.1:1", bin_dir="/b", ports={"apiserver": 1})
    path = Layout(tmp_path).state_file
    state.save(path)
    assert State.load(path) == state
    assert State.load(tmp_path / "absent.json") is None
