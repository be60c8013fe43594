"""The training notebook's answer box."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from flowkit.training import EXERCISES, Verdict, check_answer

__all__ = ["AnswerBox"]


class AnswerBox(w.VBox):  # type: ignore[misc]
    """A training exercise's answer box: type an answer, press *check*, read the verdict.

    A right answer is confirmed with why it is right; a wrong one earns a hint of what to look
    at (:data:`flowkit.training.HINTS`), never the answer.

    Parameters
    ----------
    exercise_id : str
        One of :data:`flowkit.training.EXERCISES`.
    truth : dict
        The estate's ground truth (:func:`flowkit.training.load_truth`).

    Examples
    --------
    >>> truth = {"incidents": [{"id": "INC-01", "kind": "port_scan", "actor": "198.51.100.7",
    ...     "targets": ["10.0.0.20"], "target_names": ["bastion-1"]}]}
    >>> box = AnswerBox("scanner", truth)
    >>> box.value = "198.51.100.8"
    >>> box.check().correct, "Not quite" in box.verdict_html.value
    (False, True)
    >>> "198.51.100.7" in box.verdict_html.value
    False
    >>> box.value = " 198.51.100.7 "
    >>> box.check().correct, "Correct" in box.verdict_html.value
    (True, True)
    """

    def __init__(self, exercise_id: str, truth: dict[str, Any]) -> None:
        self.exercise_id = exercise_id
        self.truth = truth
        exercise = next((e for e in EXERCISES if e.id == exercise_id), None)
        if exercise is None:
            raise KeyError(f"unknown exercise {exercise_id!r}")
        self.text = w.Text(
            placeholder=exercise.answer_form, description="answer", layout=w.Layout(width="60%")
        )
        self.button = w.Button(description="check", button_style="primary")
        self.verdict_html = w.HTML("<i>type your answer and press check</i>")
        self.verdict_html.add_class("flowkit-verdict")
        self.text.add_class("flowkit-answer")
        self.button.on_click(lambda _b: self.check())
        super().__init__([w.HBox([self.text, self.button]), self.verdict_html])

    @property
    def value(self) -> str:
        """The typed answer."""
        return str(self.text.value)

    @value.setter
    def value(self, answer: str) -> None:
        self.text.value = answer

    def check(self) -> Verdict:
        """Check the typed answer, show the verdict (a hint when wrong) and return it."""
        verdict = check_answer(self.exercise_id, self.value, self.truth)
        head = "&#10004; Correct." if verdict.correct else "&#10008; Not quite. Hint:"
        colour = "green" if verdict.correct else "firebrick"
        self.verdict_html.value = (
            f"<b style='color:{colour}'>{head}</b> {html.escape(verdict.message)}"
        )
        return verdict
