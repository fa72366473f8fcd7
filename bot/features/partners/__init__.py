"""Partners: invitations, bound chats and groups, scopes."""
