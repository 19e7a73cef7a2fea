"""The dbt graph as a build plan: nodes in generations, each test with the node that completes it.

`dbt parse` writes dbt/target/manifest.json: every model, snapshot, seed, test
and source, with the nodes each depends on. From it:

- the nodes `dbt build` builds (models, snapshots, seeds) fall into generations:
  generation 1 holds those that read only sources; generation n + 1 those whose
  parents are all in generations 1 to n. Built one generation after the other,
  a node never starts before its parents have finished, and the nodes of one
  generation can be built in parallel;
- a test runs with the last of its parents to be built (the one of the latest
  generation): its other parents are built by then. A test that reads only
  sources, or whose latest parents are two nodes of the same generation, runs
  after every node is built.

An orchestrator runs each step as `dbt build --select <node> <its tests>` (the
node, then its tests: a failing test fails the step) and starts a generation
only when every step of the one before has succeeded. The steps run in a dbt
session (dbt_session.py): dbt starts and parses the project once per run, not
once per step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import PipelineError
from ..settings import Settings
from .dbt_runner import target_dir
from .dbt_session import Session, run_in_session, start_session

BUILT_TYPES = ("model", "snapshot", "seed")


@dataclass(frozen=True)
class BuildStep:
    name: str
    tests: tuple[str, ...]

    def select(self) -> list[str]:
        """What `dbt build --select` takes for this step: the node, then its tests."""
        return [self.name, *self.tests]


@dataclass(frozen=True)
class BuildPlan:
    generations: tuple[tuple[BuildStep, ...], ...]
    final_tests: tuple[str, ...]  # the tests no single step completes

    @property
    def names(self) -> list[str]:
        return [step.name for generation in self.generations for step in generation]


def load_manifest(dbt_dir: Path) -> dict:
    path = target_dir(dbt_dir) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PipelineError(f"no dbt manifest at {path}: run `dbt parse` first") from None


def _built_nodes(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] in BUILT_TYPES}


def parents_by_name(manifest: dict) -> dict[str, set[str]]:
    """Each built node's name, and the names of the built nodes it reads from."""
    built = _built_nodes(manifest)
    return {
        node["name"]: {built[parent]["name"] for parent in node["depends_on"]["nodes"] if parent in built}
        for node in built.values()
    }


def plan_builds(manifest: dict) -> BuildPlan:
    """The build plan of every enabled model, snapshot, seed and data test of the manifest."""
    nodes = manifest["nodes"]
    built = _built_nodes(manifest)
    parents = {uid: {p for p in node["depends_on"]["nodes"] if p in built} for uid, node in built.items()}

    generation_of: dict[str, int] = {}
    remaining = set(built)
    generations: list[list[str]] = []
    while remaining:
        ready = sorted(uid for uid in remaining if parents[uid] <= generation_of.keys())
        if not ready:
            raise PipelineError(f"the dbt graph has a cycle among: {', '.join(sorted(remaining))}")
        for uid in ready:
            generation_of[uid] = len(generations)
        generations.append(ready)
        remaining -= set(ready)

    tests_of: dict[str, list[str]] = {uid: [] for uid in built}
    final_tests: list[str] = []
    for uid in sorted(nodes):
        node = nodes[uid]
        if node["resource_type"] != "test":
            continue
        built_parents = [p for p in node["depends_on"]["nodes"] if p in built]
        latest = max((generation_of[p] for p in built_parents), default=None)
        completed_by = [p for p in built_parents if generation_of[p] == latest]
        if len(completed_by) == 1:
            tests_of[completed_by[0]].append(node["name"])
        else:
            final_tests.append(node["name"])

    return BuildPlan(
        generations=tuple(
            tuple(BuildStep(built[uid]["name"], tuple(tests_of[uid])) for uid in generation)
            for generation in generations
        ),
        final_tests=tuple(final_tests),
    )


def start_and_plan(settings: Settings) -> tuple[Session, BuildPlan]:
    """Start a dbt session (it parses the project once), then the build plan of the manifest it wrote."""
    session = start_session(settings)
    return session, plan_builds(load_manifest(settings.dbt_dir))


def build_step(session: Session, step: BuildStep) -> None:
    """`dbt build` of one node and then its tests, in the session; raises PipelineError if either fails.

    Each step writes to a target folder of its own (dbt/target/steps/<node>/), so the
    steps of a generation can run side by side (on Snowflake). The path is relative to
    the session's working folder, the dbt project.
    """
    # cautious: dbt adds no test of a node not built yet; the step's other tests are listed.
    run_in_session(
        session,
        "build",
        "--select",
        *step.select(),
        "--indirect-selection",
        "cautious",
        "--target-path",
        str(target_dir(Path(".")) / "steps" / step.name),
    )


def run_final_tests(session: Session, tests: list[str] | tuple[str, ...]) -> None:
    """`dbt test` of the tests no single step completes, once every node is built."""
    if tests:
        run_in_session(session, "test", "--select", *tests)
