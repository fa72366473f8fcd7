"""Notices: what a flow tells someone other than the person who acted, sent after commit."""
