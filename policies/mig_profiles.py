"""The default MIG table: which GPU instance profiles each MIG-capable NVIDIA product offers.

Sources, checked 2026-12: NVIDIA's MIG User Guide, "Supported GPUs" and "Supported MIG Profiles"
(docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-mig-profiles.html, r580 and r610), and
mig-parted's default configuration (github.com/NVIDIA/mig-parted, deployments/systemd/config-default.yaml,
whose per-device sections name the profiles the GPU Operator creates on each product). Where the two
disagree on a memory size (drivers report GB200's slices as 3g.93gb or 3g.95gb), both spellings are kept:
the table says which names a node can offer, not which driver it runs.

A product label (`nvidia.com/gpu.product`, written by GPU feature discovery from the NVML device name with
spaces turned into `-`, e.g. `NVIDIA-H100-80GB-HBM3`, `NVIDIA-B200`, `NVIDIA-RTX-PRO-6000-Blackwell-Server-
Edition`) takes the first entry whose regular expression it contains, so the more specific entries come
first (H100 NVL before H100, GH200 144G before GH200). Profile names are mig-parted's: `+me` (media
extensions), `+me.all`, `+gfx` (graphics) and `-me` (no media engines) follow the size; the device plugin's
resource for `1g.10gb+me` is `nvidia.com/mig-1g.10gb.me`.
"""

from __future__ import annotations


def _seven(one: int, two: int, four: int, full: int) -> tuple[str, ...]:
    """The profiles of a product split in 8 memory slices and 7 compute slices: 1g with one and with two
    memory slices, 2g, 3g and 4g with four, 7g with all of it; one 1g instance may have the media engines."""
    return (
        f"1g.{one}gb",
        f"1g.{one}gb+me",
        f"1g.{two}gb",
        f"2g.{two}gb",
        f"3g.{four}gb",
        f"4g.{four}gb",
        f"7g.{full}gb",
    )


_RTX_PRO_6000 = (
    "1g.24gb", "1g.24gb+me", "1g.24gb+gfx", "1g.24gb+me.all", "1g.24gb-me",
    "2g.48gb", "2g.48gb+gfx", "2g.48gb+me.all", "2g.48gb-me",
    "4g.96gb", "4g.96gb+gfx",
)  # fmt: skip

# (product regex, profiles); every entry names the products of the MIG user guide it covers.
DEFAULT_MIG_PROFILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # A30 24GB: four slices.
    (r"(?i)\bA30\b", ("1g.6gb", "1g.6gb+me", "2g.12gb", "2g.12gb+me", "4g.24gb")),
    # A100 / A800 40GB (SXM4, PCIe): the 1g.10gb profile takes two memory slices, at most 4 of them.
    (r"(?i)\bA[18]00\b.*40GB", ("1g.5gb", "1g.5gb+me", "1g.10gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb")),
    # A100 / A800 80GB (SXM4, PCIe).
    (r"(?i)\bA[18]00\b.*80GB", _seven(10, 20, 40, 80)),
    # H100 / H800 NVL and H100 94GB (SXM5, PCIe).
    (r"(?i)\bH[18]00\b.*(NVL|94GB)", _seven(12, 24, 47, 94)),
    # GH200 144G HBM3e.
    (r"(?i)\bGH200\b.*144G", _seven(18, 36, 72, 144)),
    # H100 96GB, H100 on GH200 (96GB), H20 96GB.
    (r"(?i)\bGH200\b|\bH100\b.*96GB|\bH20\b", _seven(12, 24, 48, 96)),
    # H100 / H800 80GB (SXM5 `NVIDIA-H100-80GB-HBM3`, PCIe `NVIDIA-H100-PCIe`).
    (r"(?i)\bH[18]00\b", _seven(10, 20, 40, 80)),
    # H200 141GB (SXM5) and H200 NVL.
    (r"(?i)\bH200\b", _seven(18, 35, 71, 141)),
    # GB300 (Grace Blackwell Ultra).
    (r"(?i)\bGB300\b", _seven(35, 70, 139, 278)),
    # B300 288GB (Blackwell Ultra, HGX).
    (r"(?i)\bB300\b", _seven(34, 67, 135, 269)),
    # GB200 186GB; older drivers name its slices 1g.24gb, 3g.95gb, 4g.95gb and 7g.189gb.
    (
        r"(?i)\bGB200\b",
        (*_seven(23, 47, 93, 186), "1g.24gb", "3g.95gb", "4g.95gb", "7g.189gb"),
    ),
    # B200 180GB (HGX, DGX).
    (r"(?i)\bB200\b", _seven(23, 45, 90, 180)),
    # RTX PRO 6000 Blackwell (Server, Workstation, Max-Q Workstation Edition), 96GB: four slices.
    (r"(?i)RTX.PRO.6000", _RTX_PRO_6000),
    # RTX PRO 5000 Blackwell, 48GB.
    (
        r"(?i)RTX.PRO.5000",
        ("1g.12gb", "1g.12gb+me", "1g.12gb+gfx", "1g.12gb-me", "2g.24gb-me", "4g.48gb", "4g.48gb+gfx"),
    ),
)
