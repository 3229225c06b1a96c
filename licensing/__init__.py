"""License terms, offers, explicit consent, license grants and their lifecycle."""
