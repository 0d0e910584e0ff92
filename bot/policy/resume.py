"""The ``resume`` tables of a policy file: what each decision sends back to a graph.

``[graphs.G.resume]`` applies to every request of graph ``G`` whose shape has no contract
of its own (a generic or flat dict, a string, a breakpoint is never templated);
``[graphs.G.actions.A.resume]`` replaces it for action ``A``. Each key (``approve``,
``reject``, ``edit``, ``respond``) holds a JSON-e template (see
:mod:`graphs.adapters.templates`). Templates are checked when the file is loaded.
"""

from __future__ import annotations

from typing import Any

from bot.policy.book import PolicyBook
from bot.policy.lines import KeyPath
from graphs.adapters.templates import TEMPLATE_KEYS, check_template

Problems = list[tuple[KeyPath, str]]


def parse_resume(table: object, path: KeyPath, problems: Problems) -> dict[str, Any] | None:
    """The checked templates of a ``resume`` table (None when absent), problems appended."""
    if table is None:
        return None
    if not isinstance(table, dict):
        problems.append((path, "must be a table of templates (approve, reject, edit, respond)"))
        return None
    if not table:
        problems.append((path, "must give a template for at least one decision"))
        return None
    templates: dict[str, Any] = {}
    for key, template in table.items():
        if key not in TEMPLATE_KEYS:
            problems.append(((*path, key), f"unknown decision; expected one of "
                             f"{', '.join(TEMPLATE_KEYS)}"))
            continue
        problem = check_template(template)
        if problem is not None:
            problems.append(((*path, key), f"bad JSON-e template: {problem}"))
            continue
        templates[key] = template
    return templates



def resume_templates(book: PolicyBook, graph: str, action: str) -> dict[str, Any] | None:
    """The operator's resume templates for ``action`` of ``graph``, if the file has any:
    the action's own table, else the graph's."""
    section = book.graphs.get(graph)
    if section is None:
        return None
    own = section.actions.get(action)
    return own.resume if own is not None and own.resume is not None else section.resume
