"""The entrepreneurs' path: candidates, schools, information sessions, venues and coaching."""
