"""`make bench`: a synthetic practice of a chosen size, built through the app's own models,
and a benchmark of its pages and long jobs against minimal baselines measured in the same run.

generate.py builds a practice; cache.py keeps built practices under bench/.cache/;
floor.py is the bench-only floor page; pages.py names the pages measured (the query-count
test in tests/ uses it too); measure.py times them; report.py writes bench/results/."""
