"""Onboarding and profile: consent, role, territory, core, sector, language."""
