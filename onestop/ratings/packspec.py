"""The province's rating questions in its pack: `rating.yaml` (the default) and `ratings/<procedure code>.yaml`.

Each file is a survey in the export format of onestop.surveys.transfer (`format: onestop-survey/1`, written as
YAML) plus `measures`, which names the question answering each standard measure, so the compact
`service_rating` row can be filled whatever the wording. Loading the same file again changes nothing; an
edited file publishes a new version of the same survey, and earlier ratings keep the questions they answered.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.ratings.models import RatingSurvey
from onestop.surveys import builder, transfer
from onestop.surveys.builder import Settings, SurveyError
from onestop.surveys.models import QuestionKind, SurveyQuestion, SurveySection

DEFAULT_FILE = "rating.yaml"
# The questions a province without its own rating.yaml asks: every service is rated, from the first load.
STANDARD_FILE = Path(__file__).with_name("standard.yaml")
PROCEDURE_FOLDER = "ratings"
# Which kinds of question may answer each measure; "overall" must be there and required.
MEASURE_KINDS = {
    "overall": {QuestionKind.RATING},
    "on_time": {QuestionKind.YES_NO, QuestionKind.RATING},
    "guidance": {QuestionKind.RATING},
    "conduct": {QuestionKind.RATING},
    "comment": {QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT},
}


def _check_measures(data: dict, sections: list[dict], name: str, lines, problems: list) -> dict:
    from onestop.provinces.pack import Problem

    measures = data.get("measures")
    if not isinstance(measures, dict):
        problems.append(
            Problem(
                name,
                lines.line_for(("measures",)),
                _("Under “measures”, name the question of each measure (overall, on_time, guidance, conduct...)."),
            )
        )
        return {}
    questions = {q["key"]: q for section in sections for q in section["questions"]}
    checked = {}
    for measure, key in measures.items():
        line = lines.line_for(("measures", measure))
        if measure not in MEASURE_KINDS:
            problems.append(
                Problem(
                    name,
                    line,
                    _("“%(name)s” is not a measure; use overall, on_time, guidance, conduct or comment.", name=measure),
                )
            )
        elif not isinstance(key, str) or key not in questions:
            problems.append(
                Problem(name, line, _("The measure %(name)s names a question the survey does not have.", name=measure))
            )
        elif questions[key]["kind"] not in MEASURE_KINDS[measure]:
            problems.append(
                Problem(name, line, _("The measure %(name)s needs a question of another kind.", name=measure))
            )
        else:
            checked[measure] = key
    if "overall" not in measures:
        problems.append(
            Problem(
                name, lines.line_for(("measures",)), _("The measure overall (satisfaction from 1 to 5) is missing.")
            )
        )
    elif checked.get("overall") and not questions[checked["overall"]]["required"]:
        problems.append(
            Problem(
                name, lines.line_for(("measures", "overall")), _("The overall satisfaction question must be required.")
            )
        )
    return checked


def read_ratings(root: Path, procedure_codes: set[str], problems: list) -> dict[str, dict]:
    """Every rating survey of the pack by procedure code ("" for the default), checked; problems name file and line."""
    from onestop.provinces.pack import Problem, _read_yaml

    own_default = (root / DEFAULT_FILE).is_file()
    files = [("", root / DEFAULT_FILE if own_default else STANDARD_FILE)]
    folder = root / PROCEDURE_FOLDER
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        files.append((path.stem, path))
    found = {}
    for code, path in files:
        base = root if path.is_relative_to(root) else path.parent
        name = str(path.relative_to(base))
        if code and code not in procedure_codes:
            problems.append(Problem(name, 1, _("No procedure of the pack has the code %(code)s.", code=code)))
            continue
        read = _read_yaml(path, base, problems)
        if read is None:
            continue
        data, lines = read
        if not isinstance(data, dict):
            problems.append(
                Problem(
                    name,
                    1,
                    _("The file is not a survey exported from onestop (format %(format)s).", format=transfer.FORMAT),
                )
            )
            continue
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode()
        try:
            head, sections = transfer.read_file(raw)
        except SurveyError as error:
            problems.extend(Problem(name, 1, message) for message in error.problems)
            continue
        measures = _check_measures(data, sections, name, lines, problems)
        found[code] = {
            "head": head,
            "sections": sections,
            "measures": measures,
            "hash": hashlib.sha256(raw).hexdigest(),
            "standard": path == STANDARD_FILE,
        }
    return found


def _owner(province_id: int, required: bool = True) -> User | None:
    owner = db.session.scalar(
        select(User)
        .where(User.province_id == province_id, User.role == Role.PROVINCE_ADMIN.value, User.is_active.is_(True))
        .order_by(User.id)
        .limit(1)
    )
    if owner is None and required:
        from onestop.provinces.pack import PackInvalid, Problem

        raise PackInvalid(
            [Problem(DEFAULT_FILE, 1, _("Rating surveys need a province admin in staff.yaml to own them."))]
        )
    return owner


def _fill(version, sections: list[dict]) -> None:
    version.sections.clear()
    db.session.flush()  # the copied questions go before the new ones reuse their keys
    for s_position, section in enumerate(sections, start=1):
        new_section = SurveySection(position=s_position, title=section["title"])
        for q_position, question in enumerate(section["questions"], start=1):
            new_section.questions.append(SurveyQuestion(version=version, position=q_position, **question))
        version.sections.append(new_section)
    db.session.flush()


def apply_ratings(ratings: dict[str, dict], province_id: int) -> int:
    """Create or update the province's rating surveys; returns how many changed. Raises PackInvalid on conflicts."""
    existing = {
        entry.procedure_code: entry
        for entry in db.session.scalars(select(RatingSurvey).where(RatingSurvey.province_id == province_id))
    }
    changed = 0
    for code, spec in sorted(ratings.items()):
        entry = existing.get(code)
        if entry is not None and entry.content_hash == spec["hash"]:
            continue
        head = spec["head"]
        if entry is None:
            # A pack that wrote its own questions needs their owner; the standard ones wait for a province admin.
            owner = _owner(province_id, required=not spec.get("standard"))
            if owner is None:
                continue
            survey = builder.create_survey(owner, Settings(title=head["title"], intro=head["intro"], anonymous=True))
            survey.for_ratings = True
            entry = RatingSurvey(
                province_id=province_id,
                procedure_code=code,
                survey_id=survey.id,
                measures=spec["measures"],
                content_hash=spec["hash"],
            )
            db.session.add(entry)
            version = survey.versions[0]
        else:
            survey = entry.survey
            owner = db.session.get(User, survey.owner_id)
            version = builder.editable_version(survey)
            version.title, version.intro = head["title"], head["intro"]
        _fill(version, spec["sections"])
        try:
            builder.publish(owner, survey.id)
        except SurveyError as error:
            from onestop.provinces.pack import PackInvalid, Problem

            raise PackInvalid([Problem(DEFAULT_FILE, 1, message) for message in error.problems]) from None
        entry.measures = spec["measures"]
        entry.content_hash = spec["hash"]
        changed += 1
    db.session.flush()
    return changed
