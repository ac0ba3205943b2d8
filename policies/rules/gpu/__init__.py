"""gpu: GPU and MIG resources — extended resources and DRA devices — stay within each tenant's allowance, and GPU
nodes stay for GPU pods."""

from tenantguard.policies.rule import Mutator, Rule
from tenantguard.policies.rules.gpu import (
    gpu001_allowed_gpu_resources,
    gpu002_gpu_requests_equal_limits,
    gpu003_mig_profile_valid,
    gpu004_no_gpu_mig_mix,
    gpu005_gpu_per_pod_cap,
    gpu006_gpu_tenant_total,
    gpu007_gpu_taint_only_for_gpu_pods,
    gpu008_no_gpu_daemonset,
    gpu009_mig_profile_known,
    gpu010_gpu_quantities_whole,
    gpu011_gpu_resource_caps,
    gpu012_no_nvidia_runtime_requests,
    gpu013_no_node_name,
    gpu014_autoscaler_target_known,
    gpu015_device_classes_allowed,
    gpu016_device_counts_bounded,
    gpu017_no_device_admin_access,
    gpu018_device_selectors_allowed,
    gpu019_device_selectors_read,
    gpu020_device_class_caps,
    gpu021_named_claims_standalone,
    gpu022_claim_references_known,
)

RULES: tuple[Rule, ...] = (
    gpu001_allowed_gpu_resources.RULE,
    gpu002_gpu_requests_equal_limits.RULE,
    gpu003_mig_profile_valid.RULE,
    gpu004_no_gpu_mig_mix.RULE,
    gpu005_gpu_per_pod_cap.RULE,
    gpu006_gpu_tenant_total.RULE,
    gpu007_gpu_taint_only_for_gpu_pods.RULE,
    gpu008_no_gpu_daemonset.RULE,
    gpu009_mig_profile_known.RULE,
    gpu010_gpu_quantities_whole.RULE,
    gpu011_gpu_resource_caps.RULE,
    gpu012_no_nvidia_runtime_requests.RULE,
    gpu013_no_node_name.RULE,
    gpu014_autoscaler_target_known.RULE,
    gpu015_device_classes_allowed.RULE,
    gpu016_device_counts_bounded.RULE,
    gpu017_no_device_admin_access.RULE,
    gpu018_device_selectors_allowed.RULE,
    gpu019_device_selectors_read.RULE,
    gpu020_device_class_caps.RULE,
    gpu021_named_claims_standalone.RULE,
    gpu022_claim_references_known.RULE,
)
MUTATORS: tuple[Mutator, ...] = ()
