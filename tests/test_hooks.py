"""pre_gen_project: each invalid answer stops the bake with one clear line and writes nothing.
post_gen_project: a bake is a git repository, unless it lands inside one."""

from __future__ import annotations

import subprocess

import pytest

from conftest import bake_cli

# Answers that derive from a bad slug would fail too; these keep each case to its own field.
VALID_DERIVED = ["package_name=my_shop", "s3_bucket_name=my-shop-events"]

INVALID_ANSWERS = [
    ("project_name", "   ", "the project name cannot be empty"),
    ("project_name", "Web\nShop", "one line of printable characters"),
    ("project_name", "Web\tShop", "one line of printable characters"),
    ("project_name", "." * 101, "at most 100 characters"),  # slugifies to the default slug
    ("author_name", "Ann\nLee", "one line of printable characters"),
    ("description", "Two\nlines", "one line of printable characters"),
    ("project_slug", "s" * 41, "at most 40 characters"),
    ("package_name", "p" * 41, "at most 40 characters"),
    ("project_slug", "My Shop", "lowercase letters, digits and single hyphens"),
    ("project_slug", "1shop", "starting with a letter"),
    ("package_name", "my-shop", "Python identifier"),
    ("package_name", "2shop", "Python identifier"),
    ("package_name", "class", "Python keyword"),
    ("package_name", "json", "standard-library module"),
    ("package_name", "dbt", "module the project depends on"),
    ("aws_region", "Europe", "AWS region code"),
    ("s3_bucket_name", "ab", "3-63 characters"),
    ("s3_bucket_name", "My_Bucket", "lowercase letters, digits, dots and hyphens"),
    ("s3_bucket_name", "shop..events", "two adjacent periods"),
    ("s3_bucket_name", "192.168.1.10", "IP address"),
    ("s3_bucket_name", "xn--shop", "reserved by AWS"),
    ("s3_bucket_name", "shop-s3alias", "reserved by AWS"),
    ("snowflake_account", "my account", "Snowflake account identifier"),
    ("snowflake_database", "1DB", "start with a letter or underscore"),
    ("snowflake_warehouse", "MY-WH", "letters, digits, underscores and dollar signs"),
    ("snowflake_role", "select", "reserved word"),
    ("seed", "forty-two", "whole number"),
    ("seed", "-1", "whole number"),
]


@pytest.mark.parametrize("field, value, rule", INVALID_ANSWERS, ids=[f"{f}={v}" for f, v, _ in INVALID_ANSWERS])
def test_an_invalid_answer_fails_with_its_message_and_leaves_no_folder(field, value, rule, tmp_path):
    result = bake_cli(tmp_path, *[a for a in VALID_DERIVED if not a.startswith(field)], f"{field}={value}")
    assert result.returncode != 0
    messages = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ") and "is invalid" in line]
    assert len(messages) == 1, result.stderr
    assert messages[0].startswith(f"ERROR: {field} = {value!r} is invalid: ")
    assert rule in messages[0]
    assert list(tmp_path.iterdir()) == []


def test_every_invalid_answer_is_reported_at_once(tmp_path):
    result = bake_cli(tmp_path, "s3_bucket_name=Bad_Bucket", "seed=x", "snowflake_role=select")
    assert result.returncode != 0
    failed = {
        line.split(" = ")[0].removeprefix("ERROR: ") for line in result.stderr.splitlines() if "is invalid" in line
    }
    assert failed == {"s3_bucket_name", "seed", "snowflake_role"}
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "answers",
    [
        ["s3_bucket_name=shop.events-2025"],
        ["package_name=shop_core", "project_slug=shop-core"],
        ["snowflake_database=_SHOP$1", "aws_region=ap-southeast-2", "seed=0"],
    ],
)
def test_valid_edge_answers_bake(answers, tmp_path):
    result = bake_cli(tmp_path, *answers)
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.iterdir())) == 1


def test_a_bake_is_a_git_repository_with_its_files_staged(tmp_path):
    """pre-commit checks the files git knows: a fresh bake is a repository, its files staged, nothing committed."""
    result = bake_cli(tmp_path)
    assert result.returncode == 0, result.stderr
    (project,) = tmp_path.iterdir()
    staged = subprocess.run(["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True).stdout
    assert ".pre-commit-config.yaml" in staged.splitlines() and "Makefile" in staged.splitlines()
    commits = subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=project, capture_output=True)
    assert commits.returncode != 0  # the first commit is the learner's


def test_a_bake_inside_a_repository_adds_no_repository_of_its_own(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    result = bake_cli(tmp_path)
    assert result.returncode == 0, result.stderr
    (project,) = [path for path in tmp_path.iterdir() if path.name != ".git"]
    assert not (project / ".git").exists()
