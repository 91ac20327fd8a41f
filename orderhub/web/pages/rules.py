"""Rules in the console: the list, the editor (condition checked as you type, errors shown at
their line and column), versions, and a dry run against recent orders."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from orderhub.api.deps import authorize
from orderhub.core.db import unit_of_work
from orderhub.core.errors import DomainError, InvalidInput
from orderhub.rules import editing, expressions, service
from orderhub.rules.models import SEVERITIES, Rule
from orderhub.web import flash
from orderhub.web.access import viewer_for
from orderhub.web.errors import ConsoleRoute, describe
from orderhub.web.i18n import Translator, pick_locale
from orderhub.web.render import render

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
CHECK_ID = "condition-check"
DRY_RUN_ID = "dry-run-results"
ACTIONS_EXAMPLE = ('[{"type": "hold", "reason_code": "address_check", "reason": "请核实地址"},\n'
                   ' {"type": "create_task", "role": "supervisor", "title": "核实地址"}]')


@dataclass
class RuleForm:
    """The editor's fields exactly as typed, so a refused save shows them again unchanged."""

    name: str = ""
    key: str = ""
    description: str = ""
    triggers: list[str] = field(default_factory=lambda: ["order.created"])
    condition: str = ""
    actions: str = ACTIONS_EXAMPLE
    severity: str = "warning"
    priority: str = "100"
    enabled: bool = True

    @classmethod
    def of(cls, rule: Rule) -> RuleForm:
        return cls(name=rule.name, key=rule.key, description=rule.description,
                   triggers=list(rule.triggers), condition=rule.condition,
                   actions=json.dumps(rule.actions, ensure_ascii=False, indent=1),
                   severity=rule.severity, priority=str(rule.priority), enabled=rule.enabled)

    def parsed_actions(self) -> list[Any]:
        try:
            value = json.loads(self.actions)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"actions: not valid JSON ({exc.msg}, line {exc.lineno} column "
                               f"{exc.colno})", details={"field": "actions"}) from None
        return value if isinstance(value, list) else [value]

    def data(self) -> dict[str, Any]:
        try:
            priority = int(self.priority)
        except ValueError:
            raise InvalidInput("priority must be a whole number", details={"field": "priority"}) from None
        return {"key": self.key.strip() or None, "name": self.name, "description": self.description,
                "triggers": self.triggers, "condition": self.condition,
                "actions": self.parsed_actions(), "severity": self.severity, "priority": priority,
                "enabled": self.enabled}


def _form(name: str, key: str, description: str, triggers: list[str], condition: str,
          actions: str, severity: str, priority: str, enabled: str) -> RuleForm:
    return RuleForm(name=name.strip(), key=key.strip(), description=description.strip(),
                    triggers=triggers, condition=condition, actions=actions, severity=severity,
                    priority=priority.strip(), enabled=enabled == "on")


@router.get("/rules")
def rule_list(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "rules.read")
        return render(request, "rules/list.html", viewer=viewer, rules=editing.list_rules(session))


def condition_check(condition: str) -> dict[str, Any]:
    """The validation result plus the offending line and a caret under the error's column."""
    result = expressions.validate(condition)
    if not result["valid"]:
        lines = condition.split("\n") or [""]
        source = lines[min(result["line"], len(lines)) - 1]
        result |= {"source": source, "caret": " " * (result["column"] - 1) + "^"}
    return result


def _editor(request: Request, viewer: Any, *, rule: Rule | None, form: RuleForm,
            error: DomainError | None = None, versions: list | None = None,
            status: int = 200) -> HTMLResponse:
    t = Translator(pick_locale(request))
    check = condition_check(form.condition) if form.condition.strip() else None
    return render(request, "rules/edit.html", viewer=viewer, rule=rule, form=form, check=check,
                  error=describe(error, t) if error else None,
                  error_field=(error.details.get("field") if error else None),
                  triggers=editing.TRIGGERS, severities=SEVERITIES, versions=versions or [],
                  check_id=CHECK_ID, dry_run_id=DRY_RUN_ID, status=status)


@router.get("/rules/new")
def new_rule(request: Request) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "rules.manage")
        return _editor(request, viewer, rule=None, form=RuleForm())


@router.get("/rules/{rule_id}")
def edit_rule(request: Request, rule_id: int) -> HTMLResponse:
    with unit_of_work() as session:
        viewer = viewer_for(session, request, "rules.read")
        rule = editing.get_rule(session, rule_id)
        return _editor(request, viewer, rule=rule, form=RuleForm.of(rule),
                       versions=editing.versions(session, rule_id))


def _save(request: Request, rule_id: int | None, form: RuleForm, csrf_token: str) -> Response:
    actor = authorize(request, "rules.manage", form_csrf=csrf_token)
    t = Translator(pick_locale(request))
    try:
        with unit_of_work() as session:
            if rule_id is None:
                rule = editing.create_rule(session, data=form.data(), actor=actor)
            else:
                rule = editing.update_rule(session, rule_id=rule_id, data=form.data(), actor=actor)
            saved_id, version = rule.id, rule.version
    except (InvalidInput, editing.RuleNotFound) as exc:
        with unit_of_work() as session:
            viewer = viewer_for(session, request, "rules.manage")
            rule = editing.get_rule(session, rule_id) if rule_id is not None else None
            return _editor(request, viewer, rule=rule, form=form, error=exc, status=422,
                           versions=editing.versions(session, rule_id) if rule_id else [])
    return flash.redirect(f"/rules/{saved_id}", "ok", t("rules.saved", version=version))


@router.post("/rules")
def create(request: Request, name: FormText = "", key: FormText = "", description: FormText = "",
           triggers: FormList = [], condition: FormText = "", actions: FormText = "",  # noqa: B006
           severity: FormText = "warning", priority: FormText = "100", enabled: FormText = "",
           csrf_token: FormText = "") -> Response:
    form = _form(name, key, description, triggers, condition, actions, severity, priority, enabled)
    return _save(request, None, form, csrf_token)


@router.post("/rules/check")
def check(request: Request, condition: FormText = "", csrf_token: FormText = "") -> HTMLResponse:
    """The inline check under the condition box (HTMX, as the user types)."""
    authorize(request, "rules.read", form_csrf=csrf_token)
    return render(request, "rules/_check.html", viewer=None, check=condition_check(condition),
                  form=RuleForm(condition=condition), check_id=CHECK_ID)


@router.post("/rules/dry-run")
def dry_run(request: Request, condition: FormText = "", actions: FormText = "",
            triggers: FormList = [], days: FormText = "7",  # noqa: B006
            csrf_token: FormText = "") -> HTMLResponse:
    """What the rule in the editor (saved or not) would have done to recent orders."""
    authorize(request, "rules.manage", form_csrf=csrf_token)
    t = Translator(pick_locale(request))
    form = RuleForm(condition=condition, actions=actions, triggers=triggers)
    with unit_of_work() as session:
        try:
            day_count = int(days) if days.strip().isdigit() else 7
            result = service.dry_run(session, condition=condition, actions=form.parsed_actions(),
                                     triggers=triggers, days=day_count, limit=500)
        except InvalidInput as exc:
            return render(request, "rules/_dry_run.html", viewer=None, result=None,
                          error=describe(exc, t))
        return render(request, "rules/_dry_run.html", viewer=None, result=result, error=None)


@router.post("/rules/{rule_id}")
def update(request: Request, rule_id: int, name: FormText = "", key: FormText = "",
           description: FormText = "", triggers: FormList = [],  # noqa: B006
           condition: FormText = "", actions: FormText = "", severity: FormText = "warning",
           priority: FormText = "100", enabled: FormText = "",
           csrf_token: FormText = "") -> Response:
    form = _form(name, key, description, triggers, condition, actions, severity, priority, enabled)
    return _save(request, rule_id, form, csrf_token)
