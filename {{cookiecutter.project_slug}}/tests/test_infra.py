"""The AWS stack (infra/aws/stack.yaml) and the deploy script. moto stands in for AWS: nothing leaves the machine.

moto's CloudFormation cannot create every resource type the stack uses (MOTO_UNSUPPORTED_TYPES):
those resources are removed from the template before it is deployed into moto, and are covered by
cfn-lint (types, properties, references, IAM syntax) and by the checks here on the parsed template.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from cfnlint.decode import cfn_yaml
from moto import mock_aws

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.ingest import deploy

from conftest import PROJECT_DIR

STACK_PATH = PROJECT_DIR / "infra" / "aws" / "stack.yaml"
REGION = "{{ cookiecutter.aws_region }}"
# Resource types moto (5.x) cannot create through CloudFormation: it skips them with a warning.
# They are checked by cfn-lint and by the template assertions below instead.
MOTO_UNSUPPORTED_TYPES = (
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::Logs::LogStream",
    "AWS::S3::BucketPolicy",
)


@pytest.fixture(scope="module")
def template() -> dict:
    return cfn_yaml.load(str(STACK_PATH))


def resources_of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == resource_type}


def statements(policy_document: dict) -> list[dict]:
    return policy_document["Statement"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def references(value) -> set[str]:
    """Logical names a template fragment refers to through Ref, Fn::GetAtt and Fn::Sub."""
    if isinstance(value, list):
        return set().union(*map(references, value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, inner in value.items():
        if key == "Ref":
            found.add(inner)
        elif key == "Fn::GetAtt":
            found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
        elif key == "Fn::Sub":
            text = inner[0] if isinstance(inner, list) else inner
            found |= set(re.findall(r"\$\{([A-Za-z0-9]+)[.}]", text))
        found |= references(inner)
    return found


@pytest.fixture
def moto_template_path(template: dict, tmp_path: Path) -> Path:
    """The stack without the resources moto cannot create, nor the outputs that refer to them."""
    stripped = json.loads(json.dumps(template))
    removed = {name for name, body in stripped["Resources"].items() if body["Type"] in MOTO_UNSUPPORTED_TYPES}
    for name in removed:
        del stripped["Resources"][name]
    for name, body in stripped["Resources"].items():
        assert not references(body) & removed, f"{name} needs a resource moto cannot create"
    stripped["Outputs"] = {
        name: output for name, output in stripped["Outputs"].items() if not references(output) & removed
    }
    path = tmp_path / "stack-for-moto.json"
    path.write_text(json.dumps(stripped), encoding="utf-8")
    return path


@pytest.fixture
def aws(monkeypatch):
    """Fake credentials and moto's in-memory AWS, for one test."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


# --- The template ---------------------------------------------------------------------------------


def test_cfn_lint_reports_no_errors_and_no_warnings():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), str(STACK_PATH)], capture_output=True, text=True, cwd=PROJECT_DIR)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_moto_gaps_are_types_the_stack_uses(template):
    used = {body["Type"] for body in template["Resources"].values()}
    assert set(MOTO_UNSUPPORTED_TYPES) <= used


def test_the_lake_bucket_is_private_encrypted_tls_only_and_kept(template):
    (bucket_name, bucket), *others = resources_of_type(template, "AWS::S3::Bucket").items()
    assert not others
    properties = bucket["Properties"]
    assert properties["BucketName"] == {"Ref": "RawBucketName"}
    assert template["Parameters"]["RawBucketName"]["Default"] == "{{ cookiecutter.s3_bucket_name }}"
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    [encryption] = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    # Deleting the stack must not delete the raw events.
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")
    [rule] = [r for r in properties["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == "raw-events/"]
    assert rule["Transitions"][0]["TransitionInDays"] == {"Ref": "RawEventsTransitionDays"}

    [policy] = resources_of_type(template, "AWS::S3::BucketPolicy").values()
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_name}
    [deny] = [s for s in statements(policy["Properties"]["PolicyDocument"]) if s["Effect"] == "Deny"]
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert bucket_name == "RawBucket"
    assert deny["Resource"] == [{"Fn::GetAtt": ["RawBucket", "Arn"]}, {"Fn::Sub": "${RawBucket.Arn}/*"}]


def test_firehose_reads_the_stream_and_writes_the_lake_layout(template):
    [delivery] = resources_of_type(template, "AWS::KinesisFirehose::DeliveryStream").values()
    properties = delivery["Properties"]
    assert properties["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert properties["KinesisStreamSourceConfiguration"]["KinesisStreamARN"] == {"Fn::GetAtt": ["EventStream", "Arn"]}
    s3 = properties["ExtendedS3DestinationConfiguration"]
    assert s3["Prefix"] == "raw-events/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/"
    # Failed records go elsewhere, so the warehouse load never reads them.
    assert s3["ErrorOutputPrefix"].startswith("raw-events-errors/!{firehose:error-output-type}/")
    assert s3["CompressionFormat"] == "GZIP"
    assert s3["FileExtension"] == ".json.gz"
    parameters = template["Parameters"]
    hints = s3["BufferingHints"]
    assert parameters[hints["SizeInMBs"]["Ref"]]["Default"] == 5
    assert parameters[hints["IntervalInSeconds"]["Ref"]]["Default"] == 300


def test_each_role_may_do_only_its_job(template):
    def allowed(role_name: str) -> dict[str, list]:
        """Action -> resources over the role's inline policies."""
        grants: dict[str, list] = {}
        for policy in template["Resources"][role_name]["Properties"]["Policies"]:
            for statement in statements(policy["PolicyDocument"]):
                assert statement["Effect"] == "Allow"
                for action in as_list(statement["Action"]):
                    grants.setdefault(action, []).extend(as_list(statement["Resource"]))
        return grants

    stream = {"Fn::GetAtt": ["EventStream", "Arn"]}
    assert allowed("GeneratorRole") == {
        "kinesis:PutRecords": [stream],
        "logs:CreateLogStream": [{"Fn::GetAtt": ["GeneratorLogGroup", "Arn"]}],
        "logs:PutLogEvents": [{"Fn::GetAtt": ["GeneratorLogGroup", "Arn"]}],
        "sqs:SendMessage": [{"Fn::GetAtt": ["GeneratorDeadLetterQueue", "Arn"]}],
    }

    delivery = allowed("DeliveryRole")
    assert all(resources == [stream] for action, resources in delivery.items() if action.startswith("kinesis:"))
    assert "kinesis:PutRecords" not in delivery
    assert delivery["s3:PutObject"] == [
        {"Fn::Sub": "${RawBucket.Arn}/raw-events/*"},
        {"Fn::Sub": "${RawBucket.Arn}/raw-events-errors/*"},
    ]
    assert not {"s3:DeleteObject", "s3:*", "s3:GetObject"} & set(delivery)

    snowflake = allowed("SnowflakeRole")
    assert snowflake == {
        "s3:GetObject": [{"Fn::Sub": "${RawBucket.Arn}/raw-events/*"}],
        "s3:GetObjectVersion": [{"Fn::Sub": "${RawBucket.Arn}/raw-events/*"}],
        "s3:ListBucket": [{"Fn::GetAtt": ["RawBucket", "Arn"]}],
        "s3:GetBucketLocation": [{"Fn::GetAtt": ["RawBucket", "Arn"]}],
    }


def test_snowflake_trust_uses_the_integrations_user_and_external_id(template):
    [trust] = statements(template["Resources"]["SnowflakeRole"]["Properties"]["AssumeRolePolicyDocument"])
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "SnowflakeExternalId"}}}
    condition, given, placeholder = trust["Principal"]["AWS"]["Fn::If"]
    assert given == {"Ref": "SnowflakeIamUserArn"}
    # Until Snowflake is set up the role trusts only its own account, so the stack deploys first.
    assert placeholder == {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    parameters = template["Parameters"]
    assert parameters["SnowflakeIamUserArn"]["Default"] == ""
    assert parameters["SnowflakeExternalId"]["Default"]


def test_the_lambda_is_configured_for_the_schedule(template):
    properties = template["Resources"]["GeneratorFunction"]["Properties"]
    assert properties["Runtime"] == "python3.11"
    assert properties["Handler"] == "{{ cookiecutter.package_name }}.ingest.handler.handler"
    assert properties["Code"] == {"S3Bucket": {"Ref": "ArtifactBucket"}, "S3Key": {"Ref": "ArtifactKey"}}
    variables = properties["Environment"]["Variables"]
    assert variables["SINK"] == "kinesis"
    assert variables["KINESIS_STREAM_NAME"] == {"Ref": "EventStream"}
    assert template["Parameters"]["EventSeed"]["Default"] == {{ cookiecutter.seed | int }}
    assert (variables["LATE_SHARE"], variables["DUPLICATE_SHARE"]) == ("0", "0")
    assert template["Parameters"]["ScheduleExpression"]["Default"] == "rate(5 minutes)"
    assert template["Parameters"]["WindowMinutes"]["Default"] == 5


def test_failed_invocations_and_overwritten_events_are_kept(template):
    resources = template["Resources"]
    # A window whose invocation fails after Lambda's retries is kept in a queue, to generate it again.
    dead_letters = resources["GeneratorFunction"]["Properties"]["DeadLetterConfig"]
    assert dead_letters == {"TargetArn": {"Fn::GetAtt": ["GeneratorDeadLetterQueue", "Arn"]}}
    assert resources["GeneratorDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"] == 1209600
    # The raw bucket is the only copy of the events: versions survive an overwrite or a delete for 30 days.
    bucket = resources["RawBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["previous-versions-expire"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}


def test_every_checkov_skip_gives_its_reason(template):
    skips = [
        (name, skip)
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert skip["id"].startswith("CKV_AWS_"), name
        assert len(skip.get("comment", "").split()) >= 10, f"{name} skips {skip['id']} without a reason"


# --- Deployed into moto ---------------------------------------------------------------------------


def test_the_stack_deploys_into_moto(aws, moto_template_path):
    s3 = boto3.client("s3")
    location = {} if REGION == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": REGION}}
    s3.create_bucket(Bucket="artifacts", **location)
    s3.put_object(Bucket="artifacts", Key="lambda.zip", Body=b"PK\x05\x06" + b"\0" * 18)  # an empty zip
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(
        StackName="ingestion",
        TemplateBody=moto_template_path.read_text(encoding="utf-8"),
        Parameters=[
            {"ParameterKey": "ArtifactBucket", "ParameterValue": "artifacts"},
            {"ParameterKey": "ArtifactKey", "ParameterValue": "lambda.zip"},
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    [stack] = cloudformation.describe_stacks(StackName="ingestion")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    physical = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId")
        for r in cloudformation.describe_stack_resources(StackName="ingestion")["StackResources"]
    }

    bucket = outputs["RawBucketName"]
    assert bucket == "{{ cookiecutter.s3_bucket_name }}"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    kinesis = boto3.client("kinesis").describe_stream_summary(StreamName=outputs["KinesisStreamName"])
    assert kinesis["StreamDescriptionSummary"]["OpenShardCount"] == 1

    iam = boto3.client("iam")
    snowflake_role = iam.get_role(RoleName="{{ cookiecutter.project_slug }}-snowflake-s3-read")["Role"]
    assert snowflake_role["Arn"] == outputs["SnowflakeRoleArn"]
    for role in ("GeneratorRole", "DeliveryRole"):
        assert iam.get_role(RoleName=physical[role])["Role"]["RoleName"] == physical[role]

    function = boto3.client("lambda").get_function_configuration(FunctionName=outputs["FunctionName"])
    assert function["Runtime"] == "python3.11"
    assert function["Handler"] == "{{ cookiecutter.package_name }}.ingest.handler.handler"
    assert function["Role"] == iam.get_role(RoleName=physical["GeneratorRole"])["Role"]["Arn"]
    assert function["Environment"]["Variables"]["KINESIS_STREAM_NAME"] == outputs["KinesisStreamName"]

    events = boto3.client("events")
    schedule = events.describe_rule(Name=physical["ScheduleRule"])
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    [target] = events.list_targets_by_rule(Rule=physical["ScheduleRule"])["Targets"]
    assert target["Arn"] == function["FunctionArn"]
    permission = json.loads(boto3.client("lambda").get_policy(FunctionName=outputs["FunctionName"])["Policy"])
    [grant] = permission["Statement"]
    assert grant["Principal"] == {"Service": "events.amazonaws.com"}
    assert grant["Condition"]["ArnLike"]["AWS:SourceArn"] == schedule["Arn"]

    log_groups = boto3.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in log_groups] == [
        (f"/aws/lambda/{outputs['FunctionName']}", 14)
    ]


def test_deploy_and_destroy_end_to_end(aws, moto_template_path, tmp_path, capsys):
    s3, cloudformation = boto3.client("s3"), boto3.client("cloudformation")
    outputs = deploy.deploy(region=REGION, template_path=moto_template_path)

    # The zip is uploaded under the hash of its bytes: the same code, built again, names the same key.
    expected_zip = deploy.build_lambda_zip(tmp_path / "lambda.zip").read_bytes()
    key = f"lambda/{deploy.PACKAGE_NAME}-{hashlib.sha256(expected_zip).hexdigest()}.zip"
    assert s3.get_object(Bucket=deploy.ARTIFACTS_BUCKET_NAME, Key=key)["Body"].read() == expected_zip
    [stack] = cloudformation.describe_stacks(StackName=deploy.DEFAULT_STACK_NAME)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert (parameters["ArtifactBucket"], parameters["ArtifactKey"]) == (deploy.ARTIFACTS_BUCKET_NAME, key)
    printed = capsys.readouterr().out
    for name, value in outputs.items():
        assert f"{name} = {value}" in printed
    assert set(outputs) >= {"RawBucketName", "KinesisStreamName", "FunctionName", "SnowflakeRoleArn"}

    # Step two of the Snowflake trust, then a plain redeploy: the trust is kept, not reset to the placeholder.
    snowflake = {"SnowflakeIamUserArn": "arn:aws:iam::999999999999:user/abc-s", "SnowflakeExternalId": "AB_SFCRole=2"}
    deploy.deploy(
        region=REGION,
        template_path=moto_template_path,
        snowflake_iam_user_arn=snowflake["SnowflakeIamUserArn"],
        snowflake_external_id=snowflake["SnowflakeExternalId"],
    )
    deploy.deploy(region=REGION, template_path=moto_template_path)
    [stack] = cloudformation.describe_stacks(StackName=deploy.DEFAULT_STACK_NAME)["Stacks"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert {name: parameters[name] for name in snowflake} == snowflake
    assert "The Lambda code is unchanged" in capsys.readouterr().out

    deploy.destroy(region=REGION)
    printed = capsys.readouterr().out
    assert f"Deleted stack {deploy.DEFAULT_STACK_NAME}" in printed
    assert "DeletionPolicy: Retain" in printed
    assert deploy.ARTIFACTS_BUCKET_NAME in printed
    with pytest.raises(ClientError):
        cloudformation.describe_stacks(StackName=deploy.DEFAULT_STACK_NAME)
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert buckets == {"{{ cookiecutter.s3_bucket_name }}"}  # the lake and its data stay

    # The kept bucket blocks a new stack: deploy says so before creating anything.
    with pytest.raises(PipelineError, match="already exists"):
        deploy.deploy(region=REGION, template_path=moto_template_path)


# --- Credentials ----------------------------------------------------------------------------------


def test_without_credentials_deploy_prints_one_error_line(monkeypatch, tmp_path):
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    # No instance-metadata lookup: it is not there off EC2, and looking would cost time.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # A new interpreter: moto's patches live only in this test process.
    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.ingest.deploy", "deploy"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        timeout=60,
    )
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert "credentials" in line
    assert "AWS_PROFILE" in line and "AWS_ACCESS_KEY_ID" in line and "aws configure" in line
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidClientTokenId", "UnrecognizedClientException"])
def test_rejected_credentials_become_one_clear_error(code):
    with pytest.raises(PipelineError) as raised, deploy.aws_errors():
        raise ClientError({"Error": {"Code": code, "Message": "The security token is expired"}}, "DescribeStacks")
    message = str(raised.value)
    assert "\n" not in message
    assert code in message and "AWS_PROFILE" in message and "aws configure" in message
