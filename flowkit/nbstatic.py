"""Widgets in a static report: each widget output becomes what it shows, or nothing.

A report (``flowkit report``) has no kernel, so a widget's live view cannot render; printing
its ``repr`` (``ThresholdSliders(children=(Accordion(...``) helps nobody.  The executed
notebook's widget state (``metadata.widgets``, stored by papermill/nbclient) holds what each
widget showed when the notebook ran: this module replaces every widget output by that static
content, in the widget's order:

* an ``Output`` widget's captured outputs (plots, tables, text) as they are;
* an ``HTML`` or ``Label`` widget's text;
* a ``Select`` list (e.g. the findings list) as a list with its selected line marked;
* containers (boxes, accordions, tabs) by their children.

Controls (sliders, checkboxes, buttons, text boxes) are left out: a report shows results.  A
widget whose state was not stored is left out entirely.

Examples
--------
>>> import nbformat
>>> from nbformat.v4 import new_code_cell, new_notebook, new_output
>>> view = {"model_id": "b", "version_major": 2, "version_minor": 0}
>>> cell = new_code_cell("box", outputs=[new_output("display_data", data={
...     "text/plain": "VBox(...)", "application/vnd.jupyter.widget-view+json": view})])
>>> nb = new_notebook(cells=[cell])
>>> nb.metadata["widgets"] = {STATE_MIME: {"state": {
...     "b": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_h", "IPY_MODEL_s"]}},
...     "h": {"model_name": "HTMLModel", "state": {"value": "<b>8 findings</b>"}},
...     "s": {"model_name": "IntSliderModel", "state": {"value": 3}}}}}
>>> out = static_widgets(nb).cells[0].outputs
>>> [o["data"]["text/html"] for o in out]
['<b>8 findings</b>']
"""

from __future__ import annotations

import copy
import html
from typing import Any

__all__ = ["STATE_MIME", "VIEW_MIME", "static_widgets"]

STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
_REF = "IPY_MODEL_"
_LISTS = ("SelectModel", "SelectMultipleModel")


def _html_output(text: str) -> dict[str, Any]:
    return {"output_type": "display_data", "data": {"text/html": text}, "metadata": {}}


def _as_display(output: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(output))
    if out.get("output_type") == "execute_result":
        out["output_type"] = "display_data"
        out.pop("execution_count", None)
    out.setdefault("metadata", {})
    return out


def _select_list(state: dict[str, Any]) -> str:
    labels = [str(x) for x in state.get("_options_labels", [])]
    chosen = state.get("index")
    picked = set(chosen) if isinstance(chosen, list | tuple) else {chosen}
    lines = [("&#9654; " if i in picked else "&nbsp;&nbsp;") + html.escape(label)
             for i, label in enumerate(labels)]  # fmt: skip
    title = html.escape(str(state.get("description") or ""))
    head = f"<b>{title}</b><br>" if title else ""
    return f"{head}<pre style='margin:0'>" + "\n".join(lines) + "</pre>"


def _render(model_id: str, models: dict[str, Any], seen: set[str]) -> list[dict[str, Any]]:
    """The static outputs of one widget model and its children, in order."""
    if model_id in seen or model_id not in models:
        return []
    seen.add(model_id)
    model = models[model_id]
    name, state = model.get("model_name", ""), model.get("state", {})
    if name == "OutputModel":
        return [_as_display(o) for o in state.get("outputs", [])]
    if name in ("HTMLModel", "HTMLMathModel"):
        return [_html_output(str(state["value"]))] if state.get("value") else []
    if name == "LabelModel":
        text = html.escape(str(state.get("value", "")))
        return [_html_output(f"<p>{text}</p>")] if text else []
    if name in _LISTS:
        return [_html_output(_select_list(state))]
    out: list[dict[str, Any]] = []
    for child in state.get("children", []):
        if isinstance(child, str) and child.startswith(_REF):
            out += _render(child[len(_REF) :], models, seen)
    return out


def static_widgets(nb: Any) -> Any:
    """Return a copy of an executed notebook with every widget output made static.

    See the module docstring; ``metadata.widgets`` is dropped from the copy.
    """
    from nbformat import from_dict

    nb = copy.deepcopy(nb)
    store = nb.metadata.pop("widgets", {}) or {}
    models: dict[str, Any] = store.get(STATE_MIME, {}).get("state", {})
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        outputs: list[Any] = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(VIEW_MIME)
            if view is None:
                outputs.append(output)
                continue
            outputs += [from_dict(o) for o in _render(str(view.get("model_id", "")), models, set())]
        cell["outputs"] = outputs
    return nb
