"""webhook.event_correlator: one Event per object, reason and aggregate, with a count, written at most once per
interval, and bounded memory."""

from __future__ import annotations

from tenantguard.webhook.event_correlator import Action, Correlator, Involved, Occurrence, Write

DEPLOYMENT = Involved(api_version="apps/v1", kind="Deployment", namespace="acme-prod", name="vllm", uid="u1")


def occurrence(
    at: float, message: str = "denied", aggregate: str = "GPU006", involved: Involved = DEPLOYMENT
) -> Occurrence:
    return Occurrence(involved=involved, reason="FailedAdmission", aggregate=aggregate, message=message, at=at)


def correlator(**kwargs: float) -> Correlator:
    names = iter(range(1000))
    return Correlator(name_for=lambda o: f"{o.involved.name}.{next(names)}", **kwargs)  # type: ignore[arg-type]


def test_first_occurrence_creates_and_repeats_fold_into_one_patch_per_interval() -> None:
    c = correlator(interval=10)
    first = c.observe(occurrence(100))
    assert first is not None and first.action is Action.CREATE and first.count == 1 and first.name == "vllm.0"
    for t in range(101, 110):  # a controller retrying every second
        assert c.observe(occurrence(t, message=f"pod {t} denied")) is None
    assert c.due(105) == []
    (patch,) = c.due(110)
    assert patch.action is Action.PATCH and patch.name == "vllm.0"
    assert (patch.count, patch.first, patch.last, patch.message) == (10, 100, 109, "pod 109 denied")
    assert c.due(111) == []  # nothing new since


def test_an_occurrence_after_the_interval_is_written_at_once() -> None:
    c = correlator(interval=10)
    c.observe(occurrence(0))
    write = c.observe(occurrence(30))
    assert write is not None and write.action is Action.PATCH and write.count == 2


def test_other_rules_and_other_objects_are_other_events() -> None:
    c = correlator()
    other = Involved(api_version="apps/v1", kind="Deployment", namespace="acme-prod", name="vllm", uid="u2")
    writes = [
        c.observe(occurrence(0)),
        c.observe(occurrence(0, aggregate="PSS003")),
        c.observe(occurrence(0, involved=other)),
    ]
    assert [w.action for w in writes if w is not None] == [Action.CREATE] * 3
    assert len({w.name for w in writes if w is not None}) == 3


def test_an_entry_is_forgotten_after_the_events_ttl() -> None:
    c = correlator(forget_after=3600)
    c.observe(occurrence(0))
    again = c.observe(occurrence(3601))
    assert again is not None and again.action is Action.CREATE and again.count == 1


def test_recreate_carries_the_count_under_a_new_name() -> None:
    c = correlator(interval=0)
    first = c.observe(occurrence(0))
    second = c.observe(occurrence(1))
    assert first is not None and second is not None
    recreated = c.recreate(second.key, 2)
    assert isinstance(recreated, Write) and recreated.action is Action.CREATE
    assert recreated.count == 2 and recreated.name != first.name


def test_memory_is_bounded_least_recently_seen_first() -> None:
    c = correlator(max_entries=3)
    objects = [Involved(api_version="v1", kind="Pod", namespace="ns", name=f"p{i}", uid=f"u{i}") for i in range(5)]
    for i, obj in enumerate(objects):
        c.observe(occurrence(i, involved=obj))
    assert len(c) == 3
    write = c.observe(occurrence(10, involved=objects[0]))
    assert write is not None and write.action is Action.CREATE  # p0 was evicted: a new Event
