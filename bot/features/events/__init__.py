"""Events: invitations with RSVP, seats and waiting list, calendar files, reminders."""
