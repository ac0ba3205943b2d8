"""pod-security: the Pod Security Standards as Kubernetes' Pod Security Admission decides them.

One rule per PSA check, in PSA's order, slug = PSA check ID, each declaring its level, its versions and
the baseline checks it overrides (`Rule.level`, `Rule.versions`); `policies.podsecurity` selects. Baseline
checks (PSS001-PSS012) apply to tenants with `podSecurity: baseline` or `restricted`; restricted checks
(PSS013-PSS019) to `restricted` only. Like PSA, `restricted` skips the baseline checks a restricted one
overrides (PSS004, PSS005, PSS009, PSS010), from the version the override starts. The Tenant's
`podSecurityVersion` pins the version, as PSA's `enforce-version` label does.

PSS020 keeps kube-apiserver's own Pod Security Admission labels on tenant namespaces (defence in depth);
PSS020-M sets them. PSS-M fills in secure defaults for tenants that opt in.
"""

from tenantguard.policies.rule import Mutator, Rule
from tenantguard.policies.rules.podsecurity import (
    defaults,
    pss001_windows_host_process,
    pss002_host_namespaces,
    pss003_privileged,
    pss004_capabilities_baseline,
    pss005_host_path_volumes,
    pss006_host_ports,
    pss007_app_armor_profile,
    pss008_se_linux_options,
    pss009_proc_mount,
    pss010_seccomp_profile_baseline,
    pss011_sysctls,
    pss012_host_probes_and_host_lifecycle,
    pss013_restricted_volumes,
    pss014_allow_privilege_escalation,
    pss015_run_as_non_root,
    pss016_run_as_user,
    pss017_seccomp_profile_restricted,
    pss018_capabilities_restricted,
    pss019_proc_mount_restricted,
    pss020_namespace_pod_security_labels,
)

RULES: tuple[Rule, ...] = (
    pss001_windows_host_process.RULE,
    pss002_host_namespaces.RULE,
    pss003_privileged.RULE,
    pss004_capabilities_baseline.RULE,
    pss005_host_path_volumes.RULE,
    pss006_host_ports.RULE,
    pss007_app_armor_profile.RULE,
    pss008_se_linux_options.RULE,
    pss009_proc_mount.RULE,
    pss010_seccomp_profile_baseline.RULE,
    pss011_sysctls.RULE,
    pss012_host_probes_and_host_lifecycle.RULE,
    pss013_restricted_volumes.RULE,
    pss014_allow_privilege_escalation.RULE,
    pss015_run_as_non_root.RULE,
    pss016_run_as_user.RULE,
    pss017_seccomp_profile_restricted.RULE,
    pss018_capabilities_restricted.RULE,
    pss019_proc_mount_restricted.RULE,
    pss020_namespace_pod_security_labels.RULE,
)
MUTATORS: tuple[Mutator, ...] = (defaults.MUTATOR, pss020_namespace_pod_security_labels.MUTATOR)
