"""Surveys: definitions, waves, the conversation, results and exports."""
