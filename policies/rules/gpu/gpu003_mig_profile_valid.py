"""GPU003 mig-profile-valid — MIG resources name a real profile of the GPU the pod is placed on.

What it checks: every `nvidia.com/mig-<profile>` key in `resources.limits` / `resources.requests` is a
MIG profile name (`<g>g.<mem>gb`, with mig-parted's `+me`, `+me.all`, `+gfx` or `-me`; the device plugin
writes `+` as `.`, so `nvidia.com/mig-1g.10gb.me` is the profile `1g.10gb+me`). When the pod picks a
product — `nodeSelector["nvidia.com/gpu.product"]` or a required node-affinity `In` on that label — the
profile must exist on each product it can land on that the settings' MIG table knows (`migProfiles`;
the default covers every product of NVIDIA's MIG user guide, A30 to B300 and RTX PRO, see
`policies/mig_profiles.py`). Products the table does not know are not judged, and a well-formed profile
that no known product offers is admitted with GPU009's warning when the pod pins no known product: a
GPU newer than the table must not be refused.

Why it matters: a pod that asks for a MIG profile no node can offer stays Pending forever, holding its
place in the tenant's quota and hiding the typo (`3g.40gb` on an A100-40GB, which offers `3g.20gb`).

Fix: use a profile of the selected GPU (the message lists them), or select a product that offers it.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.gpu import (
    PRODUCT_LABEL,
    gpu_containers,
    is_mig_profile_name,
    mig_profile_of,
    selected_products,
)
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import gpu_pod
from tenantguard.policies.subjects import Subject


def listing(profiles: frozenset[str]) -> str:
    def order(p: str) -> tuple[int, int, str]:
        g, _, rest = p.partition("g.")
        mem = rest.split("gb")[0]
        return (int(g) if g.isdigit() else 99, int(mem) if mem.isdigit() else 0, p)

    return ", ".join(sorted(profiles, key=order))


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod_template in subject.pods:
        products: frozenset[str] | None = None  # read only for a pod with a MIG container
        for ref, name, where in gpu_containers(pod_template):
            profile = mig_profile_of(name)
            if profile is None:
                continue
            path = dotted((*ref.path, "resources", where, name))
            if not is_mig_profile_name(profile):
                yield Finding(
                    path=path,
                    message=f"container {ref.name!r}: {profile!r} is not a MIG profile name "
                    "(<g>g.<mem>gb, e.g. nvidia.com/mig-1g.10gb or nvidia.com/mig-1g.10gb.me)",
                )
                continue
            if products is None:
                products = selected_products(pod_template.spec) or frozenset()
            for product in sorted(products):
                offered = ctx.settings.mig_profiles_for(product)
                if offered is not None and profile not in offered:
                    yield Finding(
                        path=path,
                        message=f"container {ref.name!r}: MIG profile {profile!r} does "
                        f"not exist on {product} ({PRODUCT_LABEL}) — valid: {listing(offered)}",
                    )


_A100_40 = {"nodeSelector": {PRODUCT_LABEL: "NVIDIA-A100-SXM4-40GB"}}
_H100_AFFINITY = {
    "affinity": {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": PRODUCT_LABEL, "operator": "In", "values": ["NVIDIA-H100-80GB-HBM3"]}
                        ]
                    }
                ]
            }
        }
    }
}

RULE = Rule(
    id="GPU003",
    slug="mig-profile-valid",
    title="MIG resources name a profile the selected GPU offers",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="request nvidia.com/mig-<profile> with a profile of the selected GPU product (+me is written .me)",
    why="A MIG profile no node offers leaves the pod Pending forever.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=gpu_pod("nvidia.com/mig-3g.40gb", 1), note="real profile, any product"),
        Example(
            object=gpu_pod("nvidia.com/mig-1g.23gb", 1, nodeSelector={PRODUCT_LABEL: "NVIDIA-B200"}),
            note="B200",
            tenant={"gpu": {"maxPerPod": 1, "maxTotal": 1, "allowedResources": ["nvidia.com/mig-1g.23gb"]}},
        ),
        Example(object=gpu_pod("nvidia.com/mig-3g.40gb", 1, **_H100_AFFINITY), note="offered by H100-80GB"),
        Example(
            object=gpu_pod("nvidia.com/mig-1g.10gb.me", 1, **_H100_AFFINITY),
            note=".me maps to +me",
            tenant={"gpu": {"maxPerPod": 1, "maxTotal": 1, "allowedResources": ["nvidia.com/mig-1g.10gb.me"]}},
        ),
    ),
    denied=(
        Example(object=gpu_pod("nvidia.com/mig-3g", 1), note="not a profile name"),
        Example(object=gpu_pod("nvidia.com/mig-1g.23gb", 1, **_H100_AFFINITY), note="a B200 profile on an H100"),
        Example(object=gpu_pod("nvidia.com/mig-3g.40gb", 1, **_A100_40), note="A100-40GB has 3g.20gb"),
    ),
)
