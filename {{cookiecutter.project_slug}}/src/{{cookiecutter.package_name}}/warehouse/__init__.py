"""Warehouse: from lake files to published tables.

load.py copies new lake files into the raw table (dbt's `copy_into_raw_events`),
dbt_runner.py runs dbt as a learner types it, dbt_session.py keeps one dbt process
parsed and ready for many commands (a scheduled run's), publish.py puts audited tables in place,
kpis.py reads the headline figures{% if cookiecutter.include_airflow %}, dbt_graph.py cuts the dbt graph into the
generations the Airflow transform maps over{% endif %}, and snowflake_setup.py runs infra/snowflake/.
The warehouse never imports quality: the audit decides (quality/gate.py), the
warehouse carries it out.
"""
