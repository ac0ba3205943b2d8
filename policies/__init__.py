"""The tenantguard policy engine: purely computational, no I/O.

Plain dicts in (Kubernetes objects as parsed from JSON or YAML); violations and JSON patches out.
Nothing here opens a file, a socket or a process, and nothing imports FastAPI or the Kubernetes
client: the webhook, the audit and the lint adapt inputs and outputs around this package, so the
same object gets the same verdict in all three places.
"""

from tenantguard.policies.engine import Evaluation, evaluate, mutate, review
from tenantguard.policies.model import Category, Mode, Severity, Violation

__all__ = ["Category", "Evaluation", "Mode", "Severity", "Violation", "evaluate", "mutate", "review"]
