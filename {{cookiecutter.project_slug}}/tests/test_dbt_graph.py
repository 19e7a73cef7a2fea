"""The build plan read from a dbt manifest: generations in dependency order, each test with its last parent."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.warehouse.dbt_graph import BuildStep, parents_by_name, plan_builds


def node(kind: str, name: str, *parents: str) -> tuple[str, dict]:
    uid = f"{kind}.shop.{name}"
    return uid, {"unique_id": uid, "resource_type": kind, "name": name, "depends_on": {"nodes": list(parents)}}


SOURCE = "source.shop.raw.events"


def manifest(*nodes: tuple[str, dict]) -> dict:
    return {"nodes": dict(nodes)}


SHOP = manifest(
    node("model", "stg", SOURCE),
    node("model", "orders", "model.shop.stg"),
    node("model", "sessions", "model.shop.stg"),
    node("model", "customers", "model.shop.orders", "model.shop.sessions"),
    node("snapshot", "orders_history", "model.shop.orders"),
    node("model", "summary", "model.shop.customers", "model.shop.stg"),
    node("test", "not_null_stg_id", "model.shop.stg"),
    node("test", "raw_is_not_empty", SOURCE),
    # Parents in generations 2 and 3: it runs with customers, when orders is already built.
    node("test", "customers_match_orders", "model.shop.orders", "model.shop.customers"),
    # Two parents of the same generation: neither step completes it.
    node("test", "orders_match_sessions", "model.shop.orders", "model.shop.sessions"),
    node("test", "stg_matches_raw", SOURCE, "model.shop.stg"),
)


def test_nodes_fall_into_generations_after_all_their_parents():
    plan = plan_builds(SHOP)
    names = [[step.name for step in generation] for generation in plan.generations]
    assert names == [["stg"], ["orders", "sessions"], ["customers", "orders_history"], ["summary"]]
    position = {name: number for number, generation in enumerate(names) for name in generation}
    for name, parents in parents_by_name(SHOP).items():
        assert all(position[parent] < position[name] for parent in parents), name


def test_each_test_runs_with_the_last_of_its_parents_or_at_the_end():
    plan = plan_builds(SHOP)
    steps = {step.name: step for generation in plan.generations for step in generation}
    assert steps["stg"] == BuildStep("stg", ("not_null_stg_id", "stg_matches_raw"))
    assert steps["customers"].tests == ("customers_match_orders",)
    assert steps["orders"].tests == steps["sessions"].tests == ()
    assert plan.final_tests == ("orders_match_sessions", "raw_is_not_empty")
    assert steps["customers"].select() == ["customers", "customers_match_orders"]


def test_a_cycle_is_reported_by_name():
    cyclic = manifest(node("model", "a", "model.shop.b"), node("model", "b", "model.shop.a"))
    with pytest.raises(PipelineError, match="cycle among: model.shop.a, model.shop.b"):
        plan_builds(cyclic)
