"""One error type for bad datasets, with a message a user can act on."""

from __future__ import annotations

from ..errors import HandsError

MAX_LISTED = 5


class DatasetError(HandsError):
    """A dataset (or a folder of images and masks) cannot be used as given.

    The message is one paragraph that names the first offending files or entries.

    Attributes:
        problems: every problem found, as ``(what, where)`` pairs.

    """

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__(format_problems(source, problems))


def format_problems(source: str, problems: list[tuple[str, str]]) -> str:
    """Return one paragraph naming the first problems found in ``source``.

    Args:
        source: the dataset or folder the problems belong to.
        problems: ``(what, where)`` pairs, e.g. ``("missing image file", "images/3.png")``.

    """
    shown = "; ".join(f"{what}: {where}" for what, where in problems[:MAX_LISTED])
    more = len(problems) - MAX_LISTED
    tail = f"; and {more} more" if more > 0 else ""
    noun = "problem" if len(problems) == 1 else "problems"
    return f"{source} has {len(problems)} {noun}: {shown}{tail}."


class ProblemList:
    """Collects problems and raises them together as a :class:`DatasetError`."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[tuple[str, str]] = []

    def add(self, what: str, where: str) -> None:
        """Record one problem."""
        self.items.append((what, where))

    def raise_if_any(self) -> None:
        """Raise a :class:`DatasetError` if any problem was recorded."""
        if self.items:
            raise DatasetError(self.source, self.items)
