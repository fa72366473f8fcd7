"""Build the Graph API errors of the WhatsApp Cloud API, synchronous and in status webhooks."""

from __future__ import annotations

import secrets
from typing import Any

ERROR_CODES_URL = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

# code -> (title, details), as Meta's error-code reference words them.
CATALOGUE: dict[int, tuple[str, str]] = {
    100: ("Invalid parameter", "Invalid parameter."),
    190: ("Access token has expired", "Invalid OAuth access token."),
    130429: ("Rate limit hit", "Cloud API message throughput has been reached."),
    130472: (
        "User's number is part of an experiment",
        "Failed to send message because this user's phone number is part of an experiment.",
    ),
    131000: ("Something went wrong", "Message failed to send due to an unknown error."),
    131005: ("Access denied", "Permission is either not granted or has been removed."),
    131008: ("Required parameter is missing", "The request is missing a required parameter."),
    131009: ("Parameter value is not valid", "One or more parameter values are invalid."),
    131021: ("Recipient cannot be sender", "Sender and recipient phone number is the same."),
    131026: ("Message undeliverable", "Message Undeliverable."),
    131031: ("Account has been locked", "Your account has been locked."),
    131042: (
        "Business eligibility payment issue",
        "There was an error related to your payment method.",
    ),
    131047: (
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131048: (
        "Spam rate limit hit",
        "Message failed to send because there are restrictions on how many messages can be "
        "sent from this phone number.",
    ),
    131049: (
        "This message was not delivered to maintain healthy ecosystem engagement.",
        "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
    ),
    131050: (
        "Unable to deliver the message. This recipient has chosen to stop receiving marketing "
        "messages on WhatsApp from your business.",
        "The recipient has stopped marketing messages from your business.",
    ),
    131051: ("Unsupported message type", "Message type is currently not supported."),
    131052: ("Media download error", "Unable to download the media sent by the user."),
    131053: ("Media upload error", "Unable to upload the media used in the message."),
    131056: (
        "(Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient phone "
        "number in a short period of time.",
    ),
    132000: (
        "Number of parameters does not match the expected number of params",
        "The number of variable parameter values included in the request did not match the "
        "number of variable parameters defined in the template.",
    ),
    132001: (
        "Template name does not exist in the translation",
        "The template does not exist in the specified language or the template has not been "
        "approved.",
    ),
    132015: ("Template is Paused", "Template is paused due to low quality."),
    132016: ("Template is Disabled", "Template has been paused too many times."),
    132018: (
        "There was an issue with the parameters in your template.",
        "One or more parameter values are invalid.",
    ),
}


def title_of(code: int) -> str:
    """Return Meta's title of an error code (a generic one when unknown)."""
    return CATALOGUE.get(code, ("Error", ""))[0]


def details_of(code: int) -> str:
    """Return Meta's default details text of an error code."""
    return CATALOGUE.get(code, ("", f"Error {code}."))[1]


def fbtrace_id() -> str:
    """Return a random trace id like the ones Graph adds to every error."""
    return secrets.token_urlsafe(16)[:23]


class GraphError(Exception):
    """Carry one Graph API error: HTTP status and the fields of Meta's error object."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        details: str | None = None,
        http_status: int = 400,
        error_type: str = "OAuthException",
        subcode: int | None = None,
        user_title: str | None = None,
        user_msg: str | None = None,
        whatsapp: bool = True,
    ) -> None:
        """Store the error; message defaults to "(#code) title"."""
        self.code = code
        self.message = message if message is not None else f"(#{code}) {title_of(code)}"
        super().__init__(self.message)
        self.details = details
        self.http_status = http_status
        self.error_type = error_type
        self.subcode = subcode
        self.user_title = user_title
        self.user_msg = user_msg
        self.whatsapp = whatsapp

    def to_json(self) -> dict[str, Any]:
        """Return the {"error": {...}} body Graph answers with."""
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
        }
        if self.whatsapp and self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.user_title is not None:
            error["is_transient"] = False
            error["error_user_title"] = self.user_title
        if self.user_msg is not None:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def invalid_param(reason: str) -> GraphError:
    """Build a code 100 error naming the offending field, as Graph words them."""
    return GraphError(100, f"(#100) {reason}", details=reason)


def not_valid(details: str) -> GraphError:
    """Build a 131009 "Parameter value is not valid" error with its details."""
    return GraphError(131009, details=details)


def too_long(field: str, limit: int) -> GraphError:
    """Build the code 100 error Graph gives for a string over its length limit."""
    return invalid_param(f"Param {field} must be at most {limit} characters long.")


def required(field: str) -> GraphError:
    """Build the code 100 error Graph gives for a missing parameter."""
    return invalid_param(f"The parameter {field} is required.")


def sync_error(code: int) -> GraphError:
    """Build the synchronous (HTTP 400) error of a code, with Meta's title and details."""
    return GraphError(code, details=details_of(code))


def status_error(code: int, details: str | None = None) -> dict[str, Any]:
    """Return the error object of a `failed` status webhook."""
    title = title_of(code)
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details if details is not None else details_of(code)},
        "href": ERROR_CODES_URL,
    }


def auth_error(present: bool) -> GraphError:
    """Build the 401 OAuthException (code 190) for a wrong or missing access token."""
    message = (
        "Invalid OAuth access token - Cannot parse access token"
        if present
        else "An access token is required to request this resource."
    )
    return GraphError(190, message, http_status=401, whatsapp=False)
