"""The one exception type for bad user input.

Every problem with a scenario file, a contact log, a sweep file or a command-line value raises
:class:`ScenarioError`. It carries the file (when known) and the field path, so the CLI and the
app can print one line such as
``scenarios/x.yaml: plans.single-site.sites.austin.shifts[1].start: "25:00" is not a time of day``.

:class:`WorkerDiedError` is the one other error the CLI reports in one line: a worker process
killed from outside (the out-of-memory killer) while a run waited for it.
"""

from __future__ import annotations


class ScenarioError(ValueError):
    """Invalid scenario input; `path` locates the field, e.g. "channels.phone.handle_time.mean_s".

    Parameters
    ----------
    path : str
        Field path inside the file (dots for keys, ``[i]`` for list items); "" for the whole file.
    message : str
        What is wrong, naming the bad value.
    file : str, optional
        The file the input came from.
    """

    def __init__(self, path: str, message: str, *, file: str | None = None):
        self.path = path
        self.message = message
        self.file = file
        super().__init__(self._text())

    def __reduce__(self):  # picklable, so an error raised in a worker process comes back intact
        return (_rebuild, (self.path, self.message, self.file))

    def _text(self) -> str:
        parts = [p for p in (self.file, self.path) if p]
        return ": ".join([*parts, self.message])

    def with_file(self, file: str) -> ScenarioError:
        """Return the same error attributed to `file` (kept if already set)."""
        return ScenarioError(self.path, self.message, file=self.file or file)


class WorkerDiedError(RuntimeError):
    """A worker process ended without returning its task (killed, most often out of memory).

    Not bad input, but reported like it: one line, exit 2, no partial output.
    """

    def __init__(self) -> None:
        super().__init__(
            "a worker process was killed before it finished (most often by the system when "
            "memory runs out); run with fewer --workers or replications"
        )


def _rebuild(path: str, message: str, file: str | None) -> ScenarioError:
    return ScenarioError(path, message, file=file)


def join_path(*parts: str | int) -> str:
    """Build a field path.

    ``join_path("plans", "a", "shifts", 1, "start")`` → ``plans.a.shifts[1].start``.
    """
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "":
            out += f".{part}" if out else str(part)
    return out
