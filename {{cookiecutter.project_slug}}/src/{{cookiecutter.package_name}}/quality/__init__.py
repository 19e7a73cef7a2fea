"""Quality: the write-audit-publish gate{% if cookiecutter.include_quality %}, the Great Expectations suites it runs{% endif %}, and the faults that test it.

gate.py builds the models into a candidate schema, audits them (dbt's tests{% if cookiecutter.include_quality %} and
the suites{% endif %}) and publishes only what passed; {% if cookiecutter.include_quality %}suites.py defines each suite in code and
runner.py validates them and builds the Data Docs (`make quality`); {% endif %}faults.py plants
faults in a lake and chaos.py runs the pipeline through them (`make chaos`).
"""
