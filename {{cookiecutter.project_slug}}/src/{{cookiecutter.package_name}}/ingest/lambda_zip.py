"""Package the Lambda: a reproducible zip of exactly the package modules the handler imports.

The modules are found by parsing the imports (the runtime provides boto3; nothing
else is needed), and the zip is byte-for-byte reproducible: the same code gives
the same bytes, so its content hash can name it in S3 and CloudFormation updates
the function exactly when the code changed. `make package-lambda` builds it.
"""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

PACKAGE_NAME = "{{ cookiecutter.package_name }}"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the package: the handler imports across its stages' folders
HANDLER_ENTRY = "ingest.handler"
HANDLER_MODULE = f"{PACKAGE_NAME}.{HANDLER_ENTRY}"
DEFAULT_ZIP_PATH = Path("dist") / "lambda.zip"

# The earliest time a zip entry can hold: no build clock leaks into the bytes.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o100644  # a regular file, readable by the Lambda runtime's user


def _module_file(package_dir: Path, module: str) -> Path | None:
    """The source file of a dotted module name inside the package ("" is the package itself)."""
    base = package_dir.joinpath(*module.split(".")) if module else package_dir
    if module and base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    init = base / "__init__.py"
    return init if init.is_file() else None


def _imported_modules(source: Path, module: str, is_package: bool) -> set[str]:
    """Package-relative names of the package modules that `source` imports (at any depth of the file)."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    own_parts = module.split(".") if module else []
    found: set[str] = set()

    def add(parts: list[str]) -> None:
        found.add(".".join(parts))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE_NAME:
                    add(parts[1:])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # `from .x import y` in a.b means a.x; each extra dot climbs one package up.
                package_parts = own_parts if is_package else own_parts[:-1]
                climb = node.level - 1
                if climb > len(package_parts):
                    continue
                base = package_parts[: len(package_parts) - climb]
            elif node.module and node.module.split(".")[0] == PACKAGE_NAME:
                base = []
            else:
                continue
            target = base + (node.module.split(".") if node.module else [])
            if not node.level:
                target = target[1:]
            add(target)
            # `from . import generator` imports a module, not a name: include it if it is one.
            for alias in node.names:
                add([*target, alias.name])
    return found


def lambda_modules(package_dir: Path = PACKAGE_DIR, entry: str = HANDLER_ENTRY) -> list[Path]:
    """The package's source files that importing `entry` executes: its intra-package import closure.

    Imports are read from the syntax tree, including those inside functions, so a
    lazy import counts. Imports built at run time (importlib) are not seen.
    """
    seen: dict[str, Path] = {}
    pending = [entry]
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        path = _module_file(package_dir, module)
        if path is None:
            continue  # a name imported from a module, not a module of its own
        seen[module] = path
        parts = module.split(".") if module else []
        # Importing a.b first runs the package's __init__ and a/__init__.
        pending += [".".join(parts[:depth]) for depth in range(len(parts))]
        pending += sorted(_imported_modules(path, module, path.name == "__init__.py"))
    return sorted(set(seen.values()))


def _data_folders_read_by(package_dir: Path, modules: list[Path]) -> list[Path]:
    """Non-Python folders of the package (e.g. contracts/) that a bundled module names in a string."""
    folders = [
        child
        for child in package_dir.iterdir()
        if child.is_dir() and not (child / "__init__.py").exists() and child.name != "__pycache__"
    ]
    strings: set[str] = set()
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
    return sorted(
        folder
        for folder in folders
        if any(text == folder.name or text.startswith(f"{folder.name}/") for text in strings)
    )


def lambda_zip_entries(package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Archive name -> source file for everything the handler needs, and nothing else."""
    modules = lambda_modules(package_dir)
    files = list(modules)
    for folder in _data_folders_read_by(package_dir, modules):
        files += [path for path in folder.rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    return {f"{PACKAGE_NAME}/{path.relative_to(package_dir).as_posix()}": path for path in sorted(files)}


def build_lambda_zip(path: Path | str = DEFAULT_ZIP_PATH, package_dir: Path = PACKAGE_DIR) -> Path:
    """Write the Lambda deployment zip to `path`: sorted entries, fixed timestamps, same code -> same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, source in sorted(lambda_zip_entries(package_dir).items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the mode below is honoured
            info.external_attr = ZIP_FILE_MODE << 16
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    return path


def package(output: Path | str = DEFAULT_ZIP_PATH) -> Path:
    """Build the Lambda zip and say what is in it."""
    path = build_lambda_zip(output)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    print(f"Built {path} ({path.stat().st_size:,} bytes, {len(names)} files): handler {HANDLER_MODULE}.handler")
    for name in names:
        print(f"  {name}")
    return path
