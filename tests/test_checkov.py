"""checkov, a static security scanner for infrastructure as code, finds nothing unjustified in the AWS stack.

The stack protects the data (a versioned raw bucket, a dead-letter queue for failed
invocations, encryption at rest); each check it does not follow is skipped in the
stack itself with checkov's `Metadata: checkov: skip` and a reason. checkov runs
from the template's environment: it cannot share the generated project's (it pins
cachetools<6, which Airflow 3.3 cannot use). `--skip-download` keeps it offline.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import bake


def test_checkov_reports_no_unjustified_failure_on_the_aws_stack(tmp_path):
    stack = bake(tmp_path) / "infra" / "aws" / "stack.yaml"
    checkov = str(Path(sys.executable).with_name("checkov"))

    result = subprocess.run(
        [checkov, "--file", str(stack), "--framework", "cloudformation", "--skip-download", "--output", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )

    report = json.loads(result.stdout)
    failed = [(check["check_id"], check["resource"]) for check in report["results"]["failed_checks"]]
    assert failed == [], failed
    assert report["summary"]["passed"] > 40
    skipped = report["results"]["skipped_checks"]
    assert {check["check_id"] for check in skipped} == {
        "CKV_AWS_18",  # S3 access logging
        "CKV_AWS_158",  # log groups with a customer KMS key
        "CKV_AWS_117",  # Lambda in a VPC
        "CKV_AWS_115",  # Lambda reserved concurrency
        "CKV_AWS_173",  # Lambda environment with a customer KMS key
    }
    assert all(len(check["check_result"]["suppress_comment"].split()) >= 10 for check in skipped)
    assert result.returncode == 0
