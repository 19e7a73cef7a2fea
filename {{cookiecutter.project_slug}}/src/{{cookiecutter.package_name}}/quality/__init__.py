"""Data quality: Great Expectations suites on raw, staging and analytics, the audit of write-audit-publish.

suites.py defines each suite in code (its query and its expectations); runner.py
validates them on the warehouse and builds the Data Docs. Run them with
`make quality`; `make transform` runs them before it publishes.
"""
