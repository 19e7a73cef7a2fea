# The template's own commands. A newcomer needs two:
#   make demo   bake the default project into build/demo and run its whole pipeline
#   make test   run the template's tests (bakes, hooks, and the baked project's own checks)
#   make docs   build the documentation site into build/site

.DEFAULT_GOAL := help
SHELL := /bin/bash

# uv installs everything; if it is not on PATH, it is installed from PyPI into .tools/,
# which the recipes put on PATH (the bake hooks and tests call uv too).
BOOTSTRAP_UV := .tools/bin/uv
UV := $(or $(shell command -v uv 2>/dev/null),$(BOOTSTRAP_UV))
export PATH := $(CURDIR)/.tools/bin:$(PATH)
# uv runs everything on a Python from this machine that fits requires-python (3.11 to 3.13)
# and may download one only when none fits. Set UV_PYTHON_DOWNLOADS yourself to decide otherwise.
ifndef UV_PYTHON_DOWNLOADS
export UV_PYTHON_DOWNLOADS := $(if $(shell UV_PYTHON_DOWNLOADS=never $(UV) python find 2>/dev/null),never,automatic)
endif

DEMO_DIR := build/demo
# The folder the default answers bake (cookiecutter.json: project_slug of "Ecommerce Analytics").
DEMO_PROJECT := $(DEMO_DIR)/ecommerce-analytics

.PHONY: help install demo test test-assignments-long course-release docs lint lock clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BOOTSTRAP_UV):
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

install: $(UV) ## Install the template's locked tools into .venv
	$(UV) sync

demo: install ## Bake the default project into build/demo and run its pipeline end to end
	$(UV) run cookiecutter --no-input --overwrite-if-exists --output-dir $(DEMO_DIR) .
	$(MAKE) -C $(DEMO_PROJECT) demo UV="$(abspath $(UV))"

test: install ## Run the template's tests
	$(UV) run pytest

test-assignments-long: install ## The assignments' self-test on 20 students' seeds instead of 4 (about 20 min)
	COURSE_SELFTEST_STUDENTS=20 $(UV) run pytest tests/test_assignments.py

course-release: ## Write the student-only template for a course: make course-release DEST=../course-template
	@test -n "$(DEST)" || { echo "Give the folder to write: make course-release DEST=../course-template"; exit 2; }
	python3 scripts/course_editions.py release "$(DEST)"

docs: install ## Build the documentation site into build/site (offline; open build/site/index.html)
	NO_MKDOCS_2_WARNING=1 $(UV) run mkdocs build --strict

lint: install ## Lint the template's own Python (tests, scripts, notebook sources; the hooks are checked by baking)
	$(UV) run ruff check tests scripts notebooks hooks/percent_notebooks.py
	$(UV) run ruff format --check tests scripts notebooks hooks/percent_notebooks.py

lock: install ## Re-resolve the generated project's uv.lock after changing its dependencies
	$(UV) run python scripts/lock_generated_project.py

clean: ## Delete baked projects and caches
	rm -rf build .pytest_cache .ruff_cache
