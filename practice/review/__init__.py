"""The end-of-day review: what happened today, what needs settling or deciding, tomorrow."""
