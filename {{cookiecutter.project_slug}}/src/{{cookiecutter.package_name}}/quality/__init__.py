"""Quality: the write-audit-publish gate{% if cookiecutter.include_quality %}, the Great Expectations suites it runs{% endif %}, and the faults that test it.

gate.py builds the models into a candidate schema, audits them and publishes
only what passed. The audit is dbt's tests{% if cookiecutter.include_quality %}, then the suites of
expectations/ (`make quality` runs them alone and builds the Data Docs){% endif %}.
faults.py plants faults in a lake and chaos.py runs the pipeline through them
(`make chaos`).
"""
