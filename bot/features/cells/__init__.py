"""Empty shop cells: landlords offer them, admins validate them, people browse and ask."""
