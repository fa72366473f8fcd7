"""Validate message templates: their creation (message_templates) and their sending."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.whatsapp.errors import GraphError, details_of, invalid_param, required
from bot.emulator.whatsapp.models import PLACEHOLDER_RE, Template, TemplateTranslation

CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")
NAME_RE = re.compile(r"^[a-z0-9_]{1,512}$")
BUTTON_TYPES = ("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE", "OTP")
# The language codes of Meta's "Supported languages" list for templates.
_LANGUAGE_LIST = (
    "af sq ar az bn bg ca zh_CN zh_HK zh_TW hr cs da nl en en_GB en_US et fil fi fr ka de el "
    "gu ha he hi hu id ga it ja kn kk rw_RW ko ky_KG lo lv lt mk ms ml mr nb fa pl pt_BR pt_PT "
    "pa ro ru sr sk sl es es_AR es_ES es_MX sw sv ta te th tr uk ur uz vi zu"
)
LANGUAGES: frozenset[str] = frozenset(_LANGUAGE_LIST.split())
# Template creation errors carry this subcode and a user-facing title, like Meta's.
CREATE_SUBCODE = 2388040
DUPLICATE_SUBCODE = 2388024
EDGE_SUBCODE = 2388299
_TRAILING_RE = re.compile(r"\{\{\s*\d+\s*\}\}$")
# A parameter may not contain new lines, tabs or more than 4 consecutive spaces.
_BAD_PARAM_RE = re.compile(r"[\n\t]| {5,}")


def _create_error(title: str, message: str, subcode: int = CREATE_SUBCODE) -> GraphError:
    """Build the code 100 "Invalid parameter" error of template creation."""
    return GraphError(
        100,
        "Invalid parameter",
        subcode=subcode,
        user_title=title,
        user_msg=message,
        whatsapp=False,
    )


def _check_placeholders(where: str, text: str) -> None:
    """Refuse placeholders that are not {{1}}..{{n}} in order, or that start or end the text."""
    numbers = [int(n) for n in PLACEHOLDER_RE.findall(text)]
    if numbers and sorted(set(numbers)) != list(range(1, max(numbers) + 1)):
        raise _create_error(
            "Variable parameters are not sequential",
            f"The {where} text has variable parameters that are not sequential: {numbers}. "
            "Variables must be {{1}}, {{2}}, ... with none missing.",
        )
    stripped = text.strip()
    at_edge = PLACEHOLDER_RE.match(stripped) or _TRAILING_RE.search(stripped)
    if numbers and where == "body" and at_edge:
        raise _create_error(
            "Variables can't be at the start or end of the template", stripped, EDGE_SUBCODE
        )


def validate_creation(payload: Any) -> tuple[str, str, str, list[dict[str, Any]]]:
    """Check a message_templates POST; return (name, language, category, components)."""
    if not isinstance(payload, dict):
        raise invalid_param("Invalid parameter")
    name = payload.get("name")
    if not isinstance(name, str) or not name:
        raise required("name")
    if not NAME_RE.match(name):
        raise _create_error(
            "Invalid template name",
            "Template names can only contain lowercase alphanumeric characters and underscores.",
        )
    language = payload.get("language")
    if not isinstance(language, str) or not language:
        raise required("language")
    if language not in LANGUAGES:
        raise _create_error("Invalid language", f"The language {language!r} is not supported.")
    category = payload.get("category")
    if not isinstance(category, str) or category.upper() not in CATEGORIES:
        raise invalid_param(
            f"Param category must be one of {{{', '.join(CATEGORIES)}}} - got {category!r}."
        )
    if payload.get("parameter_format", "POSITIONAL") != "POSITIONAL":
        raise invalid_param("Param parameter_format: only POSITIONAL is emulated.")
    components = payload.get("components")
    if not isinstance(components, list) or not components:
        raise required("components")
    kinds = [str(c.get("type", "")).upper() if isinstance(c, dict) else "" for c in components]
    for kind in kinds:
        if kind not in ("HEADER", "BODY", "FOOTER", "BUTTONS"):
            raise invalid_param(
                f"Param components[]['type'] must be one of {{HEADER, BODY, FOOTER, BUTTONS}} "
                f"- got {kind!r}."
            )
    if kinds.count("BODY") != 1 or any(kinds.count(k) > 1 for k in kinds):
        raise _create_error(
            "Invalid components", "A template has exactly one BODY and at most one of the others."
        )
    for component, kind in zip(components, kinds, strict=True):
        _check_component(kind, component)
    return name, language, category.upper(), components


def _check_component(kind: str, component: dict[str, Any]) -> None:
    """Check one component of a template being created."""
    if kind == "BODY":
        text = component.get("text")
        if not isinstance(text, str) or not text.strip():
            raise required("components[BODY]['text']")
        if len(text) > 1024:
            raise _create_error("Body text too long", "The body text is over 1024 characters.")
        _check_placeholders("body", text)
    elif kind == "HEADER":
        fmt = str(component.get("format", "")).upper()
        if fmt not in ("TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION"):
            raise required("components[HEADER]['format']")
        if fmt == "TEXT":
            text = component.get("text")
            if not isinstance(text, str) or not text:
                raise required("components[HEADER]['text']")
            if len(text) > 60:
                raise _create_error("Header text too long", "Header text is over 60 characters.")
            if len(PLACEHOLDER_RE.findall(text)) > 1:
                raise _create_error("Too many header variables", "A header has one variable.")
            _check_placeholders("header", text)
    elif kind == "FOOTER":
        text = component.get("text")
        if not isinstance(text, str) or not text:
            raise required("components[FOOTER]['text']")
        if len(text) > 60:
            raise _create_error("Footer text too long", "Footer text is over 60 characters.")
    else:
        buttons = component.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 10:
            raise _create_error("Invalid buttons", "A template has 1 to 10 buttons.")
        for button in buttons:
            kind_of = str(button.get("type", "")) if isinstance(button, dict) else ""
            if kind_of not in BUTTON_TYPES:
                raise invalid_param(f"Param buttons[]['type'] must be one of {BUTTON_TYPES}.")
            text = button.get("text")
            if kind_of == "QUICK_REPLY" and (
                not isinstance(text, str) or not 1 <= len(text) <= 25
            ):
                raise _create_error(
                    "Button text too long", "A quick reply button text has 1 to 25 characters."
                )


def duplicate_error(language: str) -> GraphError:
    """Build Meta's error for a name that already has content in that language."""
    return _create_error(
        "Message template already exists",
        f"There is already {language} content for this template. You can create a new "
        "template and try again.",
        DUPLICATE_SUBCODE,
    )


@dataclass
class RenderedTemplate:
    """Hold what a template send resolves to: the translation, rendered text, quick replies."""

    translation: TemplateTranslation
    text: str
    header: str | None
    buttons: list[tuple[str, str]] = field(default_factory=list)


def _param_values(where: str, parameters: Any) -> list[str]:
    """Return the display values of send-time parameters (text, currency, date_time)."""
    if not isinstance(parameters, list):
        raise required(f"template['components'][{where}]['parameters']")
    values: list[str] = []
    for param in parameters:
        if not isinstance(param, dict):
            raise invalid_param(f"Param template['components'][{where}]['parameters'] invalid.")
        kind = param.get("type")
        if kind == "text":
            value = param.get("text")
            if not isinstance(value, str) or value == "":
                raise required(f"template['components'][{where}]['parameters'][]['text']")
        elif kind in ("currency", "date_time"):
            value = str((param.get(kind) or {}).get("fallback_value", ""))
            if not value:
                raise required(f"template['components'][{where}]['parameters'][]['{kind}']")
        else:
            raise invalid_param(
                f"Param template['components'][{where}]['parameters'][]['type'] must be one of "
                "{TEXT, CURRENCY, DATE_TIME} for this component."
            )
        if _BAD_PARAM_RE.search(value):
            raise GraphError(
                132018,
                details="Param text cannot have new-line/tab characters or more than 4 "
                "consecutive spaces",
            )
        values.append(value)
    return values


def _fill(text: str, values: list[str]) -> str:
    """Replace {{n}} by the n-th value."""
    return PLACEHOLDER_RE.sub(lambda m: values[int(m.group(1)) - 1], text)


def render_send(obj: Any, templates: Mapping[str, Template]) -> RenderedTemplate:
    """Check the `template` object of a message and render it; raise Meta's errors."""
    if not isinstance(obj, dict):
        raise required("template")
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        raise required("template['name']")
    language = obj.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    if not isinstance(code, str) or not code:
        raise required("template['language']['code']")
    template = templates.get(name)
    translation = template.translations.get(code) if template else None
    if translation is None or translation.status not in ("APPROVED", "PAUSED", "DISABLED"):
        raise GraphError(132001, details=f"template name ({name}) does not exist in {code}")
    if translation.status == "PAUSED":
        raise GraphError(132015, details=details_of(132015))
    if translation.status == "DISABLED":
        raise GraphError(132016, details=details_of(132016))
    body_values: list[str] = []
    header_values: list[str] = []
    payloads: dict[int, str] = {}
    components = obj.get("components", [])
    if not isinstance(components, list):
        raise invalid_param("Param template['components'] must be an array.")
    for component in components:
        kind = str(component.get("type", "")).lower() if isinstance(component, dict) else ""
        if kind == "body":
            body_values = _param_values("body", component.get("parameters"))
        elif kind == "header":
            header_values = _param_values("header", component.get("parameters"))
        elif kind == "button":
            index, payload = _button_payload(component, translation)
            payloads[index] = payload
        else:
            raise invalid_param(
                "Param template['components'][]['type'] must be one of {HEADER, BODY, BUTTON}."
            )
    for where, got, expected in (
        ("body", len(body_values), translation.body_params),
        ("header", len(header_values), translation.header_params),
    ):
        if got != expected:
            raise GraphError(
                132000,
                details=f"{where}: number of localizable_params ({got}) does not match the "
                f"expected number of params ({expected})",
            )
    header = translation.header_text
    buttons: list[tuple[str, str]] = []
    quick_index = 0
    for index, kind in enumerate(translation.button_types()):
        if kind == "QUICK_REPLY":
            text = translation.quick_replies[quick_index]
            quick_index += 1
            buttons.append((payloads.get(index, text), text))
    return RenderedTemplate(
        translation=translation,
        text=_fill(translation.body, body_values),
        header=_fill(header, header_values) if header is not None else None,
        buttons=buttons,
    )


def _button_payload(
    component: dict[str, Any], translation: TemplateTranslation
) -> tuple[int, str]:
    """Check a send-time quick reply button component; return (index, payload)."""
    sub_type = component.get("sub_type")
    try:
        index = int(component.get("index", -1))
    except (TypeError, ValueError):
        index = -1
    types = translation.button_types()
    if not 0 <= index < len(types):
        raise GraphError(131009, details=f"Button at index {index} does not exist.")
    if sub_type != "quick_reply":
        if sub_type == "url" and types[index] == "URL":
            return index, ""
        raise invalid_param(
            "Param template['components'][]['sub_type'] must match the template's button type."
        )
    if types[index] != "QUICK_REPLY":
        raise GraphError(131009, details=f"Button at index {index} is not a quick reply.")
    parameters = component.get("parameters")
    first = parameters[0] if isinstance(parameters, list) and parameters else None
    payload = first.get("payload") if isinstance(first, dict) else None
    if not isinstance(payload, str) or not payload:
        raise required("template['components'][]['parameters'][]['payload']")
    if len(payload) > 256:
        raise invalid_param("Param payload must be at most 256 characters long.")
    return index, payload
