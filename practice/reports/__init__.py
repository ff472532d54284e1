"""Reports over a date range: attendance, fees, conduct, standing, referrals, caseload and
inquiries, for one practitioner or the whole practice, as tables, charts and CSV."""
