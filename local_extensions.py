"""Jinja extensions of this template; cookiecutter loads them through `_extensions` in cookiecutter.json."""

import json
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import Extension

# Resolved at import, while the working folder is still the caller's: cookiecutter's
# `_repo_dir` keeps a relative template path relative, which hooks cannot resolve.
TEMPLATE_DIR = Path(__file__).resolve().parent


class TemplateDirExtension(Extension):
    """Gives templates and hooks `template_dir`: the absolute path of this template's checkout."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["template_dir"] = str(TEMPLATE_DIR)


def python_string(value: str) -> str:
    """A Python string literal of `value`, quoted as `ruff format` would write it.

    Like `tojson`, it escapes everything that could end the literal, so an answer
    stays data; unlike it, a name with double quotes (Zoë's "Café") gets the
    single quotes ruff prefers, so the generated file is already formatted.
    """
    quote = "'" if value.count('"') > value.count("'") else '"'
    # json.dumps escapes backslashes, control characters and double quotes; keep only the escapes this quote needs.
    body = json.dumps(value, ensure_ascii=False)[1:-1].replace('\\"', '"')
    return quote + body.replace(quote, "\\" + quote) + quote


class PythonStringExtension(Extension):
    """Gives templates the `python_string` filter, for free-text answers inside Python files."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["python_string"] = python_string
