"""The pop-up store: a place where candidates test their activity for a period."""
