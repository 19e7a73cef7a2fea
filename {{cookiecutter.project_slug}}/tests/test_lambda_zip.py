"""The Lambda zip: the handler's import closure and nothing else, reproducible, runnable on the bare Lambda runtime.

The runtime check builds a throwaway venv holding only boto3 and its dependencies (what the
python3.11 Lambda runtime provides), copied from the project's environment: offline, whatever
uv's cache holds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from {{ cookiecutter.package_name }}.ingest.lambda_zip import ZIP_TIMESTAMP, build_lambda_zip, lambda_modules

PACKAGE = "{{ cookiecutter.package_name }}"
SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2025-10-01T11:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/ingestion-schedule"],
    "detail": {},
}


@pytest.fixture(scope="module")
def lambda_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_lambda_zip(tmp_path_factory.mktemp("lambda") / "lambda.zip")


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def modules_imported_by_handler() -> set[str]:
    """The package's modules that importing the handler loads, as a fresh interpreter reports them."""
    script = (
        f"import sys, {PACKAGE}.ingest.handler\n"
        f"print('\\n'.join(sorted(m for m in sys.modules if m == {PACKAGE!r} or m.startswith({PACKAGE!r} + '.'))))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_the_zip_holds_the_handlers_import_closure(lambda_zip):
    names = zip_names(lambda_zip)
    assert names == sorted(names)
    assert all(name.startswith(f"{PACKAGE}/") and name.endswith(".py") for name in names)
    modules = {name.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for name in names}
    # Everything the handler loads is inside; the closure is read from the source, so lazy imports count too.
    assert modules_imported_by_handler() <= modules
    for needed in ("__init__", "errors", "ingest/__init__", "ingest/handler", "ingest/generator", "ingest/lake"):
        assert f"{PACKAGE}/{needed}.py" in names
    for not_needed in ("cli", "ingest/backfill", "ingest/deploy", "ingest/lambda_zip"):
        assert f"{PACKAGE}/{not_needed}.py" not in names
    # No later stage, and no tooling: the handler only sends events.
    assert not [
        name for name in names if name.startswith((f"{PACKAGE}/warehouse/", f"{PACKAGE}/quality/", f"{PACKAGE}/bench/"))
    ]
    assert not [name for name in names if "test" in name or "dbt" in name or "contracts" in name]


def test_the_closure_follows_every_import_form(tmp_path):
    package = tmp_path / PACKAGE
    (package / "ingest" / "sub").mkdir(parents=True)
    (package / "contracts").mkdir()
    files = {
        "__init__.py": "",
        "ingest/__init__.py": "",
        "ingest/handler.py": f"from .. import alpha\nfrom ..beta import thing\nimport {PACKAGE}.gamma\n"
        "def later():\n    from .sub.inner import x\n",
        "alpha.py": "import json\n",
        "beta.py": "from .alpha import y\nSCHEMA = 'contracts/event.schema.json'\nthing = 1\n",
        "gamma.py": "",
        "ingest/sub/__init__.py": "",
        "ingest/sub/inner.py": "from ...delta import z\n",
        "delta.py": "",
        "unused.py": "from .ingest import handler\n",
        "contracts/event.schema.json": "{}",
    }
    for name, text in files.items():
        (package / name).write_text(text)
    found = {path.relative_to(package).as_posix() for path in lambda_modules(package)}
    assert found == set(files) - {"unused.py", "contracts/event.schema.json"}
    # A folder of data files goes in when a bundled module names it.
    names = zip_names(build_lambda_zip(tmp_path / "synthetic.zip", package))
    assert f"{PACKAGE}/contracts/event.schema.json" in names
    assert f"{PACKAGE}/unused.py" not in names


def test_the_same_code_gives_the_same_bytes(lambda_zip, tmp_path):
    again = build_lambda_zip(tmp_path / "again.zip")
    assert again.read_bytes() == lambda_zip.read_bytes()
    with zipfile.ZipFile(lambda_zip) as archive:
        assert {info.date_time for info in archive.infolist()} == {ZIP_TIMESTAMP}


def runtime_distributions(top: str = "boto3") -> list[metadata.Distribution]:
    """`top` and every distribution it needs (extras left out), as installed in this environment."""
    found: dict[str, metadata.Distribution] = {}
    waiting = [top]
    while waiting:
        distribution = metadata.distribution(waiting.pop())
        name = canonicalize_name(distribution.metadata["Name"])
        if name in found:
            continue
        found[name] = distribution
        for line in distribution.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                waiting.append(requirement.name)
    return list(found.values())


def test_the_zip_runs_on_the_bare_lambda_runtime(lambda_zip, tmp_path):
    # What the Lambda runtime provides: the standard library, and boto3 with what it needs. They are
    # copied from this environment (the project's locked versions): no index or cache is needed.
    runtime = tmp_path / "runtime"
    venv.create(runtime, with_pip=False)
    python = runtime / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    distributions = runtime_distributions()
    assert {canonicalize_name(d.metadata["Name"]) for d in distributions} >= {"boto3", "botocore", "s3transfer"}
    for distribution in distributions:
        for file in distribution.files or []:
            source = Path(distribution.locate_file(file))
            if source.is_file() and file.parts[0] != "..":  # scripts installed outside site-packages
                (purelib / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, purelib / file)

    # Lambda unpacks the zip into its task folder and puts that first on sys.path.
    task = tmp_path / "task"
    with zipfile.ZipFile(lambda_zip) as archive:
        archive.extractall(task)
    lake = tmp_path / "lake"
    script = f"""
import json, sys, sysconfig
sys.path.insert(0, {str(task)!r})
from {PACKAGE}.ingest import handler
summary = handler.handler({SCHEDULED_EVENT!r}, None)
paths = sysconfig.get_paths()
runtime = ({str(task)!r}, paths["purelib"], paths["platlib"])
stdlib = (paths["stdlib"], paths["platstdlib"])
foreign = sorted(
    f for f in (getattr(m, "__file__", None) for m in list(sys.modules.values()))
    if f and not (f.startswith(runtime) or (f.startswith(stdlib) and "site-packages" not in f))
)
print(json.dumps(dict(summary=summary, handler_file=handler.__file__, foreign=foreign)))
"""
    result = subprocess.run(
        [str(python), "-I", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "SINK": "local", "LAKE_DIR": str(lake), "WINDOW_MINUTES": "5"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["handler_file"].startswith(str(task))
    assert report["foreign"] == []  # nothing came from the project's environment
    summary = report["summary"]
    assert (summary["window_start"], summary["window_end"]) == ("2025-10-01T10:55:00Z", "2025-10-01T11:00:00Z")
    assert summary["events"] > 0
    assert list(lake.glob("raw-events/2025/10/01/10/*.json.gz"))
