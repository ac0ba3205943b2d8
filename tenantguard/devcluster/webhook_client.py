"""kube-apiserver's client certificate for admission webhooks, as Kubernetes' "authenticate apiservers" sets it up.

`--admission-control-config-file` names, for the webhook admission plugins, a kubeconfig whose `users` entries are
keyed by the webhook's address; kube-apiserver presents the matching entry's certificate to a webhook that asks
for one (`k8s.io/apiserver/pkg/util/webhook/authentication.go`: an exact `host:port`, then `*.`-prefixed
wildcards, then `*`; `:443` may be left out, no other port). A URL webhook's address is its `host:port`: on
loopback with a kernel-assigned port nothing but the exact port matches, so the cluster reserves one
(`Ports.webhook`) and the entries name `127.0.0.1:<port>` and `localhost:<port>`. Every cluster is set up this way;
a test opts in by serving its webhook on that port with `serve --client-ca <state>/pki/webhook-client-ca.crt`.
Webhooks elsewhere are called without a certificate, as before.

The client CA is a CA of its own, not the cluster CA: that one signs every user's certificate, alice's included.
"""

from __future__ import annotations

import base64
from typing import Any

import yaml

from tenantguard.devcluster.layout import HOST, Layout
from tenantguard.webhook import pki

CLIENT_USER = "kube-apiserver-webhook-client"
PLUGINS = ("ValidatingAdmissionWebhook", "MutatingAdmissionWebhook")


def addresses(port: int) -> tuple[str, ...]:
    """The webhook addresses kube-apiserver presents its certificate to (the kubeconfig's user names)."""
    return (f"{HOST}:{port}", f"localhost:{port}")


def kubeconfig(port: int, cert_pem: bytes, key_pem: bytes) -> dict[str, Any]:
    credentials = {
        "client-certificate-data": base64.b64encode(cert_pem).decode("ascii"),
        "client-key-data": base64.b64encode(key_pem).decode("ascii"),
    }
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "users": [{"name": name, "user": credentials} for name in addresses(port)],
    }


def admission_configuration(layout: Layout) -> dict[str, Any]:
    webhook = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "WebhookAdmissionConfiguration",
        "kubeConfigFile": str(layout.webhook_client_kubeconfig),
    }
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [{"name": name, "configuration": webhook} for name in PLUGINS],
    }


def write(layout: Layout, port: int) -> None:
    """The client CA (its key too: tests issue certificates for load balancers' health checks), kube-apiserver's
    client certificate, the kubeconfig holding it and the admission configuration naming that kubeconfig."""
    ca = pki.new_authority("tenantguard-dev-webhook-client-ca")
    pki.write_pair(layout.pki, "webhook-client-ca", pki.KeyPair(cert_pem=ca.cert_pem, key_pem=ca.key_pem))
    pair = pki.issue_client(ca, user=CLIENT_USER)
    pki.write_pair(layout.pki, "webhook-client", pair)
    text = yaml.safe_dump(kubeconfig(port, pair.cert_pem, pair.key_pem), sort_keys=False)
    pki.write_private(layout.webhook_client_kubeconfig, text.encode())
    pki.write_public(layout.admission_config, yaml.safe_dump(admission_configuration(layout), sort_keys=False).encode())
