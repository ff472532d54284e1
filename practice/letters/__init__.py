"""Letters that move a client on (referral, discontinuation, practice full) and custom
letters: composed from the record, rendered to a tagged PDF, issued once and frozen."""
