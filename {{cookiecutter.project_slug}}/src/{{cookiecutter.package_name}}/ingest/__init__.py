"""Ingest: events from the shop to the lake, as Kinesis Firehose delivers them to S3.

catalog.py and generator.py make the events (a pure function of seed and time),
delivery.py decides which arrive late or twice, lake.py writes them as Firehose
names its files, backfill.py generates a window into the lake and live.py follows
the clock.{% if cookiecutter.include_aws %} handler.py is the same source as an AWS Lambda, sending through
aws_sinks.py; lambda_zip.py packages it and deploy.py deploys infra/aws/.{% endif %}
Nothing here imports the warehouse: the lake is the only thing ingest and the
warehouse share.
"""
