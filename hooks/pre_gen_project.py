"""Validate the answers before anything is written.

Each invalid answer prints one line naming the field, the value and the rule;
the hook then exits non-zero and cookiecutter removes the half-made folder.
The answers arrive as JSON string literals (tojson), so no answer can become code.
"""

from __future__ import annotations

import ipaddress
import keyword
import re
import sys

ANSWERS = {
    "project_name": {{ cookiecutter.project_name | tojson }},
    "project_slug": {{ cookiecutter.project_slug | tojson }},
    "package_name": {{ cookiecutter.package_name | tojson }},
    "aws_region": {{ cookiecutter.aws_region | tojson }},
    "s3_bucket_name": {{ cookiecutter.s3_bucket_name | tojson }},
    "snowflake_account": {{ cookiecutter.snowflake_account | tojson }},
    "snowflake_database": {{ cookiecutter.snowflake_database | tojson }},
    "snowflake_warehouse": {{ cookiecutter.snowflake_warehouse | tojson }},
    "snowflake_role": {{ cookiecutter.snowflake_role | tojson }},
    "seed": {{ cookiecutter.seed | string | tojson }},
    "student_id": {{ cookiecutter.student_id | tojson }},
    "course_salt": {{ cookiecutter.course_salt | tojson }},
}
EDITION = {{ cookiecutter.edition | tojson }}

# Top-level modules the generated project imports: a package of the same name would shadow them.
DEPENDENCY_MODULES = {"dbt", "duckdb", "click", "jsonschema", "pytest", "sqlfluff", "agate", "snowflake"}
# Snowflake reserved words that cannot be unquoted identifiers (the ANSI subset most likely typed).
SNOWFLAKE_RESERVED = {
    "ACCOUNT", "ALL", "ALTER", "AND", "ANY", "AS", "BETWEEN", "BY", "CASE", "CAST", "CHECK", "COLUMN",
    "CONNECT", "CONNECTION", "CONSTRAINT", "CREATE", "CROSS", "CURRENT", "DATABASE", "DELETE", "DISTINCT",
    "DROP", "ELSE", "EXISTS", "FALSE", "FOLLOWING", "FOR", "FROM", "FULL", "GRANT", "GROUP", "HAVING",
    "ILIKE", "IN", "INCREMENT", "INNER", "INSERT", "INTERSECT", "INTO", "IS", "JOIN", "LATERAL", "LEFT",
    "LIKE", "LOCALTIME", "MINUS", "NATURAL", "NOT", "NULL", "OF", "ON", "OR", "ORDER", "ORGANIZATION",
    "QUALIFY", "REGEXP", "REVOKE", "RIGHT", "RLIKE", "ROW", "ROWS", "SAMPLE", "SCHEMA", "SELECT", "SET",
    "SOME", "START", "TABLE", "TABLESAMPLE", "THEN", "TO", "TRIGGER", "TRUE", "TRY_CAST", "UNION",
    "UNIQUE", "UPDATE", "USING", "VALUES", "VIEW", "WHEN", "WHENEVER", "WHERE", "WITH",
}

SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*")
AWS_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}")
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
SNOWFLAKE_ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")
SNOWFLAKE_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,254}")


def check_slug(value: str) -> str | None:
    if not SLUG.fullmatch(value):
        return "use lowercase letters, digits and single hyphens, starting with a letter"
    return None


def check_package(value: str) -> str | None:
    if not PACKAGE.fullmatch(value) or not value.isidentifier():
        return "use a Python identifier of lowercase letters, digits and underscores, not starting with a digit"
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return "a Python keyword cannot be a package name"
    if value in sys.stdlib_module_names:
        return "this name is a standard-library module; choose another so imports are not shadowed"
    if value in DEPENDENCY_MODULES:
        return "this name is a module the project depends on; choose another so imports are not shadowed"
    return None


def check_region(value: str) -> str | None:
    if not AWS_REGION.fullmatch(value):
        return "use an AWS region code such as us-east-1 or eu-west-2"
    return None


def check_bucket(value: str) -> str | None:
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    if not BUCKET.fullmatch(value):
        return (
            "S3 bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit"
        )
    if ".." in value or ".-" in value or "-." in value:
        return "S3 bucket names cannot have two adjacent periods or a period next to a hyphen"
    try:
        ipaddress.IPv4Address(value)
        return "S3 bucket names cannot be formatted as an IP address"
    except ValueError:
        pass
    for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
        if value.startswith(prefix):
            return f"S3 bucket names cannot start with {prefix!r} (reserved by AWS)"
    for suffix in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
        if value.endswith(suffix):
            return f"S3 bucket names cannot end with {suffix!r} (reserved by AWS)"
    return None


def check_snowflake_account(value: str) -> str | None:
    if not SNOWFLAKE_ACCOUNT.fullmatch(value):
        return "use a Snowflake account identifier such as myorg-myaccount (letters, digits, hyphens, underscores)"
    return None


def check_snowflake_identifier(value: str) -> str | None:
    if not SNOWFLAKE_IDENTIFIER.fullmatch(value):
        return (
            "Snowflake unquoted identifiers start with a letter or underscore and contain only "
            "letters, digits, underscores and dollar signs (at most 255)"
        )
    if value.upper() in SNOWFLAKE_RESERVED:
        return "this is a Snowflake reserved word; choose another name"
    return None


def check_seed(value: str) -> str | None:
    if not re.fullmatch(r"\d{1,18}", value.strip()):
        return "the seed must be a whole number from 0 to 999999999999999999"
    return None


def check_student_id(value: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z0-9._@+-]{0,64}", value.strip()):
        return "use at most 64 letters, digits and . _ @ + - (as on the course roster)"
    return None


def check_course_salt(value: str) -> str | None:
    if EDITION == "instructor" and len(value.strip()) < 16:
        return "the instructor edition needs a private course salt of at least 16 characters (every seed derives from it)"
    return None


def check_project_name(value: str) -> str | None:
    if not value.strip():
        return "the project name cannot be empty"
    return None


CHECKS = {
    "project_name": check_project_name,
    "project_slug": check_slug,
    "package_name": check_package,
    "aws_region": check_region,
    "s3_bucket_name": check_bucket,
    "snowflake_account": check_snowflake_account,
    "snowflake_database": check_snowflake_identifier,
    "snowflake_warehouse": check_snowflake_identifier,
    "snowflake_role": check_snowflake_identifier,
    "seed": check_seed,
    "student_id": check_student_id,
    "course_salt": check_course_salt,
}


def main() -> int:
    failures = [
        f"ERROR: {field} = {ANSWERS[field]!r} is invalid: {problem}"
        for field, check in CHECKS.items()
        if (problem := check(ANSWERS[field])) is not None
    ]
    for line in failures:
        print(line, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
