"""serving rules."""

from policies.model import Mutator, Rule

RULES: tuple[Rule, ...] = ()
MUTATORS: tuple[Mutator, ...] = ()
