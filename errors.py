"""The one error hierarchy of optiform.

Every error carries a message that says what went wrong and a ``hint`` that says what to do.
Faces (CLI, HTTP) render ``str(err)``; code that feeds errors back to an LLM uses
:func:`as_feedback`. Exit codes for the CLI live here so every face agrees.
"""

from __future__ import annotations

from typing import Any


class OptiformError(Exception):
    """Root of every error optiform raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


# -- configuration and input -------------------------------------------------------------


class ConfigError(OptiformError):
    """Settings that cannot be used (bad value, unreadable config file)."""


class InputError(OptiformError):
    """User input that cannot be worked on: empty text, unreadable files, oversize text."""


class DataError(InputError):
    """A data table (CSV) that is missing, malformed or does not match the formulation."""


# -- the formulation language and solvers ------------------------------------------------


class FormulationError(OptiformError):
    """A formulation that does not validate or cannot be compiled.

    ``where`` names the part (e.g. ``constraint 'labor'``), ``expression`` the offending
    expression text, ``token`` the offending token and ``suggestion`` a close known name.
    """

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        expression: str | None = None,
        token: str | None = None,
        suggestion: str | None = None,
        hint: str | None = None,
    ) -> None:
        parts = []
        if where:
            parts.append(f"{where}: ")
        parts.append(message)
        if token and token not in message:
            parts.append(f" (at {token!r})")
        if expression:
            parts.append(f"\n  in: {expression}")
        if suggestion and hint is None:
            hint = f"did you mean {suggestion!r}?"
        super().__init__("".join(parts), hint=hint)
        self.where = where
        self.expression = expression
        self.token = token
        self.suggestion = suggestion


class SolverError(OptiformError):
    """A solver that is missing or failed in a way that is not a model status."""

    exit_code = 3


class SandboxError(OptiformError):
    """The sandbox could not run code with the isolation that was asked for."""

    exit_code = 3


# -- LLM backends ------------------------------------------------------------------------


class LLMError(OptiformError):
    """A failure talking to a language model."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        status: int | None = None,
        retryable: bool = False,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.model = model
        self.status = status
        self.retryable = retryable


class LLMConnectionError(LLMError):
    """The endpoint cannot be reached (refused, DNS, timeout)."""


class LLMAuthError(LLMError):
    """The endpoint refused the key."""


class LLMModelNotFoundError(LLMError):
    """The endpoint does not serve the configured model."""


class ContextOverflowError(LLMError):
    """The prompt does not fit the model's context window."""


class LLMRateLimitError(LLMError):
    """Rate limited after every retry."""


class LLMOutputError(LLMError):
    """The model answered, but not in the shape that was asked for (malformed JSON...).

    ``reply``, ``usage`` and ``latency`` keep what the failed call produced and cost, so a
    trace can show the reply's tail and count its tokens and seconds."""

    def __init__(self, message: str, *, reply: str | None = None, usage: Any = None,
                 latency: float = 0.0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reply = reply
        self.usage = usage
        self.latency = latency


class OutOfTimeError(LLMOutputError):
    """The time budget ran out before the model's answer was usable: its generation was
    stopped at the deadline, or its invalid answer was not asked again (agent/budget.py)."""


class ReplayMissError(LLMError):
    """A replay cassette has no recorded answer for a request."""


class ModelUnavailableError(LLMError):
    """The embedded model file could not be found, assembled or downloaded."""


# -- faces -------------------------------------------------------------------------------


class TurnCancelled(OptiformError):
    """A solve stopped on request: Ctrl-C in the CLI, a client that went away from the server."""

    exit_code = 130


# -- evaluation and the experience library -----------------------------------------------


class EvalError(OptiformError):
    """A batch evaluation that cannot run (unknown data set, broken results file)."""


class DownloadError(EvalError):
    """A data set that could not be downloaded: the network or the server, not the input."""

    exit_code = 3


class LibraryError(OptiformError):
    """The experience library store cannot be read or written."""


#: Errors that stop a whole batch (an eval run, a learning run): no item can succeed, so the
#: item at hand is not recorded, and a resume after the cause is fixed runs it again.
FATAL_ERRORS: tuple[type[BaseException], ...] = (
    LLMConnectionError, LLMAuthError, LLMModelNotFoundError, LLMRateLimitError,
    ModelUnavailableError, SandboxError,
)


def is_fatal(exc: BaseException) -> bool:
    """Whether ``exc`` should stop a batch rather than fail one item: the endpoint, the model
    or the sandbox is unusable, or an LLM error that retrying later may fix."""
    if isinstance(exc, FATAL_ERRORS):
        return True
    return isinstance(exc, LLMError) and exc.retryable


def as_feedback(err: BaseException) -> str:
    """One error as a short text an LLM can act on (used by the repair loop)."""
    if isinstance(err, OptiformError):
        return str(err)
    return f"{type(err).__name__}: {err}"
