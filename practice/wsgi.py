"""The app as a server serves it: `gunicorn 'practice.wsgi:app'` (what `practice serve` and
`make run` start) builds it in each of its worker processes, frozen once built
(practice.serve.frozen)."""

from practice.app import create_app
from practice.serve import frozen

app = frozen(create_app())
