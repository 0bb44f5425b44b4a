"""A procedure's result template in its pack: the HTML file it names, checked like the rest of the pack.

The file must sit inside the pack, be UTF-8, parse as a Jinja template (errors point at its own line), and
use only the variable fields it declares (`{{ fields.x }}`) besides the facts every result has (see
`render.COMMON_FACTS`). A field filled from an answer must name a field of the procedure's form.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
from flask_babel import gettext as _
from jinja2.sandbox import SandboxedEnvironment

MAX_TEMPLATE_BYTES = 100_000
_FIELD_USE = re.compile(r"\bfields\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")


def template_environment() -> SandboxedEnvironment:
    """Pack templates are province data, not code: sandboxed, escaped, and loud about unknown names."""
    return SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def check_result_templates(root: Path, procedures: list, problems: list) -> None:
    """Read each declared template into its procedure (stored with the version), or report what is wrong."""
    from onestop.provinces.pack import Problem

    environment = template_environment()
    for procedure, name, lines in procedures:
        spec = procedure.result_template
        if spec is None:
            continue
        line = lines.line_for(("result_template", "file"))
        path = (root / spec.file).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            problems.append(Problem(name, line, _("The result template %(file)s is missing.", file=spec.file)))
            continue
        if path.is_relative_to(root / "procedures"):
            message = _("Keep result templates outside procedures/ (for example in results/).")
            problems.append(Problem(name, line, message))
            continue
        data = path.read_bytes()
        if len(data) > MAX_TEMPLATE_BYTES:
            problems.append(Problem(spec.file, 1, _("The result template is larger than 100 KB.")))
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(spec.file, 1, _("This file is not saved as UTF-8 text.")))
            continue
        try:
            environment.parse(text)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(
                Problem(
                    spec.file, exc.lineno or 1, _("The template is not valid: %(detail)s", detail=exc.message or "")
                )
            )
            continue
        declared = {entry.id for entry in spec.fields}
        for number, text_line in enumerate(text.splitlines(), start=1):
            for match in _FIELD_USE.finditer(text_line):
                used = match.group(1) or match.group(2)
                if used not in declared:
                    message = _(
                        "The template uses the field “%(name)s”, which result_template does not declare.", name=used
                    )
                    problems.append(Problem(spec.file, number, message))
        answers = {field.id for _step, field in procedure.form.all_fields()} if procedure.form else set()
        for index, entry in enumerate(spec.fields):
            if entry.source and entry.source not in answers:
                problems.append(
                    Problem(
                        name,
                        lines.line_for(("result_template", "fields", index, "source")),
                        _("The form of this procedure has no field “%(name)s”.", name=entry.source),
                    )
                )
        procedure._result_html = text
