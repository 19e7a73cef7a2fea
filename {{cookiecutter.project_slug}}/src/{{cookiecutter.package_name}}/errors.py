"""The one error type a user of the pipeline can meet; the CLI prints it without a traceback."""


class PipelineError(Exception):
    """Something the user can fix: a missing file, a bad setting, a failed step."""
