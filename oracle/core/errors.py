"""What every command promises about failure: its exit codes, and the one-line user error."""

from __future__ import annotations

# For every command: 0 clean, 1 divergence found, 2 bad input (130 after Ctrl-C or SIGTERM).
EXIT_CLEAN, EXIT_DIVERGENCE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class UserError(Exception):
    """Bad input from the user: reported as one line naming the culprit, exit code 2."""
