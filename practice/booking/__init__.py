"""Online booking for clients under /book: services, free times, holds confirmed by an
e-mailed link, "my appointments" and inquiries when full (see practice/booking/services.py)."""
