"""Kubernetes RBAC semantics: what a role grants and to whom. Purely computational, no I/O.

One engine for the RBAC rules (policies/rules/rbac) and the audit's RBAC exposure alike:

    rules.PolicyRule.allows(verb, group, "pods/exec", name)   # kube-apiserver's RBAC authorizer, one rule
    aggregation.aggregate(cluster_roles)                      # ClusterRole aggregation, transitively
    bindings.effective_grants(objects, wanted)                # every subject's rules, where, through which binding
    subjects.normalize / Members(tenants).tenants_of(subject) # one identity, its tenants
    powers.held(rule)                                         # the forbidden powers a rule grants
    bootstrap.GRANTING                                        # Kubernetes' own ClusterRoles that grant one
    risks.classify(rule, cluster_wide=...)                    # the audit's risky-grant slugs

The modules: rules (PolicyRule and matching), resources (which built-in resources are cluster-scoped),
aggregation, bindings, subjects, powers, bootstrap, risks.
"""
