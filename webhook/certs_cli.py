"""`tenantguard certs generate|inspect|renew|webhook-config`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import yaml

from tenantguard.webhook import certs
from tenantguard.webhook.configuration import configurations
from tenantguard.webhook.static import ConfigError, load_settings


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["generate", "inspect", "renew", "webhook-config"])
    p.add_argument("--cert-dir", default="/etc/tenantguard/tls")
    p.add_argument("--dns-name", action="append", default=[], help="serving certificate DNS name (repeatable)")
    p.add_argument("--ip", action="append", default=[], help="serving certificate IP address (default 127.0.0.1)")
    p.add_argument("--renew-within", type=int, default=30, help="renew: only when expiring within N days")
    p.add_argument("--force", action="store_true", help="generate/renew even when current")
    p.add_argument("--url", help="webhook-config: the webhook's base URL (e.g. https://127.0.0.1:8443)")
    p.add_argument("--service", help="webhook-config: NAMESPACE/NAME:PORT of the webhook Service")
    p.add_argument("--config", help="global settings YAML (exempt namespaces, tenant label)")


def run(args: argparse.Namespace) -> int:
    cert_dir = Path(args.cert_dir)
    names = args.dns_name or ["tenantguard-webhook.tenantguard-system.svc", "localhost"]
    ips = args.ip or ["127.0.0.1"]
    try:
        if args.action == "generate":
            if certs.ensure(cert_dir, names, ips) or args.force:
                if args.force:
                    certs.issue_serving(cert_dir, names, ips)
                print(f"wrote {cert_dir}/ca.crt, tls.crt, tls.key")
            else:
                print(f"{cert_dir}/tls.crt exists; use renew or --force")
        elif args.action == "inspect":
            for name in ("ca.crt", "tls.crt"):
                info = certs.inspect(cert_dir / name)
                left = info.not_after - dt.datetime.now(dt.UTC)
                print(
                    f"{name}: subject={info.subject} issuer={info.issuer} notAfter={info.not_after:%Y-%m-%dT%H:%MZ}"
                    f" ({left.days} days) dns={','.join(info.dns_names) or '-'} ip={','.join(info.ip_addresses) or '-'}"
                )
        elif args.action == "renew":
            info = certs.inspect(cert_dir / "tls.crt")
            if args.force or info.expires_within(dt.timedelta(days=args.renew_within)):
                certs.issue_serving(cert_dir, names or list(info.dns_names), ips or list(info.ip_addresses))
                print(f"renewed {cert_dir}/tls.crt (a running server reloads it within seconds)")
            else:
                print(f"{cert_dir}/tls.crt is valid until {info.not_after:%Y-%m-%d}; nothing to do")
        else:
            settings = load_settings(args.config)
            service = None
            if args.service:
                ns_name, _, port = args.service.partition(":")
                ns, _, name = ns_name.partition("/")
                service = (ns, name, int(port or 443))
            docs = configurations(settings, ca_bundle=(cert_dir / "ca.crt").read_bytes(), url=args.url, service=service)
            sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=False))
    except (OSError, ValueError, ConfigError) as err:
        print(f"tenantguard certs: {err}", file=sys.stderr)
        return 2
    return 0
