"""GPU009 mig-profile-known — MIG profiles are in the settings' MIG table, or the pod is told they are not.

What it checks: every well-formed `nvidia.com/mig-<profile>` key in `resources.limits` /
`resources.requests` of a pod that pins no GPU product the MIG table knows (no
`nodeSelector["nvidia.com/gpu.product"]`, no required node-affinity `In` on it, or only products missing
from `migProfiles`) names a profile that some product of the table offers. A profile outside the table
is reported as a warning, never a denial: NVIDIA ships new products (and drivers rename slices) faster
than any table, and a tenant the platform allows `nvidia.com/mig-1g.23gb` must not be refused because
the table predates its GPU. Malformed names, and profiles a known pinned product lacks, are GPU003's.

Why it matters: a typo such as `3g.41gb` leaves the pod Pending forever; the warning says so at
`kubectl apply` time while a GPU the table does not know yet keeps working.

Fix: check the profile name against `nvidia-smi mig -lgip` on the node, or add the product and its
profiles to the settings' `migProfiles`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.gpu import gpu_containers, is_mig_profile_name, mig_profile_of, selected_products
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import gpu_pod
from tenantguard.policies.subjects import Subject

_B200 = {"nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-B200"}}
_FUTURE = {"nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-B400"}}


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod_template in subject.pods:
        pins_known: bool | None = None  # read only for a pod with a MIG container
        for ref, name, where in gpu_containers(pod_template):
            profile = mig_profile_of(name)
            if profile is None or not is_mig_profile_name(profile):
                continue
            if pins_known is None:
                products = selected_products(pod_template.spec) or frozenset()
                pins_known = any(ctx.settings.mig_profiles_for(p) is not None for p in products)
            if pins_known or profile in ctx.settings.all_mig_profiles:
                continue
            yield Finding(
                path=dotted((*ref.path, "resources", where, name)),
                message=f"container {ref.name!r}: MIG profile {profile!r} is in no product's MIG table "
                "(settings migProfiles); admitted, but the pod stays Pending if no node offers it",
            )


def _allow(resource: str) -> dict[str, object]:
    return {"gpu": {"maxPerPod": 1, "maxTotal": 1, "allowedResources": [resource]}}


RULE = Rule(
    id="GPU009",
    slug="mig-profile-known",
    title="MIG profiles are ones the MIG table knows",
    category=Category.GPU,
    severity=Severity.WARNING,
    pod_templates=True,
    fix="check the profile with `nvidia-smi mig -lgip` on the node, or add the GPU product to settings migProfiles",
    why="A MIG profile no node offers leaves the pod Pending; a GPU newer than the table must still be usable.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=gpu_pod("nvidia.com/mig-1g.23gb", 1, **_B200), tenant=_allow("nvidia.com/mig-1g.23gb")),
        Example(object=gpu_pod("nvidia.com/mig-3g.40gb", 1), note="in the table, no product pinned"),
    ),
    denied=(
        Example(
            object=gpu_pod("nvidia.com/mig-2g.50gb", 1, **_FUTURE),
            tenant=_allow("nvidia.com/mig-2g.50gb"),
            note="a product the table does not know: warned, admitted",
        ),
    ),
)
