"""Opportunities: what a candidate can build on, and the partners' figures of needs and offers."""
