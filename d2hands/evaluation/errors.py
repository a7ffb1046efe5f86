"""Exceptions raised for invalid evaluation inputs (ground truth, predictions, options)."""

from __future__ import annotations

from ..errors import HandsError


class EvaluationInputError(HandsError):
    """An input to the evaluation is invalid; the message says which entry and why."""


class ResultsError(EvaluationInputError):
    """A COCO results list (the predictions) is invalid.

    Attributes:
        index: Position of the offending entry in the results list, or None for a problem with
            the file or list as a whole.
        image_id: The entry's ``image_id`` when it has one, else None.

    """

    def __init__(self, problem: str, index: int | None = None, image_id: object = None,
                 source: str | None = None):
        self.index = index
        self.image_id = image_id
        self.problem = problem
        where = f"{source}: " if source else "predictions: "
        if index is not None:
            where += f"entry {index}"
            where += f" (image_id {image_id!r})" if image_id is not None else ""
            where += ": "
        super().__init__(where + problem)
