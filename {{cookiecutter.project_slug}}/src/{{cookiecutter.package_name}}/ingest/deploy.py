"""Package the Lambda and deploy or delete the ingestion stack (infra/aws/stack.yaml) with boto3.

    python -m {{ cookiecutter.package_name }}.ingest.deploy package [--output dist/lambda.zip]
    python -m {{ cookiecutter.package_name }}.ingest.deploy deploy  [--stack-name NAME] [--region REGION]
                               [--snowflake-iam-user-arn ARN --snowflake-external-id ID]
    python -m {{ cookiecutter.package_name }}.ingest.deploy destroy [--stack-name NAME] [--region REGION]

`make package-lambda`, `make deploy-aws` and `make destroy-aws` run these.
Credentials come from the standard AWS chain (AWS_PROFILE, AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY, ~/.aws/config, SSO); nothing here stores any.

The Lambda zip (lambda_zip.py) is byte-for-byte reproducible: its S3 key is its
content hash, so CloudFormation updates the function exactly when the code changed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import PipelineError
from .lambda_zip import DEFAULT_ZIP_PATH, PACKAGE_DIR, PACKAGE_NAME, build_lambda_zip, package

DEFAULT_STACK_NAME = "{{ cookiecutter.project_slug }}-ingestion"
DEFAULT_REGION = "{{ cookiecutter.aws_region }}"
RAW_BUCKET_NAME = "{{ cookiecutter.s3_bucket_name }}"
ARTIFACTS_BUCKET_NAME = f"{RAW_BUCKET_NAME}-artifacts"
TEMPLATE_RELATIVE_PATH = Path("infra") / "aws" / "stack.yaml"

CREDENTIALS_HELP = (
    "set AWS_PROFILE to a configured profile (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), "
    "or run `aws configure` (`aws sso login` for an SSO profile)"
)
# Error codes AWS returns for credentials that are expired, revoked or mistyped.
REJECTED_CREDENTIAL_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "InvalidToken",
    "RequestExpired",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
}
STACK_WAIT = {"Delay": 10, "MaxAttempts": 180}  # Firehose and IAM can take minutes; give up after 30


def default_region() -> str:
    return os.environ.get("AWS_REGION") or DEFAULT_REGION


def default_template_path() -> Path:
    """infra/aws/stack.yaml of this project: next to src/ in a checkout, else found from the working folder."""
    beside_source = PACKAGE_DIR.parents[1] / TEMPLATE_RELATIVE_PATH
    if beside_source.is_file():
        return beside_source
    from ..settings import find_project_dir

    return find_project_dir() / TEMPLATE_RELATIVE_PATH


@contextmanager
def aws_errors() -> Iterator[None]:
    """Turn botocore's credential and API errors into one-line PipelineErrors that say what to do."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        CredentialRetrievalError,
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
        SSOError,
        TokenRetrievalError,
    )

    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise PipelineError(f"no AWS credentials found: {CREDENTIALS_HELP}") from None
    except ProfileNotFound as error:
        raise PipelineError(f"{error}: {CREDENTIALS_HELP}") from None
    except (CredentialRetrievalError, TokenRetrievalError, SSOError) as error:
        raise PipelineError(f"AWS credentials could not be loaded or expired ({error}): {CREDENTIALS_HELP}") from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code in REJECTED_CREDENTIAL_CODES:
            raise PipelineError(f"AWS rejected the credentials ({code}: {message}): {CREDENTIALS_HELP}") from None
        if code in ("AccessDenied", "AccessDeniedException"):
            raise PipelineError(f"your AWS identity is not allowed to do this: {message}") from None
        raise PipelineError(f"AWS error {code}: {message}") from None
    except BotoCoreError as error:
        raise PipelineError(f"AWS call failed: {error}") from None


def _session(region: str):
    import boto3  # a project dependency; imported here so packaging needs no AWS libraries

    session = boto3.session.Session(region_name=region)
    # Fail before any work (and any network call) when there is nothing to sign requests with.
    if session.get_credentials() is None:
        raise PipelineError(f"no AWS credentials found: {CREDENTIALS_HELP}")
    return session


def _error_code(error: Exception) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def _bucket_region(s3, bucket: str) -> str | None:
    """The bucket's region if this account can see it, None if no bucket has that name."""
    from botocore.exceptions import ClientError

    try:
        response = s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if _error_code(error) in ("404", "NoSuchBucket", "NotFound"):
            return None
        if _error_code(error) in ("403", "Forbidden"):
            raise PipelineError(
                f"the bucket name {bucket} is taken by another AWS account (bucket names are global): "
                "generate the project with another s3_bucket_name"
            ) from None
        raise
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return response.get("BucketRegion") or headers.get("x-amz-bucket-region")


def ensure_artifacts_bucket(s3, region: str, bucket: str = ARTIFACTS_BUCKET_NAME) -> None:
    """Create the private bucket that holds Lambda zips, in the stack's region (Lambda reads code from there)."""
    if len(bucket) > 63:
        raise PipelineError(f"the bucket name {bucket} is longer than S3's 63 characters: shorten s3_bucket_name")
    existing_region = _bucket_region(s3, bucket)
    if existing_region is not None:
        if existing_region != region:
            raise PipelineError(
                f"the artifacts bucket {bucket} is in {existing_region}, not {region}: "
                f"deploy to {existing_region}, or run destroy there first"
            )
        return
    # us-east-1 is S3's default location and refuses to be named as a constraint.
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    print(f"Created the artifacts bucket s3://{bucket} in {region}.")


def upload_lambda_zip(s3, bucket: str = ARTIFACTS_BUCKET_NAME) -> str:
    """Build the zip and upload it under its content hash; returns the key (unchanged code: no upload)."""
    from botocore.exceptions import ClientError

    with tempfile.TemporaryDirectory() as folder:
        data = build_lambda_zip(Path(folder) / "lambda.zip").read_bytes()
    key = f"lambda/{PACKAGE_NAME}-{hashlib.sha256(data).hexdigest()}.zip"
    try:
        s3.head_object(Bucket=bucket, Key=key)
        print(f"The Lambda code is unchanged: s3://{bucket}/{key}")
        return key
    except ClientError as error:
        if _error_code(error) not in ("404", "NoSuchKey", "NotFound"):
            raise
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/zip")
    print(f"Uploaded the Lambda zip ({len(data):,} bytes) to s3://{bucket}/{key}")
    return key


def _stack(cfn, stack_name: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in error.response.get("Error", {}).get("Message", ""):
            return None
        raise
    return None if stack["StackStatus"] == "DELETE_COMPLETE" else stack


def stack_outputs(cfn, stack_name: str) -> dict[str, str]:
    stack = _stack(cfn, stack_name) or {}
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def _wait(cfn, waiter_name: str, stack_name: str) -> None:
    """Wait for a stack operation; on failure, print each failed resource's reason and raise one line."""
    from botocore.exceptions import WaiterError

    try:
        cfn.get_waiter(waiter_name).wait(StackName=stack_name, WaiterConfig=STACK_WAIT)
    except WaiterError:
        stack = _stack(cfn, stack_name)
        failures = []
        # Events come newest first; this operation's start is the stack's own "User Initiated" event.
        for event in cfn.describe_stack_events(StackName=stack_name)["StackEvents"] if stack else []:
            if event["LogicalResourceId"] == stack_name and event.get("ResourceStatusReason") == "User Initiated":
                break
            if event["ResourceStatus"].endswith("_FAILED") and event.get("ResourceStatusReason"):
                failures.append(event)
        for event in reversed(failures):
            print(f"  {event['LogicalResourceId']} ({event['ResourceType']}): {event['ResourceStatusReason']}")
        status = stack["StackStatus"] if stack else "gone"
        cause = failures[-1]["ResourceStatusReason"] if failures else (stack or {}).get("StackStatusReason", "")
        raise PipelineError(f"stack {stack_name} ended in {status}: {cause}") from None


def _parameters(cfn, template_body: str, given: dict[str, str], existing: dict | None) -> list[dict[str, str | bool]]:
    """The given values and, on an update, every other parameter that was set away from its default.

    So a redeploy never resets the Snowflake trust or a value set in the console, while
    parameters left at their default follow the template's (possibly new) default.
    """
    parameters: list[dict[str, str | bool]] = [{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()]
    if existing:
        summary = cfn.get_template_summary(TemplateBody=template_body)["Parameters"]
        defaults = {p["ParameterKey"]: str(p.get("DefaultValue")) for p in summary}
        parameters += [
            {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
            for p in sorted(existing.get("Parameters", []), key=lambda p: p["ParameterKey"])
            if p["ParameterKey"] in defaults
            and p["ParameterKey"] not in given
            and str(p.get("ParameterValue")) != defaults[p["ParameterKey"]]
        ]
    return parameters


def deploy_stack(cfn, stack_name: str, template_body: str, given: dict[str, str]) -> None:
    """Create the stack, or update it in place; a stack whose creation failed is deleted and created again."""
    from botocore.exceptions import ClientError

    existing = _stack(cfn, stack_name)
    if existing and existing["StackStatus"].endswith("_IN_PROGRESS"):
        raise PipelineError(f"stack {stack_name} is busy ({existing['StackStatus']}): let it finish, then retry")
    if existing and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        print(f"Stack {stack_name} failed to create earlier; deleting it before creating it again.")
        cfn.delete_stack(StackName=stack_name)
        _wait(cfn, "stack_delete_complete", stack_name)
        existing = None
    request = {
        "StackName": stack_name,
        "TemplateBody": template_body,
        "Parameters": _parameters(cfn, template_body, given, existing),
        # The Snowflake role has a fixed name, which the storage integration refers to.
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
    }
    if existing is None:
        print(f"Creating stack {stack_name} (a few minutes: IAM roles, Kinesis, Firehose, Lambda)...")
        cfn.create_stack(**request, OnFailure="ROLLBACK")
        _wait(cfn, "stack_create_complete", stack_name)
        print(f"Created stack {stack_name}.")
        return
    print(f"Updating stack {stack_name}...")
    try:
        cfn.update_stack(**request)
    except ClientError as error:
        if "No updates are to be performed" in error.response.get("Error", {}).get("Message", ""):
            print(f"Stack {stack_name} is already up to date.")
            return
        raise
    _wait(cfn, "stack_update_complete", stack_name)
    print(f"Updated stack {stack_name}.")


def deploy(
    stack_name: str = DEFAULT_STACK_NAME,
    region: str | None = None,
    *,
    snowflake_iam_user_arn: str | None = None,
    snowflake_external_id: str | None = None,
    template_path: Path | str | None = None,
) -> dict[str, str]:
    """Upload the Lambda zip and create or update the stack; print and return its outputs."""
    region = region or default_region()
    template_body = Path(template_path or default_template_path()).read_text(encoding="utf-8")
    given = {}
    if snowflake_iam_user_arn:
        given["SnowflakeIamUserArn"] = snowflake_iam_user_arn
    if snowflake_external_id:
        given["SnowflakeExternalId"] = snowflake_external_id
    with aws_errors():
        session = _session(region)
        s3, cfn = session.client("s3"), session.client("cloudformation")
        existing = _stack(cfn, stack_name)
        # A stack that failed to create is created again, so in both cases the bucket name must be free.
        creating = existing is None or existing["StackStatus"] == "ROLLBACK_COMPLETE"
        if creating and _bucket_region(s3, RAW_BUCKET_NAME) is not None:
            raise PipelineError(
                f"the lake bucket s3://{RAW_BUCKET_NAME} already exists (kept by an earlier destroy?), so the stack "
                f"cannot create it: delete it with `aws s3 rb s3://{RAW_BUCKET_NAME} --force`, then deploy again"
            )
        print(f"Deploying stack {stack_name} to {region}.")
        ensure_artifacts_bucket(s3, region)
        key = upload_lambda_zip(s3)
        deploy_stack(
            cfn,
            stack_name,
            template_body,
            {"ArtifactBucket": ARTIFACTS_BUCKET_NAME, "ArtifactKey": key, "RawBucketName": RAW_BUCKET_NAME, **given},
        )
        stack = _stack(cfn, stack_name) or {}
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    print("Outputs:")
    for name, value in sorted(outputs.items()):
        print(f"  {name} = {value}")
    if not parameters.get("SnowflakeIamUserArn"):
        print(
            "Next, for Snowflake: set SNOWFLAKE_STORAGE_AWS_ROLE_ARN to SnowflakeRoleArn, run `make snowflake-setup`, "
            "then `make deploy-aws SNOWFLAKE_IAM_USER_ARN=... SNOWFLAKE_EXTERNAL_ID=...` (README: Running on AWS)."
        )
    return outputs


def delete_bucket(s3, bucket: str) -> int:
    """Delete every object version in the bucket, then the bucket; returns how many objects went."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        versions = page.get("Versions", []) + page.get("DeleteMarkers", [])
        if versions:
            objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
            deleted += len(page.get("Versions", []))
    s3.delete_bucket(Bucket=bucket)
    return deleted


def destroy(stack_name: str = DEFAULT_STACK_NAME, region: str | None = None) -> None:
    """Delete the stack (the lake bucket and its data stay) and the artifacts bucket."""
    region = region or default_region()
    with aws_errors():
        session = _session(region)
        s3, cfn = session.client("s3"), session.client("cloudformation")
        if _stack(cfn, stack_name) is None:
            print(f"No stack {stack_name} in {region}: nothing to delete there.")
        else:
            raw_bucket = stack_outputs(cfn, stack_name).get("RawBucketName", RAW_BUCKET_NAME)
            print(f"Deleting stack {stack_name} in {region}...")
            cfn.delete_stack(StackName=stack_name)
            _wait(cfn, "stack_delete_complete", stack_name)
            print(f"Deleted stack {stack_name}: the Lambda, schedule, Kinesis stream, Firehose and IAM roles are gone.")
            print(
                f"Kept the lake bucket s3://{raw_bucket} (DeletionPolicy: Retain) so no raw events are lost. "
                f"To delete them too: aws s3 rb s3://{raw_bucket} --force"
            )
        if _bucket_region(s3, ARTIFACTS_BUCKET_NAME) is None:
            print(f"No artifacts bucket s3://{ARTIFACTS_BUCKET_NAME}: nothing to delete there.")
        else:
            count = delete_bucket(s3, ARTIFACTS_BUCKET_NAME)
            print(f"Deleted the artifacts bucket s3://{ARTIFACTS_BUCKET_NAME} and its {count} object(s).")


# --- Command line ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {PACKAGE_NAME}.ingest.deploy", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("package", help="build the Lambda zip")
    build.add_argument("--output", type=Path, default=DEFAULT_ZIP_PATH, help="where to write it (%(default)s)")

    for name, text in (("deploy", "upload the Lambda and create or update the stack"), ("destroy", "delete it")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--stack-name", default=DEFAULT_STACK_NAME, help="(default: %(default)s)")
        command.add_argument("--region", default=None, help=f"(default: $AWS_REGION, else {DEFAULT_REGION})")
        if name == "deploy":
            command.add_argument("--snowflake-iam-user-arn", help="STORAGE_AWS_IAM_USER_ARN of the integration")
            command.add_argument("--snowflake-external-id", help="STORAGE_AWS_EXTERNAL_ID of the integration")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    actions: dict[str, Callable[[], object]] = {
        "package": lambda: package(args.output),
        "deploy": lambda: deploy(
            args.stack_name,
            args.region,
            snowflake_iam_user_arn=args.snowflake_iam_user_arn,
            snowflake_external_id=args.snowflake_external_id,
        ),
        "destroy": lambda: destroy(args.stack_name, args.region),
    }
    try:
        actions[args.command]()
    except PipelineError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted: a stack operation already started goes on in AWS (see CloudFormation).", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
