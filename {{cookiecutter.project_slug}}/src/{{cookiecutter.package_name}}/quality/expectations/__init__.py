"""Great Expectations suites on raw, staging and the candidate analytics tables.

suites.py defines each suite in code (its query and its expectations); runner.py
validates them on the warehouse and builds the Data Docs. Run them with
`make quality`; `make transform` runs them (through ../gate.py) before it publishes.
"""
