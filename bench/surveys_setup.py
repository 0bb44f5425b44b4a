"""Helper of bench/surveys.py, run with the app: the survey the benchmark fills with responses.

    python -m bench.surveys_setup survey EMAIL     (from the repository root, with the benchmark's environment)

Builds and publishes, through the real services, a satisfaction survey owned by the officer EMAIL (one
question of every counted kind, a grid, a long text and a number) and prints one JSON object: the survey's
id and code, its version's id and each question's id by key.
"""

import json
import sys

from sqlalchemy import select

from onestop import create_app
from onestop.accounts.models import User
from onestop.extensions import db
from onestop.surveys import builder
from onestop.surveys.builder import QuestionInput, Settings
from onestop.surveys.models import QuestionKind


def _listed(*pairs: str) -> list[dict]:
    return [{"key": f"o{n}", "vi": vi, "en": vi} for n, vi in enumerate(pairs, start=1)]


def survey(email: str) -> dict:
    owner = db.session.scalar(select(User).where(User.email == email))
    made = builder.create_survey(owner, Settings(title={"vi": "Mức độ hài lòng", "en": "Satisfaction"}, intro={}))
    questions = [
        QuestionInput(
            1,
            QuestionKind.SINGLE,
            {"vi": "Kênh nộp hồ sơ"},
            options=_listed("Cổng", "Quầy", "Bưu điện", "Ứng dụng"),
            allow_other=True,
        ),
        QuestionInput(1, QuestionKind.RATING, {"vi": "Mức hài lòng chung"}, required=True),
        QuestionInput(1, QuestionKind.YES_NO, {"vi": "Đúng hẹn?"}),
        QuestionInput(
            2,
            QuestionKind.MULTIPLE,
            {"vi": "Điều cần cải thiện"},
            options=_listed("Thời gian", "Hướng dẫn", "Phí", "Thái độ", "Trang web"),
        ),
        QuestionInput(
            2, QuestionKind.GRID, {"vi": "Đánh giá"}, rows=_listed("Tiếp đón", "Hướng dẫn", "Thời gian", "Kết quả")
        ),
        QuestionInput(3, QuestionKind.LONG_TEXT, {"vi": "Góp ý"}),
        QuestionInput(3, QuestionKind.NUMBER, {"vi": "Số lần đi lại"}),
    ]
    builder.add_section(owner, made.id, {"vi": "Phần 2"})
    builder.add_section(owner, made.id, {"vi": "Phần 3"})
    for question in questions:
        builder.save_question(owner, made.id, None, question)
    version = builder.publish(owner, made.id)
    db.session.commit()
    ids = {q.key: q.id for section in version.sections for q in section.questions}
    return {"id": made.id, "code": made.code, "version": version.id, "questions": ids}


def main() -> None:
    app = create_app()
    with app.test_request_context():
        if sys.argv[1] == "survey":
            print(json.dumps(survey(sys.argv[2])))
        else:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
