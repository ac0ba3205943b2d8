import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tenantguard.devcluster import processes
from tenantguard.devcluster.layout import Layout


def test_start_detached_then_stop(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    sleep = shutil.which("sleep")
    assert sleep is not None
    pid = processes.start(layout, "sleeper", [sleep, "60"])
    assert processes.read_pid(layout, "sleeper") == pid
    assert processes.running_pid(layout, "sleeper", sleep) == pid
    assert processes.exit_status(pid) == "exited"  # still running: nothing known yet
    processes.stop(pid, timeout=5)
    assert not processes.is_running(pid)
    assert processes.exit_status(pid) == "was killed by SIGTERM"
    assert "sleep 60" in layout.log("sleeper").read_text()


def test_failure_description_carries_the_log_tail(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    layout.logs.mkdir()
    layout.log("etcd").write_text("".join(f"line {i}\n" for i in range(100)))
    message = processes.describe_failure(layout, "etcd", "exited during startup")
    assert message.startswith("etcd: exited during startup; last lines of ")
    assert message.endswith("line 99")
    assert "line 69" not in message


def test_a_pid_running_another_binary_is_not_ours() -> None:
    # This test process is not a child started by ``processes``, so its cmdline is what counts.
    assert processes.is_running(os.getpid())
    assert not processes.is_running(os.getpid(), "/opt/k8s/kube-apiserver")
    assert not processes.is_running(os.getpid(), "kube-apiserver")


def test_die_with_parent_stops_the_component_when_its_starter_is_killed(tmp_path: Path) -> None:
    starter = (
        "import sys; from pathlib import Path\n"
        "from tenantguard.devcluster import processes\n"
        "from tenantguard.devcluster.layout import Layout\n"
        f"layout = Layout(Path({str(tmp_path)!r}))\n"
        "pid = processes.start(layout, 'sleeper', ['sleep', '60'], die_with_parent=True)\n"
        "print(pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", starter], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert processes.is_running(child, "sleep")
    parent.kill()
    parent.wait()
    assert parent.stdin is not None and parent.stdout is not None
    parent.stdin.close()
    parent.stdout.close()
    deadline = time.monotonic() + 5
    while processes.is_running(child, "sleep") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes.is_running(child, "sleep")
