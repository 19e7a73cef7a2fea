"""Jinja extensions of this template; cookiecutter loads them through `_extensions` in cookiecutter.json."""

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
