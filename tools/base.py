"""The one error type every tool raises for misuse."""


class ToolError(Exception):
    """A tool refused or failed a call; the message is shown to the agent as the tool's answer."""
