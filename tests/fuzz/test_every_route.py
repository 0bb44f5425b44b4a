"""Every route of the route map, fed generated input by every role, answers without a server error.

At the start, each role (anonymous, citizen, clerk, specialist, leader, agency administrator,
province administrator) opens every page it can with the ids of real objects (a draft, a file at
reception, a file being processed, their slips and documents, staff accounts), and every form and
link those pages hold is noted as a *seed*: who sends it, to which rule of `app.url_map`, with
which URL values and fields. Hypothesis then sends requests of two kinds:

- a seed with one of its parts (sometimes two) made hostile: a URL variable, a form field or an extra query
  parameter set to a number too large for the database, superscript or Arabic-Indic digits, CR/LF,
  a 20-digit year, an impossible date, a malformed button value, a very long text...;
- any rule and method of the route map, by any role, with real or hostile URL values, a query
  string, and for a POST the fields every form of that route has, with the session's CSRF token
  (nine times in ten).

Any 500 fails the test with the request that caused it.

In the suite it sends FUZZ_EXAMPLES requests (default 2000: about 45 s on SQLite), derandomized
so that every run sends the same ones. To search further:

    FUZZ_EXAMPLES=20000 FUZZ_SEED=7 .venv/bin/pytest -q -p no:cacheprovider tests/fuzz
    FUZZ_EXAMPLES=5000 FUZZ_ALL=1 .venv/bin/pytest -q -s -p no:cacheprovider tests/fuzz

FUZZ_SEED draws other requests than the suite's; FUZZ_ALL=1 keeps going after a failure and lists
every distinct cause found (the exception and the line of onestop that raised it), how often, and
one request that showed it. With TEST_DATABASE_URL it runs on PostgreSQL, where numbers out of the
database's range show.
"""

import io
import itertools
import logging
import os
import re
import traceback
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing.converters import NumberConverter

from onestop.accounts.models import Role
from onestop.extensions import db, limiter
from onestop.notifications.models import Notice
from onestop.payments import vnpay
from onestop.procedures.models import Application, ApplicationState
from onestop.procedures.workflow import Action
from onestop.provinces.models import Agency
from tests.conftest import PASSWORD, csrf_token, login
from tests.feedback.conftest import sent_feedback
from tests.filing import LLTP, fill_all_steps, pdf_bytes, send, start, upload
from tests.office.conftest import POLICE, act
from tests.surveys.conftest import bilingual_survey

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
KEEP_GOING = os.environ.get("FUZZ_ALL") == "1"
ONESTOP = Path(__file__).resolve().parents[2] / "onestop"

ROLES = ["anonymous", *(role.value for role in Role)]
# Responses that are not pages: nothing to harvest, and the PDFs are slow to render.
NOT_PAGES = re.compile(r"\.(pdf|xlsx|css)$|/download$|^/static/|^/office/documents/|^/branding/|^/healthz$")

# What an attacker, a confused browser or a buggy gateway sends instead of each kind of value a page offers.
HOSTILE = {
    "number": [
        "99999999999999999999",
        "2147483648",
        "9223372036854775808",
        "1" * 400,
        "-1",
        "0",
        "²",
        "¹²³",
        "٣",
        "١٢٣",
        "१२",
        "𝟙𝟚",
        "１２",
        "1_000",
        " 7 ",
        "1e3",
        "0x1f",
    ],
    "date": [
        "9999-12-31",
        "0001-01-01",
        "10000-01-01",
        "2026-02-30",
        "99999999999999999999-01-01",
        "²⁰²⁶-01-01",
        "2026-13-01T25:61:00",
        "2026-01-01T00:00:00+99:00",
        "2026-01-01|99999999999999999999",
        "9999-12-31|1",
    ],
    "path": [
        "/\r\nSet-Cookie: stolen=1",
        "/ok\nLocation: https://evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
    ],
    "button": [
        "add:",
        "add:group",
        "remove:",
        "remove:group",
        "remove:group:x",
        "remove:group:²",
        "remove:group:99999999999999999999",
        "reuse",
        "remove",
        "upload",
    ],
    "text": [
        "",
        " ",
        "\x00",
        "a\x00.exe",
        "Ω" * 3000,
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "=1+2",
        "yes",
        "online",
    ],
}
# The kind of value each query parameter the views read holds.
QUERY_KINDS = {
    "next": "path",
    "page": "number",
    "agency": "number",
    "sector": "number",
    "procedure": "number",
    "application": "number",
    "after": "date",
    "from": "date",
    "to": "date",
    "q": "text",
    "level": "text",
    "tab": "text",
    "sort": "text",
    "due": "text",
    "change": "text",
}
VNPAY_FIELDS = [
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_CardType",
    "vnp_OrderInfo",
    "vnp_PayDate",
    "vnp_ResponseCode",
    "vnp_TmnCode",
    "vnp_TransactionNo",
    "vnp_TransactionStatus",
    "vnp_TxnRef",
]
_VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@dataclass(frozen=True)
class Field:
    name: str
    values: tuple[str, ...]  # what the page offers: an input's value, a select's options, a button's value
    is_file: bool = False
    is_list: bool = False  # hidden inputs sharing a name are all sent
    is_button: bool = False  # a submit button's value says what to do: "continue", "remove:group:2"...


@dataclass(frozen=True)
class Seed:
    """A request a page really leads to: a form or a link, sent by the role that saw it."""

    role: str
    rule: object
    method: str
    values: tuple[tuple[str, str], ...]  # the URL variables
    fields: tuple[Field, ...]  # form fields, or the query of a link or a GET form


class _Page(HTMLParser):
    """The forms and links of a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "a" and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"])
        if tag == "form":
            self._form = {"action": attrs.get("action", ""), "method": attrs.get("method", "get").upper(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "button", "textarea", "select") and attrs.get("name"):
            kind = "button" if tag == "button" else attrs.get("type", "")
            field = self._form["fields"].setdefault(attrs["name"], {"kind": kind, "values": []})
            if tag in ("input", "button") and "value" in attrs:
                field["values"].append(attrs["value"])
            self._select = attrs["name"] if tag == "select" else None
        elif tag == "option" and self._select:
            self._form["fields"][self._select]["values"].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _path(rule, values: dict[str, str]) -> str:
    def replace(match):
        converter, name = match.group(1), match.group(2)
        return quote(values[name], safe="/" if converter == "path" else "")

    return _VARIABLE.sub(replace, rule.rule)


def _account(user) -> dict:
    return {name: getattr(user, name) for name in ("role", "agency_id", "province_id", "is_active", "password_hash")}


class World:
    """The objects the requests point at, a signed-in client per role, and the seeds the pages lead to."""

    def __init__(self, app, create_citizen, create_staff):
        self.app = app
        self.clients: dict[str, object] = {}
        self.tokens: dict[str, str] = {}
        self.requests = 0
        self.logged = _Logged()
        citizen = create_citizen(full_name="Nguyễn Thị Mai", email="mai@example.com")
        staff = {
            role: create_staff(role, None if role is Role.PROVINCE_ADMIN else POLICE, f"Cán bộ {role.value}")
            for role in (Role.CLERK, Role.SPECIALIST, Role.LEADER, Role.AGENCY_ADMIN, Role.PROVINCE_ADMIN)
        }
        self.users = {Role.CITIZEN.value: citizen} | {role.value: user for role, user in staff.items()}
        self.logins = {role: user.email for role, user in self.users.items()}
        # What the requests may change about the signed-in people (an administrator's form, a new password).
        self.originals = {role: _account(user) for role, user in self.users.items()}
        for role in ROLES:
            self._sign_in(role)

        # A file waiting at reception, one accepted and assigned, and a draft: each page shows its forms.
        citizen_client = self.clients[Role.CITIZEN.value]
        waiting = self._file(citizen_client)
        assigned = self._file(citizen_client)
        draft = int(re.search(r"/applications/(\d+)/", start(citizen_client))[1])
        assert act(self.clients[Role.CLERK.value], assigned, "accept").status_code == 302
        specialist = {"specialist": staff[Role.SPECIALIST].id}
        assert act(self.clients[Role.LEADER.value], assigned, "assign", specialist).status_code == 302
        db.session.expire_all()
        applications = [db.session.get(Application, ident) for ident in (draft, waiting, assigned)]
        assert [a.state for a in applications] == [ApplicationState.DRAFT, "submitted", ApplicationState.IN_PROGRESS]
        survey = bilingual_survey(staff[Role.CLERK])  # a published survey of the clerk's, answered once
        feedback = sent_feedback(db.session.get(Agency, staff[Role.CLERK].agency_id).province, citizen, POLICE)
        self.known = {
            "application_id": [str(application.id) for application in applications],
            "slip_id": [str(slip.id) for slip in applications[2].slips],
            "document_id": [str(link.document_id) for link in applications[1].documents],
            "user_id": [str(user.id) for user in staff.values()],
            "step_id": ["applicant", "certificate", "residence"],
            "slug": [LLTP],
            "code": ["vi", "en", survey.code, feedback.code],
            "feedback_id": [str(feedback.id)],
            "attachment_id": ["1"],
            "token": ["not-a-token"],
            "action": [action.value.replace("_", "-") for action in Action],
            "filename": ["css/site.css"],
            "notice_id": [str(notice_id) for notice_id in db.session.scalars(db.select(Notice.id).limit(3))],
            "event": ["supplement_requested", "no_such_event"],
            "channel": ["sms", "email", "fax"],
            "language": ["vi", "en"],
            "question_id": ["event", "baby", "no-such-question"],
            "survey_id": [str(survey.id)],
            "position": ["1", "2"],
            "key": ["q1", "q2"],
            "direction": ["up", "down"],
            "kind": ["png", "svg"],
            "number": ["0", "1", "2", "7"],  # a guide's answer (help), a survey's version
            # The dashboards: the staff's agencies and one that does not exist; lists, tables and formats.
            "agency_id": [*sorted({str(user.agency_id) for user in staff.values() if user.agency_id}), "999999"],
            "list_key": ["late", "received", "no-such-list"],
            "table": ["index", "months", "no-such-table"],
            "fmt": ["csv", "xlsx", "pdf"],
        }
        # A request may send or withdraw the draft; the next ones are sent to a new draft in its place.
        self.draft = str(draft)
        self.current_draft = self.draft
        # Texts that lead somewhere, for fields a page leaves empty: the codes and ID number a lookup asks for.
        self.texts = [application.code for application in applications[1:]] + [citizen.citizen_id]
        self.rules = sorted(
            ((rule, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}),
            key=lambda pair: (pair[0].rule, pair[1]),
        )
        self.gets: dict[str, list[Seed]] = {}
        self.posts: dict[str, list[Seed]] = {}
        self._harvest()
        # Every field any form of a route has, for requests made up from the route map alone.
        self.fields: dict[str, dict[str, Field]] = {}
        for post in itertools.chain.from_iterable(self.posts.values()):
            self.fields.setdefault(post.rule.endpoint, {}).update({f.name: f for f in post.fields})

    def _file(self, client) -> int:
        application_id = fill_all_steps(client, fee_category="exempt")
        upload(client, application_id, "the-can-cuoc", pdf_bytes())
        assert send(client, application_id).status_code == 302
        return application_id

    def _sign_in(self, role: str) -> None:
        client = self.app.test_client()
        if role == "anonymous":
            page = client.get("/account/login")
        else:
            response = login(client, self.logins[role], PASSWORD)
            assert response.status_code == 302, f"{role} could not sign in"
            page = client.get("/account/")
        self.clients[role] = client
        self.tokens[role] = csrf_token(page.get_data(as_text=True))

    def keep_accounts(self, role: str) -> None:
        """After a request that may have changed an account or ended a session, put back who acts as each role."""
        changed = {role}
        for name, original in self.originals.items():
            user = db.session.get(type(self.users[name]), self.users[name].id)
            if _account(user) != original:
                for attribute, value in original.items():
                    setattr(user, attribute, value)
                changed.add(name)
        db.session.commit()
        for name in sorted(changed - {"anonymous"}):
            if self.clients[name].get("/account/").status_code != 200:
                self._sign_in(name)

    def keep_a_draft(self) -> None:
        """After a request that may have sent or withdrawn the draft, start a new one for the filing pages."""
        draft = db.session.get(Application, int(self.current_draft))
        db.session.refresh(draft)
        if draft.state != ApplicationState.DRAFT:
            location = start(self.clients[Role.CITIZEN.value])
            self.current_draft = re.search(r"/applications/(\d+)/", location)[1]

    def url_value(self, value: str) -> str:
        return self.current_draft if value == self.draft else value

    def _harvest(self) -> None:
        """Open every page each role can reach with real ids; note the forms and links on it as seeds."""
        adapter = self.app.url_map.bind("localhost")
        found: dict[tuple, Seed] = {}

        def note(role: str, method: str, target: str, fields: tuple[Field, ...]) -> None:
            try:
                rule, values = adapter.match(urlsplit(target).path, method=method, return_rule=True)
            except HTTPException:
                return
            pairs = tuple(sorted((name, str(value)) for name, value in values.items()))
            # One seed per form or link and role: links to fifty procedures are one seed, the forms of
            # each back-office action are one each.
            words = tuple(value for name, value in pairs if not isinstance(rule._converters[name], NumberConverter))
            key = (role, rule.rule, method, words if method == "POST" else (), tuple(sorted(f.name for f in fields)))
            if key not in found:
                found[key] = Seed(role, rule, method, pairs, fields)

        for role in ROLES:
            for rule, method in self.rules:
                if method != "GET" or NOT_PAGES.search(rule.rule):
                    continue
                names = sorted(rule.arguments)
                for chosen in itertools.islice(itertools.product(*(self.known[name] for name in names)), 9):
                    path = _path(rule, dict(zip(names, chosen, strict=True)))
                    response = self.clients[role].get(path)
                    if response.status_code != 200 or "html" not in response.content_type:
                        continue
                    note(role, "GET", path, ())
                    page = _Page()
                    page.feed(response.get_data(as_text=True))
                    for form in page.forms:
                        fields = tuple(
                            Field(
                                name,
                                tuple(dict.fromkeys(field["values"])),
                                is_file=field["kind"] == "file",
                                is_list=field["kind"] == "hidden" and len(field["values"]) > 1,
                                is_button=field["kind"] == "button",
                            )
                            for name, field in form["fields"].items()
                            if name != "csrf_token"
                        )
                        note(role, form["method"], form["action"] or path, fields)
                    for link in page.links:
                        query = parse_qsl(urlsplit(link).query, keep_blank_values=True)
                        note(role, "GET", link, tuple(Field(name, (value,)) for name, value in query))
        # By endpoint, so that each route is drawn as often as another whatever the number of its links.
        for found_seed in found.values():
            seeds = self.posts if found_seed.method == "POST" else self.gets
            seeds.setdefault(found_seed.rule.endpoint, []).append(found_seed)


@pytest.fixture
def world(app, demo, create_citizen, create_staff, monkeypatch):
    # Rate limits would answer 429 to most of the requests; they are tested on their own.
    monkeypatch.setattr(limiter, "enabled", False)
    # A payment return may ask the gateway for the status: nothing listens on the discard port.
    monkeypatch.setitem(app.config, "VNPAY_API_URL", "http://127.0.0.1:9/merchant_webapi/api/transaction")
    world = World(app, create_citizen, create_staff)
    # A view that catches an exception and logs it (the IPN answers "try again later") hides a 500 as well.
    app.logger.addHandler(world.logged)
    yield world
    app.logger.removeHandler(world.logged)


class _Logged(logging.Handler):
    """The exceptions logged with their traceback while a request ran: errors, and the bad input that
    onestop/errors.py refused as out of range (a parser to fix, though the user saw a 400)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.errors: list[BaseException] = []
        self.out_of_range: list[BaseException] = []

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            caught = self.errors if record.levelno >= logging.ERROR else self.out_of_range
            caught.append(record.exc_info[1])


# --- what a request is made of -------------------------------------------------------------------------

ALL_HOSTILE = sorted({value for values in HOSTILE.values() for value in values})
anything = st.one_of(
    st.sampled_from(ALL_HOSTILE),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
)


def kind_of(value: str) -> str:
    if re.fullmatch(r"-?[0-9]+", value):
        return "number"
    if re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return "date"
    if value.startswith("/"):
        return "path"
    if ":" in value:
        return "button"
    return "text"


def hostile(kind: str = "text"):
    """Three times in four a value that breaks parsers of this kind, else anything at all."""
    typical = st.sampled_from(HOSTILE[kind])
    return st.one_of(typical, typical, typical, anything)


def _own(data, values: tuple[str, ...] | list[str]) -> str:
    return data.draw(st.sampled_from(values)) if values else ""


def _file(data):
    content = data.draw(st.sampled_from([pdf_bytes(), b"%PDF-1.4\n", b"", b"<html><script>x</script>"]))
    return (io.BytesIO(content), data.draw(st.sampled_from(["scan.pdf", "a\x00.exe", "../../x.pdf", "Ω" * 300])))


def _from_seed(data, seeds: dict[str, list[Seed]], world: World):
    """A request a page leads to, with one of its parts (sometimes two) made hostile."""
    endpoint = data.draw(st.sampled_from(sorted(seeds)), label="endpoint")
    chosen = data.draw(st.sampled_from(seeds[endpoint]), label="seed")
    places = [f"url:{name}" for name, _ in chosen.values] + [f"field:{f.name}" for f in chosen.fields] + ["query"]
    spoiled = {data.draw(st.sampled_from(places), label="made hostile")}
    if not data.draw(st.integers(0, 3)):
        spoiled.add(data.draw(st.sampled_from(places), label="made hostile too"))
    values = {
        name: data.draw(hostile(kind_of(value))) if f"url:{name}" in spoiled else world.url_value(value)
        for name, value in chosen.values
    }
    fields: dict = {}
    for field in chosen.fields:
        if f"field:{field.name}" in spoiled:
            like = "button" if field.is_button else kind_of(field.values[0]) if field.values else "text"
            fields[field.name] = _file(data) if field.is_file and data.draw(st.booleans()) else data.draw(hostile(like))
        elif field.is_file:
            fields[field.name] = _file(data)
        elif field.is_list:
            fields[field.name] = list(field.values)
        else:
            fields[field.name] = _own(data, field.values or world.texts)
    key = data.draw(st.sampled_from(sorted(QUERY_KINDS))) if "query" in spoiled else None
    query = [(key, data.draw(hostile(QUERY_KINDS[key])))] if key else []
    if chosen.method == "GET":
        return chosen.role, chosen.rule, "GET", values, [*fields.items(), *query], None
    return chosen.role, chosen.rule, chosen.method, values, query, fields


def _made_up(data, world: World):
    """Any rule and method of the route map, by any role, with real or hostile values everywhere."""
    role = data.draw(st.sampled_from(ROLES), label="role")
    rule, method = data.draw(st.sampled_from(world.rules), label="route")
    values = {
        name: world.url_value(_own(data, world.known.get(name, []))) or data.draw(anything) for name in rule.arguments
    }
    if data.draw(st.booleans()):
        values = {
            name: data.draw(hostile(kind_of(value))) if data.draw(st.booleans()) else value
            for name, value in values.items()
        }
    query = data.draw(
        st.lists(st.tuples(st.sampled_from(sorted(QUERY_KINDS)) | st.text(max_size=8), anything), max_size=3)
    )
    if rule.endpoint.startswith("payments.vnpay"):
        # Signed as the gateway signs, so that the values themselves are read, not only the signature.
        params = {name: data.draw(anything) for name in data.draw(st.sets(st.sampled_from(VNPAY_FIELDS)))}
        params = {name: value for name, value in params.items() if value}
        signed = data.draw(st.booleans())
        params[vnpay.SECURE_HASH] = (
            vnpay.sign_query(params, world.app.config["VNPAY_HASH_SECRET"]) if signed else data.draw(anything)
        )
        query += list(params.items())
    fields = None
    if method == "POST":
        fields = {}
        for field in world.fields.get(rule.endpoint, {}).values():
            if data.draw(st.integers(0, 4)):
                fields[field.name] = (
                    _file(data) if field.is_file else data.draw(anything | st.sampled_from(field.values or world.texts))
                )
    return role, rule, method, values, query, fields


def _origin(error: BaseException) -> str:
    """Where in onestop an exception was raised: the class of a failure, to count distinct ones."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(str(ONESTOP))]
    place = f"{Path(frames[-1].filename).relative_to(ONESTOP.parent)}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__} at {place}"


# --- the test --------------------------------------------------------------------------------------------

FAILURES: Counter = Counter()
OUT_OF_RANGE: Counter = Counter()
FIRST: dict[str, str] = {}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="FUZZ_SEED" not in os.environ,  # the suite sends the same requests on every run
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@(seed(int(os.environ["FUZZ_SEED"])) if "FUZZ_SEED" in os.environ else lambda test: test)
@given(data=st.data())
def test_no_input_makes_a_server_error(world, data):
    # A form posted (most of the parsing is there), a link followed, or a request made up from the route map.
    kind = data.draw(st.sampled_from(["post", "post", "get", "made up"]), label="kind")
    if kind == "made up":
        role, rule, method, values, query, fields = _made_up(data, world)
    else:
        role, rule, method, values, query, fields = _from_seed(
            data, world.posts if kind == "post" else world.gets, world
        )
    if fields is not None and data.draw(st.integers(0, 9)):  # nine times in ten, the session's own token
        fields["csrf_token"] = world.tokens[role]
    path = _path(rule, values)
    request = f"{role}: {method} {path}?{urlencode(query)} {fields or ''}"
    world.requests += 1
    world.logged.errors.clear()
    world.logged.out_of_range.clear()
    failure = ""
    try:
        response = world.clients[role].open(path, method=method, query_string=urlencode(query), data=fields)
        if response.status_code >= 500 and response.status_code != 503:
            failure = f"HTTP {response.status_code} from {rule.endpoint}"
        elif world.logged.errors:
            failure = f"logged {_origin(world.logged.errors[0])}"
    except Exception as error:  # the test app propagates what would have been a 500
        if not KEEP_GOING:
            raise AssertionError(f"{_origin(error)} on {request[:2000]}") from error
        failure = _origin(error)
    if method == "POST" and rule.endpoint.startswith(("accounts.", "admin.", "warehouse.close")):
        world.keep_accounts(role)
    if method == "POST" and role == Role.CITIZEN and rule.endpoint.startswith("filing."):
        world.keep_a_draft()
    if KEEP_GOING and failure:
        FAILURES[failure] += 1
        FIRST.setdefault(failure, request[:400])
    for error in world.logged.out_of_range:
        OUT_OF_RANGE[_origin(error)] += 1
        FIRST.setdefault(_origin(error), request[:400])
    assert KEEP_GOING or not failure, f"{failure} on {request[:2000]}"


@pytest.fixture(autouse=True)
def _list_failures(request):
    """With FUZZ_ALL=1: every distinct cause found, how often, and the first request that showed it."""
    FAILURES.clear()
    OUT_OF_RANGE.clear()
    FIRST.clear()
    yield
    if not KEEP_GOING:
        return
    world = request.node.funcargs.get("world")
    print(f"\n{world.requests if world else '?'} requests, {sum(FAILURES.values())} server errors:")
    for failure, count in FAILURES.most_common():
        print(f"  {count:5d}  {failure}\n         e.g. {FIRST[failure]}")
    print(f"{sum(OUT_OF_RANGE.values())} refused as out of range by onestop/errors.py (parsers to fix):")
    for cause, count in OUT_OF_RANGE.most_common():
        print(f"  {count:5d}  {cause}\n         e.g. {FIRST[cause]}")
    assert not FAILURES, f"{len(FAILURES)} distinct causes of server errors"
