"""The partners' and admins' web dashboard: access, frozen figures, views and exports."""
